"""Issue 7 point 6 (TLS refusals), the cases test_protocol_auth.py does not already cover.

test_protocol_auth.py shows: `tls.client.mode: require` refuses a plaintext startup with a clear
ErrorResponse; a client certificate from another CA is refused when tls.client.ca is set; an
upstream certificate from another CA is refused under verify-full. Here:
- upstream verify-full with the right CA but a certificate for another host name is refused with
  an error that says why, while verify-ca accepts the very same certificate (so it is the host
  name check, not the chain, that refuses), and a certificate for the right name works;
- upstream verify-ca with the wrong CA is refused too (the chain check does not depend on the
  host name check);
- upstream `require` against a server that does not speak TLS is a clear error, not a silent
  plaintext fallback, while `prefer` falls back;
- a refused client certificate gives the client a TLS error it can act on, Tombstone logs the
  reason, and the next client (with a good certificate) is served.
Every refusal leaves Tombstone running.
"""
import re
import socket

import psycopg2
import pytest

from harness import PgCluster, Tombstone
from pgwire import read_error_or_close, startup_packet
from proxyenv import BASE_CONFIG, log_tail, wait_until
from tlsgen import CertAuthority, install_for_postgres

# Only TLS connections are accepted by the TLS cluster: a session that gets through proves the
# Tombstone->server leg is encrypted.
TLS_HBA = ["local all all trust", "hostssl all all 127.0.0.1/32 trust",
           "hostnossl all all 127.0.0.1/32 reject"]


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    ca = CertAuthority(tmp_path_factory.mktemp("ca"))
    other = CertAuthority(tmp_path_factory.mktemp("other"), name="Unrelated CA")
    out = {"ca": ca.cert, "other_ca": other.cert}
    out["proxy"] = ca.issue("proxy")
    out["right_name"] = ca.issue("pg-right")                       # localhost, 127.0.0.1
    out["wrong_name"] = ca.issue("pg-wrong", cn="db.internal", sans=("DNS:db.internal",))
    out["client"] = ca.issue("client", cn="postgres", sans=("DNS:client",))
    out["rogue_client"] = other.issue("rogue", cn="postgres", sans=("DNS:client",))
    return out


def tls_cluster(cert_pair):
    pg = PgCluster(hba=TLS_HBA, conf={"ssl": "on", "ssl_cert_file": "'server.crt'",
                                      "ssl_key_file": "'server.key'"}).init()
    install_for_postgres(*cert_pair, pg.data)
    return pg.start()


@pytest.fixture(scope="module")
def wrong_name_cluster(certs):
    pg = tls_cluster(certs["wrong_name"])
    yield pg
    pg.destroy()


@pytest.fixture(scope="module")
def right_name_cluster(certs):
    pg = tls_cluster(certs["right_name"])
    yield pg
    pg.destroy()


@pytest.fixture(scope="module")
def plain_cluster():
    pg = PgCluster().init().start()
    yield pg
    pg.destroy()


def upstream_config(mode, ca):
    ca_part = f', ca: "{ca}"' if ca else ""
    return BASE_CONFIG + f"tls:\n  client: {{mode: disable}}\n  upstream: {{mode: {mode}{ca_part}}}\n"


def connect(dsn):
    conn = psycopg2.connect(dsn, connect_timeout=10)
    conn.autocommit = True
    return conn


