"""A session's search_path and catalog are what the server says, not what the startup packet
says (DESIGN §4): role defaults (ALTER ROLE ... SET search_path) apply without appearing in the
startup packet, and schemas the login role has no USAGE on are skipped by PostgreSQL's name
resolution — so two roles of one database may resolve the same unqualified name differently.

crm.users and public.users are managed (soft delete): crm.users has rows 1..4 and public.users
rows 100..102; 4 and 102 are soft-deleted. sales.users is an ordinary table (row 7).
"""
import psycopg2
import pytest

from harness import PgCluster, Tombstone

CONFIG = """tls: {client: {mode: disable}, upstream: {mode: disable}}
tables:
  crm.users: {strategy: soft}
  public.users: {strategy: soft}
"""
SCHEMA = """
CREATE ROLE app LOGIN;
CREATE ROLE guest LOGIN;
CREATE SCHEMA crm;
CREATE SCHEMA sales;
CREATE TABLE crm.users (id int PRIMARY KEY, name text, deleted_at timestamptz);
CREATE TABLE public.users (id int PRIMARY KEY, name text, deleted_at timestamptz);
CREATE TABLE sales.users (id int PRIMARY KEY, name text);
GRANT USAGE ON SCHEMA crm, sales TO app;  -- guest has no USAGE on either
GRANT SELECT, INSERT, UPDATE ON crm.users, public.users, sales.users TO app;
GRANT SELECT ON public.users TO guest;
ALTER ROLE app SET search_path = crm, public;
"""
SEED = """
TRUNCATE crm.users, public.users, sales.users;
INSERT INTO crm.users VALUES (1, 'a', NULL), (2, 'b', NULL), (3, 'c', NULL), (4, 'd', now());
INSERT INTO public.users VALUES (100, 'p', NULL), (101, 'q', NULL), (102, 'r', now());
INSERT INTO sales.users VALUES (7, 's');
"""


@pytest.fixture(scope="module")
def env():
    pg = PgCluster().init().start()
    pg.psql(SCHEMA)
    ts = Tombstone(pg, CONFIG).start()
    yield pg, ts
    ts.stop()
    pg.destroy()


@pytest.fixture(autouse=True)
def seeded(env):
    env[0].psql(SEED)


def connect(ts, user, **extra):
    conn = psycopg2.connect(ts.dsn(user=user, **extra))
    conn.autocommit = True
    return conn


def fetch(conn, sql):
    with conn.cursor() as cur:
        cur.execute(sql)
        return cur.fetchall() if cur.description else cur.statusmessage


def test_role_default_search_path_decides_unqualified_reads(env):
    pg, ts = env
    conn = connect(ts, "app")
    try:
        assert fetch(conn, "SHOW search_path") == [("crm, public",)]
        # users is crm.users here, as on the server: filtered, soft-deleted row 4 hidden.
        assert fetch(conn, "SELECT id FROM users ORDER BY id") == [(1,), (2,), (3,)]
        with conn.cursor() as cur:
            cur.execute("DELETE FROM users WHERE id = 1")
            assert cur.statusmessage == "DELETE 1"
        assert pg.psql("SELECT deleted_at IS NOT NULL FROM crm.users WHERE id = 1").strip() == "t"
        assert fetch(conn, "SELECT id FROM users ORDER BY id") == [(2,), (3,)]
    finally:
        conn.close()


def test_reset_returns_to_the_role_default(env):
    _, ts = env
    conn = connect(ts, "app")
    try:
        fetch(conn, "SET search_path = public")
        assert fetch(conn, "SELECT id FROM users ORDER BY id") == [(100,), (101,)]
        fetch(conn, "RESET search_path")
        assert fetch(conn, "SELECT id FROM users ORDER BY id") == [(1,), (2,), (3,)]
    finally:
        conn.close()


def test_startup_options_still_win_over_the_role_default(env):
    _, ts = env
    conn = connect(ts, "app", options="'-c search_path=public'")
    try:
        assert fetch(conn, "SELECT id FROM users ORDER BY id") == [(100,), (101,)]
    finally:
        conn.close()


def test_role_without_usage_resolves_past_the_schema(env):
    """app's session (USAGE on sales) takes a catalog snapshot first; guest's session must not
    reuse it: for guest, PostgreSQL skips sales and users is the managed public.users, whose
    soft-deleted row must stay hidden."""
    _, ts = env
    path = "'-c search_path=sales,public'"
    first = connect(ts, "app", options=path)
    try:
        assert fetch(first, "SELECT id FROM users ORDER BY id") == [(7,)]
        guest = connect(ts, "guest", options=path)
        try:
            assert fetch(guest, "SELECT id FROM users ORDER BY id") == [(100,), (101,)]
        finally:
            guest.close()
    finally:
        first.close()
