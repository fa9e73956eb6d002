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

-- ---------------------------------------------------------------- ORM-shaped writes (oracle growth, round 2)
-- case: w2_insert_select_on_conflict_excluded_where
INSERT INTO users (email, name, signup_on) SELECT u.email, upper(u.name), u.signup_on FROM users u WHERE u.id BETWEEN 45 AND 55
ON CONFLICT (email) DO UPDATE SET name = EXCLUDED.name || '!', score = users.score + 1 WHERE users.score > 30
RETURNING id, name, score;

-- case: w2_insert_values_on_conflict_deleted_and_live_sku
INSERT INTO products (sku, title, price) VALUES ('SKU-005', 'again five', 1.00), ('SKU-018', 'eighteen', 2.00), ('SKU-029', 'again 29', 3.00)
ON CONFLICT (sku) DO UPDATE SET title = EXCLUDED.title, price = products.price + EXCLUDED.price
RETURNING sku, title, price;

-- case: w2_insert_on_conflict_update_subquery_on_managed
INSERT INTO users (email, name, signup_on) VALUES ('user4@example.com', 'four', '2026-01-01'), ('user3@example.com', 'three', '2026-01-01')
ON CONFLICT (email) DO UPDATE SET score = (SELECT count(*) FROM orders o WHERE o.user_id = users.id)
WHERE EXISTS (SELECT 1 FROM comments c WHERE c.user_id = users.id)
RETURNING email, name, score;

-- case: w2_insert_select_distinct_on_conflict_do_nothing
INSERT INTO crm.accounts (id, handle, user_id, balance)
SELECT DISTINCT ON (u.id) 100 + u.id, 'h' || u.id, u.id, o.total FROM users u JOIN orders o ON o.user_id = u.id WHERE u.id < 20 ORDER BY u.id, o.id
ON CONFLICT (handle) DO NOTHING
RETURNING id, handle, balance;

-- case: w2_insert_select_window_into_unmanaged
INSERT INTO crm.users (id, email, name)
SELECT 200 + rn, email, name FROM (SELECT email, name, row_number() OVER (ORDER BY score NULLS LAST, id) AS rn FROM users) t WHERE rn <= 10
RETURNING id, email;

-- case: w2_update_from_join_returning_all_sides
UPDATE orders o SET note = u.name FROM users u JOIN countries c ON c.code = u.country_code
WHERE o.user_id = u.id AND c.region = 'Europe' RETURNING o.id, o.note, u.id, c.code;

-- case: w2_update_from_left_join_deleted_owner
UPDATE order_items i SET qty = i.qty + 100 FROM orders o LEFT JOIN users u ON u.id = o.user_id
WHERE i.order_id = o.id AND u.id IS NULL RETURNING i.id, i.qty;

-- case: w2_update_from_values
UPDATE users u SET score = v.s FROM (VALUES (3, 1), (4, 2), (12, 3), (50, 4)) v(id, s) WHERE u.id = v.id RETURNING u.id, u.score;

-- case: w2_update_correlated_set
UPDATE users u SET score = (SELECT count(*) FROM orders o WHERE o.user_id = u.id) WHERE u.id < 15 RETURNING u.id, u.score;

-- case: w2_update_where_in_same_table
UPDATE comments SET body = body || ' (edited)' WHERE parent_id IN (SELECT id FROM comments WHERE user_id < 10) RETURNING id;

-- case: w2_update_row_assignment
UPDATE orders SET (status, note) = (SELECT 'x' || count(*), max(email) FROM users WHERE users.id = orders.user_id) WHERE id < 25 RETURNING id, status, note;

-- case: w2_update_returning_whole_row
UPDATE users u SET name = 'renamed' WHERE u.id IN (3, 4, 5) RETURNING u;

-- case: w2_update_hard_table_from_soft
UPDATE api_keys k SET label = 'owner gone' WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.id = k.user_id) RETURNING k.id;

-- case: w2_delete_using_three_tables_returning
DELETE FROM order_items i USING orders o, users u WHERE i.order_id = o.id AND o.user_id = u.id AND u.country_code = 'FR'
RETURNING i.id, o.id, u.email;

