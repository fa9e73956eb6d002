"""Authentication and TLS through Tombstone (issue 2, A4; issue 7, point 6).

Authentication is passed through: trust, password, md5 and SCRAM-SHA-256 succeed with the right
password, and a wrong one gets the server's own ErrorResponse (28P01, every field intact). TLS
from the client ends at Tombstone (sslmode=require, verify-full against a test CA made at test
time); TLS to the server is verified (verify-full), and a certificate that fails verification is
refused. SCRAM with TLS on both sides and the client's default channel_binding=prefer is refused
by PostgreSQL itself (DESIGN §5): the client offered channel binding on its own TLS session,
which ends at Tombstone, so the server sees a downgrade. The fix is channel_binding=disable in
the client's connection string (the client->Tombstone and Tombstone->server legs are each still
encrypted and verified), shown by test_scram_with_tls_on_both_sides.
"""
import hashlib
import io
import re
import socket
import threading

import psycopg2
import psycopg2.errors
import pytest

from harness import PgCluster, Tombstone
from pgwire import RawSession, ServerError, read_error_or_close, read_message, ssl_request, \
    startup_packet
from proxyenv import BASE_CONFIG, log_tail, wait_running
from tlsgen import CertAuthority, install_for_postgres

HBA = [
    "local all all trust",
    "host all postgres 127.0.0.1/32 trust",
    "host all trust_user 127.0.0.1/32 trust",
    "host all password_user 127.0.0.1/32 password",
    "host all md5_user 127.0.0.1/32 md5",
    "host all scram_user 127.0.0.1/32 scram-sha-256",
]
TLS_HBA = [
    "local all all trust",
    "hostssl all postgres 127.0.0.1/32 trust",
    "hostssl all scram_user 127.0.0.1/32 scram-sha-256",
    "hostnossl all all 127.0.0.1/32 reject",  # proves the Tombstone->server leg is TLS
]
ROLES = """
SET password_encryption = 'md5';
CREATE ROLE md5_user LOGIN PASSWORD 'md5 secret';
CREATE ROLE password_user LOGIN PASSWORD 'plain secret';
SET password_encryption = 'scram-sha-256';
CREATE ROLE scram_user LOGIN PASSWORD 'scram secret';
CREATE ROLE trust_user LOGIN;
"""
PASSWORDS = {"trust_user": None, "password_user": "plain secret", "md5_user": "md5 secret",
             "scram_user": "scram secret"}


def tls_config(client_mode, cert=None, key=None, upstream="mode: disable", client_ca=None,
               client_cert=None):
    client = f"mode: {client_mode}"
    if cert:
        client += f', cert: "{cert}", key: "{key}"'
    if client_ca:
        client += f', ca: "{client_ca}"'
    if client_cert:
        client += f", client_cert: {client_cert}"
    return BASE_CONFIG + f"tls:\n  client: {{{client}}}\n  upstream: {{{upstream}}}\n"


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    ca = CertAuthority(tmp_path_factory.mktemp("ca"))
    other_ca = CertAuthority(tmp_path_factory.mktemp("other-ca"), name="Unrelated CA")
    crt, key = ca.issue("proxy")
    pg_crt, pg_key = ca.issue("postgres")
    client_crt, client_key = ca.issue("client", cn="postgres", sans=("DNS:client",))
    rogue_crt, rogue_key = other_ca.issue("rogue", cn="postgres", sans=("DNS:client",))
    return {"ca": ca.cert, "other_ca": other_ca.cert, "crt": crt, "key": key,
            "pg_crt": pg_crt, "pg_key": pg_key, "client_crt": client_crt,
            "client_key": client_key, "rogue_crt": rogue_crt, "rogue_key": rogue_key}


@pytest.fixture(scope="module")
def cluster():
    pg = PgCluster(hba=HBA, conf={"password_encryption": "'scram-sha-256'"}).init().start()
    pg.psql(ROLES)
    yield pg
    pg.destroy()


@pytest.fixture(scope="module")
def proxy(cluster, certs):
    """TLS offered to clients (prefer), plaintext to the server."""
    ts = Tombstone(cluster, tls_config("prefer", certs["crt"], certs["key"])).start()
    yield ts
    ts.stop()


