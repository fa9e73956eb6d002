"""LISTEN/NOTIFY and query cancellation through Tombstone (issue 2, A3).

Notifications are server-initiated messages that arrive while the listening client is idle, so
Tombstone must forward them without waiting for a client message. A CancelRequest arrives on a
new connection and must reach the backend of the session whose key it carries, and only that one.
"""
import select
import signal
import socket
import subprocess
import threading
import time

import psycopg
import psycopg2
import psycopg2.errors
import pytest

from pgwire import cancel_request
from proxyenv import PSQL, log_tail, proxied_cluster, wait_running

# `pg_sleep(30)` must end long before 30 s once cancelled; 10 s leaves room for a loaded machine.
CANCEL_BOUND_S = 10


@pytest.fixture(scope="module")
def env():
    with proxied_cluster() as (pg, ts):
        yield pg, ts


def wait_notifies(conn, count, timeout=10):
    deadline = time.monotonic() + timeout
    while len(conn.notifies) < count and time.monotonic() < deadline:
        select.select([conn], [], [], max(0.0, deadline - time.monotonic()))
        conn.poll()
    return [(n.channel, n.payload, n.pid) for n in conn.notifies]


def test_listen_notify_across_two_sessions(env):
    pg, ts = env
    listener = psycopg2.connect(ts.dsn())
    listener.autocommit = True
    notifier = psycopg2.connect(ts.dsn())
    notifier.autocommit = True
    try:
        listener.cursor().execute('LISTEN jobs; LISTEN "Other Channel"')
        cur = notifier.cursor()
        cur.execute("SELECT pg_backend_pid()")
        notifier_pid = cur.fetchone()[0]
        cur.execute("NOTIFY jobs, 'first'")
        cur.execute("BEGIN; SELECT pg_notify('Other Channel', 'in a transaction'); "
                    "NOTIFY jobs, 'second'; COMMIT")
        # The listener sends nothing: the notifications must arrive on their own.
        got = wait_notifies(listener, 3)
        assert got == [("jobs", "first", notifier_pid),
                       ("Other Channel", "in a transaction", notifier_pid),
                       ("jobs", "second", notifier_pid)], log_tail(ts)
        cur.execute("BEGIN; NOTIFY jobs, 'rolled back'; ROLLBACK")
        listener.cursor().execute("UNLISTEN jobs")
        cur.execute("NOTIFY jobs, 'after unlisten'; NOTIFY \"Other Channel\", 'last'")
        assert wait_notifies(listener, 4)[3:] == [("Other Channel", "last", notifier_pid)]
    finally:
        listener.close()
        notifier.close()


def test_psycopg3_notifies_generator(env):
    pg, ts = env
    with psycopg.connect(ts.dsn(), autocommit=True) as listener, \
            psycopg.connect(ts.dsn(), autocommit=True) as notifier:
        listener.execute("LISTEN events")
        for i in range(3):
            notifier.execute("SELECT pg_notify('events', %s)", (f"event {i}",))
        got = []
        listener.add_notify_handler(lambda n: got.append(n.payload))
        # psycopg 3.1's notifies() has no timeout: wait for the socket, then let a query
        # dispatch whatever arrived.
        deadline = time.monotonic() + 10
        while len(got) < 3 and time.monotonic() < deadline:
            select.select([listener.fileno()], [], [], 0.5)
            listener.execute("SELECT 1")
        assert got == ["event 0", "event 1", "event 2"], log_tail(ts)


def cancel_when_running(pg, marker, cancel):
    t = threading.Thread(target=lambda: (wait_running(pg, marker), cancel()))
    t.start()
    return t


def test_psycopg2_cancel_from_another_thread(env):
    pg, ts = env
    conn = psycopg2.connect(ts.dsn())
    try:
        cur = conn.cursor()
        timer = cancel_when_running(pg, "psycopg2 cancel", conn.cancel)
        start = time.monotonic()
        with pytest.raises(psycopg2.errors.QueryCanceled) as err:
            cur.execute("SELECT pg_sleep(30) -- psycopg2 cancel")
        elapsed = time.monotonic() - start
        timer.join()
        assert err.value.pgcode == "57014"
        assert "canceling statement due to user request" in str(err.value)
        assert elapsed < CANCEL_BOUND_S, f"cancel took {elapsed:.1f}s" + log_tail(ts)
        conn.rollback()
        cur.execute("SELECT 'usable after cancel'")
        assert cur.fetchone() == ("usable after cancel",)
    finally:
        conn.close()


def test_psycopg3_cancel(env):
    pg, ts = env
    with psycopg.connect(ts.dsn(), autocommit=True) as conn:
        timer = cancel_when_running(pg, "psycopg 3 cancel", conn.cancel)
        start = time.monotonic()
        with pytest.raises(psycopg.errors.QueryCanceled):
            conn.execute("SELECT pg_sleep(30) -- psycopg 3 cancel")
        timer.join()
        assert time.monotonic() - start < CANCEL_BOUND_S
        assert conn.execute("SELECT 1").fetchone() == (1,)


def test_psql_cancel_on_sigint(env):
    pg, ts = env
    proc = subprocess.Popen([PSQL, "-X", "-d", ts.dsn(), "-c", "SELECT pg_sleep(30) -- psql"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_running(pg, "-- psql")
    start = time.monotonic()
    proc.send_signal(signal.SIGINT)  # psql answers SIGINT with a CancelRequest
    _, stderr = proc.communicate(timeout=30)
    assert time.monotonic() - start < CANCEL_BOUND_S
    assert "canceling statement due to user request" in stderr, stderr + log_tail(ts)
    assert proc.returncode == 1


def test_cancel_reaches_only_its_own_session(env):
    """Two sessions run a query; cancelling one leaves the other's result intact, and a
    CancelRequest with a wrong secret key cancels nothing."""
    pg, ts = env
    victim = psycopg2.connect(ts.dsn())
    bystander = psycopg2.connect(ts.dsn())
    results = {}

    def run_bystander():
        cur = bystander.cursor()
        cur.execute("SELECT pg_sleep(3), 'bystander done'")
        results["bystander"] = cur.fetchone()[1]

    try:
        t = threading.Thread(target=run_bystander)
        t.start()
        wait_running(pg, "bystander done")
        # The bystander's real process id with a made-up secret: must cancel nothing.
        with socket.create_connection(("127.0.0.1", ts.port), timeout=5) as s:
            s.sendall(cancel_request(bystander.get_backend_pid(), 67890))
        timer = cancel_when_running(pg, "victim", victim.cancel)
        with pytest.raises(psycopg2.errors.QueryCanceled):
            victim.cursor().execute("SELECT pg_sleep(30) -- victim")
        timer.join()
        t.join(timeout=30)
        assert results.get("bystander") == "bystander done", log_tail(ts)
    finally:
        victim.close()
        bystander.close()
