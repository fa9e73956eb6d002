"""Issue 7 point 4 (load): 500 concurrent sessions through Tombstone run a mixed workload of reads,
soft deletes, archive deletes, inserts, rolled-back transactions and admin restores for a bounded
time. Every session works on its own id range and keeps a model of what it did, so:
- every read a session makes is checked against its model while the load runs (an ordinary
  session never sees a deleted row, an admin session sees them all, a LEFT JOIN never matches a
  deleted row), and every command tag is the one a hard DELETE would give;
- afterwards the database (read directly, not through Tombstone) holds exactly the union of the
  models: per table the live, soft-deleted (with the actor that deleted them) and archived rows;
- no session got an error, Tombstone still serves a new session, and its RSS comes back near
  where it started once the sessions are gone.

Half of the sessions use psycopg2 (simple protocol), half psycopg 3 with every statement prepared
(extended protocol, named statements). One session in ten logs in as an admin role and also
restores rows: soft ones with UPDATE … SET deleted_at = NULL, archived ones by moving them back
from the archive table in a transaction.

LOAD_SESSIONS / LOAD_SECONDS override the size (defaults 500 sessions, 20 s of workload).
"""
import os
import random
import resource
import threading
import time
import traceback

import psycopg
import psycopg2
import pytest

from harness import SANITIZED, PgCluster, Tombstone
from proxyenv import log_tail, wait_until

SESSIONS = int(os.environ.get("LOAD_SESSIONS", "500"))
SECONDS = float(os.environ.get("LOAD_SECONDS", "20"))
ADMIN_EVERY = 10          # session i is an admin session when i % ADMIN_EVERY == 0
SEED_ROWS = 6             # rows per table and session before the load
SPAN = 100_000            # ids of session i: i * SPAN + 1 .. (i + 1) * SPAN
RSS_SLACK_KIB = 32 * 1024

SCHEMA = """
CREATE ROLE tombstone_admin NOLOGIN;
CREATE ROLE app LOGIN;
CREATE ROLE ops LOGIN IN ROLE tombstone_admin;
CREATE TABLE items_a (id bigint PRIMARY KEY, owner int NOT NULL,
                      deleted_at timestamptz, deleted_by text);
CREATE TABLE items_b (id bigint PRIMARY KEY, owner int NOT NULL, a_id bigint NOT NULL,
                      deleted_at timestamptz, deleted_by text);
CREATE TABLE orders (id bigint PRIMARY KEY, owner int NOT NULL, note text NOT NULL);
CREATE TABLE orders_archive (id bigint, owner int, note text, archived_at timestamptz,
                             archived_by text);
GRANT SELECT, INSERT, UPDATE, DELETE ON items_a, items_b, orders, orders_archive TO app, ops;
"""

CONFIG = """admin_roles: [tombstone_admin]
log: {level: info}
tables:
  public.items_a: {strategy: soft, column: deleted_at, deleted_by: deleted_by}
  public.items_b: {strategy: soft, deleted_by: deleted_by}
  public.orders: {strategy: archive, archive: public.orders_archive}
"""


def seed_sql(sessions):
    rows = f"generate_series(0, {sessions - 1}) s, generate_series(1, {SEED_ROWS}) j"
    return f"""
INSERT INTO items_a (id, owner) SELECT s * {SPAN} + j, s FROM {rows};
INSERT INTO items_b (id, owner, a_id) SELECT s * {SPAN} + j, s, s * {SPAN} + j FROM {rows};
INSERT INTO orders (id, owner, note) SELECT s * {SPAN} + j, s, 'order ' || (s * {SPAN} + j)
  FROM {rows};
"""


class Mismatch(Exception):
    pass


