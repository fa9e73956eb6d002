"""DDL run past Tombstone (a migration applied directly, or through another proxy) reaches open
sessions: limits.catalog_max_age makes a session take its catalog snapshot again at its next
idle point. Without it, an archive DELETE would copy only the columns the old snapshot listed and
a new column's values would be lost from the archive (DESIGN §2: explicit column lists)."""
import time

import psycopg2

from harness import Tombstone
from proxyenv import LIMITS, log_tail, proxied_cluster

CONFIG = (LIMITS.replace("limits: {", "limits: {catalog_max_age: 1s, ") +
          "log: {level: info}\n"
          "tables:\n"
          "  public.orders: {strategy: archive, archive: public.orders_archive}\n"
          "  public.users: {strategy: soft}\n")


def test_column_added_elsewhere_reaches_archive_and_returning():
    with proxied_cluster(start_proxy=False) as (pg, _):
        pg.psql("CREATE TABLE orders (id int PRIMARY KEY, total int);"
                "CREATE TABLE orders_archive (id int, total int, archived_at timestamptz, "
                "archived_by text);"
                "CREATE TABLE users (id int PRIMARY KEY, deleted_at timestamptz);"
                "INSERT INTO orders VALUES (1, 10), (2, 20); INSERT INTO users VALUES (1, NULL)")
        ts = Tombstone(pg, CONFIG).start()
        try:
            conn = psycopg2.connect(ts.dsn())
            conn.autocommit = True
            cur = conn.cursor()
            cur.execute("SELECT count(*) FROM orders")  # the session has its snapshot now
            assert cur.fetchone() == (2,)
            # The migration, straight on PostgreSQL.
            pg.psql("ALTER TABLE orders ADD COLUMN tag text;"
                    "ALTER TABLE orders_archive ADD COLUMN tag text;"
                    "ALTER TABLE users ADD COLUMN note text;"
                    "UPDATE orders SET tag = 'keep me'; UPDATE users SET note = 'n'")
            time.sleep(1.5)
            cur.execute("SELECT 1")  # an idle point past catalog_max_age: the snapshot is retaken
            cur.execute("DELETE FROM orders WHERE id = 2 RETURNING *")
            assert [d[0] for d in cur.description] == ["id", "total", "tag"]
            assert cur.fetchall() == [(2, 20, "keep me")]
            cur.execute("DELETE FROM users WHERE id = 1 RETURNING *")
            assert [d[0] for d in cur.description] == ["id", "deleted_at", "note"]
            assert cur.fetchall() == [(1, None, "n")]
            conn.close()
            assert pg.psql("SELECT id, total, tag FROM orders_archive") == "2|20|keep me\n", \
                log_tail(ts)
        finally:
            ts.stop()
