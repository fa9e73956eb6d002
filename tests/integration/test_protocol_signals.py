"""Signals (issue 2, A6). SIGTERM drains: Tombstone stops accepting, lets an open transaction
finish and COMMIT within limits.drain_timeout, then exits 0; sessions still open when the drain
timeout ends are closed (and their transactions roll back). SIGHUP with a broken config file
keeps the old config: sessions go on working, new ones are accepted, and the log says why the
file was rejected."""
import re
import signal
import time

import psycopg2
import pytest

from harness import Tombstone
from proxyenv import BASE_CONFIG, LIMITS, log_tail, proxied_cluster, wait_until

EXIT_BOUND_S = 20  # drain_timeout is 10 s in BASE_CONFIG


@pytest.fixture(scope="module")
def pg():
    with proxied_cluster(start_proxy=False) as (pg, _):
        pg.psql("CREATE TABLE ledger (id int PRIMARY KEY, note text)")
        yield pg


def connect(ts):
    return psycopg2.connect(ts.dsn(), connect_timeout=5)


def refuses_new_connections(ts):
    try:
        conn = psycopg2.connect(ts.dsn(), connect_timeout=5)
    except psycopg2.OperationalError:
        return True
    conn.close()
    return False


def test_sigterm_lets_open_transaction_commit(pg):
    ts = Tombstone(pg, BASE_CONFIG).start()
    try:
        conn = connect(ts)
        cur = conn.cursor()
        cur.execute("INSERT INTO ledger VALUES (1, 'before SIGTERM')")  # opens a transaction
        ts.signal(signal.SIGTERM)
        wait_until(lambda: refuses_new_connections(ts), timeout=10,
                   what="new connections refused while draining")
        assert ts.proc.poll() is None, "exited without waiting for the open transaction"
        cur.execute("INSERT INTO ledger VALUES (2, 'during the drain')")
        conn.commit()
        assert pg.psql("SELECT note FROM ledger WHERE id IN (1, 2) ORDER BY id") == \
            "before SIGTERM\nduring the drain\n"
        assert refuses_new_connections(ts)
        conn.close()
        assert ts.proc.wait(timeout=EXIT_BOUND_S) == 0, log_tail(ts)
    finally:
        ts.stop()


def test_drain_timeout_closes_remaining_sessions(pg):
    ts = Tombstone(pg, LIMITS.replace("drain_timeout: 10s", "drain_timeout: 1s")).start()
    try:
        conn = connect(ts)
        cur = conn.cursor()
        cur.execute("INSERT INTO ledger VALUES (10, 'never committed')")
        start = time.monotonic()
        ts.signal(signal.SIGTERM)
        ts.proc.wait(timeout=EXIT_BOUND_S)
        assert time.monotonic() - start < EXIT_BOUND_S
        with pytest.raises(psycopg2.Error):
            cur.execute("SELECT 1")
            conn.commit()
        conn.close()
        wait_until(lambda: pg.psql("SELECT count(*) FROM pg_stat_activity "
                                   "WHERE query LIKE 'INSERT INTO ledger VALUES (10%'") == "0\n",
                   what="the abandoned server session to end")
        assert pg.psql("SELECT count(*) FROM ledger WHERE id = 10") == "0\n"
    finally:
        ts.stop()


def broken_variant(kind, good):
    """A config file that must be rejected, derived from the running one."""
    return {
        "yaml-syntax": 'listen: "127.0.0.1:1\nupstream: [unclosed\n',
        "unknown-key": good + "no_such_setting: 1\n",
        "bad-value": good.replace("drain_timeout: 10s", "drain_timeout: soon"),
    }[kind]


@pytest.mark.parametrize("kind", ["yaml-syntax", "unknown-key", "bad-value"])
def test_sighup_with_broken_file_keeps_old_config(pg, kind):
    ts = Tombstone(pg, BASE_CONFIG).start()
    try:
        conn = connect(ts)
        conn.autocommit = True
        good = ts.config_path.read_text()
        broken = broken_variant(kind, good)
        assert broken != good
        log_before = len(ts.log_text())
        ts.config_path.write_text(broken)
        ts.signal(signal.SIGHUP)
        wait_until(lambda: re.search(r"tombstone\.yaml|reload|config",
                                     ts.log_text()[log_before:]),
                   timeout=10, what=lambda: "a log line about the reload" + log_tail(ts))
        time.sleep(0.2)  # let the rest of the message reach the file
        new_log = ts.log_text()[log_before:]
        assert "tombstone.yaml" in new_log, new_log
        if kind == "unknown-key":
            assert "no_such_setting" in new_log, new_log
        if kind == "bad-value":
            assert "drain_timeout" in new_log, new_log
        assert ts.proc.poll() is None, "a bad reload stopped the proxy" + log_tail(ts)
        cur = conn.cursor()
        cur.execute("SELECT 'old session still works'")
        assert cur.fetchone() == ("old session still works",)
        fresh = connect(ts)
        fresh.cursor().execute("SELECT 1")
        fresh.close()
        conn.close()
    finally:
        ts.stop()


