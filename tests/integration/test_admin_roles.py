"""Issue 4 acceptance 4 (DESIGN §4): admin sessions see and repair deleted rows; nobody else
can switch the filtering or the soft delete off — not by SET, SET LOCAL, set_config(), startup
options or startup parameters, and not by merely *looking* like the admin role.

Seed data: users 1..10, of which 9 and 10 are soft-deleted; `bob` is an ordinary role.
"""
import psycopg2
import psycopg2.errors
import pytest

import pgwire
from apps.common import Env, assert_delete_logged, delete_log_lines, fetch, status

LIVE = list(range(1, 9))
ALL = list(range(1, 11))


@pytest.fixture(scope="module")
def env():
    e = Env()
    yield e
    e.close()


@pytest.fixture(autouse=True)
def fresh(env):
    env.reset()


def ids(conn, sql="SELECT id FROM users ORDER BY id"):
    return [r[0] for r in fetch(conn, sql)]


def test_admin_sees_deleted_rows_and_ordinary_role_does_not(env):
    admin, plain = env.via("alice"), env.via("bob")
    assert ids(admin) == ALL
    assert fetch(admin, "SELECT deleted_by FROM users WHERE id = 9") == [("seed",)]
    assert ids(plain) == LIVE
    assert fetch(plain, "SELECT count(*) FROM users WHERE id = 9") == [(0,)]
    # Deleted rows are not updatable for an ordinary session either.
    assert status(plain, "UPDATE users SET name = 'x' WHERE id = 9") == ("UPDATE 0", 0)


def test_membership_through_a_group_counts(env):
    assert ids(env.via("carol")) == ALL


def test_admin_visibility_active_and_back(env):
    admin = env.via("alice")
    fetch(admin, "SET tombstone.visibility = active")
    assert ids(admin) == LIVE
    fetch(admin, "SET tombstone.visibility = 'all'")
    assert ids(admin) == ALL
    fetch(admin, "SET tombstone.visibility TO active")
    fetch(admin, "RESET tombstone.visibility")
    assert ids(admin) == ALL


def test_admin_set_local_visibility_ends_with_the_transaction(env):
    admin = env.via("alice")
    admin.autocommit = False
    fetch(admin, "SET LOCAL tombstone.visibility = active")
    assert ids(admin) == LIVE
    admin.commit()
    assert ids(admin) == ALL


def test_admin_visibility_in_startup_options(env):
    conn = env.via("alice", options="-c tombstone.visibility=active")
    assert ids(conn) == LIVE
    conn.close()


def test_admin_restores_a_row(env):
    admin, plain = env.via("alice"), env.via("bob")
    assert status(admin, "UPDATE users SET deleted_at = NULL, deleted_by = NULL WHERE id = 9") \
        == ("UPDATE 1", 1)
    assert ids(plain) == LIVE + [9]
    assert env.rows("SELECT deleted_at, deleted_by FROM users WHERE id = 9") == [(None, None)]


def test_admin_delete_is_soft_by_default(env):
    admin = env.via("alice")
    assert status(admin, "DELETE FROM users WHERE id = 1") == ("DELETE 1", 1)
    assert env.rows("SELECT deleted_at IS NOT NULL, deleted_by FROM users WHERE id = 1") == \
        [(True, "alice")]
    assert_delete_logged(env.proxy, "public.users", "soft", 1, "alice")


def test_admin_hard_delete_erases_for_real(env):
    admin = env.via("alice")
    fetch(admin, "SET tombstone.delete = hard")
    assert status(admin, "DELETE FROM users WHERE id = 10") == ("DELETE 1", 1)
    assert env.rows("SELECT count(*) FROM users WHERE id = 10") == [(0,)]
    # Erasure is logged with who did it.
    lines = [l for l in delete_log_lines(env.proxy.log_text(), "public.users")
             if "hard" in l and "alice" in l]
    assert lines, env.proxy.log_text()[-2000:]
    fetch(admin, "SET tombstone.delete = soft")
    assert status(admin, "DELETE FROM users WHERE id = 2") == ("DELETE 1", 1)
    assert env.rows("SELECT deleted_at IS NOT NULL FROM users WHERE id = 2") == [(True,)]


