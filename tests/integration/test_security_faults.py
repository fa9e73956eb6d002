"""Issue 7 point 3 (faults, nothing half-written):
- a client that vanishes mid-transaction after a soft DELETE: the server rolls the transaction
  back, the row is not deleted and no lock is left behind;
- the server killed (`pg_ctl stop -m immediate`) during an archive DELETE inside a transaction:
  the client gets an error, Tombstone stays up and serves new sessions once the server is back,
  and every row is in exactly one of the source and archive tables.
"""
import threading

import psycopg2
import pytest

from apps.common import Env, fetch, status
from proxyenv import backend_gone, wait_until

IDS = {1, 2, 3, 4, 5}


@pytest.fixture(scope="module")
def env():
    e = Env()
    yield e
    e.close()


@pytest.fixture(autouse=True)
def fresh(env):
    if not env.cluster.started:
        env.cluster.start()
    env.reset()


@pytest.mark.parametrize("how", ["reset", "close"])
def test_client_vanishing_mid_transaction_rolls_back(env, how):
    conn = env.wire("bob")
    assert conn.query("BEGIN")[0].tag == "BEGIN"
    assert conn.query("DELETE FROM users WHERE id = 3")[0].tag == "DELETE 1"
    assert conn.query("DELETE FROM orders WHERE id = 2")[0].tag == "DELETE 1"
    pid = int(conn.query("SELECT pg_backend_pid()")[0].rows[0][0])
    assert conn.status == "T"
    if how == "reset":
        conn.abort()  # RST, no Terminate
    else:
        conn.sock.close()  # FIN, no Terminate
    wait_until(lambda: backend_gone(env.cluster, pid), timeout=30,
               what=f"server backend {pid} to end after the client left")
    assert env.rows("SELECT deleted_at, deleted_by FROM users WHERE id = 3") == [(None, None)]
    assert {r[0] for r in env.rows("SELECT id FROM orders")} == IDS
    assert env.rows("SELECT count(*) FROM orders_archive") == [(0,)]
    # Nothing is left locked: a new session deletes the same row at once.
    other = env.via("bob")
    fetch(other, "SET lock_timeout = '10s'")
    assert status(other, "DELETE FROM users WHERE id = 3") == ("DELETE 1", 1)


def assert_each_order_in_exactly_one_table(env, archived):
    source = {r[0] for r in env.rows("SELECT id FROM orders")}
    moved = [r[0] for r in env.rows("SELECT id FROM orders_archive")]
    assert sorted(moved) == sorted(archived), moved
    assert source == IDS - set(archived)
    assert source.isdisjoint(moved)


def restart_and_check_proxy(env):
    env.cluster.start()
    assert env.proxy.proc.poll() is None, "tombstone exited when the server died"
    conn = env.via("bob")
    assert fetch(conn, "SELECT count(*) FROM users") == [(8,)]


def test_server_killed_during_archive_delete_in_transaction(env):
    conn = env.via("bob")
    conn.autocommit = False
    assert status(conn, "DELETE FROM orders WHERE id = 1") == ("DELETE 1", 1)
    outcome = {}

    def long_delete():
        try:
            with conn.cursor() as cur:
                # pg_sleep in FROM keeps the archive DELETE running until the server is killed.
                cur.execute("DELETE FROM orders WHERE id IN "
                            "(SELECT id FROM orders CROSS JOIN pg_sleep(60) WHERE id > 2)")
            outcome["tag"] = cur.statusmessage
        except psycopg2.Error as e:
            outcome["error"] = e

    worker = threading.Thread(target=long_delete)
    worker.start()
    wait_until(lambda: env.rows("SELECT count(*) FROM pg_stat_activity WHERE usename = 'bob'"
                                " AND wait_event = 'PgSleep'") == [(1,)],
               timeout=30, what="the archive DELETE to be running on the server")
    env.cluster.stop("immediate")
    worker.join(timeout=60)
    assert not worker.is_alive(), "the client got no answer after the server died"
    assert "error" in outcome, outcome
    restart_and_check_proxy(env)
    assert_each_order_in_exactly_one_table(env, archived=[])


def test_server_killed_between_archive_delete_and_commit(env):
    conn = env.via("bob")
    conn.autocommit = False
    assert status(conn, "DELETE FROM orders WHERE id IN (1, 2, 3)") == ("DELETE 3", 3)
    env.cluster.stop("immediate")
    with pytest.raises(psycopg2.Error):
        conn.commit()
    restart_and_check_proxy(env)
    assert_each_order_in_exactly_one_table(env, archived=[])


def test_server_killed_after_commit_keeps_the_archive(env):
    conn = env.via("bob")
    conn.autocommit = False
    assert status(conn, "DELETE FROM orders WHERE id IN (4, 5)") == ("DELETE 2", 2)
    conn.commit()
    env.cluster.stop("immediate")
    restart_and_check_proxy(env)
    assert_each_order_in_exactly_one_table(env, archived=[4, 5])
