"""Issue 4 acceptance 3: JDBC and node-postgres see a soft DELETE exactly as a hard one —
executeUpdate counts, per-statement batch counts, named server-side statements, RETURNING,
`result.command == 'DELETE'` and `result.rowCount`.

Each client runs twice: directly against PostgreSQL on a copy where the soft-deleted rows are
really gone (what the application would see without Tombstone), and through Tombstone on the
seeded data. The outputs must be identical, and through Tombstone every row must still be in
the table, marked.
"""
import json
import pathlib
import subprocess

import pytest

from apps.common import Env, assert_delete_logged

HERE = pathlib.Path(__file__).resolve().parent
JDBC_JAR = "/usr/share/java/postgresql.jar"


@pytest.fixture(scope="module")
def env():
    e = Env()
    yield e
    e.close()


@pytest.fixture(scope="module")
def classes(tmp_path_factory):
    """SoftDelete.java compiled once for both runs."""
    out = tmp_path_factory.mktemp("jdbc")
    run(["javac", "-cp", JDBC_JAR, "-d", str(out), str(HERE / "java" / "SoftDelete.java")],
        cwd=HERE / "java")
    return out


def prepare(env, hard):
    env.reset()
    env.cluster.psql("TRUNCATE posts")  # no foreign keys in the way of the hard baseline
    if hard:
        env.cluster.psql("DELETE FROM users WHERE deleted_at IS NOT NULL")


def run(cmd, cwd):
    out = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=180)
    assert out.returncode == 0, out.stderr + out.stdout
    return out.stdout


def assert_soft_state(env, deleted):
    rows = {r[0]: (r[1], r[2]) for r in
            env.rows("SELECT id, deleted_at IS NOT NULL, deleted_by FROM users")}
    assert sorted(rows) == list(range(1, 11)), "rows physically gone"
    for i in range(1, 11):
        expected = (True, "seed") if i > 8 else ((True, "bob") if i in deleted else (False, None))
        assert rows[i] == expected, (i, rows[i])


def java(classes, url):
    return run(["java", "-cp", f"{JDBC_JAR}:{classes}", "SoftDelete", url, "bob"],
               cwd=HERE / "java")


def test_jdbc_counts_equal_a_hard_delete(env, classes):
    prepare(env, hard=True)
    direct = java(classes, f"jdbc:postgresql://127.0.0.1:{env.cluster.port}/postgres")
    prepare(env, hard=False)
    proxied = java(classes, f"jdbc:postgresql://127.0.0.1:{env.proxy.port}/postgres")
    assert proxied == direct
    # The observations themselves, so a wrong baseline cannot hide a wrong answer.
    assert proxied.splitlines() == [
        "executeUpdate=1",
        "executeUpdateAgain=0",
        "batch=[1, 1, 0, 0]",
        "repeated=[1, 0, 0, 0, 0, 1, 1, 0]",
        "returning=[1:user1]",
        "inTransaction=1",
        "liveAfterRollback=1",
    ]
    assert_soft_state(env, deleted={1, 3, 4, 5, 6, 7, 8})
    assert_delete_logged(env.proxy, "public.users", "soft", 1, "bob")


def node(port):
    return json.loads(run(["node", "soft_delete.js", str(port), "bob"], cwd=HERE / "node"))


def test_node_pg_command_and_row_count_equal_a_hard_delete(env):
    prepare(env, hard=True)
    direct = node(env.cluster.port)
    prepare(env, hard=False)
    proxied = node(env.proxy.port)
    assert proxied == direct
    delete = lambda n: {"command": "DELETE", "rowCount": n}  # noqa: E731
    assert proxied == {
        "simple": delete(1),
        "simpleAgain": delete(0),
        "params": delete(1),
        "named": [delete(1), delete(0), delete(1)],
        "returning": dict(delete(2), ids=[7, 8]),
        "multi": [{"command": "SELECT", "rowCount": 1}, delete(1)],
        "live": 1,
    }
    assert_soft_state(env, deleted={1, 3, 4, 5, 6, 7, 8})