def test_admin_set_local_hard_delete_ends_with_the_transaction(env):
    admin = env.via("alice")
    admin.autocommit = False
    fetch(admin, "SET LOCAL tombstone.delete = hard")
    assert status(admin, "DELETE FROM users WHERE id = 3") == ("DELETE 1", 1)
    admin.commit()
    assert status(admin, "DELETE FROM users WHERE id = 4") == ("DELETE 1", 1)
    admin.commit()
    assert env.rows("SELECT id, deleted_at IS NOT NULL FROM users WHERE id IN (3, 4)") == \
        [(4, True)]


# Every way an ordinary session might try to switch the filtering or the soft delete off.
REFUSED_STATEMENTS = [
    "SET tombstone.visibility = 'all'",
    "SET tombstone.visibility TO 'all'",
    "SET SESSION tombstone.visibility = 'all'",
    "SET tombstone.visibility = active",
    "SET \"tombstone.visibility\" = 'all'",
    "SET TOMBSTONE.VISIBILITY = 'all'",
    "SET tombstone.delete = hard",
    "SET tombstone.delete TO 'hard'",
    "SET Tombstone.Delete = hard",
    "SELECT set_config('tombstone.visibility', 'all', false)",
    "SELECT set_config('tombstone.visibility', 'all', true)",
    "SELECT set_config('tombstone.delete', 'hard', false)",
    "SELECT set_config('TOMBSTONE.VISIBILITY', 'all', false)",
    "SELECT count(*) FROM users WHERE set_config('tombstone.visibility', 'all', false) <> ''",
    "UPDATE notes SET body = set_config('tombstone.delete', 'hard', false) WHERE id = 1",
    "SELECT 1; SET tombstone.visibility = 'all'",
]


@pytest.mark.parametrize("sql", REFUSED_STATEMENTS)
def test_non_admin_gets_42501_and_keeps_working(env, sql):
    plain = env.via("bob")
    with pytest.raises(psycopg2.Error) as err:
        fetch(plain, sql)
    assert err.value.pgcode == "42501", err.value
    # The session goes on, still filtered and still soft.
    assert ids(plain) == LIVE
    assert status(plain, "DELETE FROM users WHERE id = 5") == ("DELETE 1", 1)
    assert env.rows("SELECT deleted_at IS NOT NULL FROM users WHERE id = 5") == [(True,)]
    assert env.rows("SELECT body FROM notes WHERE id = 1") == [("a",)]


def test_non_admin_set_local_refused_in_transaction(env):
    plain = env.via("bob")
    plain.autocommit = False
    with pytest.raises(psycopg2.Error) as err:
        fetch(plain, "SET LOCAL tombstone.visibility = 'all'")
    assert err.value.pgcode == "42501"
    plain.rollback()
    with pytest.raises(psycopg2.Error) as err:
        fetch(plain, "SET LOCAL tombstone.delete = hard")
    assert err.value.pgcode == "42501"
    plain.rollback()
    assert ids(plain) == LIVE
    plain.commit()


def test_non_admin_set_config_with_bound_parameters_has_no_effect(env):
    """The setting's name arrives only at Bind: refusing it (42501, or 0A000 "not supported") is
    fine, ignoring it is fine, but the session must stay filtered and soft either way."""
    conn = env.wire("bob")
    for params in (["tombstone.visibility", "all"], ["tombstone.delete", "hard"]):
        results = conn.extended("SELECT set_config($1, $2, false)", params)
        assert len(results) == 1, results
        assert results[0].error is None or results[0].error.sqlstate in ("42501", "0A000"), \
            results
    assert sorted(int(r[0]) for r in pgwire.one(conn.query("SELECT id FROM users")).rows) == LIVE
    assert pgwire.one(conn.query("DELETE FROM users WHERE id = 6")).tag == "DELETE 1"
    assert env.rows("SELECT deleted_at IS NOT NULL FROM users WHERE id = 6") == [(True,)]
    conn.close()


