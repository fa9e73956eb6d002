"""GET /metrics and /healthz of a real Tombstone, as Prometheus and Kubernetes see them: the
document is strict Prometheus text (parsed here by a small parser of the exposition format
0.0.4), its counters move as statements go through, and /healthz turns 503 while draining."""
import contextlib
import http.client
import math
import re
import signal
import socket
import time

import psycopg
import psycopg2
import pytest

from harness import PgCluster, Tombstone, free_port, wait_for_port

CONFIG = """tls: {client: {mode: disable}, upstream: {mode: disable}}
admin_roles: [tombstone_admin]
limits: {drain_timeout: 20s}
tables:
  public.users: {strategy: soft}
  public.orders: {strategy: archive}
"""
SCHEMA = """
CREATE ROLE tombstone_admin NOLOGIN;
CREATE ROLE app LOGIN;  -- not a superuser: superusers are members of every role, so admins
GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA public TO app;
CREATE TABLE users (id int PRIMARY KEY, name text, deleted_at timestamptz);
CREATE TABLE orders (id int PRIMARY KEY, user_id int);
CREATE TABLE orders_archive (LIKE orders, archived_at timestamptz NOT NULL DEFAULT now(),
                             archived_by text);
INSERT INTO users SELECT g, 'u' || g FROM generate_series(1, 20) g;
INSERT INTO orders SELECT g, g FROM generate_series(1, 20) g;
"""

