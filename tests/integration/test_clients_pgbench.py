"""pgbench through Tombstone (issue 2, A2): `pgbench -i` (COPY FROM STDIN of 100,000 rows, DDL,
VACUUM) and the TPC-B-like script in `-M simple`, `-M extended` and `-M prepared` all exit 0 with
every transaction processed, leaving the same totals as a direct run."""
import re

import pytest

from proxyenv import PGBENCH, create_databases, log_tail, proxied_cluster, run

CLIENTS, TRANSACTIONS = 2, 40


@pytest.fixture(scope="module")
def env():
    with proxied_cluster() as (pg, ts):
        yield pg, ts


def fresh_bench_db(pg, db):
    create_databases(pg, [db])
    init = pgbench([], "-i", "-s", "1", "-q", *conn_args("127.0.0.1", pg.port, db))
    assert init.returncode == 0, init.stderr


def pgbench(dsn_args, *args):
    return run([PGBENCH, *dsn_args, *args], timeout=180)


def conn_args(host, port, dbname):
    return ["-h", host, "-p", str(port), "-U", "postgres", dbname]


def processed(output):
    m = re.search(r"number of transactions actually processed: (\d+)/(\d+)", output)
    assert m, output
    return int(m.group(1)), int(m.group(2))


def totals(pg, dbname):
    return pg.psql("SELECT (SELECT count(*) FROM pgbench_history), "
                   "(SELECT sum(abalance) FROM pgbench_accounts) = "
                   "(SELECT sum(delta) FROM pgbench_history), "
                   "(SELECT count(*) FROM pgbench_accounts)", dbname=dbname)


def test_pgbench_init_through_proxy(env):
    pg, ts = env
    create_databases(pg, ["bench_proxy"])
    out = pgbench([], "-i", "-s", "1", "-q", *conn_args("127.0.0.1", ts.port, "bench_proxy"))
    assert out.returncode == 0, out.stderr + log_tail(ts)
    assert "done in" in out.stderr
    assert pg.psql("SELECT count(*), sum(abalance) FROM pgbench_accounts",
                   dbname="bench_proxy") == "100000|0\n"


@pytest.mark.parametrize("mode", ["simple", "extended", "prepared"])
def test_pgbench_mode_matches_direct(env, mode):
    pg, ts = env
    results = {}
    for where, port in (("direct", pg.port), ("proxy", ts.port)):
        db = f"bench_{mode}_{where}"
        fresh_bench_db(pg, db)
        out = pgbench([], "-M", mode, "-c", str(CLIENTS), "-t", str(TRANSACTIONS), "-n",
                      *conn_args("127.0.0.1", port, db))
        assert out.returncode == 0, f"{where}: {out.stdout}{out.stderr}" + log_tail(ts)
        assert f"query mode: {mode}" in out.stdout
        assert "number of failed transactions: 0" in out.stdout, out.stdout
        results[where] = (processed(out.stdout), totals(pg, db))
    assert results["direct"][0] == (CLIENTS * TRANSACTIONS, CLIENTS * TRANSACTIONS)
    assert results["proxy"] == results["direct"]
    assert results["proxy"][1] == f"{CLIENTS * TRANSACTIONS}|t|100000\n"


PIPELINE_SCRIPT = """\\set aid random(1, 100000)
\\set delta random(-5000, 5000)
\\startpipeline
UPDATE pgbench_accounts SET abalance = abalance + :delta WHERE aid = :aid;
SELECT abalance FROM pgbench_accounts WHERE aid = :aid;
INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (1, 1, :aid, :delta, now());
\\endpipeline
"""


@pytest.mark.parametrize("mode", ["extended", "prepared"])
def test_pgbench_libpq_pipeline_mode(env, mode, tmp_path):
    """pgbench's \\startpipeline/\\endpipeline: three statements per libpq pipeline."""
    pg, ts = env
    script = tmp_path / "pipeline.sql"
    script.write_text(PIPELINE_SCRIPT)
    db = f"bench_pipeline_{mode}"
    fresh_bench_db(pg, db)
    out = pgbench([], "-M", mode, "-c", str(CLIENTS), "-t", str(TRANSACTIONS), "-n",
                  "-f", str(script), *conn_args("127.0.0.1", ts.port, db))
    assert out.returncode == 0, out.stdout + out.stderr + log_tail(ts)
    assert processed(out.stdout) == (CLIENTS * TRANSACTIONS, CLIENTS * TRANSACTIONS)
    assert totals(pg, db) == f"{CLIENTS * TRANSACTIONS}|t|100000\n"
