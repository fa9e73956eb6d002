"""Upstream faults (issue 2, A5; issue 7, point 3): an unreachable server, a server that does not
accept connections in time (connect timeout), a server that is stopped and started again, and a
server killed (`pg_ctl stop -m immediate`) in the middle of a long query. The client is told
clearly (an ErrorResponse with an 08xxx SQLSTATE, or the server's own shutdown error) and
Tombstone keeps running and serves new sessions once the server is back."""
import re
import socket
import threading
import time
import types

import psycopg2
import pytest

from harness import Tombstone, free_port
from pgwire import RawSession, read_error_or_close, startup_packet
from proxyenv import BASE_CONFIG, log_tail, proxied_cluster, wait_running

# Bounds on how long a client may be left waiting; behaviour ("not hung"), not performance.
# The config's connect_timeout is 2 s.
ERROR_BOUND_S = 10


def raw_startup_error(ts):
    with socket.create_connection(("127.0.0.1", ts.port), timeout=10) as s:
        s.sendall(startup_packet())
        start = time.monotonic()
        error = read_error_or_close(s, timeout=ERROR_BOUND_S + 5)
        return error, time.monotonic() - start


def assert_connection_error(error, topic):
    assert error is not None, "closed without an ErrorResponse"
    assert error.get("sqlstate", "").startswith("08"), error
    assert error.get("severity") == "FATAL", error
    assert re.search(topic, error["message"], re.I), error


def query_ok(ts):
    conn = psycopg2.connect(ts.dsn(), connect_timeout=10)
    try:
        cur = conn.cursor()
        cur.execute("SELECT 'served'")
        return cur.fetchone()[0] == "served"
    finally:
        conn.close()


def test_unreachable_upstream(tmp_path):
    closed = types.SimpleNamespace(port=free_port())  # nothing listens there
    ts = Tombstone(closed, BASE_CONFIG).start()
    try:
        for _ in range(3):  # every attempt is answered; the process stays up
            error, elapsed = raw_startup_error(ts)
            assert_connection_error(error, r"connect|upstream|server|refused")
            assert elapsed < ERROR_BOUND_S
        with pytest.raises(psycopg2.OperationalError) as err:
            psycopg2.connect(ts.dsn(), connect_timeout=10)
        assert error["message"] in str(err.value)
        assert ts.proc.poll() is None, log_tail(ts)
    finally:
        ts.stop()


def test_upstream_that_never_accepts_hits_connect_timeout():
    # A listener with a full accept queue: the kernel drops further SYNs, so connecting hangs
    # exactly as with an overloaded or firewalled server.
    blackhole = socket.socket()
    blackhole.bind(("127.0.0.1", 0))
    blackhole.listen(0)
    filler = socket.create_connection(blackhole.getsockname(), timeout=5)
    ts = Tombstone(types.SimpleNamespace(port=blackhole.getsockname()[1]), BASE_CONFIG).start()
    try:
        error, elapsed = raw_startup_error(ts)
        assert_connection_error(error, r"time|connect")
        assert elapsed < ERROR_BOUND_S, f"client waited {elapsed:.1f}s"
        assert ts.proc.poll() is None, log_tail(ts)
    finally:
        ts.stop()
        filler.close()
        blackhole.close()


@pytest.fixture(scope="module")
def env():
    with proxied_cluster() as (pg, ts):
        pg.psql("CREATE TABLE t (id int)")
        yield pg, ts


def test_server_stopped_then_started(env):
    pg, ts = env
    assert query_ok(ts)
    pg.stop("fast")
    error, _ = raw_startup_error(ts)
    assert_connection_error(error, r"connect|upstream|server|refused")
    pg.start()
    assert query_ok(ts), log_tail(ts)


def test_server_killed_during_long_query(env):
    pg, ts = env
    conn = psycopg2.connect(ts.dsn())
    cur = conn.cursor()
    cur.execute("INSERT INTO t VALUES (1)")
    conn.commit()
    cur.execute("INSERT INTO t VALUES (2)")  # left uncommitted when the server dies
    outcome = {}

    def long_query():
        start = time.monotonic()
        try:
            cur.execute("SELECT pg_sleep(30) -- killed")
            outcome["result"] = "finished"
        except psycopg2.Error as e:
            outcome["result"] = e
        outcome["elapsed"] = time.monotonic() - start

    t = threading.Thread(target=long_query)
    t.start()
    wait_running(pg, "-- killed")
    pg.stop("immediate")
    t.join(timeout=30)
    assert not t.is_alive(), "the client was left hanging after the server died"
    assert isinstance(outcome["result"], psycopg2.OperationalError), outcome
    assert outcome["elapsed"] < ERROR_BOUND_S, outcome
    conn.close()
    assert ts.proc.poll() is None, "Tombstone died with the server" + log_tail(ts)

    error, _ = raw_startup_error(ts)  # server down: a clear error, not a hang
    assert_connection_error(error, r"connect|upstream|server|refused")
    pg.start()  # crash recovery, then new sessions work through the same Tombstone
    assert query_ok(ts), log_tail(ts)
    assert pg.psql("SELECT array_agg(id) FROM t") == "{1}\n"  # nothing half-written


@pytest.mark.parametrize("how", ["pg_terminate_backend", "idle_session_timeout"])
def test_server_closing_one_session(env, how):
    """The server ends one session on its own (an admin's pg_terminate_backend, or
    idle_session_timeout): the client gets the server's FATAL error as sent and a closed
    connection; everyone else goes on."""
    pg, ts = env
    s = RawSession(ts.port)
    (pid,) = s.simple_query("SELECT pg_backend_pid()")[0][0]
    if how == "pg_terminate_backend":
        pg.psql(f"SELECT pg_terminate_backend({pid})")
        expected = ("57P01", "terminating connection due to administrator command")
    else:
        s.simple_query("SET idle_session_timeout = '300ms'")
        expected = ("57P05", "terminating connection due to idle-session timeout")
    error = read_error_or_close(s.sock, timeout=ERROR_BOUND_S)
    s.close(terminate_first=False)
    assert error is not None, "closed without passing on the server's error" + log_tail(ts)
    assert (error["sqlstate"], error["message"]) == expected
    assert error["severity"] == "FATAL"
    assert query_ok(ts)
