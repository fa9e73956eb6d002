#!/usr/bin/python3
"""Records real PostgreSQL 15 traffic into tests/fuzz/corpus/wire/ (the fuzz_wire seed corpus).

A recording relay sits between real clients (psql, psycopg2, psycopg 3, raw sockets for what no
client sends) and a throwaway cluster; each connection's client bytes and server bytes become
whole-stream seeds, and the first few messages of every type become one-message seeds.
File layout is fuzz_wire.cc's: byte 0 = direction (bit 0: 1 backend) | startup phase (bit 1),
byte 1 = chunk size, then the bytes. Run it again when the protocol coverage should grow:

    /usr/bin/python3 tests/fuzz/record_wire_corpus.py
"""
import pathlib
import signal
import socket
import struct
import subprocess
import sys
import threading
import time

REPO = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "support"))
from harness import PG_BIN, PgCluster, free_port  # noqa: E402

OUT = REPO / "tests" / "fuzz" / "corpus" / "wire"
MAX_SEED = 32 * 1024
SSL_REQUEST, GSSENC_REQUEST, CANCEL_REQUEST = 80877103, 80877104, 80877102


class Relay:
    """Accepts on a free port, connects each client to the cluster, records both directions."""

    def __init__(self, upstream_port):
        self.upstream_port = upstream_port
        self.port = free_port()
        self.connections = []  # [label, bytearray client, bytearray server]
        self.label = "misc"
        self.sock = socket.create_server(("127.0.0.1", self.port))
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            client, _ = self.sock.accept()
            server = socket.create_connection(("127.0.0.1", self.upstream_port))
            record = [self.label, bytearray(), bytearray()]
            self.connections.append(record)
            threading.Thread(target=self._pump, args=(client, server, record[1]), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, record[2]), daemon=True).start()

    @staticmethod
    def _pump(src, dst, log):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                log += data
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def dsn(self, user="postgres", **extra):
        parts = [f"host=127.0.0.1 port={self.port} dbname=postgres user={user}"]
        parts += [f"{k}={v}" for k, v in extra.items()]
        return " ".join(parts)


def psql(relay, sql, user="postgres", password=None, stdin=None, **extra):
    env = {"PGPASSWORD": password} if password else {}
    subprocess.run([str(PG_BIN / "psql"), "-X", "-q", "-d", relay.dsn(user, **extra), "-f", "-"],
                   input=(sql + (stdin or "")).encode(), capture_output=True, env=env,
                   timeout=30)


