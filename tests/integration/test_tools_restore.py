"""`tombstone restore` against real PostgreSQL (issue 5, acceptance 3): `--batch` brings back
exactly one transaction's deletes across two tables and no others; archive restore moves rows
back with their original ids; a restore that would duplicate a live row's unique key is refused,
naming the row, and changes nothing.

The deletes are made with the SQL Tombstone's rewriter sends for them (DESIGN §2), so these tests
exercise the tools alone; one test makes them through the running proxy, end to end."""
import subprocess

import pytest

from harness import PG_BIN, Tombstone
from tools_support import ToolDb, lines_of, new_cluster

CONFIG = """
tables:
  users:  {strategy: soft, deleted_by: deleted_by, reason: deleted_reason}
  posts:  {strategy: soft}
  orders: {strategy: archive}
"""

SCHEMA = """
CREATE TABLE users (id int PRIMARY KEY, email text, deleted_at timestamptz, deleted_by text,
                    deleted_reason text);
CREATE UNIQUE INDEX users_email_key ON users (email) WHERE deleted_at IS NULL;
CREATE TABLE posts (id int PRIMARY KEY, user_id int REFERENCES users, title text,
                    deleted_at timestamptz);
CREATE TABLE orders (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, total int,
                     doubled int GENERATED ALWAYS AS (total * 2) STORED);
CREATE TABLE orders_archive (id int, total int, doubled int, archived_at timestamptz NOT NULL,
                             archived_by text);
INSERT INTO users (id, email) SELECT g, 'user' || g || '@example.com' FROM generate_series(1, 6) g;
INSERT INTO posts SELECT g, (g + 1) / 2, 'post ' || g FROM generate_series(1, 12) g;
INSERT INTO orders (total) SELECT g * 100 FROM generate_series(1, 4) g;
"""

# A soft DELETE of users 1 and 2 and their posts in one transaction, as the rewriter sends it.
SOFT_DELETE_TX = """
BEGIN;
SET LOCAL tombstone.actor = 'user:42';
SET LOCAL tombstone.reason = 'GDPR request';
UPDATE users SET deleted_at = now(),
  deleted_by = coalesce(nullif(current_setting('tombstone.actor', true), ''), session_user),
  deleted_reason = current_setting('tombstone.reason', true)
  WHERE id IN ({ids}) AND deleted_at IS NULL;
UPDATE posts SET deleted_at = now() WHERE user_id IN ({ids}) AND deleted_at IS NULL;
COMMIT;
"""

ARCHIVE_DELETE = """
WITH d AS (DELETE FROM orders WHERE id IN ({ids}) RETURNING *)
INSERT INTO orders_archive (id, total, doubled, archived_at, archived_by)
SELECT id, total, doubled, now(), session_user FROM d;
"""


@pytest.fixture(scope="module")
def cluster():
    c = new_cluster()
    yield c
    c.destroy()


@pytest.fixture
def db(cluster):
    return ToolDb(cluster, CONFIG, SCHEMA)


def live(db, table):
    return [int(r[0]) for r in db.rows(f"SELECT id FROM {table} WHERE deleted_at IS NULL ORDER BY id")]


def test_batch_restores_exactly_one_transactions_deletes_across_two_tables(db):
    db.sql(SOFT_DELETE_TX.format(ids="1, 2"))
    db.sql(SOFT_DELETE_TX.format(ids="3"))
    db.sql("UPDATE posts SET deleted_at = now() - interval '1 hour' WHERE id = 12")
    batch = db.rows("SELECT DISTINCT deleted_at FROM users WHERE id = 1")[0][0]
    assert live(db, "users") == [4, 5, 6]

    r = db.run("restore", "--batch", batch)
    assert r.returncode == 0, r.stdout + r.stderr
    assert lines_of(r.stdout) == ["public.users: restored 2 row(s)",
                                  "public.posts: restored 4 row(s)",
                                  "restored 6 row(s) in 2 table(s)"]
    assert live(db, "users") == [1, 2, 4, 5, 6]
    assert live(db, "posts") == [1, 2, 3, 4, 7, 8, 9, 10, 11]  # 5, 6 (user 3) and 12 stay deleted
    # The restored rows are exactly as before the delete: who/why columns cleared too.
    assert db.rows("SELECT id, deleted_by, deleted_reason FROM users WHERE id <= 3 ORDER BY id") == [
        ["1", "", ""], ["2", "", ""], ["3", "user:42", "GDPR request"]]


def test_batch_that_matches_nothing_fails(db):
    r = db.run("restore", "--batch", "2001-01-01 00:00:00+00")
    assert r.returncode == 1
    assert "no deleted rows matched; nothing restored" in r.stderr


def test_where_restores_soft_rows_of_one_table(db):
    db.sql(SOFT_DELETE_TX.format(ids="1, 2, 3"))
    r = db.run("restore", "--table", "users", "--where", "email LIKE 'user2@%'")
    assert r.returncode == 0, r.stderr
    assert lines_of(r.stdout)[0] == "public.users: restored 1 row(s)"
    assert live(db, "users") == [2, 4, 5, 6]
    assert live(db, "posts") == [7, 8, 9, 10, 11, 12]  # --table users: posts untouched


