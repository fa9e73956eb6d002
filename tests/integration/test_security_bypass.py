"""Issue 7 point 5: an ordinary (non-admin) session trying to read deleted rows or to delete
for real. Every attempt must be filtered (no deleted row ever comes back) or refused, and every
DELETE that reaches a managed table must be soft: the row stays in the table with deleted_at
and deleted_by set. `bob` still holds DELETE on every table, so a statement that slipped through
unrewritten would really destroy the row — these tests would see it.

Seed data: users 1..10, of which 9 and 10 are soft-deleted.
"""
import io

import psycopg
import psycopg2
import pytest

import pgwire
from apps.common import CONFIG, SCHEMA_SQL, Env, assert_delete_logged, fetch, status

LIVE = set(range(1, 9))
QUOTED_CONFIG = """  'public."Users"': {strategy: soft}\n"""
TARGET = 3  # the live row every DELETE below aims at


@pytest.fixture(scope="module")
def env():
    # bob has no USAGE on schema hidden; "Users" is a second managed table whose name only a
    # quoted identifier reaches.
    e = Env(config=CONFIG + QUOTED_CONFIG,
            schema=SCHEMA_SQL + "CREATE SCHEMA hidden; CREATE TABLE hidden.users (id int);"
            "INSERT INTO hidden.users VALUES (3);"
            'CREATE TABLE "Users" (id int PRIMARY KEY, deleted_at timestamptz);')
    yield e
    e.close()


@pytest.fixture(autouse=True)
def fresh(env):
    env.reset()
    env.cluster.psql('TRUNCATE "Users";'
                     'INSERT INTO "Users" VALUES (1, NULL), (2, NULL), (3, now())')
    # Dropped through Tombstone (bob owns them), so its catalog knows they are gone.
    try:
        fetch(env.via("bob"), "DROP SCHEMA IF EXISTS evil, bob CASCADE")
    except psycopg2.Error:
        env.cluster.psql("DROP SCHEMA IF EXISTS evil, bob CASCADE")
    env.close_connections()


def physical(env):
    """Every row physically in public.users, seen directly: {id: (deleted?, deleted_by)}."""
    return {r[0]: (r[1], r[2]) for r in
            env.rows("SELECT id, deleted_at IS NOT NULL, deleted_by FROM public.users")}


def assert_soft_deleted(env, ids=(TARGET,), by="bob"):
    rows = physical(env)
    gone = set(range(1, 11)) - set(rows)
    assert not gone, f"rows physically gone from public.users: {gone}"
    for i in range(1, 11):
        expected = (True, by) if i in ids else ((True, "seed") if i > 8 else (False, None))
        assert rows[i] == expected, f"user {i}: {rows[i]} != {expected}"


def assert_untouched(env):
    assert_soft_deleted(env, ids=())


def ids_of(conn, sql):
    return {int(r[0]) for r in fetch(conn, sql)}


READS = [
    'SELECT id FROM "users"',
    "SELECT id FROM PUBLIC.USERS",
    'SELECT id FROM "public"."users"',
    'SELECT id FROM public."users"',
    'SELECT id FROM U&"\\0075sers"',
    'SELECT id FROM U&"\\0075\\0073\\0065\\0072\\0073"',
    "SELECT id FROM U&\"!0075sers\" UESCAPE '!'",
    "SELECT id FROM public.U&\"\\0075sers\"",
    "SELECT/**/id/**/FROM/**/users",
    "SELECT id FROM/* one /* nested */ comment */users",
    "SELECT id FROM -- a line comment\nusers",
    "select ID from USERS",
    "SELECT id FROM users u",
    "SELECT a FROM users AS u(a)",
    "SELECT id FROM ONLY users",
    "SELECT id FROM users *",
    "TABLE users",
    "SELECT id FROM (TABLE users) s",
    "SELECT id FROM (SELECT * FROM users) s",
    "WITH x AS (SELECT * FROM users) SELECT id FROM x",
    "WITH RECURSIVE x AS (SELECT * FROM users) SELECT id FROM x",
    "SELECT id FROM users WHERE false UNION SELECT id FROM users",
    "SELECT id FROM generate_series(1, 10) id WHERE id IN (SELECT id FROM users)",
    "SELECT id FROM generate_series(1, 10) id"
    " WHERE EXISTS (SELECT FROM users u WHERE u.id = id.id)",
    "SELECT g FROM generate_series(1, 10) g, LATERAL (SELECT * FROM users WHERE id = g) s",
    "SELECT g FROM generate_series(1, 10) g LEFT JOIN users u ON u.id = g WHERE u.name IS NOT NULL",
    "SELECT u.id FROM notes n RIGHT JOIN users u ON true WHERE n.id = 1",
    "SELECT u.id FROM users u FULL JOIN posts p ON p.user_id = u.id WHERE u.id IS NOT NULL",
    "SELECT unnest(array_agg(id)) FROM users",
    "SELECT (SELECT array_agg(id) FROM users)[i] FROM generate_series(1, 10) i "
    "WHERE (SELECT array_agg(id) FROM users)[i] IS NOT NULL",
    "SELECT id FROM users WHERE id = ANY (SELECT id FROM users)",
    "SELECT id FROM users WHERE email LIKE '%' ESCAPE '\\'",
    # The added predicate must bind tighter than the user's OR.
    "SELECT id FROM users WHERE id = 9 OR id = 10 OR true",
    "SELECT id FROM users WHERE ctid IS NOT NULL",
    "SELECT id FROM users FOR UPDATE",
    "SELECT (u).id FROM (SELECT u FROM users u) s",
]


