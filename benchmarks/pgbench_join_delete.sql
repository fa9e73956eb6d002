-- Custom pgbench workload for benchmarks/pgbench_compare.sh: a two-table join that Tombstone
-- filters (pgbench_accounts is managed), then DELETE + INSERT on managed tables in one
-- transaction (the DELETE becomes a soft-delete UPDATE; the history row is archived).
-- New accounts take ids from bench_aid_seq, because a soft-deleted row keeps its primary key.
\set aid random(1, 100000 * :scale)
\set bid random(1, 1 * :scale)
\set tid random(1, 10 * :scale)
\set delta random(-5000, 5000)
SELECT a.abalance, b.bbalance FROM pgbench_accounts a JOIN pgbench_branches b ON b.bid = a.bid WHERE a.aid = :aid;
BEGIN;
DELETE FROM pgbench_accounts WHERE aid = :aid;
INSERT INTO pgbench_accounts (aid, bid, abalance, filler) VALUES (nextval('bench_aid_seq'), :bid, :delta, '');
DELETE FROM pgbench_history WHERE aid = :aid;
INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (:tid, :bid, :aid, :delta, CURRENT_TIMESTAMP);
END;