class Model:
    """What one session's rows should look like, updated only after the server confirmed."""

    def __init__(self, index):
        self.index = index
        self.lo, self.hi = index * SPAN + 1, (index + 1) * SPAN
        ids = [self.lo + j for j in range(SEED_ROWS)]
        self.a_live = set(ids)
        self.a_deleted = {}                       # id -> actor
        self.b_live = {i: i for i in ids}         # id -> a_id
        self.b_deleted = {}                       # id -> (a_id, actor)
        self.orders = {i: f"order {i}" for i in ids}
        self.archived = {}                        # id -> (note, actor)
        self.next_id = self.lo + SEED_ROWS

    def new_id(self):
        self.next_id += 1
        return self.next_id - 1


class Session:
    def __init__(self, index, proxy, admin=None):
        self.index = index
        self.admin = index % ADMIN_EVERY == 0 if admin is None else admin
        self.actor = f"session:{index}"
        self.model = Model(index)
        self.rng = random.Random(index)
        self.ops = 0
        self.proxy = proxy
        self.conn = None
        self.last_sql = None

    def connect(self):
        user = "ops" if self.admin else "app"
        dsn = self.proxy.dsn(user=user, connect_timeout=60, application_name=f"load-{self.index}")
        if self.index % 2:
            self.conn = psycopg.connect(dsn, autocommit=True, prepare_threshold=0)
        else:
            self.conn = psycopg2.connect(dsn)
            self.conn.autocommit = True
        self.run(f"SET tombstone.actor = '{self.actor}'", tag="SET")

    def close(self):
        if self.conn is not None:
            self.conn.close()

    def run(self, sql, params=None, tag=None, rows=None):
        """Execute; check the command tag and, when given, the rows; return the rows."""
        self.last_sql = (sql, params)
        cur = self.conn.cursor()
        cur.execute(sql, params)
        got_rows = [tuple(r) for r in cur.fetchall()] if cur.description else None
        if tag is not None and cur.statusmessage != tag:
            raise Mismatch(f"tag {cur.statusmessage!r}, expected {tag!r}")
        if rows is not None and got_rows != rows:
            raise Mismatch(f"rows {got_rows!r}, expected {rows!r}")
        cur.close()
        return got_rows

    # --- reads, each checked against the model -------------------------------------------------
    def read_count(self):
        m = self.model
        expect = len(m.a_live) + (len(m.a_deleted) if self.admin else 0)
        self.run("SELECT count(*) FROM items_a WHERE id BETWEEN %s AND %s", (m.lo, m.hi),
                 tag="SELECT 1", rows=[(expect,)])

    def read_list(self):
        m = self.model
        ids = set(m.b_live) | (set(m.b_deleted) if self.admin else set())
        self.run("SELECT id FROM items_b WHERE id BETWEEN %s AND %s ORDER BY id", (m.lo, m.hi),
                 rows=[(i,) for i in sorted(ids)])

    def read_join(self):
        """LEFT JOIN: deleted items_b rows must not match, deleted items_a rows not appear."""
        m = self.model
        visible_a = m.a_live | (set(m.a_deleted) if self.admin else set())
        b_rows = dict(m.b_live)
        if self.admin:
            b_rows.update({i: a for i, (a, _) in m.b_deleted.items()})
        expect = [(a, sum(1 for x in b_rows.values() if x == a)) for a in sorted(visible_a)]
        self.run("SELECT a.id, count(b.id) FROM items_a a LEFT JOIN items_b b ON b.a_id = a.id "
                 "WHERE a.id BETWEEN %s AND %s GROUP BY a.id ORDER BY a.id", (m.lo, m.hi),
                 rows=expect)

    def read_orders(self):
        m = self.model
        self.run("SELECT id, note FROM orders WHERE id BETWEEN %s AND %s ORDER BY id",
                 (m.lo, m.hi), rows=sorted(m.orders.items()))

    # --- writes --------------------------------------------------------------------------------
    def soft_delete(self):
        """Delete a live or an already-deleted row: DELETE 1 / DELETE 0, as a hard delete."""
        m = self.model
        if self.rng.random() < 0.5:
            target = self.rng.choice(sorted(m.a_live | set(m.a_deleted)))
            live = target in m.a_live
            self.run("DELETE FROM items_a WHERE id = %s", (target,),
                     tag=f"DELETE {int(live)}")
            if live:
                m.a_live.remove(target)
                m.a_deleted[target] = self.actor
        else:
            target = self.rng.choice(sorted(set(m.b_live) | set(m.b_deleted)))
            live = target in m.b_live
            got = self.run("DELETE FROM items_b WHERE id = %s RETURNING id, a_id, deleted_at",
                           (target,), tag=f"DELETE {int(live)}")
            if live:
                expect = [(target, m.b_live[target], None)]
                if got != expect:
                    raise Mismatch(f"RETURNING {got!r}, expected {expect!r}")
                m.b_deleted[target] = (m.b_live.pop(target), self.actor)
            elif got:
                raise Mismatch(f"RETURNING {got!r} for an already deleted row")

    def insert(self):
        m = self.model
        a, b = m.new_id(), m.new_id()
        self.run("INSERT INTO items_a (id, owner) VALUES (%s, %s)", (a, self.index),
                 tag="INSERT 0 1")
        m.a_live.add(a)
        parent = self.rng.choice(sorted(m.a_live | set(m.a_deleted)))
        self.run("INSERT INTO items_b (id, owner, a_id) VALUES (%s, %s, %s)",
                 (b, self.index, parent), tag="INSERT 0 1")
        m.b_live[b] = parent
        o = m.new_id()
        self.run("INSERT INTO orders (id, owner, note) VALUES (%s, %s, %s)",
                 (o, self.index, f"order {o}"), tag="INSERT 0 1")
        m.orders[o] = f"order {o}"

    def archive_delete(self):
        m = self.model
        known = sorted(set(m.orders) | set(m.archived))
        target = self.rng.choice(known)
        live = target in m.orders
        expect = [(target, m.orders[target])] if live else []
        self.run("DELETE FROM orders WHERE id = %s RETURNING id, note", (target,),
                 tag=f"DELETE {int(live)}", rows=expect)
        if live:
            m.archived[target] = (m.orders.pop(target), self.actor)

    def rolled_back(self):
        """A transaction that deletes every row of the range and rolls back: nothing changes."""
        m = self.model
        self.run("BEGIN", tag="BEGIN")
        self.run("DELETE FROM items_b WHERE id BETWEEN %s AND %s", (m.lo, m.hi),
                 tag=f"DELETE {len(m.b_live)}")
        self.run("DELETE FROM orders WHERE id BETWEEN %s AND %s", (m.lo, m.hi),
                 tag=f"DELETE {len(m.orders)}")
        visible = len(m.b_deleted) + len(m.b_live) if self.admin else 0
        self.run("SELECT count(*) FROM items_b WHERE id BETWEEN %s AND %s", (m.lo, m.hi),
                 rows=[(visible,)])
        self.run("ROLLBACK", tag="ROLLBACK")

    def restore_soft(self):
        m = self.model
        if m.a_deleted and (not m.b_deleted or self.rng.random() < 0.5):
            target = self.rng.choice(sorted(m.a_deleted))
            self.run("UPDATE items_a SET deleted_at = NULL, deleted_by = NULL "
                     "WHERE id = %s AND deleted_at IS NOT NULL", (target,), tag="UPDATE 1")
            del m.a_deleted[target]
            m.a_live.add(target)
        elif m.b_deleted:
            target = self.rng.choice(sorted(m.b_deleted))
            self.run("UPDATE items_b SET deleted_at = NULL, deleted_by = NULL "
                     "WHERE id = %s AND deleted_at IS NOT NULL", (target,), tag="UPDATE 1")
            m.b_live[target] = m.b_deleted.pop(target)[0]

    def restore_archived(self):
        m = self.model
        if not m.archived:
            return
        target = self.rng.choice(sorted(m.archived))
        self.run("BEGIN", tag="BEGIN")
        self.run("INSERT INTO orders (id, owner, note) SELECT id, owner, note "
                 "FROM orders_archive WHERE id = %s", (target,), tag="INSERT 0 1")
        self.run("DELETE FROM orders_archive WHERE id = %s", (target,), tag="DELETE 1")
        self.run("COMMIT", tag="COMMIT")
        m.orders[target] = m.archived.pop(target)[0]

    def step(self):
        ops = [(self.read_count, 12), (self.read_list, 10), (self.read_join, 10),
               (self.read_orders, 8), (self.soft_delete, 20), (self.insert, 12),
               (self.archive_delete, 12), (self.rolled_back, 6)]
        if self.admin:
            ops += [(self.restore_soft, 20), (self.restore_archived, 12)]
        op = self.rng.choices([o for o, _ in ops], weights=[w for _, w in ops])[0]
        op()
        self.ops += 1