@pytest.mark.parametrize("sql", READS)
def test_read_never_shows_deleted_rows(env, sql):
    conn = env.via("bob")
    assert ids_of(conn, sql) == LIVE


@pytest.mark.parametrize("sql", READS[:8])
def test_read_never_shows_deleted_rows_extended_protocol(env, sql):
    conn = env.wire("bob")
    rows = pgwire.one(conn.extended(sql)).rows
    assert {int(r[0]) for r in rows} == LIVE


def test_explicitly_asking_for_deleted_rows_finds_none(env):
    conn = env.via("bob")
    assert ids_of(conn, "SELECT id FROM users WHERE deleted_at IS NOT NULL") == set()
    assert ids_of(conn, "SELECT id FROM users WHERE id IN (9, 10)") == set()


def test_reads_that_copy_rows_elsewhere_copy_only_live_rows(env):
    conn = env.via("bob")
    fetch(conn, "CREATE TEMP TABLE t1 AS SELECT * FROM users")
    fetch(conn, "SELECT id INTO TEMP t2 FROM users")
    fetch(conn, "INSERT INTO audit_ids SELECT id FROM users")
    assert ids_of(conn, "SELECT id FROM t1") == LIVE
    assert ids_of(conn, "SELECT id FROM t2") == LIVE
    assert {r[0] for r in env.rows("SELECT id FROM audit_ids")} == LIVE
    assert ids_of(conn, "UPDATE users SET name = name RETURNING id") == LIVE
    conn.autocommit = False
    fetch(conn, "DECLARE c CURSOR FOR SELECT id FROM users")
    assert ids_of(conn, "FETCH ALL FROM c") == LIVE
    conn.rollback()


def test_copy_out_never_shows_deleted_rows(env):
    conn = env.via("bob")
    for sql in ("COPY users (id) TO STDOUT", "COPY public.\"users\" (id) TO STDOUT",
                "COPY (SELECT id FROM users) TO STDOUT"):
        buf = io.StringIO()
        with conn.cursor() as cur:
            cur.copy_expert(sql, buf)
        assert {int(x) for x in buf.getvalue().split()} == LIVE, sql