-- case: w2_delete_using_join_tree_returning
DELETE FROM order_items i USING orders o JOIN users u ON u.id = o.user_id LEFT JOIN countries c ON c.code = u.country_code
WHERE i.order_id = o.id AND c.code IS NULL RETURNING i.id, u.id;

-- case: w2_archive_delete_using_two_soft_tables
DELETE FROM events e USING users u, orders o WHERE e.user_id = u.id AND o.user_id = u.id AND o.status = 'cancelled'
RETURNING e.id, u.id;

-- case: w2_archive_delete_subquery_same_table
DELETE FROM events WHERE id IN (SELECT max(id) FROM events GROUP BY kind) RETURNING id, kind;

-- case: w2_archive_delete_returning_row_to_json
DELETE FROM events WHERE id IN (11, 12) RETURNING row_to_json(events)::text;

-- case: w2_delete_returning_row_to_json_whole_row
DELETE FROM users WHERE id IN (3, 56) RETURNING row_to_json(users)::text;

-- case: w2_delete_returning_whole_row_alias_in_function
DELETE FROM "UserNotes" n WHERE n."Id" < 12 RETURNING n."Id", to_jsonb(n)::text, row_to_json(n.*)::text, ROW(n.*)::text;

-- case: w2_hard_delete_using_soft_table
DELETE FROM api_keys k USING users u WHERE k.user_id = u.id AND u.id IN (3, 4, 12, 13) RETURNING k.id, u.email;

-- case: w2_delete_leaf_comments_not_exists_same_table
DELETE FROM comments c WHERE c.id > 60 AND NOT EXISTS (SELECT 1 FROM comments r WHERE r.parent_id = c.id) RETURNING c.id;

-- case: w2_delete_in_subquery_same_table_order_limit
DELETE FROM comments WHERE id IN (SELECT id FROM comments WHERE parent_id IS NOT NULL ORDER BY posted_at DESC LIMIT 5) RETURNING id;

-- case: w2_delete_users_without_reports
DELETE FROM users u WHERE u.id > 55 AND NOT EXISTS (SELECT 1 FROM users m WHERE m.manager_id = u.id) RETURNING u.id, u.email;

-- case: w2_delete_scalar_subquery_same_table
DELETE FROM order_items WHERE qty = (SELECT max(qty) FROM order_items WHERE order_id = 33) AND order_id < 40 RETURNING id;

-- case: w2_delete_using_lateral
DELETE FROM order_items i USING orders o, LATERAL (SELECT max(x.qty) AS m FROM order_items x WHERE x.order_id = o.id) l
WHERE i.order_id = o.id AND i.qty = l.m AND o.user_id < 8 RETURNING i.id, l.m;

-- case: w2_delete_quoted_using_soft
DELETE FROM "UserNotes" n USING users u WHERE n."UserId" = u.id AND (u.score IS NULL OR u.id IN (3, 20)) RETURNING n.*;

-- case: w2_delete_crm_accounts_using_users_returning_star
DELETE FROM crm.accounts a USING users u WHERE a.user_id = u.id AND u.score < 30 RETURNING a.*;

-- case: w2_delete_with_cte_read_then_using
WITH stale AS (SELECT o.id FROM orders o LEFT JOIN order_items i ON i.order_id = o.id WHERE i.id IS NULL)
DELETE FROM orders USING stale WHERE orders.id = stale.id AND orders.id > 140 RETURNING orders.id;

-- case: w2_cte_delete_then_insert_same_table
WITH moved AS (DELETE FROM order_items WHERE order_id IN (11, 12, 13) RETURNING id, order_id, product_id, qty, unit_price)
INSERT INTO order_items (id, order_id, product_id, qty, unit_price)
SELECT m.id + 5000, m.order_id, m.product_id, m.qty * 2, m.unit_price FROM moved m JOIN products p ON p.id = m.product_id RETURNING id, order_id, qty;

-- case: w2_cte_delete_archive_and_soft
WITH e AS (DELETE FROM events WHERE user_id IN (3, 4) RETURNING id), n AS (DELETE FROM "UserNotes" WHERE "UserId" IN (3, 4) RETURNING "Id")
SELECT (SELECT count(*) FROM e), (SELECT count(*) FROM n);