def workloads(relay, cluster):
    import psycopg
    import psycopg2

    relay.label = "psql-simple"
    psql(relay, """
        CREATE TABLE users (id int PRIMARY KEY, name text, deleted_at timestamptz);
        INSERT INTO users VALUES (1, 'alice', NULL), (2, 'bob', now()), (3, NULL, NULL);
        SELECT * FROM users ORDER BY id;
        SELECT 1 AS a, 'x' AS b; SELECT 2;
        DELETE FROM users WHERE id = 3 RETURNING *;
        SELECT * FROM nope;
        DO $$ BEGIN RAISE NOTICE 'hello %', 42; END $$;
        ;
        BEGIN; SELECT 1/0; ROLLBACK;
        SET search_path = public;
    """, sslmode="prefer")

    relay.label = "psql-copy"
    psql(relay, "\\copy users to stdout\n\\copy users (id, name) from stdin\n",
         stdin="10\tten\n11\t\\N\n\\.\n", sslmode="disable")
    relay.label = "psql-copy-binary"
    psql(relay, "COPY users TO STDOUT (FORMAT binary);\n", sslmode="disable")

    relay.label = "psycopg3-extended"
    with psycopg.connect(relay.dsn(sslmode="disable")) as conn:
        with conn.cursor() as cur:
            cur.execute("SELECT id, name FROM users WHERE id > %s", (0,), prepare=True)
            cur.fetchall()
            cur.execute("SELECT id, name FROM users WHERE id > %s", (1,), prepare=True)
            cur.execute("UPDATE users SET name = %s WHERE id = %s", ("z", 1))
            cur.execute("SELECT %b::bytea, %s::int", (b"\x00\x01\xff", None), binary=True)
            try:
                cur.execute("SELECT %s::int", ("not a number",))
            except psycopg.Error:
                conn.rollback()
        with conn.pipeline():
            conn.execute("SELECT 1")
            conn.execute("SELECT name FROM users WHERE id = %s", (2,))

    relay.label = "psycopg2-lobject-notify"
    conn = psycopg2.connect(relay.dsn(sslmode="disable"))
    lo = conn.lobject(0, "wb")  # libpq's large-object calls use FunctionCall ('F')
    lo.write(b"large object bytes")
    lo.close()
    cur = conn.cursor()
    cur.execute("LISTEN jobs")
    conn.commit()
    other = psycopg2.connect(relay.dsn(sslmode="disable"))
    other.cursor().execute("NOTIFY jobs, 'payload 1'")
    other.commit()
    other.close()
    time.sleep(0.2)
    conn.poll()
    cur.execute("SELECT pg_sleep(0.01)")
    conn.close()

    # psql sends a CancelRequest on SIGINT (from its own process: libpq's cancel blocks while
    # holding the GIL, which would starve this relay).
    relay.label = "psql-cancel"
    proc = subprocess.Popen([str(PG_BIN / "psql"), "-X", "-d", relay.dsn(sslmode="disable"),
                             "-c", "SELECT pg_sleep(5)"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    proc.wait(timeout=10)

    relay.label = "scram"
    psql(relay, "SELECT current_user;", user="scram_user", password="s3cret", sslmode="disable")
    relay.label = "scram-wrong-password"
    psql(relay, "SELECT 1;", user="scram_user", password="wrong", sslmode="disable")
    relay.label = "md5"
    psql(relay, "SELECT current_user;", user="md5_user", password="m5pass", sslmode="disable")
    relay.label = "cleartext"
    psql(relay, "SELECT current_user;", user="clear_user", password="plain", sslmode="disable")

    # What no client here sends: GSSENCRequest, a newer minor version with a _pq_ option
    # (answered by NegotiateProtocolVersion), a row-limited Execute (PortalSuspended), Describe
    # of a statement (ParameterDescription), Close, Flush, CopyFail, a bad protocol version.
    relay.label = "raw-gssenc"
    raw(relay, struct.pack("!ii", 8, GSSENC_REQUEST))
    relay.label = "raw-negotiate-extended-copyfail"
    raw(relay, struct.pack("!ii", 8, SSL_REQUEST)
        + startup(0x00030001, user="postgres", database="postgres", _pq_x="1")
        + message(b"P", b"s1\0SELECT g FROM generate_series(1, $1) g\0" + struct.pack("!hI", 1, 23))
        + message(b"D", b"Ss1\0")
        + message(b"B", b"p1\0s1\0" + struct.pack("!hhi", 0, 1, 1) + b"3" + struct.pack("!h", 0))
        + message(b"E", b"p1\0" + struct.pack("!i", 1))
        + message(b"E", b"p1\0" + struct.pack("!i", 0))
        + message(b"C", b"Pp1\0") + message(b"C", b"Ss1\0") + message(b"H") + message(b"S")
        + message(b"Q", b"COPY users (id) FROM STDIN\0") + message(b"d", b"20\n")
        + message(b"f", b"client gave up\0")
        + message(b"Q", b"COPY users (id) FROM STDIN\0") + message(b"d", b"21\n")
        + message(b"c") + message(b"X"))
    relay.label = "raw-bad-version"
    raw(relay, startup(0x00020000, user="postgres"))


def startup(version, **params):
    body = struct.pack("!i", version)
    for k, v in params.items():
        body += k.replace("_pq_x", "_pq_.x").encode() + b"\0" + v.encode() + b"\0"
    body += b"\0"
    return struct.pack("!i", len(body) + 4) + body


def message(type_byte, body=b""):
    return type_byte + struct.pack("!i", len(body) + 4) + body


def raw(relay, data):
    with socket.create_connection(("127.0.0.1", relay.port)) as s:
        s.settimeout(2)
        if data[4:8] in (struct.pack("!i", GSSENC_REQUEST), struct.pack("!i", SSL_REQUEST)):
            s.sendall(data[:8])
            s.recv(1)
            data = data[8:]
        s.sendall(data)
        try:
            while s.recv(65536):
                pass
        except OSError:
            pass


def frames(data, backend, startup_phase):
    """Splits a recorded stream into (type, whole message bytes), as StreamDecoder would."""
    pos = 0
    while pos < len(data):
        if startup_phase and not backend:
            if len(data) - pos < 8:
                return
            (length,) = struct.unpack("!i", data[pos:pos + 4])
            code = struct.unpack("!i", data[pos + 4:pos + 8])[0]
            yield "startup", data[pos:pos + length]
            pos += length
            startup_phase = code in (SSL_REQUEST, GSSENC_REQUEST, CANCEL_REQUEST)
            continue
        if startup_phase and backend and data[pos:pos + 1] in (b"S", b"N", b"G"):
            yield "answer", data[pos:pos + 1]
            pos += 1
            startup_phase = False
            continue
        startup_phase = False
        if len(data) - pos < 5:
            return
        (length,) = struct.unpack("!i", data[pos + 1:pos + 5])
        yield chr(data[pos]), data[pos:pos + 1 + length]
        pos += 1 + length


def main():
    cluster = PgCluster(hba=["host all scram_user 127.0.0.1/32 scram-sha-256",
                             "host all md5_user 127.0.0.1/32 md5",
                             "host all clear_user 127.0.0.1/32 password",
                             "host all all 127.0.0.1/32 trust",
                             "local all all trust"]).init().start()
    try:
        cluster.psql("CREATE ROLE scram_user LOGIN PASSWORD 's3cret';"
                     "SET password_encryption = 'md5';"
                     "CREATE ROLE md5_user LOGIN PASSWORD 'm5pass';"
                     "CREATE ROLE clear_user LOGIN PASSWORD 'plain'")
        relay = Relay(cluster.port)
        workloads(relay, cluster)
        time.sleep(0.5)
    finally:
        cluster.destroy()

    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.iterdir():
        old.unlink()
    seeds = {}
    per_type = {}
    for i, (label, client, server) in enumerate(relay.connections):
        client, server = bytes(client), bytes(server)
        encrypted_request = client[4:8] in (struct.pack("!i", SSL_REQUEST),
                                            struct.pack("!i", GSSENC_REQUEST))
        # Whole streams, fed in odd-sized chunks.
        seeds[f"fe-stream-{i:02d}-{label}"] = bytes([0x02, 7]) + client[:MAX_SEED]
        seeds[f"be-stream-{i:02d}-{label}"] = (bytes([0x03 if encrypted_request else 0x01, 13])
                                               + server[:MAX_SEED])
        for backend, data in ((False, client), (True, server)):
            side = "be" if backend else "fe"
            phase = encrypted_request if backend else True
            for kind, wire in frames(data, backend, phase):
                key = (side, kind)
                if per_type.get(key, 0) >= 2 or len(wire) > MAX_SEED:
                    continue
                per_type[key] = per_type.get(key, 0) + 1
                mode = (1 if backend else 0) | (2 if kind in ("startup", "answer") else 0)
                name = kind if kind.isalnum() and len(kind) > 1 else f"{ord(kind):02x}"
                seeds[f"{side}-msg-{name}-{per_type[key]}"] = bytes([mode, 0]) + wire
    # Replication's CopyBothResponse, which no workload here starts.
    seeds["be-msg-57-copy-both"] = bytes([0x01, 0]) + message(b"W", b"\0\0\0")
    for name, data in seeds.items():
        if len(data) > 2:
            (OUT / name).write_bytes(data)
    print(f"{len(seeds)} seeds in {OUT}; message types: "
          + " ".join(sorted(f"{s}:{k}" for s, k in per_type)))


if __name__ == "__main__":
    main()