# Each DELETE aims at user TARGET by some disguise; through Tombstone it must be soft.
DELETES = [
    'DELETE FROM "users" WHERE id = 3',
    "DELETE FROM PUBLIC.USERS WHERE id = 3",
    'DELETE FROM "public"."users" WHERE id = 3',
    'DELETE FROM U&"\\0075sers" WHERE id = 3',
    "DELETE FROM U&\"!0075sers\" UESCAPE '!' WHERE id = 3",
    "DELETE/**/FROM/**/users/**/WHERE/**/id=3",
    "DELETE FROM /* a /* nested */ comment */ users WHERE id = 3",
    "DELETE -- comment\nFROM -- comment\nusers WHERE id = 3",
    "DeLeTe FrOm UsErS wHeRe Id = 3",
    "DELETE FROM ONLY users WHERE id = 3",
    "DELETE FROM users * WHERE id = 3",
    "DELETE FROM users AS x WHERE x.id = 3",
    "DELETE FROM users x WHERE x.id = 3",
    "DELETE FROM users USING notes WHERE users.id = 3 AND notes.id = 1",
    "DELETE FROM users WHERE id IN (SELECT 3)",
    "DELETE FROM users WHERE id = 3 RETURNING id",
    "DELETE FROM users WHERE id = 3 OR id = 9 OR id = 10",  # 9, 10: already deleted, untouched
    "/* ; */ DELETE FROM users WHERE id = 3",
    "  \n\tDELETE FROM users WHERE id = 3;",
    "SELECT 1; DELETE FROM users WHERE id = 3",
    "SELECT 1;DELETE FROM users WHERE id = 3;SELECT 2",
    "SELECT ';'; DELETE FROM users WHERE id = 3",
    "SELECT 'x;'';'; DELETE FROM users WHERE id = 3",
    "SELECT $$;$$; DELETE FROM users WHERE id = 3",
    "SELECT $a$ $$; $a$; DELETE FROM users WHERE id = 3",
    "SELECT E'\\';'; DELETE FROM users WHERE id = 3",
    # With standard_conforming_strings on (the default) a backslash does not escape: the string
    # ends at the second quote and the DELETE is real.
    "SELECT 'a\\'; DELETE FROM users WHERE id = 3; --'",
    'SELECT "a;b" FROM (SELECT 1 AS "a;b") s; DELETE FROM users WHERE id = 3',
    "WITH x AS (DELETE FROM users WHERE id = 3 RETURNING id) SELECT count(*) FROM x",
    "WITH x AS (DELETE FROM users WHERE id = 3 RETURNING id)"
    " INSERT INTO audit_ids SELECT id FROM x",
    "WITH x AS (SELECT 3 AS id) DELETE FROM users WHERE id IN (SELECT id FROM x)",
    "WITH users AS (SELECT 1) DELETE FROM public.users WHERE id = 3",
    "PREPARE p AS DELETE FROM users WHERE id = 3; EXECUTE p",
    "PREPARE p(int) AS DELETE FROM users WHERE id = $1; EXECUTE p(3); DEALLOCATE p",
    "MERGE INTO users u USING (SELECT 3 AS id) s ON u.id = s.id WHEN MATCHED THEN DELETE",
    "BEGIN; DELETE FROM users WHERE id = 3; COMMIT",
    "BEGIN; DECLARE c CURSOR FOR SELECT * FROM users WHERE id = 3 FOR UPDATE; FETCH c;"
    " DELETE FROM users WHERE CURRENT OF c; COMMIT",
    "BEGIN; SAVEPOINT s; DELETE FROM users WHERE id = 3; RELEASE s; COMMIT",
]


@pytest.mark.parametrize("sql", DELETES)
def test_disguised_delete_is_soft(env, sql):
    conn = env.wire("bob")
    results = conn.query(sql)
    errors = [r.error for r in results if r.error is not None]
    assert not errors, errors
    assert_soft_deleted(env)
    # The statement that deleted reports it the way a hard DELETE would.
    tags = [r.tag for r in results]
    if sql.startswith("WITH x AS (DELETE") and "count" in sql:
        assert results[-1].rows == [("1",)]
    elif "INSERT INTO audit_ids" in sql:
        assert tags == ["INSERT 0 1"]
        assert env.rows("SELECT id FROM audit_ids") == [(3,)]
    elif sql.startswith("MERGE"):
        assert tags == ["MERGE 1"]
    elif "EXECUTE" in sql:
        assert "DELETE 1" in tags and tags[tags.index("DELETE 1") - 1] == "PREPARE"
    else:
        assert "DELETE 1" in tags, tags
    if "RETURNING id)" not in sql and "RETURNING" in sql:
        assert results[-1].rows == [("3",)]
    # Still filtered afterwards, in the same session.
    assert {int(r[0]) for r in pgwire.one(conn.query("SELECT id FROM users")).rows} == LIVE - {3}


