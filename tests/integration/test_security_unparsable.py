"""Issue 4 acceptance 6 and issue 7 point 5 (newer syntax), DESIGN §5: a statement that names a
managed table but that the PG 15 grammar cannot parse — syntax of PostgreSQL 16, 17 or 18 — is
refused by Tombstone itself with SQLSTATE 0A000 and a message naming the table, never forwarded;
the session goes on. Unparsable statements that name no managed table go to the server, which
judges them (42601 from this PG 15 server).
"""
import pytest

from apps.common import Env

LIVE = [(str(i),) for i in range(1, 9)]

NEWER_SYNTAX = [
    # PG 16: non-decimal integer literals and underscores in numbers.
    "DELETE FROM users WHERE id = 0x3",
    "DELETE FROM users WHERE id = 0b11",
    "UPDATE users SET name = 'x' WHERE id = 0o3",
    "SELECT id FROM public.users WHERE id = 1_0",
    # PG 16: IS JSON predicate.
    "SELECT id FROM users WHERE email IS JSON",
    # PG 17: JSON_TABLE; MERGE … RETURNING; WHEN NOT MATCHED BY SOURCE (deletes every row that
    # is not in the source!).
    "SELECT jt.* FROM users, JSON_TABLE('[1]'::jsonb, '$[*]' COLUMNS (x int PATH '$')) jt",
    "MERGE INTO users u USING (VALUES (3)) v(id) ON u.id = v.id "
    "WHEN MATCHED THEN DELETE RETURNING u.id",
    "MERGE INTO users u USING (VALUES (3)) v(id) ON u.id = v.id "
    "WHEN NOT MATCHED BY SOURCE THEN DELETE",
    # PG 18: RETURNING WITH (OLD …).
    "DELETE FROM users WHERE id = 3 RETURNING WITH (OLD AS o) o.id",
    # Odd spellings of the table name in an unparsable statement.
    'DELETE FROM "users" WHERE id = 0x3',
    "DELETE FROM PUBLIC.USERS WHERE id = 0x3",
    # One unparsable statement in a multi-statement string: nothing of it may run.
    "SELECT 1; DELETE FROM users WHERE id = 0x3",
]


@pytest.fixture(scope="module")
def env():
    e = Env()
    yield e
    e.close()


@pytest.fixture(autouse=True)
def fresh(env):
    env.reset()


def database_unchanged(env):
    return (env.rows("SELECT id, name, deleted_at IS NOT NULL FROM users ORDER BY id")
            == [(i, f"user{i}", i > 8) for i in range(1, 11)])


@pytest.mark.parametrize("sql", NEWER_SYNTAX)
def test_newer_syntax_on_managed_table_refused_with_0A000(env, sql):
    conn = env.wire("bob")
    results = conn.query(sql)
    errors = [r.error for r in results if r.error is not None]
    assert len(errors) == 1, results
    assert errors[0].sqlstate == "0A000", errors[0]
    assert "users" in errors[0].message, errors[0].message
    assert database_unchanged(env)
    # The session continues, still filtered.
    assert conn.query("SELECT id FROM users ORDER BY id")[0].rows == LIVE


@pytest.mark.parametrize("sql", NEWER_SYNTAX[:4])
def test_newer_syntax_refused_at_parse_in_extended_protocol(env, sql):
    conn = env.wire("bob")
    results = conn.extended(sql)
    assert len(results) == 1 and results[0].error is not None, results
    assert results[0].error.sqlstate == "0A000", results[0].error
    assert "users" in results[0].error.message
    assert database_unchanged(env)
    assert conn.extended("SELECT id FROM users ORDER BY id")[0].rows == LIVE


def test_refusal_inside_a_transaction_then_rollback(env):
    conn = env.wire("bob")
    assert conn.query("BEGIN")[0].tag == "BEGIN"
    assert conn.query("DELETE FROM users WHERE id = 4")[0].tag == "DELETE 1"
    results = conn.query("DELETE FROM users WHERE id = 0x3")
    assert results[0].error is not None and results[0].error.sqlstate == "0A000"
    conn.query("ROLLBACK")
    assert conn.status == "I"
    assert database_unchanged(env)
    assert conn.query("SELECT count(*) FROM users")[0].rows == [("8",)]


@pytest.mark.parametrize("sql", ["SELECT 0x10", "SELECT id FROM notes WHERE id = 0x1",
                                 "SELECT 1 IS JSON"])
def test_unparsable_without_managed_table_is_judged_by_the_server(env, sql):
    conn = env.wire("bob")
    results = conn.query(sql)
    assert results[0].error is not None and results[0].error.sqlstate == "42601", results
    assert conn.query("SELECT count(*) FROM notes")[0].rows == [("2",)]


def test_refusal_in_the_middle_of_a_pipeline(env):
    """Parse/Bind/Execute ×3 then one Sync: the refused middle statement is an error like any
    other — the implicit transaction rolls back the DELETE before it, the one after it is
    skipped up to Sync, and the next batch runs normally."""
    conn = env.wire("bob")
    results = conn.pipeline([
        ("DELETE FROM users WHERE id = $1", [3], ""),
        ("DELETE FROM users WHERE id = 0x4", [], ""),
        ("DELETE FROM users WHERE id = $1", [5], "after_error"),
    ])
    assert [r.tag for r in results] == ["DELETE 1", None]
    assert results[1].error.sqlstate == "0A000"
    assert database_unchanged(env)
    results = conn.pipeline([("DELETE FROM users WHERE id = $1", [3], ""),
                             ("SELECT count(*) FROM users", [], ""),
                             ("DELETE FROM users WHERE id = $1", [4], "")])
    assert [(r.tag, r.rows) for r in results] == \
        [("DELETE 1", []), ("SELECT 1", [("7",)]), ("DELETE 1", [])]