def test_non_admin_server_side_default_has_no_effect(env):
    """An ordinary role may ALTER ROLE itself SET a placeholder on the server; Tombstone's
    decision must not come from server-side settings."""
    plain = env.via("bob")
    try:
        fetch(plain, "ALTER ROLE bob SET tombstone.visibility = 'all'")
        fetch(plain, "ALTER ROLE bob SET tombstone.delete = 'hard'")
    except psycopg2.Error as e:
        assert e.pgcode == "42501", e
    try:
        fresh_conn = env.via("bob")
        assert ids(fresh_conn) == LIVE
        assert status(fresh_conn, "DELETE FROM users WHERE id = 7") == ("DELETE 1", 1)
        assert env.rows("SELECT deleted_at IS NOT NULL FROM users WHERE id = 7") == [(True,)]
    finally:
        env.cluster.psql("ALTER ROLE bob RESET ALL")


@pytest.mark.parametrize("options", [
    "-c tombstone.visibility=all",
    "-ctombstone.visibility=all",
    "--tombstone.visibility=all",
    "-c tombstone.delete=hard",
    "-c search_path=public -c tombstone.visibility=active",
])
def test_non_admin_startup_options_refused(env, options):
    with pytest.raises(pgwire.ServerError) as err:
        env.wire("bob", options=options)
    assert err.value.sqlstate == "42501", err.value


@pytest.mark.parametrize("param", ["tombstone.visibility", "tombstone.delete"])
def test_non_admin_startup_parameter_refused(env, param):
    """PostgreSQL accepts any setting as a startup packet parameter, not only inside options."""
    value = "all" if param.endswith("visibility") else "hard"
    with pytest.raises(pgwire.ServerError) as err:
        env.wire("bob", extra={param: value})
    assert err.value.sqlstate == "42501", err.value


def test_objects_shadowing_pg_catalog_do_not_make_an_admin(env):
    """The admin check and the catalog query run under the client's search_path. A role that
    puts its own schema before pg_catalog, holding a bool_or() that always says true and an
    operator = that matches every role, must still be an ordinary session."""
    env.cluster.psql("""
        DROP SCHEMA IF EXISTS evil CASCADE;
        CREATE SCHEMA evil AUTHORIZATION bob;
        SET ROLE bob;
        CREATE FUNCTION evil.yes(boolean, boolean) RETURNS boolean LANGUAGE sql AS 'SELECT true';
        CREATE AGGREGATE evil.bool_or(boolean) (sfunc = evil.yes, stype = boolean);
        CREATE FUNCTION evil.same(name, name) RETURNS boolean LANGUAGE sql AS 'SELECT true';
        CREATE OPERATOR evil.= (leftarg = name, rightarg = name, function = evil.same);
        CREATE FUNCTION evil.same_oid(oid, oid) RETURNS boolean LANGUAGE sql AS 'SELECT true';
        CREATE OPERATOR evil.= (leftarg = oid, rightarg = oid, function = evil.same_oid);
        CREATE FUNCTION evil.now() RETURNS timestamptz LANGUAGE sql
          AS $$SELECT '1970-01-01 00:00:00+00'::timestamptz$$;
    """)
    try:
        conn = env.wire("bob", options="-c search_path=evil,pg_catalog,public")
        assert sorted(int(r[0]) for r in pgwire.one(conn.query("SELECT id FROM users")).rows) \
            == LIVE
        refused = conn.query("SET tombstone.visibility = 'all'")
        assert refused[0].error is not None and refused[0].error.sqlstate == "42501"
        # The soft delete's timestamp is pg_catalog.now(): a shadowing now() cannot backdate it
        # (a 1970 marker would be purged at once, or fall into another batch's restore key).
        assert pgwire.one(conn.query("DELETE FROM users WHERE id = 8")).tag == "DELETE 1"
        assert env.rows("SELECT deleted_at > now() - interval '1 hour' FROM users "
                        "WHERE id = 8") == [(True,)]
        conn.close()
    finally:
        env.cluster.psql("DROP SCHEMA evil CASCADE")