@pytest.mark.parametrize("sql", [
    "DELETE FROM users WHERE id = $1",
    "DELETE FROM U&\"\\0075sers\" WHERE id = $1",
    "/**/DELETE/**/FROM/**/PUBLIC.USERS/**/WHERE/**/id=$1",
    "WITH x AS (DELETE FROM users WHERE id = $1 RETURNING id) SELECT id FROM x",
])
@pytest.mark.parametrize("name", ["", "named_stmt"])
def test_disguised_delete_is_soft_extended_protocol(env, sql, name):
    conn = env.wire("bob")
    results = conn.extended(sql, [TARGET], name=name)
    assert len(results) == 1 and results[0].error is None, results
    if sql.startswith("WITH"):
        assert results[0].rows == [("3",)]
    else:
        assert results[0].tag == "DELETE 1"
    assert_soft_deleted(env)


def test_prepared_delete_executed_later_reads_delete_and_is_soft(env):
    conn = env.via("bob")
    fetch(conn, "PREPARE later(int) AS DELETE FROM users WHERE id = $1")
    assert ids_of(conn, "SELECT id FROM users") == LIVE  # other work in between
    assert status(conn, "EXECUTE later(3)") == ("DELETE 1", 1)
    assert status(conn, "EXECUTE later(3)") == ("DELETE 0", 0)  # already deleted: 0 rows
    assert_soft_deleted(env)
    # Re-prepare the same name as something else and back: the tag follows the statement.
    fetch(conn, "DEALLOCATE later")
    fetch(conn, "PREPARE later(int) AS UPDATE notes SET body = 'x' WHERE id = $1")
    assert status(conn, "EXECUTE later(1)") == ("UPDATE 1", 1)
    fetch(conn, "DEALLOCATE ALL")
    fetch(conn, "PREPARE later(int) AS DELETE FROM users WHERE id = $1")
    assert status(conn, "EXECUTE later(4)") == ("DELETE 1", 1)
    assert_soft_deleted(env, ids=(3, 4))
    assert_delete_logged(env.proxy, "public.users", "soft", 1, "bob")


def test_copy_with_delete_returning_is_soft(env):
    """`COPY (DELETE … RETURNING …) TO STDOUT` runs a DELETE inside COPY: it is soft, and COPY
    reports the row like a real DELETE would."""
    conn = env.wire("bob")
    result = pgwire.one(conn.query("COPY (DELETE FROM users WHERE id = 3 RETURNING id) TO STDOUT"))
    assert result.error is None, result.error
    assert result.tag == "COPY 1"
    assert_soft_deleted(env)


def test_explain_analyze_delete_is_soft(env):
    """EXPLAIN ANALYZE executes the statement it explains: the executed DELETE is soft."""
    conn = env.wire("bob")
    result = pgwire.one(conn.query("EXPLAIN ANALYZE DELETE FROM users WHERE id = 3"))
    assert result.error is None, result.error
    assert result.tag == "EXPLAIN"
    assert_soft_deleted(env)


def test_backslash_string_with_standard_conforming_strings_off(env):
    """With standard_conforming_strings off, `\\'` escapes a quote, so the same bytes split into
    statements differently. Tombstone cannot scan such literals: it refuses the whole string
    (0A000) and no row goes."""
    conn = env.wire("bob")
    pgwire.one(conn.query("SET standard_conforming_strings = off"))
    results = conn.query("SELECT 'x\\'' ; DELETE FROM users WHERE id = 3; SELECT '\\''")
    assert results[0].error is not None and results[0].error.sqlstate == "0A000", results
    assert "standard_conforming_strings" in results[0].error.message
    assert_untouched(env)
    # A string that hides a DELETE only when backslashes escape: refused too.
    results = conn.query("SELECT 'a\\'; DELETE FROM users WHERE id = 4; --'")
    assert results[0].error is not None and results[0].error.sqlstate == "0A000", results
    rows = physical(env)
    assert len(rows) == 10 and rows[4] == (False, None)
    pgwire.one(conn.query("SET standard_conforming_strings = on"))
    results = conn.query("SELECT 'a\\'; DELETE FROM users WHERE id = 5; --'")
    assert [r.error for r in results if r.error is not None] == []
    rows = physical(env)
    assert len(rows) == 10 and rows[5] == (True, "bob")


def test_truncate_is_soft_and_mixed_or_cascade_is_refused(env):
    conn = env.wire("bob")
    for sql in ("TRUNCATE users, notes", "TRUNCATE users CASCADE", "TRUNCATE notes, posts"):
        results = conn.query(sql)
        assert results[0].error is not None, sql
        assert_untouched(env)
        assert env.rows("SELECT count(*) FROM notes") == [(2,)]
    assert pgwire.one(conn.query("TRUNCATE TABLE ONLY PUBLIC.USERS")).tag == "TRUNCATE TABLE"
    rows = physical(env)
    assert len(rows) == 10 and all(deleted for deleted, _ in rows.values())
    assert pgwire.one(conn.query("SELECT count(*) FROM users")).rows == [("0",)]


