"""JDBC (pgjdbc) through Tombstone behaves as directly (issue 2, A2): PreparedStatement batches
and their update counts, executeUpdate counts, server-side prepared statements (prepareThreshold),
rollback and savepoints, an error inside a transaction and recovery, a failing batch, notices as
SQLWarnings and COPY through CopyManager. tests/integration/java/JdbcWorkload.java prints a
transcript; the direct and proxied transcripts and final tables must be equal."""
import pathlib

import pytest

from proxyenv import create_databases, log_tail, proxied_cluster, run, table_dump

JAVA_DIR = pathlib.Path(__file__).resolve().parent / "java"
JDBC_JAR = "/usr/share/java/postgresql.jar"
SETUP = "CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL, qty int);"


@pytest.fixture(scope="module")
def classes(tmp_path_factory):
    """Compiled once: a single-file source launch would recompile for each of the six runs."""
    out_dir = tmp_path_factory.mktemp("jdbc-classes")
    javac = run(["javac", "-cp", JDBC_JAR, "-d", str(out_dir), str(JAVA_DIR / "JdbcWorkload.java")],
                timeout=180)
    assert javac.returncode == 0, javac.stderr
    return out_dir


@pytest.fixture(scope="module")
def env(classes):
    with proxied_cluster() as (pg, ts):
        yield pg, ts, classes


def jdbc_run(classes, port, dbname, extra):
    url = (f"jdbc:postgresql://127.0.0.1:{port}/{dbname}?user=postgres&sslmode=disable"
           f"&{extra}")
    out = run(["java", "-cp", f"{JDBC_JAR}:{classes}", "JdbcWorkload", url], timeout=180)
    return out.returncode, out.stdout, out.stderr


@pytest.mark.parametrize("mode, extra", [
    ("prepared", "prepareThreshold=2"),  # unnamed statements first, then named ones
    ("binary", "prepareThreshold=-1"),  # named statements and binary transfer from the start
    ("simple", "preferQueryMode=simple"),  # parameters interpolated, simple Query messages
])
def test_jdbc_matches_direct(env, mode, extra):
    pg, ts, classes = env
    create_databases(pg, [f"jdbc_{mode}_d", f"jdbc_{mode}_p"], SETUP)
    direct = jdbc_run(classes, pg.port, f"jdbc_{mode}_d", extra)
    proxied = jdbc_run(classes, ts.port, f"jdbc_{mode}_p", extra)
    assert direct[0] == 0, direct[2]
    assert "batch: [1, 1, 1" in direct[1] and "error: 22012" in direct[1]
    assert "copy in: 2" in direct[1] and "batch error: 23505" in direct[1]
    assert proxied == direct, log_tail(ts)
    assert table_dump(pg, f"jdbc_{mode}_p", "items") == table_dump(pg, f"jdbc_{mode}_d", "items")