def worker(session, barrier, deadline_box, errors):
    try:
        session.connect()
    except Exception as e:  # noqa: BLE001 - every failure is reported with its session
        errors.append(f"session {session.index}: connect failed: {e!r}")
    try:
        barrier.wait(timeout=180)
    except threading.BrokenBarrierError:
        errors.append(f"session {session.index}: not every session connected in time")
        session.close()
        return
    if session.conn is None:
        return
    try:
        while time.monotonic() < deadline_box[0]:
            session.step()
    except Exception as e:  # noqa: BLE001
        errors.append(f"session {session.index} ({'admin' if session.admin else 'ordinary'}, "
                      f"op {session.ops}, sql {session.last_sql!r}): {e!r}\n"
                      + "".join(traceback.format_exception_only(type(e), e)))
    finally:
        try:
            session.close()
        except Exception as e:  # noqa: BLE001
            errors.append(f"session {session.index}: close failed: {e!r}")


@pytest.fixture(scope="module")
def env():
    # Each session is a client socket here and two sockets in Tombstone (inherits this limit).
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = 4 * SESSIONS + 1024
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE,
                           (min(want, hard) if hard != resource.RLIM_INFINITY else want, hard))
    pg = PgCluster(conf={"max_connections": SESSIONS + 100, "shared_buffers": "'64MB'"})
    pg.init().start()
    ts = None
    try:
        pg.psql(SCHEMA + seed_sql(SESSIONS + 2))  # + the two warm-up sessions' rows
        ts = Tombstone(pg, CONFIG).start()
        yield pg, ts
    finally:
        if ts is not None:
            ts.stop()
        pg.destroy()


