"""Byte-level transparency (issue 2, A2; DESIGN §5): for statements that name no managed table,
a client receives through Tombstone exactly the bytes it receives from PostgreSQL, message for
message: simple queries (multi-statement strings, errors in the middle, empty queries, notices,
ParameterStatus after SET, COPY in/out, CopyFail), the extended protocol (named and unnamed
statements and portals, row limits and PortalSuspended, Describe, Close, Flush, errors inside a
batch and the skip to Sync, several Syncs in one pipeline), a message sent one byte at a time;
rows and COPY data larger than limits.max_message_size are streamed; FunctionCall (large objects)
and COPY BOTH (logical replication) pass through."""
import hashlib
import io
import socket
import struct
import threading
import time

import psycopg2
import psycopg2.extras
import pytest

from pgwire import (RawSession, bind, close, copy_data, copy_done, copy_fail, describe, execute,
                    flush, message, parse, query, read_message, startup_packet, sync)
from proxyenv import log_tail, proxied_cluster

SETUP = """
CREATE TABLE t (id int PRIMARY KEY, v text);
INSERT INTO t SELECT g, 'v' || g FROM generate_series(1, 20) g;
CREATE TABLE big (t text);
"""


@pytest.fixture(scope="module")
def env():
    with proxied_cluster(conf={"wal_level": "logical", "max_wal_senders": "4",
                               "max_replication_slots": "4"}) as (pg, ts):
        pg.psql(SETUP)
        yield pg, ts


def both(env, fn):
    """Run fn(session) on a fresh session directly and through Tombstone."""
    pg, ts = env
    results = []
    for port in (pg.port, ts.port):
        s = RawSession(port)
        try:
            results.append(fn(s))
        finally:
            s.close()
    return results


def test_startup_parameters_match_direct(env):
    direct, proxied = both(env, lambda s: s.params)
    assert "server_version" in direct and "integer_datetimes" in direct
    assert proxied == direct


def test_startup_options_reach_the_server(env):
    """Startup parameters (options=-c ..., application_name, DateStyle) take effect as directly."""
    pg, ts = env
    params = {"options": "-c search_path=pg_catalog,public -c work_mem=1234kB",
              "application_name": "opts test", "DateStyle": "German"}
    results = []
    for port in (pg.port, ts.port):
        s = RawSession(port, **params)
        try:
            results.append((s.params, s.exchange(query(
                "SHOW search_path; SHOW work_mem; SELECT current_setting('application_name'), "
                "'2024-02-29'::date"))))
        finally:
            s.close()
    rows = [b for k, b in results[0][1] if k == "D"]
    assert b"pg_catalog,public" in rows[0] and b"1234kB" in rows[1] and b"29.02.2024" in rows[2]
    assert results[1] == results[0]


def test_gssenc_request_is_declined(env):
    """GSSENCRequest gets 'N' and the same connection goes on with a normal startup."""
    pg, ts = env
    with socket.create_connection(("127.0.0.1", ts.port), timeout=10) as sock:
        sock.sendall(struct.pack("!ii", 8, 80877104))
        assert sock.recv(1) == b"N"
        sock.sendall(startup_packet())
        kinds = []
        while not kinds or kinds[-1] != "Z":
            kinds.append(read_message(sock)[0])
        assert "E" not in kinds and kinds[0] == "R"


SIMPLE = [
    "SELECT 1 AS one, NULL::text AS n, 'x'::varchar(3) AS v",
    "",
    ";",
    "SELECT 1; SELECT 'two'; VALUES (3), (4)",
    "SELECT 1; SELECT 1/0; SELECT 'never'",
    "BEGIN; SELECT 1/0",
    "SELECT 'ignored in the failed transaction'",
    "ROLLBACK",
    "BEGIN; INSERT INTO t VALUES (100, 'x'); UPDATE t SET v = 'y' WHERE id > 99; "
    "DELETE FROM t WHERE id = 100 RETURNING *; ROLLBACK",
    "SET application_name = 'transparency'; SHOW application_name",
    "SET DateStyle = 'SQL, DMY'",
    "DO $$ BEGIN RAISE NOTICE 'a notice'; RAISE WARNING 'a warning'; END $$",
    "SELECT * FROM no_such_table",
    "SELEC 1",
    "COPY (SELECT id, v FROM t ORDER BY id) TO STDOUT WITH (FORMAT binary)",
    "COPY t TO STDOUT; SELECT 'after copy'",
    "COPY (SELECT 10 / (5 - g) FROM generate_series(1, 8) g) TO STDOUT",  # error mid-COPY
    "SELECT repeat('long row ', 50000)",
    "EXPLAIN (COSTS OFF) SELECT * FROM t WHERE id = 1",
    "CREATE TEMP TABLE tmp AS SELECT * FROM t; SELECT count(*) FROM tmp; DROP TABLE tmp",
]