def server_ssl(conn):
    cur = conn.cursor()
    cur.execute("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
    return cur.fetchone()[0]


def refused_startup(ts):
    """The ErrorResponse a raw client gets at startup (None if the connection was just closed)."""
    with socket.create_connection(("127.0.0.1", ts.port), timeout=10) as s:
        s.sendall(startup_packet())
        return read_error_or_close(s)


def assert_clear_upstream_refusal(ts, pattern):
    error = refused_startup(ts)
    assert error is not None, "closed without telling the client why" + log_tail(ts)
    assert error.get("sqlstate", "").startswith("08"), error
    assert re.search(pattern, error["message"], re.I), error
    # A real client shows the same message.
    with pytest.raises(psycopg2.OperationalError, match=re.escape(error["message"][:60])):
        connect(ts.dsn(sslmode="disable"))
    assert ts.proc.poll() is None, "Tombstone exited" + log_tail(ts)
    return error


def test_verify_full_refuses_a_certificate_for_another_host(wrong_name_cluster, certs):
    ts = Tombstone(wrong_name_cluster, upstream_config("verify-full", certs["ca"])).start()
    try:
        error = assert_clear_upstream_refusal(ts, r"certificate|host ?name|verif")
        # The reason names the host name mismatch, not just "handshake failed".
        assert re.search(r"host ?name|mismatch|does not match", error["message"] + ts.log_text(),
                         re.I), error["message"] + log_tail(ts)
    finally:
        ts.stop()


def test_verify_ca_accepts_the_same_certificate(wrong_name_cluster, certs):
    """The chain is good; verify-ca does not check the name, so it connects (over TLS)."""
    ts = Tombstone(wrong_name_cluster, upstream_config("verify-ca", certs["ca"])).start()
    try:
        conn = connect(ts.dsn(sslmode="disable"))
        assert server_ssl(conn) is True
        conn.close()
    finally:
        ts.stop()


def test_verify_full_accepts_a_certificate_for_the_right_host(right_name_cluster, certs):
    ts = Tombstone(right_name_cluster, upstream_config("verify-full", certs["ca"])).start()
    try:
        conn = connect(ts.dsn(sslmode="disable"))
        assert server_ssl(conn) is True
        conn.close()
    finally:
        ts.stop()


@pytest.mark.parametrize("mode", ["verify-ca", "verify-full"])
def test_wrong_ca_is_refused(right_name_cluster, certs, mode):
    ts = Tombstone(right_name_cluster, upstream_config(mode, certs["other_ca"])).start()
    try:
        assert_clear_upstream_refusal(ts, r"certificate|verif")
    finally:
        ts.stop()


def test_require_refuses_a_server_without_tls(plain_cluster):
    ts = Tombstone(plain_cluster, upstream_config("require", None)).start()
    try:
        assert_clear_upstream_refusal(ts, r"TLS|SSL")
    finally:
        ts.stop()
    # `prefer` falls back to plaintext with the same server.
    ts = Tombstone(plain_cluster, upstream_config("prefer", None)).start()
    try:
        conn = connect(ts.dsn(sslmode="disable"))
        assert server_ssl(conn) is False
        conn.close()
    finally:
        ts.stop()


def test_refused_client_certificate_is_clear_and_logged(plain_cluster, certs):
    crt, key = certs["proxy"]
    config = (BASE_CONFIG + f'tls:\n  client: {{mode: require, cert: "{crt}", key: "{key}", '
                            f'ca: "{certs["ca"]}"}}\n  upstream: {{mode: disable}}\n')
    ts = Tombstone(plain_cluster, config).start()
    try:
        rogue_crt, rogue_key = certs["rogue_client"]
        with pytest.raises(psycopg2.OperationalError) as err:
            conn = connect(ts.dsn(sslmode="require", sslcert=rogue_crt, sslkey=rogue_key))
            conn.cursor().execute("SELECT 1")  # TLS 1.3 reports the refusal on first use
        # libpq reports the TLS alert Tombstone sent (e.g. "tlsv1 alert unknown ca").
        assert re.search(r"SSL|alert|certificate", str(err.value), re.I), str(err.value)
        # Tombstone logs the reason when it closes the connection, which may be just after the
        # client has seen the alert.
        wait_until(lambda: re.search(r"client TLS handshake failed.*(certificate|verify)",
                                     ts.log_text(), re.I),
                   timeout=15, what=lambda: "the refusal in the log" + log_tail(ts))
        assert ts.proc.poll() is None, log_tail(ts)
        good_crt, good_key = certs["client"]
        conn = connect(ts.dsn(sslmode="require", sslcert=good_crt, sslkey=good_key))
        assert conn.info.ssl_in_use
        conn.close()
    finally:
        ts.stop()