def test_sighup_with_broken_file_keeps_old_policy(pg):
    """The old table policy stays in force: a DELETE still soft-deletes after a rejected reload."""
    pg.psql("CREATE TABLE IF NOT EXISTS notes (id int PRIMARY KEY, body text, "
            "deleted_at timestamptz); TRUNCATE notes; "
            "INSERT INTO notes VALUES (1, 'keep me', NULL)")
    ts = Tombstone(pg, BASE_CONFIG + "tables:\n  public.notes: {strategy: soft}\n").start()
    try:
        ts.config_path.write_text(ts.config_path.read_text() + "tables: [this is not a map\n")
        log_before = len(ts.log_text())
        ts.signal(signal.SIGHUP)
        wait_until(lambda: "tombstone.yaml" in ts.log_text()[log_before:], timeout=10,
                   what=lambda: "the rejected reload logged" + log_tail(ts))
        conn = connect(ts)
        conn.autocommit = True
        cur = conn.cursor()
        cur.execute("DELETE FROM notes WHERE id = 1")
        assert cur.statusmessage == "DELETE 1"
        cur.execute("SELECT count(*) FROM notes")
        assert cur.fetchone() == (0,)
        conn.close()
        assert pg.psql("SELECT body, deleted_at IS NOT NULL FROM notes") == "keep me|t\n"
    finally:
        ts.stop()


def test_sighup_new_policy_reaches_statements_prepared_before(pg):
    """A valid reload that starts managing a table reaches sessions that are already open and
    statements they prepared before it: a protocol-level prepared DELETE (psycopg 3,
    prepare=True) becomes soft and a prepared SELECT filters; an SQL-level PREPAREd DELETE is
    refused (0A000) rather than run as the hard DELETE it was prepared as."""
    import psycopg
    pg.psql("CREATE TABLE IF NOT EXISTS later (id int PRIMARY KEY, deleted_at timestamptz); "
            "TRUNCATE later; INSERT INTO later SELECT g, NULL FROM generate_series(1, 6) g")
    ts = Tombstone(pg, BASE_CONFIG).start()
    try:
        conn = psycopg.connect(ts.dsn(), autocommit=True)
        conn.execute("PREPARE hard_delete AS DELETE FROM later WHERE id = $1")
        assert conn.execute("DELETE FROM later WHERE id = %s", [1],
                            prepare=True).statusmessage == "DELETE 1"  # unmanaged: really gone
        conn.execute("SELECT id FROM later WHERE id > %s ORDER BY id", [0], prepare=True)
        log_before = len(ts.log_text())
        ts.config_path.write_text(ts.config_path.read_text() +
                                  "tables:\n  public.later: {strategy: soft}\n")
        ts.signal(signal.SIGHUP)
        wait_until(lambda: "config reloaded" in ts.log_text()[log_before:], timeout=10,
                   what=lambda: "the reload logged" + log_tail(ts))
        assert conn.execute("DELETE FROM later WHERE id = %s", [2],
                            prepare=True).statusmessage == "DELETE 1"
        with pytest.raises(psycopg.errors.FeatureNotSupported, match="hard_delete"):
            conn.execute("EXECUTE hard_delete(3)")
        rows = conn.execute("SELECT id FROM later WHERE id > %s ORDER BY id", [0],
                            prepare=True).fetchall()
        assert rows == [(3,), (4,), (5,), (6,)]
        conn.execute("DEALLOCATE hard_delete")
        conn.execute("PREPARE hard_delete AS DELETE FROM later WHERE id = $1")
        assert conn.execute("EXECUTE hard_delete(4)").statusmessage == "DELETE 1"
        conn.close()
        assert pg.psql("SELECT id, deleted_at IS NOT NULL FROM later ORDER BY id") == \
            "2|t\n3|f\n4|t\n5|f\n6|f\n"
    finally:
        ts.stop()
