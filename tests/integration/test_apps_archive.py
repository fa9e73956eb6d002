"""Issue 4 acceptance 5 (DESIGN §2, archive strategy): a DELETE moves rows into the archive
table in one statement. Rolled back, both tables are as they were; committed, the rows are in
the archive with archived_at (the transaction time) and archived_by (tombstone.actor if set,
else the session user). Column order of the archive table does not matter, and a failing
archive INSERT fails the whole DELETE.
"""
import psycopg2
import pytest

from apps.common import CONFIG, SCHEMA_SQL, Env, assert_delete_logged, fetch, status

# invoices uses the default archive name and an archive table with its columns shuffled and a
# CHECK that the test trips on purpose.
EXTRA_SCHEMA = """
CREATE TABLE invoices (id int PRIMARY KEY, total numeric NOT NULL, note text);
CREATE TABLE invoices_archive (
  archived_by text, note text, archived_at timestamptz, total numeric CHECK (total < 1000), id int);
CREATE TABLE tokens (token text PRIMARY KEY, user_id int, secret text);
CREATE SCHEMA tombstone;
CREATE TABLE tombstone.deletion_log (id bigserial PRIMARY KEY, table_name text NOT NULL,
  row_key jsonb, row_count bigint NOT NULL DEFAULT 1, actor text, reason text,
  deleted_at timestamptz NOT NULL DEFAULT now(), operation text NOT NULL DEFAULT 'delete');
GRANT USAGE ON SCHEMA tombstone TO PUBLIC;
GRANT SELECT, INSERT ON tombstone.deletion_log TO PUBLIC;
GRANT USAGE ON SEQUENCE tombstone.deletion_log_id_seq TO PUBLIC;
GRANT SELECT, INSERT, DELETE ON tokens TO PUBLIC;
"""
EXTRA_CONFIG = ("  public.invoices: {strategy: archive}\n"
                "  public.tokens: {strategy: hard, audit: true}\n")

ORDERS = [(i, i, i * 10) for i in range(1, 6)]


@pytest.fixture(scope="module")
def env():
    e = Env(config=CONFIG + EXTRA_CONFIG, schema=SCHEMA_SQL + EXTRA_SCHEMA)
    yield e
    e.close()


@pytest.fixture(autouse=True)
def fresh(env):
    env.reset()
    env.cluster.psql("TRUNCATE invoices, invoices_archive, tokens, tombstone.deletion_log;"
                     "INSERT INTO tokens VALUES ('t1', 1, 's1'), ('t2', 1, 's2'), ('t3', 2, 's3');"
                     "INSERT INTO invoices VALUES (1, 100, 'a'), (2, 200, 'b'), (3, 5000, 'big')")


def orders(env):
    return [(i, u, int(t)) for i, u, t in env.rows("SELECT * FROM orders ORDER BY id")]


def archive(env):
    return env.rows("SELECT id, user_id, total::int, archived_at, archived_by"
                    " FROM orders_archive ORDER BY id")


def test_rolled_back_archive_delete_leaves_both_tables(env):
    conn = env.via("bob")
    conn.autocommit = False
    assert status(conn, "DELETE FROM orders WHERE id IN (1, 2)") == ("DELETE 2", 2)
    assert [r[0] for r in fetch(conn, "SELECT id FROM orders ORDER BY id")] == [3, 4, 5]
    conn.rollback()
    assert orders(env) == ORDERS
    assert archive(env) == []


def test_rolled_back_to_savepoint_leaves_both_tables(env):
    conn = env.via("bob")
    conn.autocommit = False
    fetch(conn, "SAVEPOINT before_delete")
    assert status(conn, "DELETE FROM orders WHERE id = 5") == ("DELETE 1", 1)
    fetch(conn, "ROLLBACK TO SAVEPOINT before_delete")
    conn.commit()
    assert orders(env) == ORDERS
    assert archive(env) == []


def test_committed_archive_delete_with_actor(env):
    conn = env.via("bob")
    fetch(conn, "SET tombstone.actor = 'user:42'")
    conn.autocommit = False
    assert status(conn, "DELETE FROM orders WHERE id IN (1, 2)") == ("DELETE 2", 2)
    assert status(conn, "DELETE FROM orders WHERE total > 45") == ("DELETE 1", 1)
    conn.commit()
    assert orders(env) == [(3, 3, 30), (4, 4, 40)]
    rows = archive(env)
    assert [(i, u, t, by) for i, u, t, _, by in rows] == \
        [(1, 1, 10, "user:42"), (2, 2, 20, "user:42"), (5, 5, 50, "user:42")]
    # One transaction, one archived_at: the batch key.
    assert len({at for *_, at, _ in rows}) == 1 and rows[0][3] is not None
    assert_delete_logged(env.proxy, "public.orders", "archive", 2, "user:42")


