"""A tiny PostgreSQL v3 wire client on raw sockets, for tests that must see or send exactly what
is on the wire: bytes no real client would send (garbage startup packets, huge length fields),
every CommandComplete tag of a multi-statement Query, the SQLSTATE of an error sent during
startup, a socket cut without Terminate or abandoned mid-read.

Formats follow https://www.postgresql.org/docs/15/protocol-message-formats.html.
"""
import base64
import hashlib
import hmac
import os
import socket
import struct

PROTOCOL_V3 = 196608  # 3 << 16
SSL_REQUEST_CODE = 80877103
CANCEL_REQUEST_CODE = 80877102

# ErrorResponse / NoticeResponse field codes we name in assertions.
FIELD_NAMES = {"S": "severity", "V": "severity_nonlocalized", "C": "sqlstate", "M": "message",
               "D": "detail", "H": "hint", "P": "position", "W": "where", "F": "file",
               "L": "line", "R": "routine"}


class ConnectionClosed(ConnectionError):
    """The peer closed the socket (EOF or reset) before a whole message arrived."""


class ServerError(Exception):
    """An ErrorResponse; `fields` holds its parsed fields (sqlstate, message, ...)."""

    def __init__(self, fields):
        super().__init__(f"{fields.get('sqlstate')}: {fields.get('message')}")
        self.fields = fields

    @property
    def sqlstate(self):
        return self.fields.get("sqlstate")

    @property
    def message(self):
        return self.fields.get("message", "")


class Result:
    """What one statement produced: its column names, rows (tuples of str or None), its tag,
    or its error (a ServerError)."""

    def __init__(self):
        self.columns = []
        self.rows = []
        self.tag = None
        self.error = None

    def __repr__(self):
        return f"Result(tag={self.tag!r}, rows={self.rows!r}, error={self.error!r})"


def one(results):
    """The single Result of a one-statement query, raising its error if it failed."""
    assert len(results) == 1, results
    if results[0].error is not None:
        raise results[0].error
    return results[0]


def startup_packet(user="postgres", database="postgres", **params):
    body = struct.pack("!i", PROTOCOL_V3)
    for k, v in {"user": user, "database": database, **params}.items():
        body += k.encode() + b"\0" + v.encode() + b"\0"
    body += b"\0"
    return struct.pack("!i", len(body) + 4) + body


def ssl_request():
    return struct.pack("!ii", 8, SSL_REQUEST_CODE)


def cancel_request(pid, secret):
    return struct.pack("!iiii", 16, CANCEL_REQUEST_CODE, pid, secret)


def message(type_byte, body=b""):
    return type_byte + struct.pack("!i", len(body) + 4) + body


def query(sql):
    return message(b"Q", sql.encode() + b"\0")


def terminate():
    return message(b"X")


# Extended query protocol (https://www.postgresql.org/docs/15/protocol-flow.html#PROTOCOL-FLOW-EXT-QUERY)

def parse(sql, name="", param_types=()):
    return message(b"P", name.encode() + b"\0" + sql.encode() + b"\0" +
                   struct.pack(f"!h{len(param_types)}i", len(param_types), *param_types))


def bind(portal="", statement="", params=(), result_formats=()):
    body = portal.encode() + b"\0" + statement.encode() + b"\0" + struct.pack("!h", 0)
    body += struct.pack("!h", len(params))
    for p in params:
        if p is None:
            body += struct.pack("!i", -1)
        else:
            data = p if isinstance(p, bytes) else str(p).encode()
            body += struct.pack("!i", len(data)) + data
    body += struct.pack(f"!h{len(result_formats)}h", len(result_formats), *result_formats)
    return message(b"B", body)


def describe(kind, name=""):
    return message(b"D", kind + name.encode() + b"\0")


def execute(portal="", max_rows=0):
    return message(b"E", portal.encode() + b"\0" + struct.pack("!i", max_rows))


def close(kind, name=""):
    return message(b"C", kind + name.encode() + b"\0")


def sync():
    return message(b"S")


def flush():
    return message(b"H")


def copy_data(data):
    return message(b"d", data)


def copy_done():
    return message(b"c")


def copy_fail(reason):
    return message(b"f", reason.encode() + b"\0")