@pytest.mark.parametrize("user,extra", [
    ("tombstone_admin2", {}),
    ("Tombstone_Admin", {}),
    ("bob", {"application_name": "tombstone_admin"}),
    ("bob", {"application_name": "alice"}),
])
def test_look_alike_of_admin_role_gets_nothing(env, user, extra):
    conn = env.wire(user, extra=extra)
    assert sorted(int(r[0]) for r in pgwire.one(conn.query("SELECT id FROM users")).rows) == LIVE
    assert pgwire.one(conn.query("DELETE FROM users WHERE id = 8")).tag == "DELETE 1"
    assert env.rows("SELECT deleted_at IS NOT NULL FROM users WHERE id = 8") == [(True,)]
    refused = conn.query("SET tombstone.visibility = 'all'")
    assert refused[0].error is not None and refused[0].error.sqlstate == "42501"
    conn.close()


def test_startup_role_option_of_non_member_gives_nothing(env):
    """`-c role=tombstone_admin` asks the server to SET ROLE at startup: it refuses for a
    non-member; if the connection came up anyway it must still be an ordinary session."""
    try:
        conn = env.wire("bob", options="-c role=tombstone_admin")
    except pgwire.ServerError as e:
        assert e.sqlstate in ("42501", "22023"), e
        return
    assert sorted(int(r[0]) for r in pgwire.one(conn.query("SELECT id FROM users")).rows) == LIVE
    conn.close()


def test_login_as_the_nologin_admin_role_is_refused_by_the_server(env):
    with pytest.raises(pgwire.ServerError) as err:
        env.wire("tombstone_admin")
    assert err.value.sqlstate == "28000"


@pytest.mark.parametrize("sql", [
    "SET ROLE tombstone_admin",
    "SET ROLE alice",
    "SET SESSION AUTHORIZATION alice",
    "SET SESSION AUTHORIZATION postgres",
])
def test_set_role_to_an_admin_role_is_refused_by_the_server(env, sql):
    plain = env.via("bob")
    with pytest.raises(psycopg2.Error) as err:
        fetch(plain, sql)
    assert err.value.pgcode == "42501"
    assert ids(plain) == LIVE
    assert fetch(plain, "SELECT session_user, current_user") == [("bob", "bob")]


def test_admin_archive_delete_default_and_hard(env):
    admin = env.via("alice")
    assert status(admin, "DELETE FROM orders WHERE id = 1") == ("DELETE 1", 1)
    assert env.rows("SELECT id, archived_by FROM orders_archive") == [(1, "alice")]
    fetch(admin, "SET tombstone.delete = hard")
    assert status(admin, "DELETE FROM orders WHERE id = 2") == ("DELETE 1", 1)
    assert env.rows("SELECT id FROM orders_archive") == [(1,)]  # erased, not archived
    assert env.rows("SELECT id FROM orders ORDER BY id") == [(3,), (4,), (5,)]


@pytest.mark.parametrize("sql", ["RESET ALL", "DISCARD ALL", "RESET tombstone.visibility",
                                 "RESET SESSION AUTHORIZATION", "RESET ROLE"])
def test_non_admin_reset_or_discard_does_not_lift_filtering(env, sql):
    plain = env.via("bob")
    try:
        fetch(plain, sql)
    except psycopg2.Error as e:
        assert e.pgcode == "42501", e
    assert ids(plain) == LIVE
    assert status(plain, "DELETE FROM users WHERE id = 5") == ("DELETE 1", 1)
    assert env.rows("SELECT deleted_at IS NOT NULL FROM users WHERE id = 5") == [(True,)]


def test_reason_and_actor_are_recorded(env):
    plain = env.via("bob")
    fetch(plain, "SET tombstone.actor = 'user:42'")
    fetch(plain, "SET tombstone.reason = 'customer request'")
    assert status(plain, "DELETE FROM users WHERE id IN (6, 7, 9)") == ("DELETE 2", 2)
    assert env.rows("SELECT id, deleted_by, deleted_reason FROM users WHERE id IN (6, 7, 9)"
                    " ORDER BY id") == [(6, "user:42", "customer request"),
                                        (7, "user:42", "customer request"), (9, "seed", None)]
    assert_delete_logged(env.proxy, "public.users", "soft", 2, "user:42")
