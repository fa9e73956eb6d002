"""node-postgres (npm `pg`, with pg-copy-streams for COPY) through Tombstone behaves as directly
(issue 2, A2): simple and extended protocol, named prepared statements, multi-statement strings,
RETURNING, rollback, an error inside a transaction and recovery, COPY both ways, notices.
tests/integration/node/workload.js prints a transcript; direct and proxied must be equal."""
import pathlib

import pytest

from proxyenv import create_databases, log_tail, proxied_cluster, run, table_dump

NODE_DIR = pathlib.Path(__file__).resolve().parent / "node"
SETUP = "CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL, qty int);"


@pytest.fixture(scope="module")
def env():
    if not (NODE_DIR / "node_modules" / "pg").exists():
        # deploy/install-deps.sh runs `npm install` there; do it here for a bare checkout.
        npm = run(["npm", "install", "--no-audit", "--no-fund", "--silent"], cwd=NODE_DIR,
                  timeout=300)
        assert npm.returncode == 0, npm.stderr
    with proxied_cluster() as (pg, ts):
        yield pg, ts


def node_run(port, dbname):
    out = run(["node", str(NODE_DIR / "workload.js"),
               f"postgresql://postgres@127.0.0.1:{port}/{dbname}?sslmode=disable"], cwd=NODE_DIR)
    return out.returncode, out.stdout, out.stderr


def test_node_pg_matches_direct(env):
    pg, ts = env
    create_databases(pg, ["node_direct", "node_proxy"], SETUP)
    direct = node_run(pg.port, "node_direct")
    proxied = node_run(ts.port, "node_proxy")
    assert direct[0] == 0, direct[2]
    assert '"code":"22012"' in direct[1] and '"code":"25P02"' in direct[1]
    assert "copy in: 2" in direct[1] and '"code":"22P02"' in direct[1]
    assert proxied == direct, log_tail(ts)
    assert table_dump(pg, "node_proxy", "items") == table_dump(pg, "node_direct", "items")
