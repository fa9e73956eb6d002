"""Logs (issue 2): one line per connection open and close at info, quiet at warn, and with
`log: {format: json}` every line is one JSON object."""
import json

import psycopg2

from harness import Tombstone
from proxyenv import LIMITS, proxied_cluster


def session(ts):
    conn = psycopg2.connect(ts.dsn(), application_name="log-probe")
    conn.cursor().execute("SELECT 1")
    conn.close()


def test_json_lines_with_connection_open_and_close():
    with proxied_cluster(LIMITS + "log: {level: info, format: json}\n") as (pg, ts):
        session(ts)
        ts.stop()
        lines = [line for line in ts.log_text().splitlines() if line.strip()]
        records = [json.loads(line) for line in lines]  # every line parses on its own
        assert all(isinstance(r, dict) for r in records)
        text = [json.dumps(r) for r in records]
        assert any("connection opened" in t and "log-probe" in t for t in text), text
        assert any("connection closed" in t and "duration" in t for t in text), text


def test_warn_level_is_quiet_for_normal_traffic():
    with proxied_cluster(LIMITS + "log: {level: warn}\n") as (pg, ts):
        for _ in range(3):
            session(ts)
        ts.stop()
        assert "connection opened" not in ts.log_text()
        assert "connection closed" not in ts.log_text()