def test_same_named_view_in_another_schema(env):
    """bob creates evil.users over public.users and puts evil first in search_path. Reading it
    must not show deleted rows; deleting through it must not erase public.users rows."""
    conn = env.via("bob")
    fetch(conn, "CREATE SCHEMA evil")
    fetch(conn, "CREATE VIEW evil.users AS SELECT * FROM public.users")
    fetch(conn, "SET search_path = evil, public")
    assert ids_of(conn, "SELECT id FROM users") == LIVE
    assert ids_of(conn, "SELECT id FROM evil.users") == LIVE


def test_delete_through_same_named_view_is_not_hard(env):
    """A simple view is auto-updatable: DELETE on it deletes from public.users on the server.
    bob created the view through Tombstone, so this is not the "view created before Tombstone"
    limit: the row must be soft-deleted or the DELETE refused, never erased."""
    conn = env.via("bob")
    fetch(conn, "CREATE SCHEMA evil")
    fetch(conn, "CREATE VIEW evil.users AS SELECT * FROM public.users")
    fetch(conn, "SET search_path = evil, public")
    try:
        fetch(conn, "DELETE FROM users WHERE id = 3")
    except psycopg2.Error:
        assert_untouched(env)
    else:
        assert_soft_deleted(env)


def test_same_named_table_in_another_schema_is_not_managed(env):
    conn = env.via("bob")
    fetch(conn, "CREATE SCHEMA evil")
    fetch(conn, "CREATE TABLE evil.users (id int, name text)")
    fetch(conn, "INSERT INTO evil.users VALUES (3, 'decoy'), (9, 'decoy')")
    fetch(conn, "SET search_path = evil, public")
    assert ids_of(conn, "SELECT id FROM users") == {3, 9}
    assert status(conn, "DELETE FROM users WHERE id = 3") == ("DELETE 1", 1)
    assert env.rows("SELECT id FROM evil.users") == [(9,)]  # unmanaged: really gone
    assert_untouched(env)
    assert status(conn, "DELETE FROM public.users WHERE id = 3") == ("DELETE 1", 1)
    assert_soft_deleted(env)


def test_search_path_changed_by_set_config_is_followed(env):
    """set_config('search_path', …) in a SELECT changes name resolution on the server without a
    SET statement; Tombstone must not keep resolving `users` to the old schema."""
    conn = env.via("bob")
    fetch(conn, "CREATE SCHEMA evil")
    fetch(conn, "CREATE TABLE evil.users (id int, name text)")
    fetch(conn, "SET search_path = evil, public")
    fetch(conn, "SELECT set_config('search_path', 'public', false)")
    try:
        fetch(conn, "DELETE FROM users WHERE id = 3")
    except psycopg2.Error:
        assert_untouched(env)
    else:
        assert_soft_deleted(env)


def test_search_path_set_in_rolled_back_transaction_reverts(env):
    conn = env.via("bob")
    fetch(conn, "CREATE SCHEMA evil")
    fetch(conn, "CREATE TABLE evil.users (id int, name text)")
    conn.autocommit = False
    fetch(conn, "SET search_path = evil, public")
    conn.rollback()  # the server is back on the default search_path: users is public.users
    conn.autocommit = True
    assert status(conn, "DELETE FROM users WHERE id = 3") == ("DELETE 1", 1)
    assert_soft_deleted(env)


def test_search_path_set_local_reverts_at_commit(env):
    conn = env.via("bob")
    fetch(conn, "CREATE SCHEMA evil")
    fetch(conn, "CREATE TABLE evil.users (id int, name text)")
    conn.autocommit = False
    fetch(conn, "SET LOCAL search_path = evil, public")
    conn.commit()
    conn.autocommit = True
    assert status(conn, "DELETE FROM users WHERE id = 3") == ("DELETE 1", 1)
    assert_soft_deleted(env)


