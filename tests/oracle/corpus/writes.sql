-- Write cases of the equivalence oracle (tests/oracle/oracle.py explains the format). Each case
-- runs in BEGIN ... ROLLBACK on both sides; after its statements the runner compares every
-- statement's tag and rows (RETURNING), then the live rows of every table, checks that soft_db
-- kept every row (newly deleted ones marked once, by the case's actor) and that archived rows
-- moved into events_archive.
--
-- gone_db keeps its foreign keys: a case must not hard-delete a row that live rows still
-- reference on gone_db (PostgreSQL would refuse; foreign-key actions are outside what a wire
-- proxy sees, DESIGN §1). Safe targets: users 56, 59; orders 141, 142, 144, 145, 147..149; any
-- order_items, events, "UserNotes", crm.accounts row; leaf comments; products 2, 12, 22.

-- ---------------------------------------------------------------- soft DELETE
-- case: delete_one_user
DELETE FROM users WHERE id = 59;

-- case: delete_already_deleted_user
DELETE FROM users WHERE id = 3;

-- case: delete_mixed_deleted_and_live
DELETE FROM users WHERE id IN (3, 12, 56, 59);

-- case: delete_returning_star
DELETE FROM users WHERE id = 56 RETURNING *;

-- case: delete_returning_columns
DELETE FROM users WHERE id IN (20, 59) RETURNING id, email, deleted_at, deleted_by;

-- case: delete_returning_expression
DELETE FROM order_items WHERE order_id = 11 RETURNING id, qty * unit_price AS amount;

-- case: delete_many_items
DELETE FROM order_items WHERE qty = 5;

-- case: delete_all_items
DELETE FROM order_items;

-- case: delete_all_items_twice
DELETE FROM order_items;
DELETE FROM order_items;

-- case: delete_same_row_twice
DELETE FROM order_items WHERE id = 1;
DELETE FROM order_items WHERE id = 1;

-- case: delete_where_or
DELETE FROM order_items WHERE qty = 1 OR unit_price > 45;

-- case: delete_subquery_in
DELETE FROM order_items WHERE product_id IN (SELECT id FROM products WHERE category = 'toys');

-- case: delete_subquery_not_exists
DELETE FROM order_items i WHERE NOT EXISTS (SELECT 1 FROM products p WHERE p.id = i.product_id);

-- case: delete_subquery_exists_deleted_manager
DELETE FROM users WHERE id = 59 AND EXISTS (SELECT 1 FROM users m WHERE m.id = 3);

-- case: delete_limit_via_subquery
DELETE FROM order_items WHERE id IN (SELECT id FROM order_items ORDER BY id LIMIT 5) RETURNING id;

-- case: delete_using
DELETE FROM order_items i USING orders o WHERE i.order_id = o.id AND o.status = 'cancelled';

-- case: delete_using_deleted_rows_in_using
DELETE FROM order_items i USING products p WHERE i.product_id = p.id AND p.category = 'toys' RETURNING i.id;

-- case: delete_using_two_tables
DELETE FROM order_items i USING orders o, users u
WHERE i.order_id = o.id AND o.user_id = u.id AND u.score < 30;

-- case: delete_leaf_comments
DELETE FROM comments c WHERE NOT EXISTS (SELECT 1 FROM comments r WHERE r.parent_id = c.id);

-- case: delete_comment_returning_body
DELETE FROM comments WHERE id = 80 RETURNING id, body, parent_id;

-- case: delete_orders_without_items
DELETE FROM orders o WHERE id > 140 AND NOT EXISTS (SELECT 1 FROM order_items i WHERE i.order_id = o.id);

-- case: delete_order_items_then_order
DELETE FROM order_items WHERE order_id = 5;
DELETE FROM comments WHERE order_id = 5;
DELETE FROM orders WHERE id = 5 RETURNING id, status;

-- case: delete_with_alias
DELETE FROM order_items AS x WHERE x.qty = 2 RETURNING x.id;

-- case: delete_only
DELETE FROM ONLY order_items WHERE id = 2;

-- case: delete_quoted_and_upper_names
DELETE FROM "order_items" WHERE id = 3;
DELETE FROM PUBLIC.ORDER_ITEMS WHERE id = 4;

-- case: delete_unicode_escaped_name
DELETE FROM U&"order\005fitems" WHERE id = 6;

-- case: delete_with_comments
/* cleanup */ DELETE /* x */ FROM order_items -- which
WHERE id = 7;

-- case: delete_products_marker_removed_at
DELETE FROM products WHERE id IN (2, 5, 12) RETURNING *;

-- case: delete_products_by_deleted_sku
DELETE FROM products WHERE sku = 'SKU-005';

-- case: delete_quoted_table
DELETE FROM "UserNotes" WHERE "Body" IS NULL RETURNING "Id";

-- case: delete_crm_account_already_deleted
DELETE FROM crm.accounts WHERE id = 9;

-- case: delete_crm_accounts_search_path
SET search_path = crm, public;
DELETE FROM accounts WHERE balance IS NULL OR id = 15 RETURNING id;

-- case: delete_search_path_hides_managed_table
-- unfiltered
SET search_path = crm, public;
DELETE FROM users WHERE id IN (2, 3);

-- case: delete_actor_and_reason
-- actor: user:42
-- reason: gdpr request
SET LOCAL tombstone.actor = 'user:42';
SET LOCAL tombstone.reason = 'gdpr request';
DELETE FROM order_items WHERE order_id = 12;

-- case: delete_actor_session_level
-- actor: cron
SET tombstone.actor = 'cron';
DELETE FROM users WHERE id = 59;
RESET tombstone.actor;

-- case: delete_where_current_of
DECLARE oracle_c1 CURSOR FOR SELECT id FROM order_items WHERE qty = 3 ORDER BY id FOR UPDATE;
FETCH 2 FROM oracle_c1;
DELETE FROM order_items WHERE CURRENT OF oracle_c1;

-- case: explain_analyze_delete
-- explain
EXPLAIN ANALYZE DELETE FROM order_items WHERE id < 10;

-- case: delete_then_read_in_same_transaction
DELETE FROM order_items WHERE qty > 3;
SELECT count(*), sum(qty) FROM order_items;

-- case: delete_then_reinsert_email
DELETE FROM users WHERE id = 59;
INSERT INTO users (email, name, signup_on) VALUES ('user59@example.com', 'Again', '2026-01-01') RETURNING id, email;

-- ---------------------------------------------------------------- archive DELETE
-- case: archive_delete
DELETE FROM events WHERE kind = 'error';

-- case: archive_delete_returning_star
DELETE FROM events WHERE id < 5 RETURNING *;

-- case: archive_delete_returning_columns
DELETE FROM events WHERE payload IS NULL RETURNING id, kind;

-- case: archive_delete_nothing
-- unfiltered
DELETE FROM events WHERE id = 9999;

-- case: archive_delete_using_soft_table
DELETE FROM events e USING users u WHERE e.user_id = u.id AND u.country_code = 'NZ';

-- case: archive_delete_subquery_soft_table
DELETE FROM events WHERE user_id IN (SELECT id FROM users WHERE score < 30);

-- case: archive_delete_actor
-- actor: user:7
SET LOCAL tombstone.actor = 'user:7';
DELETE FROM events WHERE kind = 'logout' AND id < 40 RETURNING id;

-- case: archive_delete_in_cte
WITH d AS (DELETE FROM events WHERE kind = 'logout' RETURNING id) SELECT count(*) FROM d;

-- case: archive_insert_then_delete
INSERT INTO events (user_id, kind, payload, at) VALUES (1, 'login', 'fresh', '2026-01-01 00:00:00+00');
DELETE FROM events WHERE payload = 'fresh' OR id = 3 RETURNING user_id, kind, payload;

-- ---------------------------------------------------------------- UPDATE
-- case: update_deleted_row
UPDATE users SET name = 'ghost' WHERE id = 3;

-- case: update_all_live
UPDATE users SET score = coalesce(score, 0) + 1;

-- case: update_returning
UPDATE orders SET status = 'archived' WHERE user_id IN (3, 7, 8) RETURNING id, status;

-- case: update_from
UPDATE orders o SET note = 'vip' FROM users u WHERE o.user_id = u.id AND u.score < 30;

-- case: update_from_subquery_count
UPDATE users SET score = (SELECT count(*) FROM orders o WHERE o.user_id = users.id) RETURNING id, score;

-- case: update_where_exists
UPDATE comments c SET body = body || ' (replied)' WHERE EXISTS (SELECT 1 FROM comments r WHERE r.parent_id = c.id);

-- case: update_products_removed_at
UPDATE products SET price = price * 2 WHERE category = 'toys' RETURNING sku, price;

-- case: update_crm_accounts
UPDATE crm.accounts SET balance = 0 WHERE balance IS NULL OR id IN (4, 9);

-- case: update_quoted_table
UPDATE "UserNotes" SET "Body" = upper("Body") WHERE "Id" < 20 RETURNING "Id", "Body";

-- case: update_email_to_deleted_rows_email
-- unfiltered
UPDATE users SET email = 'reuse@example.com' WHERE id = 59 RETURNING id, email;

-- case: update_email_to_live_rows_email_fails
-- unfiltered
-- expect-error: 23505
UPDATE users SET email = 'user1@example.com' WHERE id = 59;

-- case: update_where_current_of
DECLARE oracle_c2 CURSOR FOR SELECT id, name FROM users WHERE id > 56 ORDER BY id FOR UPDATE;
FETCH 1 FROM oracle_c2;
UPDATE users SET name = 'current' WHERE CURRENT OF oracle_c2;

-- case: update_in_cte
WITH u AS (UPDATE users SET score = 0 WHERE score < 20 RETURNING id) SELECT count(*) FROM u;

-- ---------------------------------------------------------------- INSERT
-- case: insert_new_user
-- unfiltered
INSERT INTO users (email, name, country_code, signup_on) VALUES ('new@example.com', 'New', 'IS', '2026-01-01');

-- case: insert_reuse_email_of_deleted_row
-- unfiltered
INSERT INTO users (email, name, signup_on) VALUES ('reuse@example.com', 'Reuser', '2026-01-01') RETURNING id, email, deleted_at;

-- case: insert_duplicate_live_email_fails
-- unfiltered
-- expect-error: 23505
INSERT INTO users (email, name, signup_on) VALUES ('user1@example.com', 'Dup', '2026-01-01');

-- case: insert_on_conflict_do_nothing_deleted_key
INSERT INTO users (email, name, signup_on) VALUES ('reuse@example.com', 'Again', '2026-01-01')
ON CONFLICT (email) DO NOTHING RETURNING id;

-- case: insert_on_conflict_do_update_deleted_key
INSERT INTO users (email, name, signup_on) VALUES ('reuse@example.com', 'Upserted', '2026-01-01')
ON CONFLICT (email) DO UPDATE SET name = excluded.name RETURNING id, name;

-- case: insert_on_conflict_do_update_live_key
INSERT INTO users (email, name, signup_on) VALUES ('user50@example.com', 'Fifty', '2026-01-01')
ON CONFLICT (email) DO UPDATE SET name = excluded.name RETURNING id, name;

-- case: insert_on_conflict_do_nothing_live_key
INSERT INTO users (email, name, signup_on) VALUES ('user1@example.com', 'One', '2026-01-01')
ON CONFLICT (email) DO NOTHING;

-- case: insert_on_conflict_where_on_update
INSERT INTO users (email, name, signup_on) VALUES ('user4@example.com', 'Four', '2026-01-01'), ('reuse@example.com', 'R', '2026-01-01')
ON CONFLICT (email) DO UPDATE SET score = users.score + 1 WHERE users.score IS NOT NULL RETURNING id, score;

-- case: insert_on_conflict_no_target_deleted_key
-- unfiltered
INSERT INTO users (email, name, signup_on) VALUES ('reuse@example.com', 'NoTarget', '2026-01-01') ON CONFLICT DO NOTHING;

-- case: insert_on_conflict_products_sku
INSERT INTO products (sku, title, price) VALUES ('SKU-005', 'Back again', 1.50), ('SKU-018', 'Clash', 2.50)
ON CONFLICT (sku) DO UPDATE SET title = excluded.title RETURNING sku, title;

-- case: insert_on_conflict_crm_handle
INSERT INTO crm.accounts (id, handle, balance) VALUES (100, 'reuse-handle', 1), (101, 'h16', 2)
ON CONFLICT (handle) DO NOTHING RETURNING id, handle;

-- case: insert_select_from_soft
INSERT INTO crm.users (id, email, name) SELECT id + 100, email, name FROM users WHERE score < 30;

-- case: insert_select_join
INSERT INTO order_items (order_id, product_id, qty, unit_price)
SELECT o.id, p.id, 1, p.price FROM orders o JOIN products p ON p.category = 'food' WHERE o.status = 'new' AND o.user_id < 20
RETURNING order_id, product_id;

-- case: insert_select_nothing_to_copy
INSERT INTO users (email, name, signup_on) SELECT 'copy-' || email, name, signup_on FROM users WHERE country_code = 'NZ';

-- case: insert_select_reinsert_deleted_emails
-- unfiltered
INSERT INTO users (email, name, signup_on) VALUES ('user33@example.com', 'Back', '2026-01-01'), ('user41@example.com', 'Back', '2026-01-01')
RETURNING id;

-- ---------------------------------------------------------------- MERGE
-- case: merge_into_soft_target
MERGE INTO users u USING (VALUES (3, 'three'), (4, 'four')) v(id, name) ON u.id = v.id
WHEN MATCHED THEN UPDATE SET name = v.name
WHEN NOT MATCHED THEN INSERT (email, name, signup_on) VALUES ('merge' || v.id || '@example.com', v.name, '2026-01-01');

-- case: merge_by_email_deleted_key
MERGE INTO users u USING (VALUES ('reuse@example.com', 'Merged'), ('user50@example.com', 'Fifty')) v(email, name) ON u.email = v.email
WHEN MATCHED THEN UPDATE SET name = v.name
WHEN NOT MATCHED THEN INSERT (email, name, signup_on) VALUES (v.email, v.name, '2026-01-01');

-- case: merge_soft_source
MERGE INTO crm.users cu USING users u ON cu.id = u.id
WHEN MATCHED THEN UPDATE SET name = u.name
WHEN NOT MATCHED AND u.id <= 15 THEN INSERT VALUES (u.id, u.email, u.name, NULL);

-- case: merge_matched_delete
MERGE INTO order_items i USING (SELECT id FROM orders WHERE status = 'cancelled') o ON i.order_id = o.id
WHEN MATCHED THEN DELETE;

-- case: merge_matched_delete_or_update
MERGE INTO order_items i USING orders o ON i.order_id = o.id AND o.user_id < 25
WHEN MATCHED AND i.qty > 3 THEN DELETE
WHEN MATCHED THEN UPDATE SET qty = i.qty + 10;

-- ---------------------------------------------------------------- data-modifying CTEs
-- case: cte_delete_count
WITH d AS (DELETE FROM order_items WHERE qty = 1 RETURNING order_id) SELECT count(DISTINCT order_id) FROM d;

-- case: cte_delete_into_insert
WITH d AS (DELETE FROM comments WHERE id IN (78, 80) RETURNING *)
INSERT INTO crm.users (id, email, name) SELECT id + 500, 'c' || id, body FROM d;

-- case: cte_delete_two_tables
WITH i AS (DELETE FROM order_items WHERE order_id IN (141, 142, 143) RETURNING id),
     o AS (DELETE FROM orders WHERE id IN (141, 142) RETURNING id)
SELECT (SELECT count(*) FROM i), (SELECT count(*) FROM o);

-- case: cte_read_then_delete
WITH cheap AS (SELECT id FROM products WHERE price < 20)
DELETE FROM order_items WHERE product_id IN (SELECT id FROM cheap) RETURNING id;

-- ---------------------------------------------------------------- TRUNCATE
-- case: truncate_soft_table
TRUNCATE order_items;

-- case: truncate_table_keyword
TRUNCATE TABLE "UserNotes";

-- case: truncate_two_soft_tables
TRUNCATE "UserNotes", crm.accounts;

-- case: truncate_archive_table
TRUNCATE events;

-- ---------------------------------------------------------------- bound parameters
-- case: param_delete_by_id
-- params: [59]
DELETE FROM users WHERE id = %s;

-- case: param_delete_any
-- params: [[1, 2, 3, 17, 34]]
DELETE FROM order_items WHERE id = ANY (%s) RETURNING id;

-- case: param_update
-- params: ['renamed', 3]
UPDATE users SET name = %s WHERE id = %s;

-- case: param_insert_reuse_email
-- unfiltered
-- params: ['reuse@example.com', 'Param', '2026-01-01']
INSERT INTO users (email, name, signup_on) VALUES (%s, %s, %s) RETURNING id;

-- case: param_archive_delete
-- params: ['purchase']
DELETE FROM events WHERE kind = %s RETURNING id;

-- case: param_upsert
-- params: ['reuse@example.com', 'Up']
INSERT INTO users (email, name, signup_on) VALUES (%s, %s, '2026-01-01') ON CONFLICT (email) DO UPDATE SET name = excluded.name;

-- ---------------------------------------------------------------- harder writes
-- case: prepare_execute_delete
PREPARE oracle_d1 (int) AS DELETE FROM order_items WHERE qty = $1;
EXECUTE oracle_d1(5);
EXECUTE oracle_d1(5);
DEALLOCATE oracle_d1;

-- case: copy_delete_returning
COPY (DELETE FROM order_items WHERE qty = 4 RETURNING id, order_id) TO STDOUT;

-- case: insert_on_conflict_with_index_predicate
-- unfiltered
INSERT INTO users (email, name, signup_on) VALUES ('reuse@example.com', 'Pred', '2026-01-01')
ON CONFLICT (email) WHERE deleted_at IS NULL DO UPDATE SET name = excluded.name RETURNING id, name;

-- case: update_restore_attempt_by_non_admin
UPDATE users SET deleted_at = NULL, deleted_by = NULL WHERE id = 3;

-- case: update_manager_of_deleted
UPDATE users SET manager_id = NULL WHERE manager_id = 3 RETURNING id;

-- case: insert_values_subquery
INSERT INTO crm.users (id, email, name) VALUES (999, 'sub@example.com', (SELECT max(name) FROM users)) RETURNING name;

-- case: delete_returning_subquery
DELETE FROM order_items WHERE id = 5 RETURNING id, (SELECT count(*) FROM order_items) AS before;

-- case: delete_target_vs_cte_of_same_name
WITH order_items AS (SELECT 1 AS id UNION ALL SELECT 34)
DELETE FROM order_items WHERE id IN (SELECT id FROM order_items) RETURNING id;

-- case: archive_delete_using_returning_both
DELETE FROM events e USING users u WHERE e.user_id = u.id AND u.id < 6 RETURNING e.id, u.email;

-- case: archive_delete_alias_returning_alias_star
DELETE FROM events AS ev WHERE ev.id < 4 RETURNING ev.*;

-- case: delete_using_returning_both
DELETE FROM order_items i USING orders o WHERE i.order_id = o.id AND o.user_id IN (3, 4) RETURNING i.id, o.status;

-- case: delete_returning_whole_row
DELETE FROM order_items WHERE id IN (8, 17) RETURNING order_items;

-- case: delete_returning_marker_expression
DELETE FROM users WHERE id = 59 RETURNING id, coalesce(deleted_at::text, 'live') AS state, deleted_by IS NULL AS no_actor;

-- case: delete_schema_and_alias
DELETE FROM public.order_items AS oi WHERE oi.id = 9 RETURNING oi.id;

-- case: delete_mixed_case_schema
DELETE FROM CRM.Accounts WHERE id IN (1, 4) RETURNING id;

-- case: delete_self_using
DELETE FROM comments c USING comments p WHERE c.parent_id = p.id AND p.id IN (13, 70) RETURNING c.id;

-- case: merge_delete_with_actor
-- actor: merge-bot
SET LOCAL tombstone.actor = 'merge-bot';
MERGE INTO order_items i USING (SELECT id FROM orders WHERE user_id = 3) o ON i.order_id = o.id
WHEN MATCHED THEN DELETE;

-- case: two_deletes_one_transaction_share_marker
DELETE FROM order_items WHERE qty = 2;
DELETE FROM users WHERE id = 56;
DELETE FROM "UserNotes" WHERE "UserId" = 56;

-- case: param_delete_returning_star
-- params: [12]
DELETE FROM order_items WHERE order_id = %s RETURNING *;

-- case: param_archive_using
-- params: ['US']
DELETE FROM events e USING users u WHERE e.user_id = u.id AND u.country_code = %s RETURNING e.id;

-- ---------------------------------------------------------------- session state in writes
-- case: delete_dollar_user_table_is_unmanaged
-- unfiltered
DELETE FROM tags WHERE id IN (1, 2) RETURNING *;

-- case: delete_managed_tags_qualified
DELETE FROM public.tags WHERE id IN (1, 2, 5) RETURNING id, label;

-- case: savepoint_rollback_then_delete
SAVEPOINT oracle_w1;
DELETE FROM order_items WHERE qty = 1;
ROLLBACK TO SAVEPOINT oracle_w1;
DELETE FROM order_items WHERE qty = 2;

-- case: delete_after_failed_savepoint
SAVEPOINT oracle_w2;
DELETE FROM order_items WHERE qty = 3;
RELEASE SAVEPOINT oracle_w2;
DELETE FROM order_items WHERE qty = 3;

-- ---------------------------------------------------------------- multi-statement strings and snapshots
-- case: multi_statement_string_deletes
-- modes: direct psycopg2
DELETE FROM order_items WHERE id = 1; DELETE FROM order_items WHERE id IN (2, 17, 18);

-- case: multi_statement_string_delete_then_select
-- modes: direct psycopg2
DELETE FROM users WHERE id = 59; SELECT count(*) FROM users;

-- case: multi_statement_string_select_then_delete
-- modes: direct psycopg2
SELECT count(*) FROM users; DELETE FROM order_items WHERE qty = 2 RETURNING id;

-- case: multi_statement_string_set_then_delete
-- modes: direct psycopg2
SET search_path = crm, public; DELETE FROM accounts WHERE id IN (3, 4) RETURNING id;

-- case: archive_returning_table_qualified
DELETE FROM events WHERE id IN (7, 8) RETURNING events.id, events.kind;

-- case: archive_cte_and_read_same_table
WITH d AS (DELETE FROM events WHERE id < 5 RETURNING id) SELECT (SELECT count(*) FROM events), (SELECT count(*) FROM d);

-- case: soft_cte_and_read_same_table
WITH d AS (DELETE FROM order_items WHERE qty = 1 RETURNING id) SELECT (SELECT count(*) FROM order_items), (SELECT count(*) FROM d);

-- case: archive_cte_returning_star_aggregated
WITH d AS (DELETE FROM events WHERE id < 10 RETURNING *) SELECT count(*), max(id), count(payload) FROM d;

-- ---------------------------------------------------------------- more MERGE and join aliases
-- case: merge_when_condition_subquery
MERGE INTO users u USING (VALUES (4), (6)) v(id) ON u.id = v.id
WHEN MATCHED AND EXISTS (SELECT 1 FROM users m WHERE m.id = 3) THEN UPDATE SET name = 'manager 3 exists'
WHEN MATCHED THEN UPDATE SET name = 'no manager 3';

-- case: merge_source_outer_join_only_deleted_match
MERGE INTO crm.users cu
USING (SELECT c.code, u.id FROM countries c LEFT JOIN users u ON u.country_code = c.code WHERE c.code IN ('NZ', 'IS')) s
ON cu.id = s.id
WHEN NOT MATCHED AND s.id IS NULL THEN INSERT VALUES (CASE s.code WHEN 'NZ' THEN 901 ELSE 902 END, s.code || '@example.com', s.code, NULL)
WHEN NOT MATCHED THEN INSERT VALUES (s.id, 'x' || s.id, 'present', NULL);

-- case: delete_using_join_alias
DELETE FROM order_items i USING (orders o JOIN users u ON u.id = o.user_id) AS j
WHERE i.order_id = j.user_id AND j.score < 30 RETURNING i.id;

-- case: update_from_join_alias
UPDATE orders SET note = 'joined' FROM (users u LEFT JOIN countries c ON c.code = u.country_code) AS j
WHERE orders.user_id = j.manager_id AND j.region = 'Europe';

-- ---------------------------------------------------------------- RETURNING shapes
-- case: delete_using_returning_star_all_tables
DELETE FROM order_items i USING orders o WHERE i.order_id = o.id AND o.user_id IN (4, 5) RETURNING *;

-- case: delete_returning_qualified_star
DELETE FROM users WHERE id IN (56, 59) RETURNING users.*;

-- case: cte_delete_returning_star_markers_read
WITH d AS (DELETE FROM users WHERE id IN (3, 59) RETURNING *) SELECT id, deleted_at, deleted_by, deleted_reason FROM d;

-- case: archive_delete_using_returning_star_all_tables
DELETE FROM events e USING users u WHERE e.user_id = u.id AND u.id IN (2, 3) RETURNING *;
