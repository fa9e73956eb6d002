"""A deliberately naive app: it DELETEs rows with plain SQL, and Tombstone makes that recoverable.

GET  /                  -> the users the app can see, with their order counts (JSON)
POST /users/ID/delete   -> DELETE FROM users ...; the deleted_by column records "app:web"
GET  /healthz           -> 200 when the database answers through Tombstone
"""
import json
import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import psycopg2

DSN = os.environ.get("DATABASE_URL", "host=127.0.0.1 port=6432 dbname=app user=app")


def query(sql, params=(), actor=None):
    with psycopg2.connect(DSN) as conn, conn.cursor() as cur:
        if actor:
            # Tombstone writes this into users.deleted_by for the rows this transaction deletes.
            cur.execute("SET LOCAL tombstone.actor = %s", (actor,))
        cur.execute(sql, params)
        rows = cur.fetchall() if cur.description else []
        return cur.statusmessage, rows


class Handler(BaseHTTPRequestHandler):
    def reply(self, status, body):
        data = json.dumps(body, default=str).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path == "/healthz":
            query("SELECT 1")
            return self.reply(200, {"ok": True})
        if self.path != "/":
            return self.reply(404, {"error": "not found"})
        # A raw join: exactly where ORM soft-delete filters leak. Tombstone filters both sides.
        _, rows = query("SELECT u.id, u.email, count(o.id) FROM users u "
                        "LEFT JOIN orders o ON o.user_id = u.id GROUP BY u.id ORDER BY u.id")
        self.reply(200, [{"id": r[0], "email": r[1], "orders": r[2]} for r in rows])

    def do_POST(self):
        parts = self.path.strip("/").split("/")
        if len(parts) != 3 or parts[0] != "users" or parts[2] != "delete" or not parts[1].isdigit():
            return self.reply(404, {"error": "not found"})
        tag, _ = query("DELETE FROM users WHERE id = %s", (int(parts[1]),), actor="app:web")
        self.reply(200, {"result": tag})


if __name__ == "__main__":
    ThreadingHTTPServer(("0.0.0.0", 8080), Handler).serve_forever()