def test_search_path_schema_without_usage_is_skipped(env):
    """The server silently skips a search_path schema the role may not use: `users` is then
    public.users even though hidden.users exists."""
    conn = env.via("bob")
    fetch(conn, "SET search_path = hidden, public")
    assert ids_of(conn, "SELECT id FROM users") == LIVE
    assert status(conn, "DELETE FROM users WHERE id = 3") == ("DELETE 1", 1)
    assert_soft_deleted(env)


def test_user_schema_in_default_search_path(env):
    """The default search_path is "$user", public: a schema named after the role comes first."""
    conn = env.via("bob")
    fetch(conn, "CREATE SCHEMA bob")
    fetch(conn, "CREATE TABLE bob.users (id int, name text)")
    fetch(conn, "INSERT INTO bob.users VALUES (3, 'mine')")
    assert status(conn, "DELETE FROM users WHERE id = 3") == ("DELETE 1", 1)
    assert env.rows("SELECT count(*) FROM bob.users") == [(0,)]
    assert_untouched(env)
    fetch(conn, "DROP TABLE bob.users")
    assert status(conn, "DELETE FROM users WHERE id = 3") == ("DELETE 1", 1)
    assert_soft_deleted(env)


def test_temporary_table_shadowing_then_dropped(env):
    """pg_temp comes first in every search_path. Once the temp table is dropped, `users` is
    public.users again."""
    conn = env.via("bob")
    fetch(conn, "CREATE TEMP TABLE users (id int, name text)")
    fetch(conn, "INSERT INTO users VALUES (3, 'temp')")
    assert status(conn, "DELETE FROM users WHERE id = 3") == ("DELETE 1", 1)
    assert_untouched(env)
    fetch(conn, "DROP TABLE users")
    assert status(conn, "DELETE FROM users WHERE id = 3") == ("DELETE 1", 1)
    assert_soft_deleted(env)


def test_sql_prepare_under_another_search_path_is_not_executed_unfiltered(env):
    """PREPARE under a search_path where `users` is another table, then back to public.users:
    PostgreSQL would re-analyze the prepared text against public.users with no filter. The
    EXECUTE is refused instead; prepared again, it filters."""
    conn = env.via("bob")
    fetch(conn, "CREATE SCHEMA evil")
    fetch(conn, "CREATE TABLE evil.users (id int)")
    fetch(conn, "SET search_path = evil, public")
    fetch(conn, "PREPARE s AS SELECT id FROM users")
    assert fetch(conn, "EXECUTE s") == []
    fetch(conn, "RESET search_path")
    with pytest.raises(psycopg2.errors.FeatureNotSupported, match='prepared statement "s"'):
        fetch(conn, "EXECUTE s")
    fetch(conn, "DEALLOCATE s")
    fetch(conn, "PREPARE s AS SELECT id FROM users")
    assert ids_of(conn, "EXECUTE s") == set(range(1, 9))


@pytest.mark.parametrize("sql", [
    "SELECT query_to_xml('SELECT id FROM users', false, false, '')",
    "SELECT table_to_xml('users', false, false, '')",
    "SELECT schema_to_xml('public', false, false, '')",
    "SELECT database_to_xml(false, false, '')",
])
def test_functions_reading_tables_inside_the_server_are_refused(env, sql):
    conn = env.via("bob")
    with pytest.raises(psycopg2.errors.FeatureNotSupported, match="reads tables inside"):
        fetch(conn, sql)
    admin = env.via("alice")
    assert "<id>9</id>" in str(fetch(admin, "SELECT query_to_xml('SELECT id FROM users', "
                                            "false, false, '')"))


def test_named_statement_after_a_pipelined_set_that_rolls_back(env):
    """Found by review. A named statement, then in one send: a Query whose SET search_path is
    rolled back by its own error, and a Bind of the statement. Re-preparing the statement under
    that SET (before knowing it failed) made it read public.users unfiltered; the Bind now waits
    for the Query's answer."""
    fetch(env.via("bob"), "CREATE SCHEMA evil; CREATE TABLE evil.users (id int)")
    s = env.wire("bob")
    s.exchange(pgwire.parse("SELECT id FROM users ORDER BY id", name="s1") + pgwire.sync())
    s.send(pgwire.query("SET search_path = evil; SELECT 1/0") + pgwire.bind(statement="s1") +
           pgwire.execute() + pgwire.sync())
    answers = s.read_until("Z", 2)
    rows = [pgwire.data_row(body)[0] for kind, body in answers if kind == "D"]
    assert [int(r) for r in rows] == list(range(1, 9)), answers


