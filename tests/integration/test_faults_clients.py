"""Client-side faults and memory (issue 2 streaming requirement; issue 7, point 3): a client
that vanishes mid-transaction (the server rolls back and releases its locks), a client that stops
reading a huge result (backpressure reaches the server, Tombstone's memory stays bounded, other
sessions are unaffected), and a 200 MB `COPY ... TO STDOUT` that streams through Tombstone
without raising its RSS by more than a few MB."""
import socket
import struct
import subprocess
import threading
import time

import psycopg2
import pytest

from pgwire import RawSession, query, startup_packet
from proxyenv import PSQL, SMALL_ASAN_QUARANTINE, log_tail, proxied_cluster, wait_until

# Memory bounds are behaviour: a streaming proxy holds a few buffers per session, never a result.
COPY_RSS_BOUND_KIB = 10 * 1024
STALLED_RSS_BOUND_KIB = 16 * 1024
COPY_ROWS, COPY_ROW_BYTES = 200_000, 1000  # 200 MB plus newlines


@pytest.fixture(scope="module")
def env():
    with proxied_cluster(proxy_env=SMALL_ASAN_QUARANTINE) as (pg, ts):
        pg.psql("CREATE TABLE victims (id int PRIMARY KEY, name text);"
                "INSERT INTO victims SELECT g, 'v' || g FROM generate_series(1, 10) g")
        yield pg, ts


def query_ok(ts):
    conn = psycopg2.connect(ts.dsn(), connect_timeout=10)
    try:
        cur = conn.cursor()
        cur.execute("SELECT count(*) FROM victims")
        return cur.fetchone()[0]
    finally:
        conn.close()


def warm_up(ts):
    """A few complete sessions first, so one-time allocations are not counted as growth."""
    for _ in range(3):
        query_ok(ts)
    time.sleep(0.2)
    return ts.rss_kib()


@pytest.mark.parametrize("how", ["fin", "rst"])
def test_client_gone_mid_transaction_rolls_back(env, how):
    pg, ts = env
    s = RawSession(ts.port)
    assert s.simple_query("BEGIN")[1] == ["BEGIN"]
    assert s.simple_query("DELETE FROM victims WHERE id <= 5")[1] == ["DELETE 5"]
    (pid,) = s.simple_query("SELECT pg_backend_pid()")[0][0]
    if how == "rst":  # an abortive close, as when the client host dies
        s.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close(terminate_first=False)  # no Terminate message: the client just vanishes
    wait_until(lambda: pg.psql(f"SELECT count(*) FROM pg_stat_activity WHERE pid = {pid}")
               == "0\n", what="the abandoned backend to exit")
    assert pg.psql("SELECT count(*) FROM victims") == "10\n"
    # Its row locks are gone too: the same DELETE does not wait.
    pg.psql("SET lock_timeout = '2s'; BEGIN; DELETE FROM victims WHERE id <= 5; ROLLBACK")
    assert query_ok(ts) == 10


def test_stalled_reader_is_backpressured(env):
    pg, ts = env
    baseline = warm_up(ts)
    stalled = RawSession(ts.port)
    try:
        stalled.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
        (pid,) = stalled.simple_query("SELECT pg_backend_pid()")[0][0]
        # About 1 GB of rows; the client reads none of them.
        stalled.send(query("SELECT g, repeat('x', 1000) FROM generate_series(1, 1000000) g"))
        # Backpressure reaches the server: its backend blocks writing to Tombstone.
        wait_until(lambda: pg.psql(f"SELECT wait_event FROM pg_stat_activity WHERE pid = {pid}")
                   == "ClientWrite\n", timeout=30,
                   what=lambda: "the server blocked on a stalled client" + log_tail(ts))
        peak = baseline
        for _ in range(20):
            peak = max(peak, ts.rss_kib())
            time.sleep(0.05)
        assert peak - baseline < STALLED_RSS_BOUND_KIB, (baseline, peak)
        # Another session is unaffected while this one is stalled.
        assert query_ok(ts) == 10
        peak = max(peak, ts.rss_kib())
        print(f"stalled reader: Tombstone RSS {baseline} KiB before, peak {peak} KiB")
        assert peak - baseline < STALLED_RSS_BOUND_KIB, (baseline, peak)
    finally:
        stalled.close(terminate_first=False)
    # Once the client is gone, so is its server session.
    wait_until(lambda: pg.psql(f"SELECT count(*) FROM pg_stat_activity WHERE pid = {pid}")
               == "0\n", what=lambda: "the stalled session's backend to exit" + log_tail(ts))


def test_200mb_copy_out_streams(env):
    pg, ts = env
    baseline = warm_up(ts)
    samples = []
    done = threading.Event()

    def sample():
        while not done.is_set():
            samples.append(ts.rss_kib())
            time.sleep(0.01)

    sampler = threading.Thread(target=sample)
    sampler.start()
    proc = subprocess.Popen(
        [PSQL, "-X", "-d", ts.dsn(), "-c",
         f"COPY (SELECT repeat('x', {COPY_ROW_BYTES}) FROM generate_series(1, {COPY_ROWS})) "
         "TO STDOUT"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    received = 0
    try:
        while chunk := proc.stdout.read(1 << 20):
            received += len(chunk)
        proc.wait(timeout=120)
    finally:
        done.set()
        sampler.join()
    assert proc.returncode == 0, proc.stderr.read().decode() + log_tail(ts)
    assert received == COPY_ROWS * (COPY_ROW_BYTES + 1)
    assert len(samples) > 5
    print(f"200 MB COPY: Tombstone RSS {baseline} KiB before, peak {max(samples)} KiB")
    assert max(samples) - baseline < COPY_RSS_BOUND_KIB, (baseline, max(samples))


def test_server_sessions_do_not_leak(env):
    """However a client leaves (Terminate, a bare close, a close mid-query, a close during
    startup), its server session ends too."""
    pg, ts = env

    def client_backends():
        return int(pg.psql("SELECT count(*) FROM pg_stat_activity "
                           "WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()"))

    baseline = client_backends()
    for i in range(8):
        s = RawSession(ts.port)
        s.simple_query("SELECT 1")
        s.close(terminate_first=(i % 2 == 0))
        s = RawSession(ts.port)
        s.send(query("SELECT pg_sleep(1)"))
        s.close(terminate_first=False)
        with socket.create_connection(("127.0.0.1", ts.port), timeout=10) as c:
            c.sendall(startup_packet())
        conn = psycopg2.connect(ts.dsn())
        conn.close()
    wait_until(lambda: client_backends() == baseline, timeout=30,
               what=lambda: f"backends back to {baseline}, now {client_backends()}" +
               log_tail(ts))