def test_simple_query_responses_are_byte_identical(env):
    def run(s):
        return [s.exchange(query(sql)) for sql in SIMPLE]
    direct, proxied = both(env, run)
    kinds = "".join(k for batch in direct for k, _ in batch)
    assert "I" in kinds and "N" in kinds and "E" in kinds and "H" in kinds and "S" in kinds
    for sql, d, p in zip(SIMPLE, direct, proxied):
        assert p == d, sql


COPY_IN = [
    query("COPY t FROM STDIN") + copy_data(b"200\tcopied\n201\t\\N\n") + copy_done(),
    query("COPY t FROM STDIN (FORMAT csv)") + copy_data(b"202,a\n20") + copy_data(b"3,b\n") +
    copy_done(),
    query("COPY t FROM STDIN") + copy_data(b"300\tpartial\n") + copy_fail("client gave up"),
    query("COPY t FROM STDIN") + copy_data(b"not a number\tx\n") + copy_done(),
    query("COPY t FROM STDIN") + copy_data(b"1\tduplicate\n") + copy_done(),
    query("SELECT count(*) FROM t WHERE id >= 200"),
]


def test_copy_in_responses_are_byte_identical(env):
    """CopyData sent right behind the Query, before CopyInResponse arrives, as a pipelining
    client may; a CopyFail; bad data; a constraint violation."""
    pg, ts = env

    def run(s):
        s.exchange(query("BEGIN"))
        out = [s.exchange(data) for data in COPY_IN[:2]]
        s.exchange(query("ROLLBACK"))
        for data in COPY_IN[2:]:
            out.append(s.exchange(data))
        return out
    direct, proxied = both(env, run)
    assert direct[0][-2][0] == "C" and direct[2][-2][0] == "E"
    assert proxied == direct
    assert pg.psql("SELECT count(*) FROM t WHERE id >= 200") == "0\n"


EXTENDED = {
    "unnamed": parse("SELECT $1::int + 1 AS n, $2::text AS t, $3::text AS nul") +
    bind(params=["41", "x", None]) + describe(b"P") + execute() + sync(),
    "named-with-row-limit": parse("SELECT g FROM generate_series(1, $1::int) g", "s1", [23]) +
    describe(b"S", "s1") + bind("p1", "s1", ["10"]) + execute("p1", 3) + execute("p1", 4) +
    execute("p1") + close(b"P", "p1") + close(b"S", "s1") + sync(),
    "binary-results": parse("SELECT 42::int4, 'x'::text, 1.5::numeric") +
    bind(result_formats=[1]) + execute() + sync(),
    "error-skips-to-sync": parse("SELECT 1/0") + bind() + execute() + parse("SELECT 2") + bind() +
    execute() + sync() + parse("SELECT 3") + bind() + execute() + sync(),
    "three-syncs": b"".join(parse(sql) + bind() + execute() + sync()
                            for sql in ("SELECT 1", "SELECT nope", "SELECT 2")),
    "syntax-error-in-parse": parse("SELEC $1") + sync(),
    "unknown-statement": describe(b"S", "no_such") + bind("", "no_such") + sync(),
    "empty-query": parse("") + bind() + describe(b"P") + execute() + sync(),
    "transaction-states": parse("BEGIN") + bind() + execute() + sync() +
    parse("INSERT INTO t VALUES ($1, 'e') RETURNING id") + bind(params=["500"]) + execute() +
    sync() + parse("SELECT 1/0") + bind() + execute() + sync() + parse("ROLLBACK") + bind() +
    execute() + sync(),
    "dml-tags": parse("UPDATE t SET v = v WHERE id <= $1") + bind(params=["5"]) + execute() +
    parse("DELETE FROM t WHERE id > 1000") + bind() + execute() + sync(),
    "copy-out-in-extended": parse("COPY (SELECT * FROM t WHERE id < 4 ORDER BY id) TO STDOUT") +
    bind() + execute() + sync(),
    "statement-reused": parse("SELECT v FROM t WHERE id = $1", "r") +
    b"".join(bind("", "r", [str(i)]) + execute() for i in range(1, 6)) + sync() +
    close(b"S", "r") + sync(),
}


@pytest.mark.parametrize("name", list(EXTENDED))
def test_extended_protocol_responses_are_byte_identical(env, name):
    data = EXTENDED[name]
    syncs = data.count(sync())  # every Sync in these batches is a whole 5-byte message
    direct, proxied = both(env, lambda s: s.exchange(data, syncs))
    assert proxied == direct


def test_flush_returns_results_before_sync(env):
    def run(s):
        s.send(parse("SELECT 'flushed'") + bind() + describe(b"P") + execute() + flush())
        first = s.read_until("C")  # must arrive without a Sync
        return first + s.exchange(sync())
    direct, proxied = both(env, run)
    assert [k for k, _ in direct] == ["1", "2", "T", "D", "C", "Z"]
    assert proxied == direct


def test_message_sent_one_byte_at_a_time(env):
    data = parse("SELECT $1::text") + bind(params=["split"]) + execute() + sync() + \
        query("SELECT 'simple, split'")

    def run(s):
        s.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for i in range(len(data)):
            s.send(data[i:i + 1])
            if i % 8 == 0:
                time.sleep(0.001)
        return s.read_until("Z", 2)
    direct, proxied = both(env, run)
    assert proxied == direct