def parse_fields(body):
    """ErrorResponse/NoticeResponse body -> {"sqlstate": ..., "message": ..., ...}."""
    fields = {}
    for part in body.split(b"\0"):
        if part:
            code = chr(part[0])
            fields[FIELD_NAMES.get(code, code)] = part[1:].decode(errors="replace")
    return fields


def row_description(body):
    """RowDescription body -> the column names (each name is followed by 18 bytes of
    table oid, attnum, type oid, size, modifier and format)."""
    (n,) = struct.unpack("!h", body[:2])
    pos, names = 2, []
    for _ in range(n):
        end = body.index(b"\0", pos)
        names.append(body[pos:end].decode())
        pos = end + 1 + 18
    return names


def data_row(body):
    """DataRow body -> the values as str, None for NULL."""
    (n,) = struct.unpack("!h", body[:2])
    pos, row = 2, []
    for _ in range(n):
        (ln,) = struct.unpack("!i", body[pos:pos + 4])
        pos += 4
        if ln < 0:
            row.append(None)
        else:
            row.append(body[pos:pos + ln].decode())
            pos += ln
    return row


def recv_exact(sock, n):
    buf = b""
    while len(buf) < n:
        try:
            chunk = sock.recv(n - len(buf))
        except ConnectionResetError as e:
            raise ConnectionClosed(str(e)) from e
        if not chunk:
            raise ConnectionClosed(f"EOF after {len(buf)} of {n} bytes")
        buf += chunk
    return buf


def read_message(sock):
    """One backend message as (type byte as str, body bytes)."""
    head = recv_exact(sock, 5)
    (length,) = struct.unpack("!i", head[1:])
    return chr(head[0]), recv_exact(sock, length - 4)


def read_error_or_close(sock, timeout=15.0):
    """What a client sees after sending something bad: the ErrorResponse fields if one came
    (messages before it are skipped), or None if the connection was closed without one. Raises
    socket.timeout if the connection neither answered nor closed in `timeout` seconds."""
    sock.settimeout(timeout)
    try:
        while True:
            kind, body = read_message(sock)
            if kind == "E":
                return parse_fields(body)
    except ConnectionClosed:
        return None


def _md5_hex(data):
    return hashlib.md5(data).hexdigest()


class _Scram:
    """Client side of SCRAM-SHA-256 without channel binding (RFC 5802/7677, as PostgreSQL uses
    it: empty user name in the message, the startup packet names the user)."""

    def __init__(self, password):
        self.password = password.encode()
        self.nonce = base64.b64encode(os.urandom(18)).decode()
        self.first_bare = f"n=,r={self.nonce}"

    def first(self):
        return ("n,," + self.first_bare).encode()

    def final(self, server_first):
        attrs = dict(kv.split("=", 1) for kv in server_first.decode().split(","))
        if not attrs["r"].startswith(self.nonce):
            raise RuntimeError("SCRAM: server nonce does not extend ours")
        salted = hashlib.pbkdf2_hmac("sha256", self.password, base64.b64decode(attrs["s"]),
                                     int(attrs["i"]))
        client_key = hmac.digest(salted, b"Client Key", "sha256")
        without_proof = f"c=biws,r={attrs['r']}"
        auth_message = f"{self.first_bare},{server_first.decode()},{without_proof}".encode()
        signature = hmac.digest(hashlib.sha256(client_key).digest(), auth_message, "sha256")
        proof = bytes(a ^ b for a, b in zip(client_key, signature))
        return f"{without_proof},p={base64.b64encode(proof).decode()}".encode()


