"""Every rewriter case output (tests/unit/parser/cases/*.txt) runs on a real PostgreSQL 15.

The unit tests pin the exact text; this checks the text means something to the server: each
rewritten statement executes (inside a rolled-back transaction) against a schema matching the
unit tests' catalog snapshot, and each refusal raises exactly its SQLSTATE on the server (the
proxy sends error_statement() in place of a refused statement).
"""
import json
import os
import pathlib
import subprocess

import psycopg2
import pytest

from harness import PgCluster

REPO = pathlib.Path(__file__).resolve().parents[2]
CASES = sorted((REPO / "tests" / "unit" / "parser" / "cases").glob("*.txt"))

SCHEMA = """
CREATE ROLE app LOGIN;
CREATE SCHEMA reporting; CREATE SCHEMA tombstone; CREATE SCHEMA app; CREATE SCHEMA other;
CREATE TABLE users (id bigint PRIMARY KEY, email text, name text, org_id bigint,
  deleted_at timestamptz, deleted_by text, deleted_reason text);
CREATE UNIQUE INDEX users_email_live ON users (email) WHERE deleted_at IS NULL;
CREATE TABLE comments (id bigint PRIMARY KEY, user_id bigint, body text, removed_at timestamptz);
CREATE TABLE "Notes" (id int PRIMARY KEY, body text, deleted_at timestamptz);
CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint, total numeric(10,2), status text);
CREATE TABLE orders_archive (id bigint, user_id bigint, total numeric(10,2), status text,
  archived_at timestamptz, archived_by text);
CREATE TABLE sessions (token text PRIMARY KEY, user_id bigint, expires_at timestamptz);
CREATE TABLE events (id bigint PRIMARY KEY, payload jsonb);
CREATE TABLE products (id bigint PRIMARY KEY, name text, price numeric, owner_id bigint,
  tags text[]);
CREATE TABLE other.users (id bigint, email text);
CREATE VIEW reporting.users AS SELECT id, email FROM public.users;
CREATE TABLE tombstone.deletion_log (id bigserial PRIMARY KEY, table_name text NOT NULL,
  row_key jsonb, actor text, reason text, deleted_at timestamptz NOT NULL);
INSERT INTO users VALUES (1, 'a@x', 'Ann', 1, NULL, NULL, NULL),
  (2, 'b@x', 'Bob', 1, now(), 'x', 'gdpr'), (3, 'c@x', 'Cy', 2, NULL, NULL, NULL);
INSERT INTO comments VALUES (1, 1, 'hi', NULL), (2, 2, 'gone', now()), (3, 3, 'yo', NULL);
INSERT INTO orders VALUES (1, 1, 10, 'new'), (2, 2, 20, 'paid'), (3, 3, 30, 'new');
INSERT INTO sessions VALUES ('t1', 1, now()), ('t2', 2, now());
INSERT INTO products VALUES (1, 'p', 1, 1, '{a}');
GRANT ALL ON ALL TABLES IN SCHEMA public, reporting, tombstone, other TO app;
GRANT USAGE ON SCHEMA reporting, tombstone, app, other TO app;
"""


def tool():
    build = os.environ.get("TOMBSTONE_BUILD_DIR", str(REPO / "build"))
    path = pathlib.Path(build) / "bin" / "parser_cases_tool"
    if not path.exists():
        pytest.fail(f"{path} missing: build the parser_cases_tool target")
    return str(path)


@pytest.fixture(scope="module")
def cluster():
    c = PgCluster().init().start()
    c.psql(SCHEMA)
    yield c
    c.destroy()


def outputs():
    out = subprocess.run([tool(), "--json"] + [str(p) for p in CASES], check=True,
                         capture_output=True, text=True).stdout
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def run(conn, search_path, sql):
    """The SQLSTATE `sql` raises in a rolled-back transaction, or None."""
    cur = conn.cursor()
    try:
        cur.execute("BEGIN")
        if search_path:
            cur.execute("SET search_path = " + search_path)
        try:
            cur.execute(sql)
            return None
        except psycopg2.Error as e:
            return e.pgcode
    finally:
        conn.rollback()
        conn.cursor().execute("DEALLOCATE ALL")  # PREPARE outlives the rolled-back transaction
        conn.commit()


def test_every_case_output_runs_on_postgres(cluster):
    cases = outputs()
    assert len(cases) >= 170
    failures = []
    checked = 0
    conn = psycopg2.connect(cluster.dsn(), options="-c statement_timeout=5000")
    for case in cases:
        sql = case["output"]
        if "STDIN" in sql.upper() or "STDOUT" in sql.upper():
            continue  # needs a COPY data stream: covered by the proxy's integration tests
        if case["error"]:
            got = run(conn, case["search_path"], sql)
            if got != case["error"]:
                failures.append(f"{case['where']} {case['name']}: expected {case['error']}, got {got}")
            continue
        # Where the client's statement itself is valid here, the rewritten one must be too.
        if run(conn, case["search_path"], case["input"]) is not None:
            continue
        checked += 1
        got = run(conn, case["search_path"], sql)
        if got is not None:
            failures.append(f"{case['where']} {case['name']}: {got}\n    {sql}")
    conn.close()
    assert not failures, "\n".join(failures)
    assert checked >= 100