def test_rows_larger_than_max_message_size_stream(env):
    """limits.max_message_size (1 MiB) bounds what Tombstone must buffer; a 5 MB result row and
    a 3 MB CopyData message are not buffered, so they pass."""
    pg, ts = env
    conn = psycopg2.connect(ts.dsn())
    try:
        cur = conn.cursor()
        cur.execute("SELECT repeat('0123456789', 500000)")
        assert len(cur.fetchone()[0]) == 5_000_000
        out = io.StringIO()
        cur.copy_expert("COPY (SELECT repeat('z', 4000000)) TO STDOUT", out)
        assert len(out.getvalue()) == 4_000_001
    finally:
        conn.close()
    s = RawSession(ts.port)
    try:
        row = b"q" * 3_000_000
        result = s.exchange(query("COPY big FROM STDIN") + copy_data(row + b"\n") + copy_done())
        assert [k for k, _ in result][-2:] == ["C", "Z"], result[-2:]
    finally:
        s.close()
    assert pg.psql("SELECT length(t), md5(t) FROM big") == \
        f"3000000|{hashlib.md5(row).hexdigest()}\n", log_tail(ts)


def test_function_call_large_objects(env):
    """libpq's large-object API uses the FunctionCall message (fastpath)."""
    pg, ts = env
    payload = bytes(range(256)) * 1000
    conn = psycopg2.connect(ts.dsn())
    try:
        lob = conn.lobject(0, "wb")
        oid = lob.oid
        assert lob.write(payload) == len(payload)
        lob.close()
        conn.commit()
        lob = conn.lobject(oid, "rb")
        lob.seek(1000)
        assert lob.read(300) == payload[1000:1300]
        assert lob.tell() == 1300
        lob.unlink()
        conn.commit()
    finally:
        conn.close()
    raw = both(env, lambda s: s.exchange(message(b"F", struct.pack("!ih", 2311, 0) +  # md5(text)
                                                 struct.pack("!hi", 1, 3) + b"abc" +
                                                 struct.pack("!h", 0)) + sync()))
    assert raw[0][0] == ("V", struct.pack("!i", 32) + hashlib.md5(b"abc").hexdigest().encode())
    assert raw[1] == raw[0]


def test_copy_both_logical_replication(env):
    """A replication connection (startup parameter replication=database) streaming a logical
    slot: CopyBothResponse, XLogData in CopyData, standby feedback from the client."""
    pg, ts = env
    conn = psycopg2.connect(ts.dsn(replication="database"),
                            connection_factory=psycopg2.extras.LogicalReplicationConnection)
    try:
        cur = conn.cursor()
        cur.create_replication_slot("tombstone_test", output_plugin="test_decoding")
        pg.psql("INSERT INTO t VALUES (900, 'replicated')")
        cur.start_replication(slot_name="tombstone_test", decode=True)
        seen = []
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not any("replicated" in m for m in seen):
            msg = cur.read_message()
            if msg is None:
                time.sleep(0.05)
                continue
            seen.append(msg.payload)
            msg.cursor.send_feedback(flush_lsn=msg.data_start)
        assert any("table public.t: INSERT: id[integer]:900 v[text]:'replicated'" in m
                   for m in seen), seen
    finally:
        conn.close()
        pg.psql("SELECT pg_drop_replication_slot('tombstone_test') FROM pg_replication_slots "
                "WHERE slot_name = 'tombstone_test'")


def test_pipelined_simple_queries(env):
    """Several Query messages in one write, a COPY among them, without waiting for answers."""
    data = (query("SELECT 1") + query("COPY t FROM STDIN") + copy_data(b"700\tpiped\n") +
            copy_done() + query("SELECT v FROM t WHERE id = 700") +
            query("DELETE FROM t WHERE id = 700"))
    direct, proxied = both(env, lambda s: s.exchange(data, 4))
    assert [k for k, _ in direct].count("E") == 0
    assert proxied == direct


def test_large_pipeline_is_full_duplex(env):
    """20,000 Bind/Execute pairs written while the answers are read: about 0.6 MB in and
    1.5 MB out, more than the socket buffers hold, so a proxy that stops reading one side while
    it cannot write the other would deadlock here."""
    n = 20_000
    batch = parse("SELECT $1::int, repeat('r', 40)", "pipe") + b"".join(
        bind("", "pipe", [str(i)]) + execute() for i in range(n)) + sync()

    def run(s):
        writer = threading.Thread(target=s.send, args=(batch,))
        writer.start()
        s.sock.settimeout(60)
        replies = s.read_until("Z")
        writer.join(timeout=60)
        return hashlib.sha256(b"".join(k.encode() + b for k, b in replies)).hexdigest(), \
            len(replies)
    direct, proxied = both(env, run)
    assert direct[1] == 1 + 3 * n + 1
    assert proxied == direct