-- case: w2_multi_statement_delete_select_delete
-- modes: direct psycopg2
DELETE FROM comments WHERE id = 80 RETURNING id; SELECT count(*) FROM comments; DELETE FROM events WHERE id = 3 RETURNING kind;

-- case: w2_multi_statement_update_then_delete_then_count
-- modes: direct psycopg2
UPDATE users SET score = 0 WHERE id IN (3, 56); DELETE FROM users WHERE score = 0 RETURNING id; SELECT count(*), sum(score) FROM users;

-- case: w2_merge_many_when_clauses
MERGE INTO order_items i
USING (SELECT o.id AS order_id, o.status, p.id AS product_id FROM orders o JOIN products p ON p.id = o.id % 30 + 1 WHERE o.id < 60) s
ON i.order_id = s.order_id AND i.product_id = s.product_id
WHEN MATCHED AND s.status = 'cancelled' THEN DELETE
WHEN MATCHED AND s.status = 'paid' THEN UPDATE SET qty = i.qty + 1
WHEN MATCHED THEN DO NOTHING
WHEN NOT MATCHED AND s.status = 'new' THEN INSERT (order_id, product_id, qty, unit_price) VALUES (s.order_id, s.product_id, 1, 9.99)
WHEN NOT MATCHED THEN DO NOTHING;

-- case: w2_merge_crm_accounts_from_users
MERGE INTO crm.accounts a USING users u ON a.user_id = u.id
WHEN MATCHED AND u.score IS NULL THEN DELETE
WHEN MATCHED THEN UPDATE SET balance = coalesce(a.balance, 0) + u.score
WHEN NOT MATCHED AND u.id BETWEEN 50 AND 60 THEN INSERT (id, handle, user_id) VALUES (300 + u.id, 'm' || u.id, u.id);

-- case: w2_merge_source_cte_of_managed
WITH src AS (SELECT user_id, count(*) AS n FROM comments GROUP BY user_id)
MERGE INTO users u USING src ON u.id = src.user_id
WHEN MATCHED AND src.n > 2 THEN DO NOTHING
WHEN MATCHED THEN UPDATE SET score = 100 + src.n;

-- case: w2_merge_insert_reused_email
MERGE INTO users u USING (VALUES ('reuse@example.com'), ('user3@example.com'), ('user4@example.com')) v(email) ON u.email = v.email
WHEN NOT MATCHED THEN INSERT (email, name, signup_on) VALUES (v.email, 'merged', '2026-02-02')
WHEN MATCHED THEN UPDATE SET name = 'seen';

-- case: w2_param_delete_using_any
-- params: [[3, 4, 5, 12]]
DELETE FROM order_items i USING orders o WHERE i.order_id = o.id AND o.user_id = ANY (%s) RETURNING i.id;

-- case: w2_param_upsert_select
-- params: [40]
INSERT INTO users (email, name, signup_on) SELECT email, name, signup_on FROM users WHERE id > %s
ON CONFLICT (email) DO UPDATE SET score = coalesce(users.score, 0) + 1 RETURNING id, score;

-- case: w2_archive_delete_returning_whole_row_alias
DELETE FROM events e WHERE e.id IN (21, 22) RETURNING e, row_to_json(e)::text;

-- case: w2_delete_returning_field_of_whole_row
DELETE FROM users WHERE id IN (3, 56, 59) RETURNING (users).email, (users).deleted_at, users.deleted_at IS NULL AS gone;

-- case: w2_delete_using_returning_using_whole_row
DELETE FROM order_items i USING orders o WHERE i.order_id = o.id AND o.user_id IN (3, 4) RETURNING i.id, o;

-- case: w2_cte_delete_returning_whole_row_then_fields
WITH d AS (DELETE FROM users WHERE id IN (3, 59) RETURNING users) SELECT (d.users).email, (d.users).deleted_at FROM d;

-- case: w2_delete_using_nullable_using_join
DELETE FROM order_items i USING orders o LEFT JOIN comments c USING (id) WHERE i.order_id = o.id AND c.id IS NULL AND o.id < 30 RETURNING i.id;

