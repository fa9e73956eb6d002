"""A minimal PostgreSQL v3 client for tests that must see exactly what arrives on the wire.

Drivers hide things these tests assert on: every CommandComplete tag of a multi-statement
Query, the SQLSTATE of an error sent during startup, and what happens when a socket is cut
without a Terminate. Protocol reference:
https://www.postgresql.org/docs/15/protocol-message-formats.html
Only trust authentication is supported (the test clusters use it).
"""
import socket
import struct


class WireError(Exception):
    """An ErrorResponse; `fields` maps the one-letter field codes (C = SQLSTATE, M = message)."""

    def __init__(self, fields):
        self.fields = fields
        super().__init__(f"{fields.get('C')}: {fields.get('M')}")

    @property
    def sqlstate(self):
        return self.fields.get("C")

    @property
    def message(self):
        return self.fields.get("M", "")


class Result:
    """What one statement produced: rows (text values or None), its tag, or its error."""

    def __init__(self):
        self.columns = []
        self.rows = []
        self.tag = None
        self.error = None

    def __repr__(self):
        return f"Result(tag={self.tag!r}, rows={self.rows!r}, error={self.error!r})"


def _fields(body):
    out = {}
    for part in body.split(b"\0"):
        if part:
            out[chr(part[0])] = part[1:].decode("utf-8", "replace")
    return out


class Conn:
    def __init__(self, port, user, database="postgres", options=None, host="127.0.0.1",
                 extra=None, timeout=30):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.buf = b""
        self.params = {}
        self.status = None
        params = {"user": user, "database": database}
        if options is not None:
            params["options"] = options
        params.update(extra or {})
        body = struct.pack("!I", 196608)
        for k, v in params.items():
            body += k.encode() + b"\0" + v.encode() + b"\0"
        body += b"\0"
        self.sock.sendall(struct.pack("!I", len(body) + 4) + body)
        while True:
            kind, payload = self._read()
            if kind == b"R":
                code = struct.unpack("!I", payload[:4])[0]
                if code != 0:
                    raise RuntimeError(f"authentication method {code} not supported by pgwire")
            elif kind == b"E":
                self.close()
                raise WireError(_fields(payload))
            elif kind == b"S":
                k, v, _ = payload.split(b"\0", 2)
                self.params[k.decode()] = v.decode()
            elif kind == b"Z":
                self.status = payload.decode()
                return

    def _recv_exact(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("server closed the connection")
            self.buf += chunk
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def _read(self):
        header = self._recv_exact(5)
        kind, length = header[:1], struct.unpack("!I", header[1:])[0]
        return kind, self._recv_exact(length - 4)

    def _send(self, kind, body=b""):
        self.sock.sendall(kind + struct.pack("!I", len(body) + 4) + body)

    def _collect(self):
        """Reads results up to ReadyForQuery; one Result per statement (or per Execute)."""
        results = []
        current = Result()
        while True:
            kind, payload = self._read()
            if kind == b"T":
                n = struct.unpack("!H", payload[:2])[0]
                pos, cols = 2, []
                for _ in range(n):
                    end = payload.index(b"\0", pos)
                    cols.append(payload[pos:end].decode())
                    pos = end + 1 + 18
                current.columns = cols
            elif kind == b"D":
                n = struct.unpack("!H", payload[:2])[0]
                pos, row = 2, []
                for _ in range(n):
                    ln = struct.unpack("!i", payload[pos:pos + 4])[0]
                    pos += 4
                    if ln < 0:
                        row.append(None)
                    else:
                        row.append(payload[pos:pos + ln].decode())
                        pos += ln
                current.rows.append(tuple(row))
            elif kind == b"C":
                current.tag = payload.rstrip(b"\0").decode()
                results.append(current)
                current = Result()
            elif kind == b"I":  # EmptyQueryResponse
                results.append(current)
                current = Result()
            elif kind == b"E":
                current.error = WireError(_fields(payload))
                results.append(current)
                current = Result()
            elif kind == b"Z":
                self.status = payload.decode()
                return results
            # ParseComplete, BindComplete, NoData, ParameterStatus, notices: nothing to keep.

    def query(self, sql):
        """Simple Query: returns one Result per statement the server (or proxy) answered."""
        self._send(b"Q", sql.encode() + b"\0")
        return self._collect()

    def extended(self, sql, params=(), name=""):
        """Parse/Bind/Execute/Sync with text parameters; returns the Results."""
        return self.pipeline([(sql, params, name)])

    def pipeline(self, statements):
        """Parse/Bind/Describe/Execute for each (sql, params, name), then one Sync: the
        statements run in one implicit transaction and, after an error, the server skips the
        rest up to Sync. Returns one Result per answered Execute (or per error)."""
        for sql, params, name in statements:
            self._send_execute(sql, params, name)
        self._send(b"S")
        return self._collect()

    def _send_execute(self, sql, params, name):
        body = name.encode() + b"\0" + sql.encode() + b"\0" + struct.pack("!H", 0)
        self._send(b"P", body)
        bind = b"\0" + name.encode() + b"\0" + struct.pack("!H", 0) + struct.pack("!H", len(params))
        for p in params:
            if p is None:
                bind += struct.pack("!i", -1)
            else:
                v = str(p).encode()
                bind += struct.pack("!i", len(v)) + v
        bind += struct.pack("!H", 0)
        self._send(b"B", bind)
        self._send(b"D", b"P\0")
        self._send(b"E", b"\0" + struct.pack("!I", 0))

    def abort(self):
        """Cut the connection without Terminate: SO_LINGER 0 makes close() send a RST."""
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.sock.close()

    def close(self):
        try:
            self._send(b"X")
        except OSError:
            pass
        self.sock.close()


def one(results):
    """The single Result of a one-statement query, raising its error if it failed."""
    assert len(results) == 1, results
    if results[0].error is not None:
        raise results[0].error
    return results[0]