class RawSession:
    """A session on a raw socket (trust, cleartext, md5 or SCRAM-SHA-256 auth). It reads only
    whole messages straight from the socket, never ahead, so a test can also read `sock`
    itself, or abandon it at a chosen moment. A failed startup raises ServerError with the
    server's ErrorResponse fields. `status` is the last ReadyForQuery's transaction status
    (I idle, T in a transaction, E in a failed one)."""

    def __init__(self, port, host="127.0.0.1", user="postgres", database="postgres",
                 password=None, timeout=15.0, **startup_params):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.sendall(startup_packet(user, database, **startup_params))
        self.params = {}
        self.backend_key = None
        self.status = None
        scram = None
        while True:
            kind, body = self.read()
            if kind == "R":
                (code,) = struct.unpack("!i", body[:4])
                if code == 3:  # AuthenticationCleartextPassword
                    self.sock.sendall(message(b"p", (password or "").encode() + b"\0"))
                elif code == 5:  # AuthenticationMD5Password, 4-byte salt follows
                    inner = _md5_hex(((password or "") + user).encode())
                    digest = "md5" + _md5_hex(inner.encode() + body[4:8])
                    self.sock.sendall(message(b"p", digest.encode() + b"\0"))
                elif code == 10:  # AuthenticationSASL: mechanism names follow
                    mechanisms = [m.decode() for m in body[4:].split(b"\0") if m]
                    if "SCRAM-SHA-256" not in mechanisms:
                        raise RuntimeError(f"no SCRAM-SHA-256 in {mechanisms}")
                    self.sasl_mechanisms = mechanisms
                    scram = _Scram(password or "")
                    first = scram.first()
                    self.sock.sendall(message(b"p", b"SCRAM-SHA-256\0" +
                                              struct.pack("!i", len(first)) + first))
                elif code == 11:  # AuthenticationSASLContinue
                    self.sock.sendall(message(b"p", scram.final(body[4:])))
                elif code not in (0, 12):  # 12: AuthenticationSASLFinal
                    raise RuntimeError(f"RawSession cannot do auth request {code}")
            elif kind == "S":
                k, v, _ = body.split(b"\0", 2)
                self.params[k.decode()] = v.decode()
            elif kind == "K":
                self.backend_key = struct.unpack("!ii", body)
            elif kind == "E":
                self.sock.close()
                raise ServerError(parse_fields(body))
            elif kind == "Z":
                return

    def send(self, data):
        self.sock.sendall(data)

    def read(self):
        """The next backend message as (type byte as str, body), noting ReadyForQuery's status."""
        kind, body = read_message(self.sock)
        if kind == "Z":
            self.status = body.decode()
        return kind, body

    def read_until(self, kind, count=1):
        """Every message up to and including the `count`-th message of type `kind`."""
        out = []
        while count:
            out.append(self.read())
            if out[-1][0] == kind:
                count -= 1
        return out

    def exchange(self, data, syncs=1):
        """Send `data`, then read the responses up to the `syncs`-th ReadyForQuery."""
        self.sock.sendall(data)
        return self.read_until("Z", syncs)

    def query(self, sql):
        """Simple Query: one Result per statement the server (or proxy) answered."""
        self.sock.sendall(query(sql))
        return self._collect()

    def simple_query(self, sql):
        """Run one simple Query; return (rows as lists of str|None, command tags, error fields)."""
        results = self.query(sql)
        rows = [list(row) for r in results for row in r.rows]
        tags = [r.tag for r in results if r.tag is not None]
        errors = [r.error.fields for r in results if r.error is not None]
        return rows, tags, errors[-1] if errors else None

    def extended(self, sql, params=(), name=""):
        """Parse/Bind/Describe/Execute/Sync with text parameters; returns the Results."""
        return self.pipeline([(sql, params, name)])

    def pipeline(self, statements):
        """Parse/Bind/Describe/Execute for each (sql, params, name), then one Sync: the
        statements run in one implicit transaction and, after an error, the server skips the
        rest up to Sync. Returns one Result per answered Execute (or per error)."""
        data = b"".join(parse(sql, name) + bind(statement=name, params=params) +
                        describe(b"P") + execute() for sql, params, name in statements)
        self.sock.sendall(data + sync())
        return self._collect()

    def _collect(self):
        """Reads results up to ReadyForQuery; one Result per statement (or per Execute)."""
        results = []
        current = Result()
        while True:
            kind, body = self.read()
            if kind == "T":
                current.columns = row_description(body)
            elif kind == "D":
                current.rows.append(tuple(data_row(body)))
            elif kind in ("C", "I", "E"):  # CommandComplete, EmptyQueryResponse, ErrorResponse
                if kind == "C":
                    current.tag = body.rstrip(b"\0").decode()
                elif kind == "E":
                    current.error = ServerError(parse_fields(body))
                results.append(current)
                current = Result()
            elif kind == "Z":
                return results
            # ParseComplete, BindComplete, NoData, ParameterStatus, notices: nothing to keep.

    def abort(self):
        """Cut the connection without Terminate: SO_LINGER 0 makes close() send a RST."""
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.sock.close()

    def close(self, terminate_first=True):
        try:
            if terminate_first:
                self.sock.sendall(terminate())
        except OSError:
            pass
        self.sock.close()
