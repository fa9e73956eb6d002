"""psycopg2 and psycopg 3 through Tombstone give exactly the results they get directly (issue 2,
A2): parameters of many types, DML row counts and tags, RETURNING, rollback, an error inside a
transaction and the recovery after it, COPY both ways (text, CSV, binary), server-side cursors,
notices, ParameterStatus updates; for psycopg 3 also server-side binding, named prepared
statements, binary results, libpq pipeline mode (with an error inside a pipeline) and
executemany. Each workload runs once directly and once through Tombstone on twin databases; the
transcripts and the final tables must be equal."""
import datetime
import decimal
import io
import threading

import psycopg
import psycopg2
import psycopg2.errors
import pytest
from psycopg import sql as pgsql

from proxyenv import create_databases, log_tail, proxied_cluster, table_dump

SETUP = """
CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL, qty int, note text,
                    price numeric(10, 2), tags text[], data bytea, at timestamptz);
INSERT INTO items (id, name, qty) SELECT g, 'item ' || g, g FROM generate_series(1000, 1009) g;
"""

PARAMS = (42, "it's \"quoted\"\n", decimal.Decimal("12.50"), b"\x00\xff\x10",
          datetime.datetime(2024, 2, 29, 12, 30, tzinfo=datetime.timezone.utc), ["a", None, "c"],
          None, True, 3.5, "ünïcødé ✓")
CSV_ROWS = "50,fifty,50,\"a, b\"\n51,fifty-one,,\n"


@pytest.fixture(scope="module")
def env():
    with proxied_cluster() as (pg, ts):
        yield pg, ts


def psycopg2_workload(dsn):
    log = []
    conn = psycopg2.connect(dsn)
    cur = conn.cursor()
    cur.execute("SELECT %s::int + 1, %s::text, %s::numeric, %s::bytea, %s::timestamptz, "
                "%s::text[], %s::int, %s::bool, %s::float8, %s::text", PARAMS)
    log.append(cur.fetchall())
    cur.execute("INSERT INTO items (id, name, qty) VALUES (%s, %s, %s)", (1, "one", 1))
    log.append((cur.rowcount, cur.statusmessage))
    cur.executemany("INSERT INTO items (id, name, qty, price) VALUES (%s, %s, %s, %s)",
                    [(i, f"n{i}", i, decimal.Decimal(i) / 4) for i in range(2, 12)])
    log.append(cur.rowcount)
    cur.execute("UPDATE items SET qty = qty * 2 WHERE id < %s", (6,))
    log.append((cur.rowcount, cur.statusmessage))
    cur.execute("DELETE FROM items WHERE id IN (3, 4) RETURNING id, name")
    log.append((sorted(cur.fetchall()), cur.statusmessage))
    conn.commit()

    cur.execute("INSERT INTO items (id, name) VALUES (20, 'rolled back')")
    conn.rollback()
    cur.execute("SELECT count(*) FROM items WHERE id = 20")
    log.append(cur.fetchone())

    cur.execute("INSERT INTO items (id, name) VALUES (21, 'lost with the transaction')")
    try:
        cur.execute("SELECT 1 / 0")
    except psycopg2.errors.DivisionByZero as e:
        log.append((e.pgcode, e.diag.message_primary, e.diag.severity))
    try:
        cur.execute("SELECT 1")
    except psycopg2.errors.InFailedSqlTransaction as e:
        log.append(e.pgcode)
    conn.rollback()
    try:
        cur.execute("INSERT INTO items (id, name) VALUES (1, 'dup')")
    except psycopg2.errors.UniqueViolation as e:
        log.append((e.pgcode, e.diag.constraint_name, e.diag.message_detail))
    conn.rollback()
    cur.execute("SELECT count(*), sum(qty) FROM items")
    log.append(cur.fetchone())

    cur.copy_expert("COPY items (id, name, qty, note) FROM STDIN WITH (FORMAT csv)",
                    io.StringIO(CSV_ROWS))
    log.append(cur.rowcount)
    cur.copy_from(io.StringIO("60\tsixty\t\\N\n61\tsixty-one\t61\n"), "items",
                  columns=("id", "name", "qty"))
    log.append(cur.rowcount)
    out = io.StringIO()
    cur.copy_expert("COPY (SELECT id, name, qty, note, price FROM items ORDER BY id) TO STDOUT "
                    "WITH (FORMAT csv, HEADER)", out)
    log.append(out.getvalue())
    conn.commit()
    try:
        cur.copy_expert("COPY items (id, name) FROM STDIN", io.StringIO("x\ty\n"))
    except psycopg2.errors.InvalidTextRepresentation as e:
        log.append((e.pgcode, e.diag.context))
    conn.rollback()

    with conn.cursor(name="server_side") as named:
        named.itersize = 97
        named.execute("SELECT g, repeat('x', g % 50) FROM generate_series(1, 2000) g")
        log.append(sum(g + len(s) for g, s in named))
    conn.rollback()

    cur.execute("DO $$ BEGIN RAISE NOTICE 'notice %', 7; END $$")
    log.append(list(conn.notices))
    cur.execute("PREPARE twice(int) AS SELECT $1 * 2")
    cur.execute("EXECUTE twice(21)")
    log.append(cur.fetchone())
    conn.commit()
    conn.autocommit = True
    cur.execute("SET application_name = 'from psycopg2'")
    log.append(conn.get_parameter_status("application_name"))
    log.append(conn.get_parameter_status("server_version"))
    cur.execute("SELECT length(%s)", ("y" * 300_000,))
    log.append(cur.fetchone())
    cur.execute("SELECT g, md5(g::text) FROM generate_series(1, 20000) g")
    log.append((cur.rowcount, cur.fetchall()[-1]))
    conn.close()
    return log