# --- a strict parser of the Prometheus text format --------------------------------------------

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\["\\n])*"'
SAMPLE = re.compile(rf"^({NAME})(?:\{{({LABEL}(?:,{LABEL})*)?\}})? (\S+)(?: (-?\d+))?$")
SUFFIXES = {"histogram": ("_bucket", "_sum", "_count"), "summary": ("", "_sum", "_count")}


class Exposition:
    def __init__(self, text):
        self.types, self.help, self.samples = {}, {}, {}
        self.parse(text)

    def parse(self, text):
        assert text.endswith("\n"), "the exposition must end with a newline"
        family = None
        for number, line in enumerate(text.split("\n")[:-1], 1):
            where = f"line {number}: {line!r}"
            assert line, f"{where}: empty line"
            if line.startswith("# HELP "):
                name, _, doc = line[7:].partition(" ")
                assert re.fullmatch(NAME, name) and doc, where
                assert name not in self.help, f"{where}: second HELP for {name}"
                self.help[name] = doc
                family = name
            elif line.startswith("# TYPE "):
                name, _, kind = line[7:].partition(" ")
                assert kind in ("counter", "gauge", "histogram", "summary", "untyped"), where
                assert name not in self.types, f"{where}: second TYPE for {name}"
                assert name == family, f"{where}: TYPE must follow the family's HELP"
                self.types[name] = kind
            elif line.startswith("#"):
                continue  # other comments are allowed
            else:
                m = SAMPLE.match(line)
                assert m, f"{where}: not a sample line"
                name, labels, value = m.group(1), m.group(2) or "", m.group(3)
                kind = self.types.get(family)
                assert kind, f"{where}: sample before any TYPE"
                allowed = [family + s for s in SUFFIXES.get(kind, ("",))]
                assert name in allowed, f"{where}: {name} outside family {family}"
                labels = dict(re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"', labels))
                key = (name, tuple(sorted(labels.items())))
                assert key not in self.samples, f"{where}: duplicate series"
                number_value = float(value)  # also accepts +Inf, -Inf, NaN
                self.samples[key] = number_value
        for name, kind in self.types.items():
            if kind == "counter":
                assert name.endswith("_total"), f"counter {name} must end in _total"
            self.check_family(name, kind)

    def check_family(self, name, kind):
        series = {k: v for k, v in self.samples.items() if k[0].startswith(name)}
        if kind == "counter":
            assert all(v >= 0 for v in series.values()), name
        if kind == "histogram":
            buckets = sorted(((float(dict(k[1])["le"]), v) for k, v in series.items()
                              if k[0] == name + "_bucket"))
            assert buckets and math.isinf(buckets[-1][0]), f"{name}: needs le=\"+Inf\""
            counts = [v for _, v in buckets]
            assert counts == sorted(counts), f"{name}: buckets must be cumulative"
            assert counts[-1] == self.value(name + "_count"), f"{name}: +Inf != _count"
            assert self.value(name + "_sum") >= 0

    def value(self, name, **labels):
        return self.samples[(name, tuple(sorted(labels.items())))]


# --- fixtures and helpers ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def env():
    pg = PgCluster().init().start()
    pg.psql(SCHEMA)
    metrics_port = free_port()
    ts = Tombstone(pg, CONFIG + f'metrics: "127.0.0.1:{metrics_port}"\n').start()
    wait_for_port(metrics_port, proc=ts.proc)
    yield pg, ts, metrics_port
    ts.stop()
    pg.destroy()


def request(port, method, path, headers=None, body=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        return r.status, dict(r.getheaders()), r.read().decode()
    finally:
        conn.close()


def scrape(port):
    status, headers, body = request(port, "GET", "/metrics")
    assert status == 200
    assert headers["Content-Type"].startswith("text/plain; version=0.0.4")
    return Exposition(body)


def delta(before, after, name, **labels):
    return after.value(name, **labels) - before.value(name, **labels)


def settled_scrape(port, name, expected, timeout=10):
    """Scrape until `name` reaches `expected`: a client's close reaches the proxy a moment after
    the client returns, so gauges settle rather than jump."""
    deadline = time.time() + timeout
    while True:
        m = scrape(port)
        if m.value(name) == expected or time.time() > deadline:
            return m
        time.sleep(0.02)


# --- tests --------------------------------------------------------------------------------------

def test_metrics_is_strict_prometheus_text_with_every_family(env):
    _, _, port = env
    m = scrape(port)
    expected = {
        "tombstone_connections_open": "gauge",
        "tombstone_connections_total": "counter",
        "tombstone_statements_total": "counter",
        "tombstone_rewrites_total": "counter",
        "tombstone_rewrite_cache_hits_total": "counter",
        "tombstone_rewrite_cache_misses_total": "counter",
        "tombstone_parse_failures_total": "counter",
        "tombstone_refusals_total": "counter",
        "tombstone_bytes_total": "counter",
        "tombstone_upstream_connect_errors_total": "counter",
        "tombstone_rewrite_duration_seconds": "histogram",
        "process_resident_memory_bytes": "gauge",
        "process_open_fds": "gauge",
        "process_cpu_seconds_total": "counter",
    }
    for name, kind in expected.items():
        assert m.types.get(name) == kind, name
    assert m.value("process_resident_memory_bytes") > 1 << 20
    assert m.value("process_open_fds") >= 3  # at least the listener, the metrics socket, a log
    assert m.value("process_start_time_seconds") > time.time() - 3600
    # Tables of the config are labelled from the start (counters exist at 0 before traffic).
    assert ("tombstone_rewrites_total",
            (("strategy", "soft"), ("table", "public.users"))) in m.samples


def test_counters_move_as_statements_go_through(env):
    pg, ts, port = env
    before = scrape(port)
    with psycopg2.connect(ts.dsn()) as conn, conn.cursor() as cur:
        for _ in range(3):
            cur.execute("SELECT count(*) FROM users")
            assert cur.fetchone() == (20,)
        cur.execute("DELETE FROM users WHERE id = 1")
        assert cur.statusmessage == "DELETE 1"
        cur.execute("DELETE FROM orders WHERE id = 1")
        assert cur.statusmessage == "DELETE 1"
        cur.execute("SELECT 1")  # names no managed table: sent unchanged
    conn.close()
    # Extended protocol: psycopg 3 with a server-side prepared statement sends Parse/Bind/Execute.
    with psycopg.connect(ts.dsn(), prepare_threshold=0) as conn:
        for i in range(2, 5):
            assert conn.execute("SELECT name FROM users WHERE id = %s", (i,)).fetchone() == \
                (f"u{i}",)
    after = settled_scrape(port, "tombstone_connections_open",
                           before.value("tombstone_connections_open"))

    assert delta(before, after, "tombstone_connections_total") == 2
    assert after.value("tombstone_connections_open") == before.value("tombstone_connections_open")
    assert delta(before, after, "tombstone_statements_total", kind="query") >= 5
    assert delta(before, after, "tombstone_statements_total", kind="parse") >= 1
    assert delta(before, after, "tombstone_statements_total", kind="execute") >= 3
    assert delta(before, after, "tombstone_rewrites_total", table="public.users",
                 strategy="soft") == 1
    assert delta(before, after, "tombstone_rewrites_total", table="public.orders",
                 strategy="archive") == 1
    # Sent with changed text: the two DELETEs. The session is postgres, a superuser and so an
    # admin: its SELECTs go unfiltered, and SELECT 1 names no managed table.
    assert delta(before, after, "tombstone_statements_rewritten_total") == 2
    # The same SELECT three times: the rewrite cache answered at least the repeats.
    assert delta(before, after, "tombstone_rewrite_cache_hits_total") >= 2
    assert delta(before, after, "tombstone_rewrite_duration_seconds_count") >= 1
    assert delta(before, after, "tombstone_bytes_total", direction="client_to_server") > 0
    assert delta(before, after, "tombstone_bytes_total", direction="server_to_client") > \
        delta(before, after, "tombstone_bytes_total", direction="client_to_server")
    # And the DELETE really was soft.
    assert pg.psql("SELECT deleted_at IS NOT NULL FROM users WHERE id = 1").strip() == "t"


def test_connections_open_is_a_live_gauge(env):
    _, ts, port = env
    base = scrape(port).value("tombstone_connections_open")
    conns = [psycopg2.connect(ts.dsn()) for _ in range(3)]
    try:
        assert scrape(port).value("tombstone_connections_open") == base + 3
    finally:
        for c in conns:
            c.close()
    assert settled_scrape(port, "tombstone_connections_open", base) \
        .value("tombstone_connections_open") == base


def test_refusals_are_counted(env):
    _, ts, port = env
    before = scrape(port)
    with psycopg2.connect(ts.dsn(user="app")) as conn, conn.cursor() as cur:
        with pytest.raises(psycopg2.Error) as err:
            cur.execute("SET tombstone.visibility = 'all'")  # not an admin
        assert err.value.pgcode == "42501"
    conn.close()
    after = scrape(port)
    assert delta(before, after, "tombstone_refusals_total", reason="permission") == 1


def test_http_semantics(env):
    _, _, port = env
    status, headers, body = request(port, "GET", "/healthz")
    assert (status, body) == (200, "ok\n")
    status, headers, body = request(port, "HEAD", "/metrics")
    assert status == 200 and body == "" and int(headers["Content-Length"]) > 1000
    assert request(port, "GET", "/nope")[0] == 404
    status, headers, _ = request(port, "POST", "/metrics")
    assert status == 405 and headers["Allow"] == "GET, HEAD"
    assert request(port, "GET", "/metrics", body="x" * 10)[0] == 413
    assert request(port, "GET", "/metrics", headers={"X-Big": "a" * 20000})[0] == 431
    # Keep-alive: two scrapes on one connection.
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        for path in ("/metrics", "/healthz"):
            conn.request("GET", path)
            r = conn.getresponse()
            r.read()
            assert r.status == 200
    finally:
        conn.close()


def test_upstream_connect_errors_are_counted():
    dead = PgCluster()  # never started: nothing listens on its port
    metrics_port = free_port()
    ts = Tombstone(dead, "limits: {connect_timeout: 2s}\n"
                         f'metrics: "127.0.0.1:{metrics_port}"\n').start()
    try:
        wait_for_port(metrics_port, proc=ts.proc)
        before = scrape(metrics_port)
        with pytest.raises(psycopg2.OperationalError):
            psycopg2.connect(ts.dsn(), connect_timeout=10)
        after = scrape(metrics_port)
        assert delta(before, after, "tombstone_upstream_connect_errors_total") == 1
        assert delta(before, after, "tombstone_connections_total") == 1
    finally:
        ts.stop()
        dead.destroy()


def test_healthz_turns_503_while_draining():
    pg = PgCluster().init().start()
    metrics_port = free_port()
    ts = Tombstone(pg, "limits: {drain_timeout: 20s}\n"
                       f'metrics: "127.0.0.1:{metrics_port}"\n').start()
    try:
        wait_for_port(metrics_port, proc=ts.proc)
        conn = psycopg2.connect(ts.dsn())
        cur = conn.cursor()
        cur.execute("SELECT 1")  # a transaction is now open: the drain waits for it
        ts.signal(signal.SIGTERM)
        deadline = time.time() + 10
        status = 200
        while time.time() < deadline and status != 503:
            status, _, body = request(metrics_port, "GET", "/healthz")
            time.sleep(0.05)
        assert (status, body) == (503, "draining\n")
        assert scrape(metrics_port).value("tombstone_draining") == 1
        # No new sessions, but the open transaction finishes.
        with contextlib.closing(socket.socket()) as s:
            assert s.connect_ex(("127.0.0.1", ts.port)) != 0
        cur.execute("SELECT 2")
        assert cur.fetchone() == (2,)
        conn.commit()
        conn.close()
        assert ts.proc.wait(timeout=20) == 0
    finally:
        ts.stop()
        pg.destroy()