@pytest.fixture(scope="module")
def tls_cluster(certs):
    pg = PgCluster(hba=TLS_HBA, conf={"ssl": "on", "ssl_cert_file": "'server.crt'",
                                      "ssl_key_file": "'server.key'"}).init()
    install_for_postgres(certs["pg_crt"], certs["pg_key"], pg.data)
    pg.start()
    pg.psql(ROLES)
    yield pg
    pg.destroy()


def connect(dsn, **kw):
    conn = psycopg2.connect(dsn, connect_timeout=10, **kw)
    conn.autocommit = True
    return conn


def who(conn):
    cur = conn.cursor()
    cur.execute("SELECT current_user, session_user, 6 * 7")
    return cur.fetchone()


@pytest.mark.parametrize("user", list(PASSWORDS))
def test_right_password_succeeds(cluster, proxy, user):
    extra = {"password": PASSWORDS[user]} if PASSWORDS[user] else {}
    conn = connect(proxy.dsn(user=user, sslmode="disable"), **extra)
    try:
        assert who(conn) == (user, user, 42)
    finally:
        conn.close()


@pytest.mark.parametrize("user", ["password_user", "md5_user", "scram_user"])
def test_wrong_password_gets_the_servers_error(cluster, proxy, user):
    errors = []
    for port in (cluster.port, proxy.port):
        with pytest.raises(ServerError) as err:
            RawSession(port, user=user, password="wrong")
        errors.append(err.value.fields)
    direct, proxied = errors
    assert direct["sqlstate"] == "28P01"
    assert direct["message"] == f'password authentication failed for user "{user}"'
    assert proxied == direct, log_tail(proxy)
    # A real client shows the same server message.
    with pytest.raises(psycopg2.OperationalError, match="password authentication failed"):
        connect(proxy.dsn(user=user, sslmode="disable"), password="wrong")


def test_raw_auth_through_proxy_for_each_method(cluster, proxy):
    """Our own client does each exchange byte by byte: cleartext, md5 (salted digest) and
    SCRAM-SHA-256 (whose mechanism list must not offer -PLUS on a plaintext leg)."""
    for user, password in PASSWORDS.items():
        s = RawSession(proxy.port, user=user, password=password)
        try:
            assert s.simple_query("SELECT session_user")[0] == [[user]]
            if user == "scram_user":
                assert s.sasl_mechanisms == ["SCRAM-SHA-256"]
        finally:
            s.close()


def test_no_hba_entry_error_passes_through(cluster, proxy):
    errors = []
    for port in (cluster.port, proxy.port):
        with pytest.raises(ServerError) as err:
            RawSession(port, user="no_such_user")
        errors.append(err.value.fields)
    assert errors[0]["sqlstate"] == "28000" and "pg_hba.conf" in errors[0]["message"]
    assert errors[1] == errors[0]


def test_tls_sslmode_require(proxy):
    conn = connect(proxy.dsn(sslmode="require"))
    try:
        assert conn.info.ssl_in_use
        assert conn.info.ssl_attribute("protocol").startswith("TLSv1.")
        assert who(conn)[2] == 42
    finally:
        conn.close()


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1"])
def test_tls_verify_full_against_test_ca(proxy, certs, host):
    conn = connect(f"host={host} port={proxy.port} dbname=postgres user=md5_user "
                   f"password='md5 secret' sslmode=verify-full sslrootcert={certs['ca']}")
    try:
        assert conn.info.ssl_in_use and who(conn) == ("md5_user", "md5_user", 42)
    finally:
        conn.close()


def test_tls_verify_full_with_wrong_ca_is_refused_by_client(proxy, certs):
    with pytest.raises(psycopg2.OperationalError, match="certificate verify failed"):
        connect(proxy.dsn(sslmode="verify-full", sslrootcert=certs["other_ca"],
                          host="localhost"))


def test_plaintext_still_allowed_when_tls_is_preferred(proxy):
    conn = connect(proxy.dsn(sslmode="disable"))
    try:
        assert not conn.info.ssl_in_use and who(conn)[2] == 42
    finally:
        conn.close()


def test_scram_over_client_tls_with_plaintext_upstream(proxy):
    """channel_binding=prefer over the client's TLS works when the server's side is plaintext:
    the server cannot bind to a channel it does not have, so it accepts the client's 'y' flag."""
    conn = connect(proxy.dsn(user="scram_user", sslmode="require", channel_binding="prefer"),
                   password="scram secret")
    try:
        assert conn.info.ssl_in_use and who(conn)[0] == "scram_user"
    finally:
        conn.close()


