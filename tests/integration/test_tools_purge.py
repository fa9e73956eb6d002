"""`tombstone purge` against real PostgreSQL (issue 5, acceptance 2): removes exactly the rows
deleted (or archived) longer ago than the retention, in batches, logging each batch's count to
tombstone.deletion_log; `--dry-run` only counts."""
import pytest

from tools_support import ToolDb, lines_of, new_cluster

CONFIG = """
tables:
  users:  {strategy: soft, retention: 30d}
  orders: {strategy: archive, retention: 7d}
  notes:  {strategy: soft}
"""

SCHEMA = """
CREATE TABLE users (id int PRIMARY KEY, name text, deleted_at timestamptz);
CREATE TABLE posts (id int PRIMARY KEY, user_id int REFERENCES users ON DELETE CASCADE);
CREATE TABLE orders (id int PRIMARY KEY, total int);
CREATE TABLE orders_archive (id int, total int, archived_at timestamptz NOT NULL, archived_by text);
CREATE TABLE notes (id int, deleted_at timestamptz);
-- 1..1200 deleted 40 days ago (expired), 1201..1500 deleted 10 days ago (kept), 1501..2500 live.
INSERT INTO users SELECT g, 'u' || g,
  CASE WHEN g <= 1200 THEN now() - interval '40 days'
       WHEN g <= 1500 THEN now() - interval '10 days' END
FROM generate_series(1, 2500) g;
INSERT INTO posts VALUES (1, 1), (2, 1300), (3, 2000);
-- archived 8 days ago (expired) and 1 day ago (kept)
INSERT INTO orders_archive SELECT g, g * 10,
  CASE WHEN g <= 5 THEN now() - interval '8 days' ELSE now() - interval '1 day' END, 'app'
FROM generate_series(1, 8) g;
INSERT INTO notes VALUES (1, now() - interval '10 years');
"""


@pytest.fixture(scope="module")
def cluster():
    c = new_cluster()
    yield c
    c.destroy()


@pytest.fixture
def db(cluster):
    d = ToolDb(cluster, CONFIG, SCHEMA)
    assert d.run("migrate", "--apply").returncode == 0  # creates tombstone.deletion_log
    return d


def counts(db):
    return db.rows("SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM orders_archive),"
                   " (SELECT count(*) FROM posts), (SELECT count(*) FROM notes),"
                   " (SELECT count(*) FROM tombstone.deletion_log)")[0]


def test_dry_run_counts_and_changes_nothing(db):
    before = counts(db)
    r = db.run("purge", "--dry-run")
    assert r.returncode == 0, r.stderr
    out = lines_of(r.stdout)
    assert len(out) == 2
    assert out[0].startswith("public.users: 1200 row(s) older than 30d (before ")
    assert out[0].endswith(") would be purged (dry run)")
    assert out[1].startswith("public.orders_archive: 5 row(s) older than 7d (before ")
    assert counts(db) == before


def test_purge_removes_exactly_the_expired_rows_in_batches_and_logs_them(db):
    r = db.run("purge", "--batch-size", "500", "--pause", "1")
    assert r.returncode == 0, r.stdout + r.stderr
    out = lines_of(r.stdout)
    assert out[:3] == ["public.users: batch 1: purged 500 row(s)",
                       "public.users: batch 2: purged 500 row(s)",
                       "public.users: batch 3: purged 200 row(s)"]
    assert out[3].startswith("public.users: purged 1200 row(s) older than 30d (before ")
    assert out[3].endswith(" in 3 batch(es)")
    assert out[4] == "public.orders_archive: batch 1: purged 5 row(s)"
    assert out[5].startswith("public.orders_archive: purged 5 row(s) older than 7d")

    # Exactly the expired rows are gone: kept soft-deleted rows, live rows, recent archive rows
    # and tables without retention are untouched.
    assert db.rows("SELECT min(id), max(id), count(*) FROM users") == [["1201", "2500", "1300"]]
    assert db.rows("SELECT min(id), max(id) FROM orders_archive") == [["6", "8"]]
    assert db.rows("SELECT count(*) FROM notes") == [["1"]]
    # The hard delete ran the foreign key's cascade, as a real DELETE does.
    assert db.rows("SELECT id FROM posts ORDER BY id") == [["2"], ["3"]]
    assert db.rows(
        "SELECT table_name, row_count, operation, actor, reason, row_key IS NULL"
        " FROM tombstone.deletion_log ORDER BY id") == [
        ["public.users", "500", "purge", "tombstone purge", "retention 30d", "t"],
        ["public.users", "500", "purge", "tombstone purge", "retention 30d", "t"],
        ["public.users", "200", "purge", "tombstone purge", "retention 30d", "t"],
        ["public.orders_archive", "5", "purge", "tombstone purge", "retention 7d", "t"],
    ]

    # Nothing left to purge: a second run deletes and logs nothing.
    again = db.run("purge", "--batch-size", "500")
    assert again.returncode == 0
    assert "public.users: purged 0 row(s)" in again.stdout
    assert db.rows("SELECT count(*) FROM tombstone.deletion_log") == [["4"]]


def test_purge_of_one_table(db):
    r = db.run("purge", "--table", "orders")
    assert r.returncode == 0, r.stderr
    assert db.rows("SELECT count(*) FROM users") == [["2500"]]
    assert db.rows("SELECT count(*) FROM orders_archive") == [["3"]]


def test_purge_without_deletion_log_refuses(cluster):
    d = ToolDb(cluster, CONFIG, SCHEMA)
    r = d.run("purge")
    assert r.returncode == 1
    assert "tombstone.deletion_log does not exist — fix: run tombstone migrate --apply" in r.stderr
    assert d.rows("SELECT count(*) FROM users") == [["2500"]]


def test_bad_batch_size_is_a_usage_error(db):
    r = db.run("purge", "--batch-size", "0")
    assert r.returncode == 2
    assert "--batch-size must be a whole number >= 1" in r.stderr