-- case: w2_update_from_nullable_using_join
UPDATE orders o SET note = 'no comment' FROM users u LEFT JOIN comments c USING (id) WHERE o.user_id = u.id AND c.id IS NULL RETURNING o.id;

-- case: w2_update_returning_star
UPDATE users SET score = score + 1 WHERE id IN (3, 4, 12, 50) RETURNING *;

-- case: w2_update_returning_from_whole_row
UPDATE orders o SET note = 'owner' FROM users u WHERE u.id = o.user_id AND u.id IN (3, 4) RETURNING o.id, u;

-- case: w2_delete_returning_star_json_build
DELETE FROM users u WHERE u.id IN (3, 59) RETURNING json_build_object('id', u.id, 'marker', u.deleted_at)::text;

-- case: w2_merge_source_not_in_nulls
MERGE INTO crm.accounts a USING (SELECT id FROM users WHERE country_code NOT IN (SELECT country_code FROM users WHERE id IN (33, 34))) s ON a.user_id = s.id
WHEN MATCHED THEN UPDATE SET balance = 0;

-- case: w2_archive_delete_using_join_alias_returning_star
DELETE FROM events e USING (users u JOIN orders o ON o.user_id = u.id) AS j(uid) WHERE e.user_id = j.uid AND j.status = 'new' AND e.id < 30 RETURNING *;

-- case: w2_soft_delete_using_nullable_natural_returning_star
DELETE FROM "UserNotes" n USING products p NATURAL LEFT JOIN order_items i WHERE n."Id" = p.id AND i.qty IS NULL RETURNING *;

-- case: w2_insert_values_scalar_subquery_of_deleted_row
-- expect-error: 23502
INSERT INTO crm.users VALUES (900, (SELECT email FROM users WHERE id = 3), 'x', NULL);

-- case: w2_upsert_set_from_deleted_row_fails
-- expect-error: 23502
INSERT INTO users (email, name, signup_on) VALUES ('user4@example.com', 'four', '2026-01-01')
ON CONFLICT (email) DO UPDATE SET name = (SELECT x.name FROM users x WHERE x.id = 3);

-- case: w2_insert_select_managed_tags_returning_star
INSERT INTO public.tags (id, label) SELECT id + 100, upper(label) FROM public.tags RETURNING *;

-- case: w2_delete_replies_of_deleted_parents
DELETE FROM comments c WHERE c.parent_id NOT IN (SELECT id FROM comments) AND NOT EXISTS (SELECT 1 FROM comments r WHERE r.parent_id = c.id) RETURNING id, parent_id;

-- case: w2_cte_update_and_delete_two_tables
WITH up AS (UPDATE users SET score = 99 WHERE id IN (3, 4, 5) RETURNING id),
     del AS (DELETE FROM order_items WHERE order_id IN (SELECT id FROM orders WHERE user_id IN (SELECT id FROM up)) RETURNING id)
SELECT (SELECT count(*) FROM up), (SELECT count(*) FROM del);

-- case: w2_delete_returning_subquery_reading_marker
DELETE FROM users WHERE id IN (3, 59) RETURNING id, (SELECT users.deleted_at IS NULL) AS marker_null;

-- case: w2_update_from_aliased_join_with_using
UPDATE orders SET note = 'j' FROM (users u LEFT JOIN comments c USING (id)) AS j WHERE orders.user_id = j.id AND j.body IS NULL RETURNING orders.id;

-- case: w2_delete_using_values_and_soft
DELETE FROM "UserNotes" n USING (VALUES (3), (12), (20), (4)) v(uid) JOIN users u ON u.id = v.uid WHERE n."UserId" = u.id RETURNING n."Id", v.uid;

-- case: w2_merge_target_alias_source_join
MERGE INTO "UserNotes" n USING (users u JOIN orders o ON o.user_id = u.id) ON n."UserId" = u.id AND o.status = 'cancelled'
WHEN MATCHED THEN UPDATE SET "Body" = 'cancelled order';

-- case: w2_insert_select_from_using_left_join
INSERT INTO crm.users (id, email, name) SELECT 600 + o.id, coalesce(u.email, 'none'), o.status FROM orders o LEFT JOIN users u USING (id) WHERE o.id < 25 RETURNING id, email;