def test_sslrequest_answered_n_when_tls_is_off(cluster):
    ts = Tombstone(cluster, BASE_CONFIG + "tls:\n  client: {mode: disable}\n").start()
    try:
        with socket.create_connection(("127.0.0.1", ts.port), timeout=10) as s:
            s.sendall(ssl_request())
            assert s.recv(1) == b"N"
            # The same connection then carries a plaintext startup, as libpq does.
            s.sendall(startup_packet())
            kinds = []
            while not kinds or kinds[-1] != "Z":
                kinds.append(read_message(s)[0])
            assert kinds[0] == "R" and "K" in kinds and "E" not in kinds
        with pytest.raises(psycopg2.OperationalError, match="does not support SSL"):
            connect(ts.dsn(sslmode="require"))
        conn = connect(ts.dsn(sslmode="prefer"))
        assert not conn.info.ssl_in_use and who(conn)[2] == 42
        conn.close()
    finally:
        ts.stop()


def test_tls_require_refuses_plaintext_clearly(cluster, certs):
    ts = Tombstone(cluster, tls_config("require", certs["crt"], certs["key"])).start()
    try:
        with socket.create_connection(("127.0.0.1", ts.port), timeout=10) as s:
            s.sendall(startup_packet())
            error = read_error_or_close(s)
        assert error is not None, "plaintext startup was closed without an ErrorResponse"
        assert re.fullmatch(r"[0-9A-Z]{5}", error.get("sqlstate", "")), error
        assert re.search(r"ssl|tls|encrypt", error["message"], re.I), error
        with pytest.raises(psycopg2.OperationalError, match=re.escape(error["message"])):
            connect(ts.dsn(sslmode="disable"))
        conn = connect(ts.dsn(sslmode="require"))
        assert conn.info.ssl_in_use and who(conn)[2] == 42
        conn.close()
    finally:
        ts.stop()


