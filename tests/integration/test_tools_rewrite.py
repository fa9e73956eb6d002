"""`tombstone rewrite`: the debugging aid and oracle driver. The catalog comes from --dsn; plain
mode prints the SQL to send, --batch prints one JSON line per NUL-separated statement. The
rewritten SQL is executed on the real database to show it does what the user asked."""
import json
import subprocess

import pytest

from harness import tombstone_bin
from tools_support import ToolDb, new_cluster

CONFIG = """
admin_roles: [tombstone_admin]
tables:
  users:  {strategy: soft}
  orders: {strategy: archive}
"""

SCHEMA = """
CREATE TABLE users (id int PRIMARY KEY, name text, deleted_at timestamptz);
CREATE TABLE orders (id int PRIMARY KEY, total int);
CREATE TABLE orders_archive (id int, total int, archived_at timestamptz, archived_by text);
INSERT INTO users VALUES (1, 'ann', NULL), (2, 'bob', now());
INSERT INTO orders VALUES (1, 10), (2, 20);
"""


@pytest.fixture(scope="module")
def db():
    cluster = new_cluster()
    yield ToolDb(cluster, CONFIG, SCHEMA)
    cluster.destroy()


def batch(db, statements, *args):
    r = db.run("rewrite", "--batch", *args, stdin="\0".join(statements) + "\0")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert len(lines) == len(statements), r.stdout
    return [json.loads(line) for line in lines]


def test_plain_mode_prints_the_sql_to_send(db):
    r = db.run("rewrite", stdin="SELECT name FROM users ORDER BY id")
    assert r.returncode == 0, r.stderr
    assert "deleted_at IS NULL" in r.stdout
    assert db.rows(r.stdout) == [["ann"]]  # bob is soft-deleted


def test_batch_json_lines(db):
    out = batch(db, ["SELECT 1", "DELETE FROM users WHERE id = 1",
                     "SELECT 'it''s \"quoted\"\n\ttabbed — naïve'", "SET tombstone.delete = hard"])
    assert out[0] == {"sql": "SELECT 1", "changed": False, "fixups": ["none"], "error": None}
    assert out[1]["changed"] is True and out[1]["fixups"] == ["delete"] and out[1]["error"] is None
    assert out[1]["sql"].startswith("UPDATE ")
    # Unchanged statements come back byte for byte through the JSON escaping.
    assert out[2]["sql"] == "SELECT 'it''s \"quoted\"\n\ttabbed — naïve'"
    assert out[3]["error"]["sqlstate"] == "42501"
    assert out[3]["error"]["message"].startswith("tombstone: ")


def test_batch_rewrites_execute_as_the_user_expects(db):
    out = batch(db, ["DELETE FROM orders WHERE id = 2", "SELECT count(*) FROM users"])
    db.sql("BEGIN; " + out[0]["sql"] + "; COMMIT;")
    assert db.rows("SELECT id, total FROM orders_archive") == [["2", "20"]]
    assert db.rows(out[1]["sql"]) == [["1"]]


def test_admin_sees_everything_unless_visibility_active(db):
    [plain] = batch(db, ["SELECT count(*) FROM users"], "--admin")
    assert plain["changed"] is False
    [active] = batch(db, ["SELECT count(*) FROM users"], "--admin", "--visibility", "active")
    assert active["changed"] is True
    [hard] = batch(db, ["DELETE FROM users WHERE id = 2"], "--admin", "--delete", "hard")
    assert hard == {"sql": "DELETE FROM users WHERE id = 2", "changed": False, "fixups": ["none"],
                    "error": None}


def test_search_path_decides_what_an_unqualified_name_means(db):
    db.sql("CREATE SCHEMA IF NOT EXISTS other; CREATE TABLE IF NOT EXISTS other.users (id int);")
    [other] = batch(db, ["SELECT * FROM users"], "--search-path", "other, public")
    assert other["changed"] is False
    [public] = batch(db, ["SELECT * FROM users"], "--search-path", "public, other")
    assert public["changed"] is True
    # Without --search-path: the one the --dsn role gets from the server.
    db.sql(f"ALTER DATABASE {db.name} SET search_path = other, public")
    try:
        [configured] = batch(db, ["SELECT * FROM users"])
        assert configured["changed"] is False
    finally:
        db.sql(f"ALTER DATABASE {db.name} RESET search_path")


def test_batch_carries_prepare_fixups_to_execute(db):
    out = batch(db, ["PREPARE d1 (int) AS DELETE FROM users WHERE id = $1", "EXECUTE d1(1)",
                     "DEALLOCATE d1", "EXECUTE d1(1)"])
    # The server reports EXECUTE of the rewritten DELETE as UPDATE 1: it must become DELETE 1.
    assert out[1]["fixups"] == ["delete"]
    assert out[3]["fixups"] == ["none"]  # deallocated: a different statement if re-prepared


def test_batch_sees_the_catalog_its_ddl_makes_and_leaves_nothing_behind(db):
    out = batch(db, ["BEGIN", "CREATE TEMP TABLE users AS SELECT 1 AS id", "SELECT * FROM users",
                     "ROLLBACK", "SELECT * FROM users",
                     "CREATE TABLE tool_probe (id int)", "SELECT * FROM tool_probe"])
    # The temp table shadows the managed one: PostgreSQL reads pg_temp first, nothing to filter.
    assert out[2] == {"sql": "SELECT * FROM users", "changed": False, "fixups": ["none"],
                      "error": None}
    # After the script's ROLLBACK the temp table is gone and users is the managed table again.
    assert out[4]["changed"] is True
    assert out[6]["error"] is None
    # The tool ran the DDL only to read the catalog: it never reaches the database.
    assert db.rows("SELECT count(*) FROM pg_class WHERE relname = 'tool_probe'") == [["0"]]


def test_without_dsn_the_catalog_is_empty(db):
    r = subprocess.run([tombstone_bin(), "rewrite", "--config", str(db.config_path), "--batch"],
                       input="SELECT * FROM users\0", capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    line = json.loads(r.stdout)
    assert line["error"]["message"].startswith(
        "tombstone: managed table public.users does not exist or is not visible")
    assert line["error"]["sqlstate"] == "42P01"


def test_bad_options_exit_2(db):
    assert db.run("rewrite", "--visibility", "some", stdin="").returncode == 2
    assert db.run("rewrite", "--delete", "maybe", stdin="").returncode == 2