def rows(pg, sql):
    out = pg.psql(sql)
    return [tuple(line.split("|")) for line in out.splitlines() if line]


def test_mixed_load_keeps_every_promise(env):
    pg, ts = env
    # Warm up (catalog cache, rewrite cache, thread pools) with one session of each kind, so the
    # RSS baseline is the steady state of an idle proxy, not of a cold one.
    warm_sessions = [Session(SESSIONS, ts, admin=True), Session(SESSIONS + 1, ts, admin=False)]
    for warm in warm_sessions:
        warm.connect()
        warm.read_join()
        warm.read_orders()
        warm.rolled_back()
        warm.close()
    wait_until(lambda: rows(pg, "SELECT count(*) FROM pg_stat_activity "
                                "WHERE usename IN ('app', 'ops')") == [("0",)],
               what="warm-up sessions to end")
    rss_start = ts.rss_kib()

    sessions = [Session(i, ts) for i in range(SESSIONS)]
    deadline_box = [float("inf")]
    # The workload's clock starts when the last session has connected (set before any is let go).
    barrier = threading.Barrier(
        SESSIONS + 1, action=lambda: deadline_box.__setitem__(0, time.monotonic() + SECONDS))
    errors = []
    threading.stack_size(512 * 1024)
    threads = [threading.Thread(target=worker, args=(s, barrier, deadline_box, errors),
                                name=f"load-{s.index}", daemon=True) for s in sessions]
    for t in threads:
        t.start()
    try:
        barrier.wait(timeout=180)
    except threading.BrokenBarrierError:
        pass
    # Every session is connected at once: one server backend each, all behind Tombstone.
    concurrent = rows(pg, "SELECT count(*) FROM pg_stat_activity "
                          "WHERE usename IN ('app', 'ops') AND application_name LIKE 'load-%'")
    rss_loaded = ts.rss_kib()
    for t in threads:
        t.join(timeout=SECONDS + 300)
    stuck = [t.name for t in threads if t.is_alive()]
    assert not stuck, f"sessions still running: {stuck[:20]}" + log_tail(ts)
    assert not errors, (f"{len(errors)} sessions failed; first ones:\n" + "\n".join(errors[:15])
                        + log_tail(ts, 80))
    assert concurrent == [(str(SESSIONS),)], concurrent
    total_ops = sum(s.ops for s in sessions)
    assert all(s.ops > 0 for s in sessions)
    print(f"{SESSIONS} sessions, {total_ops} operations in {SECONDS:.0f} s; Tombstone RSS "
          f"{rss_start} KiB idle, {rss_loaded} KiB with every session connected")

    # The database, read directly, equals the union of what every session did.
    expect = {"items_a": ({}, {}), "items_b": ({}, {}), "orders": ({}, {})}
    archived = {}
    for s in sessions + warm_sessions:
        m = s.model
        expect["items_a"][0].update({i: "" for i in m.a_live})
        expect["items_a"][1].update(m.a_deleted)
        expect["items_b"][0].update({i: "" for i in m.b_live})
        expect["items_b"][1].update({i: actor for i, (_, actor) in m.b_deleted.items()})
        expect["orders"][0].update(m.orders)
        archived.update(m.archived)
    for table in ("items_a", "items_b"):
        live, deleted = expect[table]
        got_live = {int(r[0]) for r in rows(pg, f"SELECT id FROM {table} "
                                                "WHERE deleted_at IS NULL AND deleted_by IS NULL")}
        got_deleted = {int(r[0]): r[1] for r in rows(
            pg, f"SELECT id, deleted_by FROM {table} WHERE deleted_at IS NOT NULL")}
        assert (len(got_live), len(got_deleted)) == (len(live), len(deleted)), table
        assert got_live == set(live), table
        assert got_deleted == deleted, table
    got_orders = {int(r[0]): r[1] for r in rows(pg, "SELECT id, note FROM orders")}
    assert got_orders == expect["orders"][0]
    got_archived = {int(r[0]): (r[1], r[2]) for r in rows(
        pg, "SELECT id, note, archived_by FROM orders_archive WHERE archived_at IS NOT NULL")}
    assert rows(pg, "SELECT count(*) FROM orders_archive") == [(str(len(archived)),)]
    assert got_archived == archived
    # Every b row still points at a row of its own session (no cross-session writes).
    assert rows(pg, f"SELECT count(*) FROM items_b WHERE (a_id - 1) / {SPAN} <> owner") \
        == [("0",)]

    # Tombstone is still up and serves a new session.
    assert ts.proc.poll() is None, log_tail(ts)
    after = psycopg2.connect(ts.dsn(user="app"))
    after.autocommit = True
    cur = after.cursor()
    cur.execute("SELECT count(*) FROM items_a")
    assert cur.fetchone() == (len(expect["items_a"][0]),)
    after.close()

    # Memory comes back once the sessions are gone. Under ASan the allocator keeps freed memory
    # in quarantine on purpose, so RSS says nothing there; LeakSanitizer checks leaks instead.
    if not SANITIZED:
        wait_until(lambda: ts.rss_kib() < rss_start + RSS_SLACK_KIB, timeout=30,
                   what=lambda: f"RSS {ts.rss_kib()} KiB back below start {rss_start} KiB "
                                f"+ {RSS_SLACK_KIB} KiB")
        print(f"Tombstone RSS after the load: {ts.rss_kib()} KiB")