def test_temp_table_of_a_rolled_back_transaction_in_the_same_pipeline(env):
    """A catalog snapshot taken inside a transaction lists the temp table it created. A ROLLBACK
    and a read of the managed name in ONE pipeline: the read must not trust the rolled-back temp
    table (that would read public.users unfiltered)."""
    with psycopg.connect(env.proxy.dsn(user="bob"), autocommit=True) as conn:
        conn.execute("BEGIN")
        conn.execute("CREATE TEMP TABLE users (id int)")
        assert conn.execute("SELECT id FROM users").fetchall() == []  # the temp table
        with conn.pipeline():
            conn.execute("ROLLBACK")
            plain = conn.execute("SELECT id FROM users ORDER BY id")
            prepared = conn.execute("SELECT id FROM users ORDER BY id", prepare=True)
        live = [(i,) for i in range(1, 9)]
        assert plain.fetchall() == live
        assert prepared.fetchall() == live
        # And after the pipeline (the snapshot was refreshed at the idle point).
        assert conn.execute("SELECT count(*) FROM users").fetchone() == (8,)


@pytest.mark.parametrize("sql", [
    "SET ROLE tombstone_admin",
    "SET ROLE alice",
    "SET SESSION AUTHORIZATION alice",
])
def test_set_role_to_admin_refused_and_session_stays_ordinary(env, sql):
    conn = env.via("bob")
    with pytest.raises(psycopg2.Error) as err:
        fetch(conn, sql)
    assert err.value.pgcode == "42501"
    assert ids_of(conn, "SELECT id FROM users") == LIVE
    assert status(conn, "DELETE FROM users WHERE id = 3") == ("DELETE 1", 1)
    assert_soft_deleted(env)


def test_error_mid_string_rolls_back_and_keeps_tags_aligned(env):
    """A multi-statement Query is one implicit transaction: an error rolls back the DELETE before
    it, and the tags of later statements must not be shifted by the dropped fix-ups."""
    conn = env.wire("bob")
    results = conn.query("DELETE FROM users WHERE id = 3; SELECT 1/0;"
                         " DELETE FROM users WHERE id = 4")
    assert results[0].tag == "DELETE 1"
    assert results[1].error is not None and results[1].error.sqlstate == "22012"
    assert len(results) == 2
    assert_untouched(env)
    assert [r.tag for r in conn.query("DELETE FROM users WHERE id = 3; UPDATE notes SET body = 'x'"
                                      " WHERE id = 1; SELECT 1")] == ["DELETE 1", "UPDATE 1",
                                                                       "SELECT 1"]
    assert_soft_deleted(env)


def test_pipelined_deletes_with_named_statements_keep_their_tags(env):
    conn = env.wire("bob")
    results = conn.pipeline([
        ("DELETE FROM users WHERE id = $1", [3], "del"),
        ("UPDATE notes SET body = $1 WHERE id = 1", ["x"], "upd"),
        ("DELETE FROM users WHERE id = $1 RETURNING name", [9], ""),  # already deleted
        ("SELECT id FROM users WHERE id IN (3, 9)", [], ""),
    ])
    assert [(r.tag, r.rows, r.error) for r in results] == [
        ("DELETE 1", [], None), ("UPDATE 1", [], None), ("DELETE 0", [], None),
        ("SELECT 0", [], None)]
    assert_soft_deleted(env)


@pytest.mark.parametrize("spelling", ['"Users"', 'public."Users"', 'PUBLIC."Users"',
                                      'U&"\\0055sers"', '"public"."Users"'])
def test_quoted_mixed_case_managed_table(env, spelling):
    conn = env.via("bob")
    assert ids_of(conn, f"SELECT id FROM {spelling}") == {1, 2}
    assert status(conn, f"DELETE FROM {spelling} WHERE id IN (1, 3)") == ("DELETE 1", 1)
    assert env.rows('SELECT id, deleted_at IS NOT NULL FROM "Users" ORDER BY id') == \
        [(1, True), (2, False), (3, True)]
    assert ids_of(conn, 'SELECT id FROM "Users"') == {2}
    # Unquoted USERS folds to users: the other managed table, untouched by the above.
    assert ids_of(conn, "SELECT id FROM USERS") == LIVE
    assert_untouched(env)
