"""Hostile and broken input on raw sockets (issue 2, A5): a garbage startup packet, oversized
messages, a client that connects and sends nothing. Each gets a clear ErrorResponse (a real
SQLSTATE and a message naming the problem) or a close, never a hang, and Tombstone goes on
serving other sessions. Also: protocol negotiation (a newer minor version) looks exactly as it
does directly."""
import random
import re
import socket
import struct
import time

import psycopg2
import pytest

from pgwire import RawSession, message, read_error_or_close, read_message, startup_packet
from proxyenv import log_tail, proxied_cluster

# The config's startup_timeout is 1 s; a silent client must be dropped long before this.
SILENT_BOUND_S = 10


@pytest.fixture(scope="module")
def env():
    with proxied_cluster() as (pg, ts):
        yield pg, ts


def assert_still_serving(ts):
    assert ts.proc.poll() is None, "Tombstone exited" + log_tail(ts)
    conn = psycopg2.connect(ts.dsn(), connect_timeout=10)
    try:
        cur = conn.cursor()
        cur.execute("SELECT 'still serving'")
        assert cur.fetchone() == ("still serving",)
    finally:
        conn.close()


def assert_clear_error_or_close(error, topic=None):
    """`error` is the ErrorResponse fields, or None when the connection was just closed."""
    if error is None:
        return
    assert re.fullmatch(r"[0-9A-Z]{5}", error.get("sqlstate", "")), error
    assert error.get("severity") in ("ERROR", "FATAL"), error
    assert error.get("message"), error
    if topic:
        assert re.search(topic, error["message"], re.I), error


def send_raw(ts, data, timeout=15):
    with socket.create_connection(("127.0.0.1", ts.port), timeout=10) as s:
        s.sendall(data)
        return read_error_or_close(s, timeout=timeout)


GARBAGE = {
    "http-request": b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n",
    "tls-client-hello": bytes.fromhex("16030100f4010000f00303") + bytes(32),
    "length-too-small": struct.pack("!i", 2) + b"\0\0\0\0",
    "unknown-protocol-1234.5678": struct.pack("!iHH", 8, 1234, 5678),
    "protocol-2.0": struct.pack("!iHH", 8, 2, 0) + b"user\0x\0\0",
    "unterminated-params": struct.pack("!ii", 4 + 4 + 9, 196608) + b"user\0post",
    "odd-param-count": struct.pack("!ii", 4 + 4 + 22, 196608) + b"user\0postgres\0lonely\0\0",
    "random-bytes": random.Random(20240229).randbytes(300),
}


@pytest.mark.parametrize("name", list(GARBAGE))
def test_garbage_startup_packet(env, name):
    pg, ts = env
    error = send_raw(ts, GARBAGE[name])
    assert_clear_error_or_close(error)
    assert_still_serving(ts)


def test_oversized_startup_packet(env):
    pg, ts = env
    error = send_raw(ts, struct.pack("!ii", 0x10000000, 196608) + b"user\0postgres\0")
    assert_clear_error_or_close(error, r"length|size|large|startup|packet|limit")
    assert_still_serving(ts)


@pytest.mark.parametrize("length", [0x7FFFFFF0, 64 * 1024 * 1024, 2 * 1024 * 1024])
def test_oversized_message_length_field(env, length):
    """A Query whose length field is far above limits.max_message_size (1 MiB): refused at
    once from the header, without waiting for (or buffering) the promised bytes."""
    pg, ts = env
    s = RawSession(ts.port)
    try:
        s.send(b"Q" + struct.pack("!i", length) + b"SELECT 1")
        error = read_error_or_close(s.sock, timeout=15)
        assert_clear_error_or_close(error, r"length|size|large|limit|exceed")
    finally:
        s.close(terminate_first=False)
    assert_still_serving(ts)


def test_oversized_real_query(env):
    """A complete, well-formed 2 MiB Query message over the 1 MiB limit."""
    pg, ts = env
    s = RawSession(ts.port)
    try:
        s.send(message(b"Q", b"SELECT '" + b"x" * (2 * 1024 * 1024) + b"'\0"))
        error = read_error_or_close(s.sock, timeout=15)
        # Tombstone reads and discards the rest of the message before closing, so the client
        # gets the ErrorResponse, not a connection reset that destroys it.
        assert error is not None, "connection closed without an ErrorResponse"
        assert_clear_error_or_close(error, r"length|size|large|limit|exceed")
    finally:
        s.close(terminate_first=False)
    assert_still_serving(ts)


def test_negative_message_length(env):
    pg, ts = env
    s = RawSession(ts.port)
    try:
        s.send(b"Q" + struct.pack("!i", 2) + b"\0")
        assert_clear_error_or_close(read_error_or_close(s.sock, timeout=15))
    finally:
        s.close(terminate_first=False)
    assert_still_serving(ts)


@pytest.mark.parametrize("sent", [b"", b"\0\0\0\x30\0\x03"], ids=["nothing", "half-a-startup"])
def test_silent_client_is_dropped_by_startup_timeout(env, sent):
    pg, ts = env
    with socket.create_connection(("127.0.0.1", ts.port), timeout=10) as silent:
        silent.sendall(sent)
        # Other sessions are served while the silent one waits.
        assert_still_serving(ts)
        start = time.monotonic()
        error = read_error_or_close(silent, timeout=SILENT_BOUND_S + 5)
        elapsed = time.monotonic() - start
    assert elapsed < SILENT_BOUND_S, f"dropped only after {elapsed:.1f}s"
    assert_clear_error_or_close(error, r"timeout|timed out|startup")
    assert_still_serving(ts)


def test_negotiate_protocol_version_passes_through(env):
    """Protocol 3.9 with an unknown _pq_ option: PostgreSQL answers NegotiateProtocolVersion
    (v) and carries on; a client sees the same through Tombstone."""
    pg, ts = env
    seen = []
    for port in (pg.port, ts.port):
        packet = startup_packet(**{"_pq_.test": "1"})
        packet = packet[:4] + struct.pack("!HH", 3, 9) + packet[8:]
        with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
            s.sendall(packet)
            kind, body = read_message(s)
            kinds = [kind]
            while kinds[-1] != "Z":
                kinds.append(read_message(s)[0])
            seen.append((kind, body, kinds.count("E")))
    assert seen[0][0] == "v" and b"_pq_.test" in seen[0][1] and seen[0][2] == 0
    assert seen[1] == seen[0], log_tail(ts)
