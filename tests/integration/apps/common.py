"""Shared pieces of the application, admin and security tests: a cluster with roles and a
managed schema, a proxy in front of it, direct (bypassing Tombstone) checks, and the log check.

Roles (DESIGN §4): `tombstone_admin` is the admin role named in admin_roles (NOLOGIN);
`alice` logs in and is a MEMBER of it; `bob` is an ordinary application role that still holds
DELETE on everything (so every bypass attempt below would really destroy rows if Tombstone let
it through); `carol` is a member through `admin_group` (membership is transitive);
`tombstone_admin2` and
`Tombstone_Admin` merely look like the admin role.
The superuser `postgres` is only used directly, never through Tombstone (a superuser is a member
of every role, so Tombstone would rightly treat it as admin).
"""
import re
import time

import psycopg2

import pgwire
from harness import PgCluster, Tombstone

ROLES_SQL = """
CREATE ROLE tombstone_admin NOLOGIN;
CREATE ROLE alice LOGIN IN ROLE tombstone_admin;
CREATE ROLE bob LOGIN;
CREATE ROLE tombstone_admin2 LOGIN;
CREATE ROLE "Tombstone_Admin" LOGIN;
CREATE ROLE admin_group NOLOGIN IN ROLE tombstone_admin;
CREATE ROLE carol LOGIN IN ROLE admin_group;
GRANT CREATE ON DATABASE postgres TO PUBLIC;
"""

# users/posts are soft, orders is archived, notes is not managed at all.
SCHEMA_SQL = """
CREATE TABLE users (
  id int PRIMARY KEY, name text NOT NULL, email text NOT NULL,
  deleted_at timestamptz, deleted_by text, deleted_reason text);
CREATE UNIQUE INDEX users_email_live ON users (email) WHERE deleted_at IS NULL;
CREATE TABLE posts (
  id int PRIMARY KEY, user_id int NOT NULL REFERENCES users, title text NOT NULL,
  deleted_at timestamptz, deleted_by text);
CREATE TABLE orders (id int PRIMARY KEY, user_id int NOT NULL, total numeric NOT NULL);
CREATE TABLE orders_archive (
  id int, user_id int, total numeric, archived_at timestamptz, archived_by text);
CREATE TABLE notes (id int PRIMARY KEY, body text);
CREATE TABLE audit_ids (id int);
"""

GRANTS_SQL = """
GRANT USAGE, CREATE ON SCHEMA public TO PUBLIC;
GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON ALL TABLES IN SCHEMA public TO PUBLIC;
"""

CONFIG = """\
admin_roles: [tombstone_admin]
log: {level: info, format: text}
tables:
  public.users: {strategy: soft, column: deleted_at, deleted_by: deleted_by, reason: deleted_reason}
  public.posts: {strategy: soft, deleted_by: deleted_by}
  public.orders: {strategy: archive, archive: public.orders_archive}
"""


def seed_sql():
    """Ten users (9 and 10 already soft-deleted), posts for users 1 and 2 only (so a hard DELETE
    of any other user would succeed, not trip over a foreign key), five orders."""
    users = ",".join(f"({i}, 'user{i}', 'u{i}@example.com')" for i in range(1, 11))
    posts = ",".join(f"({i}, {1 + (i % 2)}, 'post {i}')" for i in range(1, 11))
    orders = ",".join(f"({i}, {i}, {i * 10})" for i in range(1, 6))
    return (f"INSERT INTO users (id, name, email) VALUES {users};"
            f"INSERT INTO posts (id, user_id, title) VALUES {posts};"
            f"INSERT INTO orders VALUES {orders};"
            "INSERT INTO notes VALUES (1, 'a'), (2, 'b');"
            "UPDATE users SET deleted_at = now() - interval '1 day', deleted_by = 'seed'"
            " WHERE id IN (9, 10);")


def reset_data(env):
    env.cluster.psql("SET lock_timeout = '20s';"
                     "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                     " WHERE usename <> 'postgres' AND backend_type = 'client backend';"
                     "TRUNCATE users, posts, orders, orders_archive, notes, audit_ids CASCADE;"
                 + seed_sql())