def test_upstream_tls_verify_full(tls_cluster, certs):
    ts = Tombstone(tls_cluster, tls_config(
        "disable", upstream=f'mode: verify-full, ca: "{certs["ca"]}"')).start()
    try:
        conn = connect(ts.dsn(sslmode="disable"))
        cur = conn.cursor()
        cur.execute("SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
        ssl, version = cur.fetchone()
        assert ssl and version.startswith("TLSv1."), log_tail(ts)
        # A CancelRequest still reaches a backend whose connection is TLS.
        canceller = threading.Thread(target=lambda: (wait_running(tls_cluster, "-- tls cancel"),
                                                     conn.cancel()))
        canceller.start()
        with pytest.raises(psycopg2.errors.QueryCanceled):
            cur.execute("SELECT pg_sleep(30) -- tls cancel")
        canceller.join()
        conn.close()
    finally:
        ts.stop()


def test_upstream_certificate_that_fails_verification_is_refused(tls_cluster, certs):
    ts = Tombstone(tls_cluster, tls_config(
        "disable", upstream=f'mode: verify-full, ca: "{certs["other_ca"]}"')).start()
    try:
        with socket.create_connection(("127.0.0.1", ts.port), timeout=10) as s:
            s.sendall(startup_packet())
            error = read_error_or_close(s)
        assert error is not None, "closed without telling the client why"
        assert error.get("sqlstate", "").startswith("08"), error
        assert re.search(r"certificate|verif|tls|ssl", error["message"], re.I), error
        assert ts.proc.poll() is None, "Tombstone exited"
    finally:
        ts.stop()


def test_scram_with_tls_on_both_sides(tls_cluster, certs):
    ts = Tombstone(tls_cluster, tls_config(
        "require", certs["crt"], certs["key"],
        upstream=f'mode: verify-full, ca: "{certs["ca"]}"')).start()
    try:
        dsn = ts.dsn(user="scram_user", sslmode="verify-full", sslrootcert=certs["ca"],
                     host="localhost")
        # libpq's default channel_binding=prefer: PostgreSQL refuses the exchange.
        with pytest.raises(psycopg2.OperationalError) as err:
            connect(dsn + " channel_binding=prefer", password="scram secret")
        assert "channel binding" in str(err.value), str(err.value) + log_tail(ts)
        # Tombstone adds a hint naming the fix to the server's error, and logs a warning.
        assert "HINT:  tombstone: the client's TLS ends at Tombstone, so SCRAM channel binding " \
            "cannot work through it; connect with channel_binding=disable, or set " \
            "tls.upstream.mode: disable" in str(err.value), str(err.value)
        assert re.search(r"warn.*SCRAM channel binding failed for user=scram_user",
                         ts.log_text()), log_tail(ts)
        # channel_binding=require cannot be met: the client's TLS session ends at Tombstone.
        with pytest.raises(psycopg2.OperationalError, match="channel binding"):
            connect(dsn + " channel_binding=require", password="scram secret")
        # The documented fix.
        conn = connect(dsn + " channel_binding=disable", password="scram secret")
        cur = conn.cursor()
        cur.execute("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
        assert cur.fetchone() == (True,) and conn.info.ssl_in_use
        assert who(conn)[0] == "scram_user"
        conn.close()
    finally:
        ts.stop()


def cert_client(ts, certs, crt, key):
    """A verify-full TLS client of `ts` presenting crt/key (paths that may not exist: none)."""
    conn = connect(ts.dsn(sslmode="verify-full", sslrootcert=certs["ca"], host="localhost",
                          sslcert=crt, sslkey=key))
    assert conn.info.ssl_in_use and who(conn)[2] == 42  # TLS 1.3 may refuse on first use
    conn.close()


@pytest.mark.parametrize("client_cert", [None, "require"])
def test_client_certificate_verification(cluster, certs, client_cert):
    """With tls.client.ca set, a client certificate signed by another CA is refused. Without a
    certificate a client is served, unless tls.client.client_cert is require."""
    ts = Tombstone(cluster, tls_config("require", certs["crt"], certs["key"],
                                       client_ca=certs["ca"], client_cert=client_cert)).start()
    try:
        cert_client(ts, certs, certs["client_crt"], certs["client_key"])
        with pytest.raises(psycopg2.OperationalError):
            cert_client(ts, certs, certs["rogue_crt"], certs["rogue_key"])
        if client_cert == "require":
            with pytest.raises(psycopg2.OperationalError):
                cert_client(ts, certs, "/nonexistent.crt", "/nonexistent.key")
        else:
            cert_client(ts, certs, "/nonexistent.crt", "/nonexistent.key")
        assert ts.proc.poll() is None, log_tail(ts)
    finally:
        ts.stop()


def test_bulk_data_through_tls_on_both_sides(tls_cluster, certs):
    """TLS records and partial writes on both legs: 30 MB out, 8 MB in, a 5 MB row, intact."""
    ts = Tombstone(tls_cluster, tls_config(
        "require", certs["crt"], certs["key"],
        upstream=f'mode: verify-full, ca: "{certs["ca"]}"')).start()
    try:
        conn = connect(ts.dsn(sslmode="require"))
        cur = conn.cursor()
        digest = hashlib.sha256()

        class Sink:
            def write(self, data):
                digest.update(data.encode() if isinstance(data, str) else data)

        cur.copy_expert("COPY (SELECT g, md5(g::text) || repeat('.', 200) "
                        "FROM generate_series(1, 120000) g) TO STDOUT", Sink())
        expected = hashlib.sha256(b"".join(
            f"{g}\t{hashlib.md5(str(g).encode()).hexdigest()}{'.' * 200}\n".encode()
            for g in range(1, 120001))).hexdigest()
        assert digest.hexdigest() == expected, log_tail(ts)
        cur.execute("CREATE TEMP TABLE sink (t text)")
        rows = "".join(f"row {i} {'y' * 1000}\n" for i in range(8000))
        cur.copy_expert("COPY sink FROM STDIN", io.StringIO(rows))
        cur.execute("SELECT count(*), sum(length(t)) FROM sink")
        assert cur.fetchone() == (8000, sum(len(r) for r in rows.splitlines()))
        cur.execute("SELECT md5(repeat('abcde', 1000000))")
        assert cur.fetchone()[0] == hashlib.md5(b"abcde" * 1000000).hexdigest()
        cur.execute("SELECT repeat('abcde', 1000000)")
        assert cur.fetchone()[0] == "abcde" * 1000000
        conn.close()
    finally:
        ts.stop()