def psycopg3_workload(dsn):
    log = []
    with psycopg.connect(dsn) as conn:
        # Server-side binding: parameters travel in Bind, the statement in Parse.
        cur = conn.execute("SELECT %s::int + 1, %s::text, %s::numeric, %s::bytea, "
                           "%s::timestamptz, %s::text[], %s::int, %s::bool, %s::float8, %s",
                           PARAMS)
        log.append(cur.fetchall())
        log.append(conn.execute("SELECT %b::bytea, %t::text", (b"\x01\x02", "text")).fetchone())
        bcur = conn.cursor(binary=True)
        bcur.execute("SELECT %s::int8, %s::numeric, %s::timestamptz, %s::int[]",
                     (2 ** 40, decimal.Decimal("-0.001"), PARAMS[4], [1, 2, None]))
        log.append(bcur.fetchone())

        cur = conn.cursor()
        cur.execute("INSERT INTO items (id, name, qty) VALUES (%s, %s, %s)", (1, "one", 1))
        log.append((cur.rowcount, cur.statusmessage))
        cur.executemany("INSERT INTO items (id, name, qty, tags) VALUES (%s, %s, %s, %s)",
                        [(i, f"n{i}", i, [str(i)]) for i in range(2, 12)])
        log.append(cur.rowcount)
        cur.executemany("INSERT INTO items (id, name) VALUES (%s, %s) RETURNING id * 10",
                        [(12, "a"), (13, "b")], returning=True)
        results = []
        while True:
            results.append(cur.fetchall())
            if not cur.nextset():
                break
        log.append(results)
        cur.execute("UPDATE items SET qty = qty + 100 WHERE id > %s", (8,))
        log.append((cur.rowcount, cur.statusmessage))
        cur.execute("DELETE FROM items WHERE id = ANY(%s) RETURNING id", ([2, 3, 99],))
        log.append((sorted(cur.fetchall()), cur.statusmessage))
        conn.commit()

        # Named prepared statements: the same query prepared once, executed with new params.
        for i in range(4):
            cur.execute("SELECT name, qty FROM items WHERE id = %s", (i + 4,), prepare=True)
            log.append(cur.fetchone())
        log.append(conn.execute("SELECT name, statement FROM pg_prepared_statements "
                                "ORDER BY name").fetchall())
        conn.commit()

        with conn.transaction():
            cur.execute("INSERT INTO items (id, name) VALUES (30, 'kept')")
            try:
                with conn.transaction():
                    cur.execute("INSERT INTO items (id, name) VALUES (31, 'savepoint')")
                    raise psycopg.Rollback()
            finally:
                pass
        try:
            with conn.transaction():
                cur.execute("INSERT INTO items (id, name) VALUES (32, 'lost')")
                cur.execute("SELECT 1 / 0")
        except psycopg.errors.DivisionByZero as e:
            log.append((e.sqlstate, e.diag.message_primary))
        cur.execute("SELECT 'recovered', count(*) FROM items WHERE id BETWEEN 30 AND 32")
        log.append(cur.fetchone())
        conn.commit()

        # libpq pipeline mode, including an error in the middle of a pipeline.
        with conn.pipeline():
            c1 = conn.execute("INSERT INTO items (id, name) VALUES (40, 'p') RETURNING id")
            c2 = conn.execute("SELECT count(*) FROM items")
            c3 = conn.execute("SELECT %s::text || 'x'", ("pipe",), prepare=True)
        log.append((c1.fetchone(), c2.fetchone(), c3.fetchone()))
        conn.commit()
        try:
            with conn.pipeline():
                conn.execute("INSERT INTO items (id, name) VALUES (41, 'p')")
                conn.execute("SELECT * FROM no_such_table")
                conn.execute("INSERT INTO items (id, name) VALUES (42, 'p')")
        except psycopg.errors.UndefinedTable as e:
            log.append((e.sqlstate, e.diag.message_primary))
        conn.rollback()
        log.append(conn.execute("SELECT array_agg(id ORDER BY id) FROM items "
                                "WHERE id BETWEEN 40 AND 42").fetchone())
        conn.commit()

        # COPY: text rows in, binary rows in, CSV out, rows out, and an error inside COPY.
        with cur.copy("COPY items (id, name, qty, note) FROM STDIN") as copy:
            copy.write_row((50, "fifty", 50, "tab\there"))
            copy.write_row((51, "fifty-one", None, None))
        log.append(cur.rowcount)
        with cur.copy("COPY items (id, name, data) FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(["int4", "text", "bytea"])
            for i in range(60, 70):
                copy.write_row((i, f"bin{i}", bytes(range(i))))
        log.append(cur.rowcount)
        chunks = []
        with cur.copy("COPY (SELECT * FROM items ORDER BY id) TO STDOUT (FORMAT csv)") as copy:
            for data in copy:
                chunks.append(bytes(data))
        log.append(b"".join(chunks))
        with cur.copy("COPY (SELECT id, name FROM items WHERE id < 10 ORDER BY id) TO STDOUT") \
                as copy:
            log.append(list(copy.rows()))
        try:
            with cur.copy("COPY items (id, name) FROM STDIN") as copy:
                copy.write(b"1\tduplicate\n")
        except psycopg.errors.UniqueViolation as e:
            log.append((e.sqlstate, e.diag.constraint_name))
        conn.rollback()

        with conn.cursor(name="ssc") as named:
            named.execute("SELECT g FROM generate_series(1, 1000) g")
            log.append((named.fetchmany(3), len(named.fetchall())))
        conn.rollback()

        notices = []
        conn.add_notice_handler(lambda d: notices.append((d.severity, d.message_primary)))
        conn.execute("DO $$ BEGIN RAISE WARNING 'careful'; END $$")
        log.append(notices)
        conn.execute(pgsql.SQL("SET application_name = {}").format("from psycopg 3"))
        log.append(conn.info.parameter_status("application_name"))
        conn.commit()
    return log


@pytest.mark.parametrize("workload", [psycopg2_workload, psycopg3_workload],
                         ids=["psycopg2", "psycopg3"])
def test_python_client_matches_direct(env, workload):
    pg, ts = env
    name = workload.__name__.split("_")[0]
    create_databases(pg, [f"{name}_direct", f"{name}_proxy"], SETUP)
    direct = workload(pg.dsn(f"{name}_direct"))
    proxied = workload(ts.dsn(f"{name}_proxy"))
    assert len(direct) > 20
    for i, (d, p) in enumerate(zip(direct, proxied)):
        assert p == d, f"step {i} differs" + log_tail(ts)
    assert len(proxied) == len(direct)
    assert table_dump(pg, f"{name}_proxy", "items") == table_dump(pg, f"{name}_direct", "items")


def test_psycopg3_pipeline_mode_is_really_pipelined(env):
    """Many statements in one pipeline, no Sync between them except at the end: results
    come back in order and the session stays usable."""
    pg, ts = env
    with psycopg.connect(ts.dsn(), autocommit=True) as conn:
        assert conn.pgconn.pipeline_status == 0
        with conn.pipeline() as p:
            assert conn.pgconn.pipeline_status != 0
            cursors = [conn.execute("SELECT %s::int * 3", (i,)) for i in range(200)]
            p.sync()
            cursors += [conn.execute("SELECT %s::text", (f"after sync {i}",)) for i in range(5)]
        assert [c.fetchone()[0] for c in cursors[:200]] == [i * 3 for i in range(200)]
        assert [c.fetchone()[0] for c in cursors[200:]] == [f"after sync {i}" for i in range(5)]
        assert conn.execute("SELECT 'still fine'").fetchone() == ("still fine",)


def test_many_concurrent_sessions(env):
    """60 sessions at once on Tombstone's few io threads, each checking its own answers."""
    pg, ts = env
    errors = []

    def worker(n):
        try:
            conn = psycopg.connect(ts.dsn(), autocommit=True)
            with conn:
                for i in range(15):
                    row = conn.execute("SELECT %s::int * 1000 + %s, pg_backend_pid()",
                                       (n, i)).fetchone()
                    assert row[0] == n * 1000 + i
                    if i == 0:
                        pid = row[1]
                    assert row[1] == pid  # one server session per client session
        except Exception as e:  # noqa: BLE001 - reported below with the session number
            errors.append((n, repr(e)))

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(60)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors[:3]
    assert not any(t.is_alive() for t in threads)
