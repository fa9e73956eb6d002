"""Shared setup for the real-client tests: a PostgreSQL cluster with Tombstone in front, the
limits those tests rely on, and small helpers to compare a direct run with a proxied one."""
import contextlib
import os
import subprocess
import time

from harness import PG_BIN, PgCluster, Tombstone

# Short limits so the timeout tests finish quickly; 1 MiB bounds the messages Tombstone buffers.
LIMITS = ("limits: {startup_timeout: 1s, connect_timeout: 2s, drain_timeout: 10s, "
          "max_message_size: 1MiB}\n")
BASE_CONFIG = LIMITS + "log: {level: info}\n"

PSQL = str(PG_BIN / "psql")

# For memory-bound tests: an ASan build keeps freed blocks in a quarantine (256 MB by default),
# so its RSS would count memory already released. A tiny quarantine makes RSS track live memory;
# a build without ASan ignores the variable.
SMALL_ASAN_QUARANTINE = {"ASAN_OPTIONS": ":".join(filter(None, [
    os.environ.get("ASAN_OPTIONS", ""), "quarantine_size_mb=1",
    "thread_local_quarantine_size_kb=64"]))}
PGBENCH = str(PG_BIN / "pgbench")


@contextlib.contextmanager
def proxied_cluster(config=BASE_CONFIG, hba=None, conf=None, start_proxy=True, proxy_env=None):
    pg = PgCluster(hba=hba, conf=conf).init().start()
    ts = Tombstone(pg, config, env=proxy_env)
    try:
        if start_proxy:
            ts.start()
        yield pg, ts
    finally:
        try:
            ts.stop()
        finally:
            pg.destroy()


def create_databases(pg, names, setup_sql="", template=None):
    """Fresh databases with the same schema, so a direct run and a proxied run start equal."""
    for name in names:
        pg.psql(f"DROP DATABASE IF EXISTS {name}")
        pg.psql(f"CREATE DATABASE {name}" + (f" TEMPLATE {template}" if template else ""))
        if setup_sql:
            pg.psql(setup_sql, dbname=name)


def table_dump(pg, dbname, table, order_by="1"):
    return pg.psql(f"SELECT * FROM {table} ORDER BY {order_by}", dbname=dbname)


def run(cmd, timeout=120, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)


def log_tail(ts, lines=40):
    try:
        return "\n--- tombstone log (tail) ---\n" + "\n".join(ts.log_text().splitlines()[-lines:])
    except OSError:
        return ""


def wait_until(predicate, timeout=20.0, interval=0.05, what="condition"):
    """Poll until predicate() is truthy; return its value. Bounds a wait, never a performance.
    `what` names the condition in the failure; a callable is called then (e.g. for a log)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise TimeoutError(f"not reached after {timeout}s: "
                               f"{what() if callable(what) else what}")
        time.sleep(interval)


def wait_running(pg, marker, timeout=20.0):
    """Until a backend is executing the statement tagged with `marker` (checked directly on the
    server), so a cancel or a kill can never race ahead of its query."""
    wait_until(lambda: pg.psql(
        "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' "
        f"AND query LIKE '%{marker}%' AND pid <> pg_backend_pid()") != "0\n",
        timeout, what=f"a backend running the query marked {marker!r}")


def backend_gone(pg, pid):
    return pg.psql(f"SELECT count(*) FROM pg_stat_activity WHERE pid = {pid}") == "0\n"