def test_archived_by_is_session_user_without_actor(env):
    conn = env.via("bob")
    assert status(conn, "DELETE FROM orders WHERE id = 3") == ("DELETE 1", 1)
    assert [r[4] for r in archive(env)] == ["bob"]
    fetch(conn, "SET tombstone.actor = ''")  # empty means "not set"
    assert status(conn, "DELETE FROM orders WHERE id = 4") == ("DELETE 1", 1)
    assert [r[4] for r in archive(env)] == ["bob", "bob"]


def test_set_local_actor_ends_with_the_transaction(env):
    conn = env.via("bob")
    conn.autocommit = False
    fetch(conn, "SET LOCAL tombstone.actor = 'job:nightly'")
    assert status(conn, "DELETE FROM orders WHERE id = 1") == ("DELETE 1", 1)
    conn.commit()
    assert status(conn, "DELETE FROM orders WHERE id = 2") == ("DELETE 1", 1)
    conn.commit()
    assert [(r[0], r[4]) for r in archive(env)] == [(1, "job:nightly"), (2, "bob")]


def test_returning_shows_the_deleted_rows(env):
    conn = env.via("bob")
    with conn.cursor() as cur:
        cur.execute("DELETE FROM orders WHERE id IN (4, 5) RETURNING *")
        assert [d.name for d in cur.description] == ["id", "user_id", "total"]
        assert sorted((i, u, int(t)) for i, u, t in cur.fetchall()) == [(4, 4, 40), (5, 5, 50)]
        assert cur.statusmessage == "DELETE 2"
    assert [r[0] for r in archive(env)] == [4, 5]


def test_shuffled_archive_columns_and_default_archive_name(env):
    conn = env.via("bob")
    assert status(conn, "DELETE FROM invoices WHERE id IN (1, 2)") == ("DELETE 2", 2)
    assert env.rows("SELECT id, total::int, note, archived_by FROM invoices_archive ORDER BY id") \
        == [(1, 100, "a", "bob"), (2, 200, "b", "bob")]
    assert env.rows("SELECT id FROM invoices") == [(3,)]


def test_failing_archive_insert_fails_the_whole_delete(env):
    conn = env.via("bob")
    with pytest.raises(psycopg2.Error) as err:
        fetch(conn, "DELETE FROM invoices WHERE id IN (2, 3)")
    assert err.value.pgcode == "23514"  # the archive's CHECK, reported as the server sent it
    assert env.rows("SELECT id FROM invoices ORDER BY id") == [(1,), (2,), (3,)]
    assert env.rows("SELECT count(*) FROM invoices_archive") == [(0,)]
    assert status(conn, "DELETE FROM invoices WHERE id = 1") == ("DELETE 1", 1)


def test_archive_table_is_readable_and_not_filtered(env):
    conn = env.via("bob")
    fetch(conn, "DELETE FROM orders WHERE id = 1")
    assert fetch(conn, "SELECT id FROM orders_archive") == [(1,)]
    assert [r[0] for r in fetch(conn, "SELECT id FROM orders ORDER BY id")] == [2, 3, 4, 5]


def test_hard_delete_with_audit_logs_keys_not_data(env):
    """strategy hard + audit (DESIGN §2): the rows are really gone, and the same statement wrote
    one tombstone.deletion_log row per deleted row with the primary key, the actor and the
    reason — never the row's data (the secret column)."""
    conn = env.via("bob")
    conn.autocommit = False
    fetch(conn, "SET LOCAL tombstone.actor = 'user:42'")
    fetch(conn, "SET LOCAL tombstone.reason = 'gdpr request 7'")
    assert status(conn, "DELETE FROM tokens WHERE user_id = 1") == ("DELETE 2", 2)
    conn.commit()
    assert env.rows("SELECT token FROM tokens") == [("t3",)]
    rows = env.rows("SELECT table_name, row_key, actor, reason, operation FROM "
                    "tombstone.deletion_log ORDER BY row_key ->> 'token'")
    assert rows == [("public.tokens", {"token": "t1"}, "user:42", "gdpr request 7", "delete"),
                    ("public.tokens", {"token": "t2"}, "user:42", "gdpr request 7", "delete")]
    assert "s1" not in str(env.rows("SELECT * FROM tombstone.deletion_log"))
    assert_delete_logged(env.proxy, "public.tokens", "hard", 2, "user:42")
