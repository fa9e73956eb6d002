"""psql through Tombstone behaves exactly as psql against PostgreSQL directly (issue 2, A2):
`-c` commands and a `-f` script with queries, DML, a rolled-back transaction, an error inside a
transaction followed by recovery, notices, COPY FROM STDIN inline, and `\\copy` both ways."""
import pytest

from proxyenv import PSQL, create_databases, log_tail, proxied_cluster, run, table_dump

SETUP = """
CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL, qty int, note text);
INSERT INTO items SELECT g, 'item ' || g, g * 10, NULL FROM generate_series(100, 104) g;
"""

SCRIPT = r"""
\set VERBOSITY verbose
SELECT count(*) AS n, sum(qty) AS total FROM items;
INSERT INTO items VALUES (1, 'a', 1, NULL), (2, 'b', 2, 'x');
UPDATE items SET qty = qty + 10 WHERE id IN (2, 100, 101);
DELETE FROM items WHERE id = 1 RETURNING *;
BEGIN;
INSERT INTO items VALUES (3, 'rolled back', 3, NULL);
SELECT count(*) FROM items WHERE id = 3;
ROLLBACK;
BEGIN;
INSERT INTO items VALUES (4, 'lost with the failed transaction', 4, NULL);
SELECT 1 / 0;
SELECT 'ignored in a failed transaction';
ROLLBACK;
INSERT INTO items VALUES (2, 'duplicate key', 0, NULL);
INSERT INTO items VALUES (5, 'after recovery', 5, 'ok');
DO $$ BEGIN RAISE NOTICE 'notice from the server: %', 42; END $$;
SELECT 'one' AS first \; SELECT 'two' AS second;
COPY items FROM STDIN;
10	ten	10	\N
11	eleven	11	tab\there
\.
COPY items FROM STDIN;
20	bad row	not-a-number	\N
\.
\copy items FROM 'in.csv' WITH (FORMAT csv)
\copy items TO 'out.csv' WITH (FORMAT csv)
\copy (SELECT id, name, note FROM items WHERE id < 100 ORDER BY id) TO 'subset.txt'
COPY (SELECT id, qty FROM items ORDER BY id) TO STDOUT WITH (FORMAT csv, HEADER);
SELECT id, name, qty, note FROM items ORDER BY id;
"""

IN_CSV = "30,thirty,30,\n31,\"quoted, comma\",31,\"multi\nline\"\n"


@pytest.fixture(scope="module")
def env():
    with proxied_cluster() as (pg, ts):
        create_databases(pg, ["psql_direct", "psql_proxy"], SETUP)
        yield pg, ts


def run_script(workdir, dsn):
    workdir.mkdir()
    (workdir / "script.sql").write_text(SCRIPT)
    (workdir / "in.csv").write_text(IN_CSV)
    out = run([PSQL, "-X", "-d", dsn, "-f", "script.sql"], cwd=workdir)
    return out.returncode, out.stdout, out.stderr


def test_psql_script_with_copy_matches_direct(env, tmp_path):
    pg, ts = env
    direct = run_script(tmp_path / "direct", pg.dsn("psql_direct"))
    proxied = run_script(tmp_path / "proxy", ts.dsn("psql_proxy"))

    # The script really exercised what it claims to (so two identical failures can't pass).
    code, stdout, stderr = direct
    assert code == 0
    assert "22012: division by zero" in stderr
    assert "25P02: current transaction is aborted" in stderr
    assert "23505: duplicate key value" in stderr
    assert "22P02: invalid input syntax for type integer" in stderr
    assert "COPY items, line 1" in stderr
    assert "notice from the server: 42" in stderr
    assert "COPY 2" in stdout and "COPY 11" in stdout and "multi       +" in stdout

    assert proxied == direct, log_tail(ts)
    for name in ("out.csv", "subset.txt"):
        assert (tmp_path / "proxy" / name).read_bytes() == (tmp_path / "direct" / name).read_bytes()
    assert table_dump(pg, "psql_proxy", "items") == table_dump(pg, "psql_direct", "items")


@pytest.mark.parametrize("commands", [
    ["SELECT 1 AS one", "SELECT current_database() = 'psql_cmd' AS same_db"],
    ["SELECT 'a' AS x; SELECT 'b' AS y", "SELECT repeat('z', 100000) AS big"],
    ["CREATE TABLE c (v int)", "INSERT INTO c SELECT generate_series(1, 3)",
     "SELECT sum(v) FROM c", "SELECT nonexistent FROM c", "DROP TABLE c"],
], ids=["queries", "multi-statement-and-large-row", "ddl-dml-error"])
def test_psql_c_matches_direct(env, commands):
    pg, ts = env
    create_databases(pg, ["psql_cmd"])
    results = []
    for dsn in (pg.dsn("psql_cmd"), ts.dsn("psql_cmd")):
        args = [PSQL, "-X", "-v", "VERBOSITY=verbose", "-d", dsn]
        for c in commands:
            args += ["-c", c]
        out = run(args)
        results.append((out.returncode, out.stdout, out.stderr))
    assert results[0][1], "the direct run printed nothing"
    assert results[1] == results[0], log_tail(ts)


def test_psql_on_error_stop_exit_code(env):
    pg, ts = env
    for dsn in (pg.dsn(), ts.dsn()):
        out = run([PSQL, "-X", "-v", "ON_ERROR_STOP=1", "-d", dsn, "-c", "SELECT 1/0"])
        assert out.returncode == 1 and "division by zero" in out.stderr, out.stderr