-- case: w2_delete_target_filtered_with_using_full_join_in_using
DELETE FROM order_items i USING orders o FULL JOIN comments c USING (id) WHERE i.order_id = o.id AND c.body IS NULL AND o.id < 40 RETURNING i.id, o.id;

-- case: w2_delete_using_cte_returning_cte_star
WITH x AS (SELECT id AS uid, email FROM users WHERE id IN (3, 4, 12, 13))
DELETE FROM "UserNotes" n USING x WHERE n."UserId" = x.uid RETURNING n."Id", x.*;

-- case: w2_archive_delete_returning_subquery_same_table
DELETE FROM events e WHERE e.id IN (31, 32) RETURNING e.*, (SELECT count(*) FROM events) AS before_count;

-- case: w2_delete_only_with_alias_returning
DELETE FROM ONLY comments c WHERE c.id IN (73, 74, 75, 81) RETURNING c.id, c.deleted_at, c.deleted_reason;

-- case: w2_update_then_delete_same_rows
UPDATE order_items SET qty = 0 WHERE order_id = 44;
DELETE FROM order_items WHERE qty = 0 RETURNING id;
SELECT count(*) FROM order_items WHERE order_id = 44;

-- case: w2_soft_delete_using_full_join_using_returning_star
DELETE FROM "UserNotes" n USING orders o FULL JOIN comments c USING (id) WHERE n."Id" = id AND id < 30 RETURNING *;

-- case: w2_archive_delete_using_right_join_using_returning_star
DELETE FROM events e USING users u RIGHT JOIN order_items i USING (id) WHERE e.id = i.id AND e.id < 40 RETURNING *;

-- case: w2_archive_delete_using_subquery_returning_its_star
DELETE FROM events e USING (SELECT u.id AS uid, u.email, count(o.id) AS n FROM users u LEFT JOIN orders o ON o.user_id = u.id GROUP BY u.id) s
WHERE e.user_id = s.uid AND e.id < 40 RETURNING e.id, s.*;

-- case: w2_update_where_exists_same_table_nulls
UPDATE users u SET score = 0 WHERE EXISTS (SELECT 1 FROM users m WHERE m.manager_id = u.id AND m.score IS NULL) RETURNING id;

-- case: w2_merge_source_nullable_using_join
MERGE INTO crm.accounts a USING (users u LEFT JOIN orders o USING (id)) ON a.user_id = u.id
WHEN MATCHED AND o.status IS NULL THEN UPDATE SET balance = -1
WHEN MATCHED THEN UPDATE SET balance = 1;

-- case: w2_archive_delete_using_lateral
DELETE FROM events e USING users u, LATERAL (SELECT count(*) AS n FROM orders o WHERE o.user_id = u.id) l
WHERE e.user_id = u.id AND l.n = 0 RETURNING e.id, u.id, l.n;

-- case: w2_insert_on_conflict_quoted_pk
-- unfiltered
INSERT INTO "UserNotes" ("Id", "UserId", "Body") VALUES (1, 1, 'replaced'), (41, 2, 'new')
ON CONFLICT ("Id") DO UPDATE SET "Body" = EXCLUDED."Body" RETURNING "Id", "Body";

-- case: w2_delete_returning_unqualified_marker_in_subquery
DELETE FROM users WHERE id IN (3, 59) RETURNING id, (SELECT deleted_at FROM products p WHERE p.id = users.id) AS m, (SELECT count(*) FROM comments c WHERE c.deleted_at IS NULL AND c.user_id = users.id) AS n;

-- ---------------------------------------------------------------- archive and soft deletes in wrappers
-- case: w2_explain_analyze_archive_delete_using_soft
-- explain
EXPLAIN ANALYZE DELETE FROM events e USING users u WHERE e.user_id = u.id AND u.country_code = 'FR';

-- case: w2_prepare_execute_archive_delete_returning
PREPARE w2_pa (int) AS DELETE FROM events e USING users u WHERE e.user_id = u.id AND u.id = $1 RETURNING e.id, u.email;
EXECUTE w2_pa(3);
EXECUTE w2_pa(4);
DEALLOCATE w2_pa;