class Env:
    """A cluster with roles, schema and data, and Tombstone in front of it."""

    def __init__(self, config=CONFIG, schema=SCHEMA_SQL, hba=None, start=True):
        self.cluster = PgCluster(hba=hba).init().start()
        self.cluster.psql(ROLES_SQL + schema + GRANTS_SQL)
        self.config = config
        self.proxy = Tombstone(self.cluster, config)
        self.opened = []
        if start:
            self.proxy.start()

    def close(self):
        try:
            self.close_connections()
            self.proxy.stop()
        finally:
            self.cluster.destroy()

    def track(self, conn):
        self.opened.append(conn)
        return conn

    def close_connections(self):
        """Closes what a test opened, so a failed test never leaves a transaction holding locks
        that the next test's reset would wait for."""
        for conn in self.opened:
            try:
                conn.close()
            except Exception:
                pass
        self.opened.clear()

    def reset(self):
        self.close_connections()
        reset_data(self)

    def direct(self, user="postgres", **kw):
        """A psycopg2 connection straight to PostgreSQL (autocommit), bypassing Tombstone."""
        conn = self.track(psycopg2.connect(self.cluster.dsn(user=user), **kw))
        conn.autocommit = True
        return conn

    def via(self, user="bob", **kw):
        """A psycopg2 connection through Tombstone (autocommit)."""
        conn = self.track(psycopg2.connect(self.proxy.dsn(user=user), **kw))
        conn.autocommit = True
        return conn

    def wire(self, user="bob", options=None, extra=None):
        """A raw protocol session through Tombstone (support/pgwire.py); `options` and the
        `extra` dict become startup packet parameters."""
        params = {} if options is None else {"options": options}
        params.update(extra or {})
        return self.track(pgwire.RawSession(self.proxy.port, user=user, timeout=30, **params))

    def rows(self, sql, *args):
        conn = self.direct()
        try:
            with conn.cursor() as cur:
                cur.execute(sql, args or None)
                return cur.fetchall()
        finally:
            conn.close()

    def scalar(self, sql, *args):
        return self.rows(sql, *args)[0][0]


def fetch(conn, sql, *args):
    with conn.cursor() as cur:
        cur.execute(sql, args or None)
        return cur.fetchall() if cur.description else cur.statusmessage


def status(conn, sql, *args):
    """Runs one statement and returns (command tag, rowcount)."""
    with conn.cursor() as cur:
        cur.execute(sql, args or None)
        return cur.statusmessage, cur.rowcount


def _table_pattern(table):
    schema, name = table.split(".") if "." in table else ("public", table)
    return re.compile(rf"(?<![\w.])({re.escape(schema)}\.)?{re.escape(name)}\b")


def delete_log_lines(log_text, table):
    """Info-level lines of Tombstone's log that name `table` (the callers then look for the
    strategy, row count and actor in them, whatever the wording or format)."""
    pat = _table_pattern(table)
    return [line for line in log_text.splitlines()
            if pat.search(line) and re.search(r"\binfo\b", line, re.I)]


def assert_delete_logged(proxy, table, strategy, rows, actor, timeout=5.0):
    """DESIGN §4 / issue 4: every DELETE rewrite is logged at info with table, strategy, rows
    and actor. Matches text (`rows=3`, `rows: 3`) and JSON (`"rows":3`) renderings alike. The
    log is written asynchronously to the file, hence the wait."""
    rows_pat = re.compile(rf"\brows\W{{0,3}}{rows}\b")
    strat_pat = re.compile(rf"\b{strategy}\b")

    def found():
        return any(rows_pat.search(l) and strat_pat.search(l) and actor in l
                   for l in delete_log_lines(proxy.log_text(), table))

    deadline = time.time() + timeout
    while time.time() < deadline:
        if found():
            return
        time.sleep(0.05)
    lines = delete_log_lines(proxy.log_text(), table)
    raise AssertionError(
        f"no info log line for a {strategy} DELETE on {table} with rows {rows} and actor "
        f"{actor!r}; candidate lines:\n" + "\n".join(lines[-10:]) +
        "\n--- log tail ---\n" + "\n".join(proxy.log_text().splitlines()[-15:]))