def test_archive_restore_moves_rows_back_with_original_ids(db):
    db.sql(ARCHIVE_DELETE.format(ids="2, 3"))
    assert db.rows("SELECT id FROM orders ORDER BY id") == [["1"], ["4"]]
    r = db.run("restore", "--table", "orders", "--where", "id = 3")
    assert r.returncode == 0, r.stdout + r.stderr
    assert lines_of(r.stdout)[0] == "public.orders: restored 1 row(s)"
    assert db.rows("SELECT id, total, doubled FROM orders ORDER BY id") == [
        ["1", "100", "200"], ["3", "300", "600"], ["4", "400", "800"]]
    assert db.rows("SELECT id FROM orders_archive") == [["2"]]


def test_batch_restore_includes_archive_tables(db):
    db.sql("BEGIN;" + SOFT_DELETE_TX.format(ids="6").replace("BEGIN;", "").replace("COMMIT;", "")
           + ARCHIVE_DELETE.format(ids="4") + "COMMIT;")
    batch = db.rows("SELECT archived_at FROM orders_archive")[0][0]
    r = db.run("restore", "--batch", batch)
    assert r.returncode == 0, r.stdout + r.stderr
    assert lines_of(r.stdout) == ["public.users: restored 1 row(s)",
                                  "public.posts: restored 2 row(s)",
                                  "public.orders: restored 1 row(s)",
                                  "restored 4 row(s) in 3 table(s)"]
    assert db.rows("SELECT count(*) FROM orders_archive") == [["0"]]
    assert db.rows("SELECT id, total FROM orders WHERE id = 4") == [["4", "400"]]


def test_restore_refuses_a_unique_conflict_naming_the_row(db):
    db.sql(SOFT_DELETE_TX.format(ids="1, 2"))
    # A new live user took user1's email after the delete.
    db.sql("INSERT INTO users (id, email) VALUES (7, 'user1@example.com')")
    batch = db.rows("SELECT DISTINCT deleted_at FROM users WHERE id = 1")[0][0]
    r = db.run("restore", "--batch", batch)
    assert r.returncode == 1
    assert "refused, nothing was restored" in r.stderr
    assert 'public.users would violate unique constraint "users_email_key"' in r.stderr
    assert "Key (email)=(user1@example.com) already exists." in r.stderr
    assert live(db, "users") == [3, 4, 5, 6, 7]  # user 2 was not restored either
    assert live(db, "posts") == [5, 6, 7, 8, 9, 10, 11, 12]


def test_dry_run_reports_and_rolls_back(db):
    db.sql(SOFT_DELETE_TX.format(ids="5"))
    r = db.run("restore", "--table", "users", "--where", "id = 5", "--dry-run")
    assert r.returncode == 0, r.stderr
    assert lines_of(r.stdout) == ["public.users: would restore 1 row(s)",
                                  "would restore 1 row(s) in 1 table(s) (dry run: rolled back)"]
    assert live(db, "users") == [1, 2, 3, 4, 6]


@pytest.mark.parametrize("args, message", [
    ([], "give exactly one of --where SQL or --batch TIMESTAMP"),
    (["--where", "id = 1"], "--where needs --table T"),
    (["--table", "nope", "--where", "true"], "--table nope is not a managed table"),
    (["--batch", "x", "--where", "true", "--table", "users"], "give exactly one of"),
])
def test_usage_errors(db, args, message):
    r = db.run("restore", *args)
    assert r.returncode == 2
    assert message in r.stderr


def test_bad_where_is_a_database_error(db):
    r = db.run("restore", "--table", "users", "--where", "no_such_column = 1")
    assert r.returncode == 1
    assert 'failed on public.users, nothing was restored: [42703] column "no_such_column"' in r.stderr


def test_restore_undoes_a_transaction_made_through_the_proxy(cluster, db):
    proxy = Tombstone(cluster, CONFIG).start()
    try:
        # Two Query messages: PostgreSQL's now() is fixed per message, so one message would
        # give both transactions the same timestamp.
        subprocess.run([str(PG_BIN / "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1",
                        "-d", proxy.dsn(db.name), "-c",
                        "BEGIN; SET LOCAL tombstone.actor = 'support:7';"
                        "DELETE FROM posts WHERE user_id IN (1, 2);"
                        "DELETE FROM users WHERE id IN (1, 2);"
                        "DELETE FROM orders WHERE id = 2; COMMIT;",
                        "-c", "DELETE FROM users WHERE id = 3"],
                       check=True, capture_output=True, text=True)
    finally:
        proxy.stop()
    assert live(db, "users") == [4, 5, 6]
    batch = db.rows("SELECT DISTINCT archived_at FROM orders_archive")[0][0]
    r = db.run("restore", "--batch", batch)
    assert r.returncode == 0, r.stdout + r.stderr
    assert lines_of(r.stdout) == ["public.users: restored 2 row(s)",
                                  "public.posts: restored 4 row(s)",
                                  "public.orders: restored 1 row(s)",
                                  "restored 7 row(s) in 3 table(s)"]
    assert live(db, "users") == [1, 2, 4, 5, 6]  # user 3 was a separate transaction
    assert db.rows("SELECT id, total, doubled FROM orders ORDER BY id") == [
        ["1", "100", "200"], ["2", "200", "400"], ["3", "300", "600"], ["4", "400", "800"]]