-- case: w2_copy_soft_delete_using_returning
COPY (DELETE FROM order_items i USING orders o WHERE i.order_id = o.id AND o.user_id IN (3, 7, 9) RETURNING i.id, o.user_id) TO STDOUT;

-- case: w2_archive_cte_delete_feeding_soft_delete
WITH gone AS (DELETE FROM events WHERE user_id IN (3, 4, 5, 12) RETURNING user_id)
DELETE FROM "UserNotes" WHERE "UserId" IN (SELECT user_id FROM gone) RETURNING "Id";

-- case: w2_soft_cte_delete_feeding_archive_delete
WITH n AS (DELETE FROM "UserNotes" WHERE "UserId" < 12 RETURNING "UserId")
DELETE FROM events WHERE user_id IN (SELECT "UserId" FROM n) RETURNING id, user_id;

-- case: w2_archive_delete_returning_cte_aggregate_twice
WITH d AS (DELETE FROM events WHERE kind = 'error' RETURNING id, user_id)
SELECT (SELECT count(*) FROM d), (SELECT count(DISTINCT u.id) FROM d JOIN users u ON u.id = d.user_id);

-- case: w2_declare_cursor_after_soft_delete
DELETE FROM comments WHERE id IN (73, 74);
DECLARE w2c CURSOR FOR SELECT id FROM comments WHERE id > 70 ORDER BY id;
FETCH ALL FROM w2c;
CLOSE w2c;

-- case: w2_insert_returning_subquery_on_managed
INSERT INTO crm.users (id, email, name) VALUES (700, 'x@example.com', 'X') RETURNING id, (SELECT count(*) FROM users) AS users_now, (SELECT max(id) FROM orders WHERE user_id = 7) AS last_order;

-- case: w2_update_returning_subquery_on_managed
UPDATE orders o SET note = 'r' WHERE o.id IN (3, 7, 30) RETURNING o.id, (SELECT count(*) FROM order_items i WHERE i.order_id = o.id) AS items;

-- case: w2_insert_with_cte_select_join
WITH top AS (SELECT user_id, sum(total) AS s FROM orders GROUP BY user_id ORDER BY 2 DESC NULLS LAST LIMIT 8)
INSERT INTO crm.accounts (id, handle, user_id, balance) SELECT 400 + t.user_id, 'top' || t.user_id, t.user_id, t.s FROM top t JOIN users u ON u.id = t.user_id RETURNING id, balance;

-- case: w2_update_set_default_where_subquery
UPDATE "UserNotes" SET "Body" = DEFAULT WHERE "UserId" IN (SELECT id FROM users WHERE score < 25) RETURNING "Id";

-- ---------------------------------------------------------------- ORM statement shapes
-- case: w2_prisma_style_delete_returning_three_part_names
DELETE FROM "public"."users" WHERE ("public"."users"."id" IN (3, 56) AND 1=1) RETURNING "public"."users"."id", "public"."users"."email", "public"."users"."deleted_at", "public"."users"."deleted_by";

-- case: w2_rails_style_delete_all_join_limit
DELETE FROM "order_items" WHERE "order_items"."id" IN (SELECT "order_items"."id" FROM "order_items" INNER JOIN "orders" ON "orders"."id" = "order_items"."order_id" WHERE "orders"."user_id" IN (3, 7, 8) ORDER BY "order_items"."id" LIMIT 10);

-- case: w2_django_style_cascade_collector
SELECT "comments"."id" FROM "comments" WHERE "comments"."user_id" IN (56, 59, 3);
DELETE FROM "UserNotes" WHERE "UserNotes"."UserId" IN (56, 59, 3);
DELETE FROM "users" WHERE "users"."id" IN (56, 59, 3);

-- case: w2_sqlalchemy_style_bulk_delete_returning
-- params: [[3, 20, 56, 59]]
DELETE FROM users WHERE users.id = ANY (%s) RETURNING users.id, users.email, users.deleted_at;

-- case: w2_hibernate_style_update_version
-- params: ['renamed', 4, 3]
UPDATE users SET name = %s, score = coalesce(score, 0) + 1 WHERE id IN (%s, %s);
