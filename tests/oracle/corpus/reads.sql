-- Read cases of the equivalence oracle (tests/oracle/oracle.py explains the format).
-- Each case runs through Tombstone on soft_db and as written on gone_db; rows are compared as
-- sorted multisets unless the case says `-- ordered`. The data: tests/oracle/seed.sql; which rows
-- are deleted: DELETIONS in tests/oracle/oracle.py. Remember while adding cases:
--   users 3, 12, 20, 33, 41, 57, 58, 60 are deleted; user 7's orders are all deleted; users 56..60
--   have no orders; 57/58 are New Zealand's only users; Iceland has no users at all;
--   user 20 had 'reuse@example.com', deleted user 12 and live user 50 share 'user50@example.com';
--   live orders of deleted users 3/20/41 exist; replies to deleted comments 9/13/27/45/63 exist.

-- ---------------------------------------------------------------- plain reads, FROM lists
-- case: select_star_users
SELECT * FROM users;

-- case: select_columns_ordered
-- ordered
SELECT id, email, name FROM users ORDER BY id;

-- case: count_star_users
SELECT count(*) FROM users;

-- case: count_star_each_soft_table
SELECT (SELECT count(*) FROM users) AS u, (SELECT count(*) FROM orders) AS o,
       (SELECT count(*) FROM order_items) AS i, (SELECT count(*) FROM comments) AS c,
       (SELECT count(*) FROM products) AS p, (SELECT count(*) FROM "UserNotes") AS n,
       (SELECT count(*) FROM crm.accounts) AS a;

-- case: schema_qualified
SELECT id, email FROM public.users;

-- case: alias_plain
SELECT u.id, u.score FROM users u WHERE u.score > 10;

-- case: alias_with_as
SELECT x.email FROM users AS x WHERE x.country_code = 'FR';

-- case: table_statement
TABLE users;

-- case: table_statement_qualified
TABLE public.orders;

-- case: where_or_precedence
SELECT id FROM users WHERE score < 20 OR score IS NULL;

-- case: where_or_and_mix
SELECT id FROM orders WHERE status = 'paid' OR status = 'new' AND total > 100;

-- case: where_not
SELECT id FROM orders WHERE NOT (status = 'cancelled' OR total IS NULL);

-- case: where_deleted_id_returns_nothing
SELECT * FROM users WHERE id = 3;

-- case: where_in_list_mixed
SELECT id, email FROM users WHERE id IN (3, 4, 12, 13, 20, 21);

-- case: email_only_deleted_row_had
SELECT id FROM users WHERE email = 'reuse@example.com';

-- case: email_shared_by_deleted_and_live
SELECT id, name FROM users WHERE email = 'user50@example.com';

-- case: ilike_case
SELECT id, email FROM users WHERE email ILIKE 'mixed%' OR email ILIKE 'USER5%';

-- case: between_dates
SELECT id, placed_on FROM orders WHERE placed_on BETWEEN '2025-02-01' AND '2025-03-31';

-- case: case_expression
SELECT id, CASE WHEN score >= 50 THEN 'high' WHEN score IS NULL THEN 'none' ELSE 'low' END
FROM users;

-- case: coalesce_nulls
SELECT id, coalesce(note, '-') AS note, coalesce(total, 0) AS total FROM orders;

-- case: distinct_country
SELECT DISTINCT country_code FROM users;

-- case: count_distinct_email
SELECT count(DISTINCT email), count(*) FROM users;

-- case: distinct_on_latest_order
-- ordered
SELECT DISTINCT ON (user_id) user_id, id, total FROM orders ORDER BY user_id, id DESC;

-- case: limit_offset
-- ordered
SELECT id FROM users ORDER BY id LIMIT 10 OFFSET 5;

-- case: limit_desc
-- ordered
SELECT id, total FROM orders ORDER BY id DESC LIMIT 7;

-- case: fetch_first_nulls_last
-- ordered
SELECT id, score FROM users ORDER BY score NULLS LAST, id FETCH FIRST 8 ROWS ONLY;

-- case: offset_only
-- ordered
SELECT id FROM order_items ORDER BY id OFFSET 300;

-- case: from_list_with_unmanaged
SELECT u.id, c.name FROM users u, countries c WHERE u.country_code = c.code;

-- case: from_list_two_soft
SELECT u.id, o.id FROM users u, orders o WHERE o.user_id = u.id;

-- case: from_list_three_soft
SELECT u.email, o.id, i.id FROM users u, orders o, order_items i
WHERE o.user_id = u.id AND i.order_id = o.id AND u.id < 20;

-- case: from_list_self
SELECT u.id, m.id AS manager FROM users u, users m WHERE u.manager_id = m.id;

-- case: from_list_unaliased
SELECT users.id, orders.id FROM users, orders WHERE orders.user_id = users.id AND orders.total > 400;

-- case: from_list_cartesian_count
SELECT count(*) FROM users, products;

-- case: only_keyword
SELECT count(*) FROM ONLY users;

-- case: tablesample_all_rows
SELECT count(*) FROM users TABLESAMPLE SYSTEM (100);

-- ---------------------------------------------------------------- joins
-- case: inner_join
SELECT u.id, o.id, o.status FROM users u JOIN orders o ON o.user_id = u.id;

-- case: inner_join_unaliased
SELECT users.email, orders.total FROM users INNER JOIN orders ON orders.user_id = users.id;

-- case: left_join_users_orders
SELECT u.id, o.id FROM users u LEFT JOIN orders o ON o.user_id = u.id;

-- case: left_join_only_match_deleted
SELECT u.id, o.id FROM users u LEFT JOIN orders o ON o.user_id = u.id WHERE u.id IN (6, 7, 8);

-- case: left_join_count_per_user
SELECT u.id, count(o.id) AS n FROM users u LEFT JOIN orders o ON o.user_id = u.id GROUP BY u.id;

-- case: left_join_anti
SELECT u.id FROM users u LEFT JOIN orders o ON o.user_id = u.id WHERE o.id IS NULL;

-- case: left_join_where_on_nullable_side
SELECT u.id, o.id FROM users u LEFT JOIN orders o ON o.user_id = u.id WHERE o.status = 'paid';

-- case: left_join_extra_on_condition
SELECT u.id, o.id FROM users u LEFT JOIN orders o ON o.user_id = u.id AND o.total > 250;

-- case: left_join_on_with_or
SELECT u.id, o.id FROM users u LEFT JOIN orders o ON o.user_id = u.id OR o.id = u.id;

-- case: countries_left_join_users
SELECT c.code, u.id FROM countries c LEFT JOIN users u ON u.country_code = c.code;

-- case: countries_only_deleted_users
SELECT c.code, count(u.id) FROM countries c LEFT JOIN users u ON u.country_code = c.code
GROUP BY c.code;

-- case: left_join_manager
SELECT u.id, m.name AS manager FROM users u LEFT JOIN users m ON m.id = u.manager_id;

-- case: right_join
SELECT o.id, u.id FROM users u RIGHT JOIN orders o ON o.user_id = u.id;

-- case: right_join_unmanaged_preserved
SELECT c.code, u.id FROM users u RIGHT JOIN countries c ON c.code = u.country_code;

-- case: right_join_where_preserved
SELECT o.id, u.email FROM users u RIGHT OUTER JOIN orders o ON o.user_id = u.id WHERE o.status = 'new';

-- case: full_join_users_orders
SELECT u.id, o.id FROM users u FULL JOIN orders o ON o.user_id = u.id;

-- case: full_join_countries_users
SELECT c.code, u.id FROM countries c FULL OUTER JOIN users u ON u.country_code = c.code;

-- case: full_join_two_soft_filtered
SELECT u.id, o.id FROM users u FULL JOIN orders o ON o.user_id = u.id AND o.status = 'paid'
WHERE u.id IS NULL OR o.id IS NULL;

-- case: full_join_count
SELECT count(*), count(u.id), count(o.id) FROM users u FULL JOIN orders o ON o.user_id = u.id;

-- case: nested_left_inner
SELECT u.id, o.id, i.id FROM users u
LEFT JOIN (orders o JOIN order_items i ON i.order_id = o.id) ON o.user_id = u.id;

-- case: nested_left_left
SELECT c.code, u.id, o.id FROM countries c
LEFT JOIN users u ON u.country_code = c.code
LEFT JOIN orders o ON o.user_id = u.id;

-- case: nested_three_left
SELECT u.id, o.id, i.id FROM users u
LEFT JOIN orders o ON o.user_id = u.id
LEFT JOIN order_items i ON i.order_id = o.id;

-- case: nested_inner_chain
SELECT o.id, i.id, p.sku FROM orders o
JOIN order_items i ON i.order_id = o.id
JOIN products p ON p.id = i.product_id;

-- case: nested_right_inside_left
SELECT u.id, x.oid, x.iid FROM users u
LEFT JOIN (SELECT o.id AS oid, o.user_id, i.id AS iid
           FROM order_items i RIGHT JOIN orders o ON o.id = i.order_id) x ON x.user_id = u.id;

-- case: nested_parenthesized_full
SELECT u.id, o.id, i.id FROM users u
FULL JOIN (orders o LEFT JOIN order_items i ON i.order_id = o.id AND i.qty > 3) ON o.user_id = u.id;

-- case: full_join_three_way
SELECT u.id, o.id, c.id FROM users u
FULL JOIN orders o ON o.user_id = u.id
FULL JOIN comments c ON c.order_id = o.id;

-- case: left_join_products_items
SELECT p.id, count(i.id) FROM products p LEFT JOIN order_items i ON i.product_id = p.id GROUP BY p.id;

-- case: items_right_join_products
SELECT i.id, p.sku FROM order_items i RIGHT JOIN products p ON p.id = i.product_id WHERE i.qty = 1 OR i.id IS NULL;

-- case: self_join_country
SELECT count(*) FROM users u1 JOIN users u2 ON u1.country_code = u2.country_code AND u1.id < u2.id;

-- case: comments_parent_left_join
SELECT c.id, p.body AS parent_body FROM comments c LEFT JOIN comments p ON p.id = c.parent_id;

-- case: cross_join_count
SELECT count(*) FROM users CROSS JOIN products;

-- case: left_join_on_true
SELECT c.code, count(u.id) FROM countries c LEFT JOIN users u ON true GROUP BY c.code;

-- case: join_using
SELECT id, u.email, o.status FROM users u JOIN orders o USING (id);

-- case: left_join_using
SELECT id, email, status FROM users LEFT JOIN orders USING (id);

-- case: full_join_using
SELECT id, email, status FROM users FULL JOIN orders USING (id);

-- case: join_using_user_id
SELECT user_id, o.id, c.id FROM orders o JOIN comments c USING (user_id);

-- case: natural_join_derived
SELECT * FROM users NATURAL JOIN (SELECT id AS manager_id, name AS boss FROM users) m;

-- case: natural_left_join_derived
SELECT * FROM orders NATURAL LEFT JOIN (SELECT id AS user_id, email FROM users) u;

-- case: natural_full_join_derived
SELECT * FROM (SELECT id AS user_id, email FROM users WHERE id > 40) u
NATURAL FULL JOIN (SELECT user_id, count(*) AS n FROM orders GROUP BY user_id) o;

-- case: natural_join_same_columns
-- unfiltered
SELECT count(*) FROM users NATURAL JOIN crm.users;

-- case: alias_renamed_columns_prefix
SELECT a, b FROM users AS u(a, b, c) WHERE a < 15;

-- case: alias_renamed_marker_column
SELECT i, e, gone FROM users AS u(i, e, n, cc, mid, s, su, gone, dby, dr) WHERE i BETWEEN 1 AND 25;

-- case: alias_renamed_in_join
SELECT x.k, o.id FROM users x(k) LEFT JOIN orders o ON o.user_id = x.k WHERE x.k < 15;

-- case: values_left_join
SELECT v.x, u.email FROM (VALUES (3), (4), (12), (50)) v(x) LEFT JOIN users u ON u.id = v.x;

-- case: generate_series_left_join
SELECT g, u.id FROM generate_series(1, 15) g LEFT JOIN users u ON u.id = g;

-- case: join_unmanaged_crm
SELECT u.id, cu.name FROM users u JOIN crm.users cu ON cu.id = u.id;

-- case: join_archive_table_events
SELECT u.id, count(e.id) FROM users u JOIN events e ON e.user_id = u.id GROUP BY u.id;

-- case: join_hard_table
SELECT u.id, k.label FROM users u LEFT JOIN api_keys k ON k.user_id = u.id;

-- ---------------------------------------------------------------- subqueries
-- case: subquery_in_from
SELECT * FROM (SELECT id, email FROM users) s;

-- case: subquery_in_from_aggregated
SELECT avg(n)::numeric(10, 4), max(n) FROM (SELECT user_id, count(*) AS n FROM orders GROUP BY user_id) s;

-- case: subquery_in_from_with_left_join
SELECT s.uid, s.oid FROM (SELECT u.id AS uid, o.id AS oid FROM users u LEFT JOIN orders o ON o.user_id = u.id) s
WHERE s.uid > 45;

-- case: in_subquery
SELECT id FROM users WHERE id IN (SELECT user_id FROM orders WHERE status = 'paid');

-- case: not_in_subquery
SELECT id FROM users WHERE id NOT IN (SELECT user_id FROM orders);

-- case: not_in_subquery_reverse
SELECT id, user_id FROM orders WHERE user_id NOT IN (SELECT id FROM users);

-- case: not_in_nullable_filtered
SELECT code FROM countries WHERE code NOT IN (SELECT country_code FROM users WHERE country_code IS NOT NULL);

-- case: exists_correlated
SELECT id FROM users u WHERE EXISTS (SELECT 1 FROM orders o WHERE o.user_id = u.id);

-- case: not_exists_correlated
SELECT id FROM users u WHERE NOT EXISTS (SELECT 1 FROM orders o WHERE o.user_id = u.id);

-- case: not_exists_countries
SELECT code FROM countries c WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.country_code = c.code);

-- case: not_exists_orders_of_deleted_users
SELECT o.id FROM orders o WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.id = o.user_id);

-- case: exists_with_or
SELECT id FROM users u WHERE score IS NULL OR EXISTS (SELECT 1 FROM comments c WHERE c.user_id = u.id AND c.parent_id IS NULL);

-- case: exists_with_left_join_inside
SELECT c.code FROM countries c
WHERE EXISTS (SELECT 1 FROM users u LEFT JOIN orders o ON o.user_id = u.id WHERE u.country_code = c.code AND o.id IS NULL);

-- case: scalar_subquery_in_select
SELECT id, (SELECT count(*) FROM orders o WHERE o.user_id = u.id) AS n FROM users u;

-- case: scalar_subquery_max
SELECT id, (SELECT max(total) FROM orders o WHERE o.user_id = u.id) AS best FROM users u;

-- case: scalar_subquery_uncorrelated
SELECT (SELECT count(*) FROM users) - (SELECT count(*) FROM users WHERE score IS NULL) AS scored;

-- case: exists_in_select_list
SELECT code, EXISTS (SELECT 1 FROM users u WHERE u.country_code = c.code) AS has_users FROM countries c;

-- case: subquery_in_having
SELECT user_id, count(*) FROM orders GROUP BY user_id
HAVING count(*) > (SELECT count(*) FROM products WHERE category = 'books') / 3;

-- case: subquery_in_order_by
-- ordered
SELECT id FROM users u ORDER BY (SELECT count(*) FROM orders o WHERE o.user_id = u.id) DESC, id LIMIT 12;

-- case: subquery_in_join_on
SELECT u.id, o.id FROM users u JOIN orders o ON o.user_id = u.id AND o.total > (SELECT avg(total) FROM orders);

-- case: subquery_in_case
SELECT id, CASE WHEN id IN (SELECT manager_id FROM users WHERE manager_id IS NOT NULL) THEN 'manager' ELSE 'staff' END
FROM users;

-- case: any_subquery
SELECT id FROM orders WHERE user_id = ANY (SELECT id FROM users WHERE score > 50);

-- case: all_subquery
SELECT id FROM products WHERE price > ALL (SELECT unit_price FROM order_items WHERE qty = 5 AND product_id < 4);

-- case: all_subquery_not_equal
SELECT id FROM users WHERE id <> ALL (SELECT user_id FROM orders WHERE status <> 'cancelled');

-- case: any_array_literal
SELECT id FROM users WHERE id = ANY (ARRAY[1, 2, 3, 12, 20]);

-- case: correlated_avg
SELECT id, score FROM users WHERE score > (SELECT avg(score) FROM users);

-- case: nested_three_levels
SELECT id FROM users WHERE id IN (
  SELECT user_id FROM orders WHERE id IN (
    SELECT order_id FROM order_items WHERE product_id IN (SELECT id FROM products WHERE category = 'toys')));

-- case: in_unmanaged_subquery
SELECT id FROM users WHERE country_code IN (SELECT code FROM countries WHERE region = 'Europe');

-- case: row_in_subquery
SELECT id FROM order_items WHERE (order_id, product_id) IN (SELECT o.id, p.id FROM orders o, products p WHERE o.status = 'new' AND p.category = 'food');

-- case: array_subquery
SELECT u.id, ARRAY(SELECT o.id FROM orders o WHERE o.user_id = u.id ORDER BY o.id) AS orders FROM users u;

-- case: scalar_subquery_order_limit
SELECT id, (SELECT o.id FROM orders o WHERE o.user_id = u.id ORDER BY o.total DESC NULLS LAST, o.id LIMIT 1) AS top
FROM users u;

-- case: lateral_latest_order
SELECT u.id, l.id FROM users u, LATERAL (SELECT id FROM orders o WHERE o.user_id = u.id ORDER BY id DESC LIMIT 1) l;

-- case: left_join_lateral
SELECT u.id, l.id FROM users u LEFT JOIN LATERAL (SELECT id FROM orders o WHERE o.user_id = u.id ORDER BY id LIMIT 2) l ON true;

-- case: lateral_aggregate
SELECT u.id, s.n, s.total FROM users u CROSS JOIN LATERAL (SELECT count(*) AS n, sum(total) AS total FROM orders o WHERE o.user_id = u.id) s;

-- case: lateral_join_keyword
SELECT o.id, x.items FROM orders o JOIN LATERAL (SELECT count(*) AS items FROM order_items i WHERE i.order_id = o.id) x ON x.items > 2;

-- case: lateral_unnest
SELECT u.id, t FROM users u CROSS JOIN LATERAL unnest(ARRAY[u.email, u.name]) t WHERE u.id < 10;

-- ---------------------------------------------------------------- CTEs
-- case: cte_simple
WITH a AS (SELECT * FROM users WHERE score > 40) SELECT count(*) FROM a;

-- case: cte_joined_with_table
WITH big AS (SELECT user_id FROM orders WHERE total > 300) SELECT u.email FROM users u JOIN big ON big.user_id = u.id;

-- case: cte_chain
WITH a AS (SELECT id, user_id FROM orders WHERE status = 'paid'),
     b AS (SELECT a.user_id, count(*) AS n FROM a JOIN order_items i ON i.order_id = a.id GROUP BY a.user_id)
SELECT u.id, b.n FROM users u JOIN b ON b.user_id = u.id;

-- case: cte_used_twice
WITH o AS (SELECT user_id, total FROM orders) SELECT (SELECT count(*) FROM o), (SELECT sum(total) FROM o);

-- case: cte_materialized
WITH m AS MATERIALIZED (SELECT id FROM users WHERE country_code = 'US') SELECT o.id FROM orders o JOIN m ON m.id = o.user_id;

-- case: cte_not_materialized
WITH m AS NOT MATERIALIZED (SELECT id, email FROM users) SELECT * FROM m WHERE id > 30;

-- case: cte_shadows_managed_table
-- unfiltered
WITH users AS (SELECT * FROM crm.users) SELECT * FROM users;

-- case: cte_shadows_and_reads_table
WITH orders AS (SELECT * FROM orders WHERE status = 'paid') SELECT count(*), sum(total) FROM orders;

-- case: cte_shadow_visible_in_subquery
WITH orders AS (SELECT 1 AS id, 1 AS user_id UNION ALL SELECT 2, 3)
SELECT u.id FROM users u WHERE EXISTS (SELECT 1 FROM orders o WHERE o.user_id = u.id);

-- case: cte_shadow_in_one_subquery_only
SELECT (WITH users AS (SELECT 1 AS id) SELECT count(*) FROM users) AS shadowed,
       (SELECT count(*) FROM users) AS real;

-- case: cte_shadow_qualified_name_is_table
WITH users AS (SELECT 1 AS id) SELECT count(*) FROM public.users;

-- case: cte_in_subquery
SELECT * FROM (WITH x AS (SELECT user_id, count(*) AS n FROM orders GROUP BY user_id) SELECT * FROM x WHERE n > 2) s;

-- case: cte_in_where_subquery
SELECT id FROM users WHERE id IN (WITH paid AS (SELECT user_id FROM orders WHERE status = 'paid') SELECT user_id FROM paid);

-- case: recursive_comment_threads
WITH RECURSIVE t AS (
  SELECT id, parent_id, 1 AS depth FROM comments WHERE parent_id IS NULL
  UNION ALL
  SELECT c.id, c.parent_id, t.depth + 1 FROM comments c JOIN t ON c.parent_id = t.id)
SELECT * FROM t;

-- case: recursive_thread_sizes
WITH RECURSIVE t AS (
  SELECT id AS root, id FROM comments WHERE parent_id IS NULL
  UNION ALL
  SELECT t.root, c.id FROM comments c JOIN t ON c.parent_id = t.id)
SELECT root, count(*) FROM t GROUP BY root;

-- case: recursive_path_array
WITH RECURSIVE t(id, path) AS (
  SELECT id, ARRAY[id] FROM comments WHERE id = 1 OR id = 13 OR id = 9
  UNION ALL
  SELECT c.id, t.path || c.id FROM comments c, t WHERE c.parent_id = t.id)
SELECT id, path FROM t;

-- case: recursive_up_the_tree
WITH RECURSIVE up AS (
  SELECT id, parent_id FROM comments WHERE id IN (76, 66, 49, 80)
  UNION ALL
  SELECT c.id, c.parent_id FROM comments c JOIN up ON c.id = up.parent_id)
SELECT * FROM up;

-- case: recursive_manager_chain
WITH RECURSIVE chain AS (
  SELECT id, manager_id, 0 AS lvl FROM users WHERE id IN (22, 28, 44)
  UNION ALL
  SELECT u.id, u.manager_id, chain.lvl + 1 FROM users u JOIN chain ON u.id = chain.manager_id)
SELECT * FROM chain;

-- case: recursive_series_join
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 12)
SELECT n.i, u.email FROM n LEFT JOIN users u ON u.id = n.i;

-- case: recursive_search_depth_first
WITH RECURSIVE t AS (
  SELECT id, parent_id FROM comments WHERE parent_id IS NULL
  UNION ALL
  SELECT c.id, c.parent_id FROM comments c JOIN t ON c.parent_id = t.id
) SEARCH DEPTH FIRST BY id SET ord
SELECT id FROM t ORDER BY ord;

-- ---------------------------------------------------------------- set operations
-- case: union_with_unmanaged
SELECT email FROM users UNION SELECT email FROM crm.users;

-- case: union_all_two_soft
SELECT id FROM users UNION ALL SELECT user_id FROM orders;

-- case: intersect
SELECT id FROM users INTERSECT SELECT user_id FROM orders;

-- case: intersect_all
SELECT user_id FROM orders INTERSECT ALL SELECT user_id FROM comments;

-- case: except
SELECT id FROM users EXCEPT SELECT user_id FROM orders;

-- case: except_all
SELECT user_id FROM orders EXCEPT ALL SELECT user_id FROM comments;

-- case: union_order_limit
-- ordered
SELECT id, 'u' AS k FROM users UNION SELECT id, 'o' FROM orders ORDER BY id DESC, k LIMIT 15;

-- case: nested_set_operations
(SELECT id FROM users EXCEPT SELECT user_id FROM orders) UNION (SELECT user_id FROM comments INTERSECT SELECT id FROM users);

-- case: set_operation_in_subquery
SELECT count(*), count(DISTINCT u) FROM (SELECT user_id AS u FROM orders UNION ALL SELECT user_id FROM comments) s;

-- case: set_operation_in_exists
SELECT code FROM countries c WHERE EXISTS (SELECT country_code FROM users WHERE country_code = c.code EXCEPT SELECT 'US');

-- case: union_with_table_statement
TABLE crm.users UNION ALL SELECT id, email, name, deleted_at FROM users;

-- ---------------------------------------------------------------- aggregates and windows
-- case: aggregates_orders
SELECT count(*), count(total), sum(total), avg(total)::numeric(12, 4), min(total), max(total) FROM orders;

-- case: group_by_status
SELECT status, count(*), sum(total) FROM orders GROUP BY status;

-- case: group_by_having
SELECT user_id, count(*) FROM orders GROUP BY user_id HAVING count(*) > 2;

-- case: group_by_join_country
SELECT u.country_code, count(o.id), sum(o.total) FROM users u JOIN orders o ON o.user_id = u.id GROUP BY u.country_code;

-- case: group_by_rollup
SELECT u.country_code, o.status, count(*) FROM users u JOIN orders o ON o.user_id = u.id GROUP BY ROLLUP (u.country_code, o.status);

-- case: grouping_sets
SELECT status, placed_on > '2025-03-01' AS late, count(*) FROM orders GROUP BY GROUPING SETS ((status), (placed_on > '2025-03-01'), ());

-- case: string_agg_ordered
SELECT string_agg(email, ',' ORDER BY id) FROM users;

-- case: array_agg_group
SELECT user_id, array_agg(id ORDER BY id) FROM orders GROUP BY user_id;

-- case: bool_and_filter
SELECT bool_and(score > 10), count(*) FILTER (WHERE score IS NULL), count(*) FILTER (WHERE score < 50) FROM users;

-- case: json_agg
SELECT json_agg(json_build_object('id', id, 'sku', sku) ORDER BY id)::text FROM products;

-- case: percentile
SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY total), mode() WITHIN GROUP (ORDER BY status) FROM orders;

-- case: window_row_number
SELECT id, user_id, row_number() OVER (PARTITION BY user_id ORDER BY id) FROM orders;

-- case: window_rank_score
SELECT id, rank() OVER (ORDER BY score DESC NULLS LAST), dense_rank() OVER (ORDER BY country_code) FROM users;

-- case: window_running_sum
SELECT id, sum(total) OVER (ORDER BY id) FROM orders;

-- case: window_lag_lead
SELECT id, lag(id) OVER w, lead(id) OVER w FROM users WINDOW w AS (ORDER BY id);

-- case: window_count_over_all
SELECT id, count(*) OVER () FROM products;

-- case: window_over_join
SELECT u.id, o.id, count(*) OVER (PARTITION BY u.country_code) FROM users u JOIN orders o ON o.user_id = u.id;

-- case: window_frame
SELECT id, avg(qty) OVER (ORDER BY id ROWS BETWEEN 2 PRECEDING AND 2 FOLLOWING)::numeric(10, 4) FROM order_items;

-- case: distinct_on_join
SELECT DISTINCT ON (u.id) u.id, o.id, o.total FROM users u JOIN orders o ON o.user_id = u.id ORDER BY u.id, o.total DESC NULLS LAST, o.id;

-- case: having_without_group_by
SELECT count(*) FROM comments HAVING count(*) > 10;

-- case: order_by_aggregate
-- ordered
SELECT user_id, count(*) FROM order_items i JOIN orders o ON o.id = i.order_id GROUP BY user_id ORDER BY count(*) DESC, user_id LIMIT 10;

-- ---------------------------------------------------------------- other managed tables
-- case: products_star
SELECT * FROM products;

-- case: products_items_join
SELECT p.sku, sum(i.qty) FROM products p JOIN order_items i ON i.product_id = p.id GROUP BY p.sku;

-- case: products_deleted_sku_lookup
SELECT id, title FROM products WHERE sku IN ('SKU-005', 'SKU-018', 'SKU-029');

-- case: quoted_table
SELECT * FROM "UserNotes";

-- case: quoted_table_qualified_columns
SELECT "Id", "Body" FROM public."UserNotes" WHERE "Body" IS NOT NULL;

-- case: quoted_table_join
SELECT n."Id", u.email FROM "UserNotes" n JOIN users u ON u.id = n."UserId";

-- case: quoted_table_left_join
SELECT u.id, n."Id" FROM users u LEFT JOIN "UserNotes" n ON n."UserId" = u.id WHERE u.id < 30;

-- case: quoted_table_unquoted_name_fails
-- unfiltered
-- expect-error: 42P01
SELECT count(*) FROM UserNotes;

-- case: crm_accounts_qualified
SELECT * FROM crm.accounts;

-- case: crm_accounts_join_users
SELECT a.handle, u.email FROM crm.accounts a LEFT JOIN users u ON u.id = a.user_id;

-- case: crm_users_unmanaged
-- unfiltered
SELECT * FROM crm.users;

-- case: events_archive_strategy_unfiltered
-- unfiltered
SELECT * FROM events;

-- case: events_archive_table
-- unfiltered
SELECT * FROM events_archive;

-- case: api_keys_hard_unfiltered
-- unfiltered
SELECT * FROM api_keys;

-- ---------------------------------------------------------------- names, case, search_path
-- case: upper_case_keywords_and_names
SELECT ID, EMAIL FROM USERS WHERE SCORE > 10;

-- case: quoted_lower_name
SELECT id FROM "users" WHERE id < 20;

-- case: quoted_schema_and_table
SELECT id FROM "public"."users" WHERE id > 40;

-- case: mixed_case_schema
SELECT count(*) FROM Public.Users;

-- case: unicode_escaped_name
SELECT id FROM U&"\0075sers" WHERE id < 25;

-- case: unicode_escaped_custom_escape
SELECT count(*) FROM U&"!006frders" UESCAPE '!';

-- case: comments_around_names
SELECT /* users */ id FROM /* x */ users -- trailing comment
WHERE id < 22;

-- case: literal_mentions_delete
SELECT 'DELETE FROM users' AS s, count(*) FROM users;

-- case: dollar_quoted_literal
SELECT $$ FROM users $$ AS s, id FROM orders WHERE id < 12;

-- case: search_path_crm_first_users_is_crm
-- unfiltered
SET search_path = crm, public;
SELECT * FROM users;

-- case: search_path_crm_first_orders_is_public
SET search_path = crm, public;
SELECT id, user_id FROM orders;

-- case: search_path_crm_only_accounts
SET search_path = crm;
SELECT * FROM accounts;

-- case: search_path_public_first
SET search_path = public, crm;
SELECT id, email FROM users;

-- case: search_path_join_crm_and_public
SET search_path = crm, public;
SELECT u.id, pu.id FROM users u LEFT JOIN public.users pu ON pu.id = u.id;

-- case: search_path_accounts_join_users
SET search_path TO crm, public;
SELECT a.id, u.email FROM accounts a LEFT JOIN users u ON u.id = a.user_id;

-- case: search_path_user_dollar
-- unfiltered
SET search_path TO "$user", crm, public;
SELECT count(*) FROM users;

-- case: search_path_quoted_entries
-- unfiltered
SET search_path = "crm", "public";
SELECT count(*) FROM users;

-- case: search_path_set_local
-- unfiltered
SET LOCAL search_path = crm, public;
SELECT count(*) FROM users;

-- case: search_path_set_config
-- unfiltered
SELECT set_config('search_path', 'crm, public', true) IS NOT NULL;
SELECT count(*) FROM users;

-- case: search_path_reset_after_set
SET search_path = crm;
RESET search_path;
SELECT count(*) FROM users;

-- case: search_path_set_default
SET search_path = crm;
SET search_path TO DEFAULT;
SELECT count(*) FROM users;

-- case: search_path_empty_qualified_still_managed
SET search_path = '';
SELECT count(*) FROM public.users;

-- ---------------------------------------------------------------- COPY
-- case: copy_table_to_stdout
COPY users TO STDOUT;

-- case: copy_query_to_stdout
-- ordered
COPY (SELECT id, email FROM users ORDER BY id) TO STDOUT;

-- case: copy_table_columns
COPY users (id, email) TO STDOUT;

-- case: copy_table_csv_header
COPY orders TO STDOUT WITH (FORMAT csv, HEADER);

-- case: copy_query_left_join_csv
-- ordered
COPY (SELECT u.id, count(o.id) FROM users u LEFT JOIN orders o ON o.user_id = u.id GROUP BY u.id ORDER BY u.id) TO STDOUT WITH CSV;

-- case: copy_quoted_table
COPY "UserNotes" TO STDOUT;

-- case: copy_crm_accounts
COPY crm.accounts TO STDOUT;

-- case: copy_products_column_subset
COPY products (sku, price) TO STDOUT;

-- case: copy_unmanaged_untouched
-- unfiltered
COPY countries TO STDOUT;

-- ---------------------------------------------------------------- EXPLAIN (must run; plans are not compared)
-- case: explain_select
-- unfiltered
-- explain
EXPLAIN SELECT * FROM users;

-- case: explain_costs_off_join
-- unfiltered
-- explain
EXPLAIN (COSTS OFF) SELECT u.id, o.id FROM users u LEFT JOIN orders o ON o.user_id = u.id;

-- case: explain_analyze_select
-- unfiltered
-- explain
EXPLAIN ANALYZE SELECT count(*) FROM orders;

-- case: explain_delete_not_executed
-- explain
EXPLAIN DELETE FROM users WHERE id = 59;

-- ---------------------------------------------------------------- cursors, PREPARE, CREATE ... AS
-- case: declare_fetch_all
-- ordered
DECLARE c1 CURSOR FOR SELECT id, email FROM users ORDER BY id;
FETCH ALL FROM c1;

-- case: declare_fetch_in_steps
-- ordered
DECLARE c2 CURSOR FOR SELECT u.id, o.id FROM users u LEFT JOIN orders o ON o.user_id = u.id ORDER BY u.id, o.id;
FETCH 10 FROM c2;
FETCH 10 FROM c2;
MOVE 5 IN c2;
FETCH 3 FROM c2;
CLOSE c2;

-- case: declare_no_scroll_without_hold
DECLARE c3 NO SCROLL CURSOR WITHOUT HOLD FOR SELECT count(*) FROM orders WHERE status = 'new';
FETCH NEXT FROM c3;

-- case: prepare_execute
PREPARE oracle_p1 (int) AS SELECT id, email FROM users WHERE score > $1;
EXECUTE oracle_p1(10);
EXECUTE oracle_p1(40);
DEALLOCATE oracle_p1;

-- case: prepare_join_execute
PREPARE oracle_p2 AS SELECT u.id, count(o.id) FROM users u LEFT JOIN orders o ON o.user_id = u.id GROUP BY u.id;
EXECUTE oracle_p2;
DEALLOCATE oracle_p2;

-- case: create_temp_table_as
CREATE TEMP TABLE oracle_t1 AS SELECT * FROM users;
SELECT count(*), count(DISTINCT email) FROM oracle_t1;

-- case: create_table_as_join
CREATE TEMP TABLE oracle_t2 AS SELECT u.id AS uid, o.id AS oid FROM users u LEFT JOIN orders o ON o.user_id = u.id;
SELECT * FROM oracle_t2;

-- case: select_into_temp
SELECT id, total INTO TEMP oracle_t3 FROM orders WHERE status = 'paid';
TABLE oracle_t3;

-- case: create_temp_view
CREATE TEMP VIEW oracle_v1 AS SELECT id, email FROM users WHERE score > 20;
SELECT * FROM oracle_v1;

-- case: create_materialized_view
CREATE MATERIALIZED VIEW public.oracle_mv1 AS SELECT user_id, count(*) AS n FROM orders GROUP BY user_id;
SELECT * FROM oracle_mv1;

-- case: create_table_as_with_cte
CREATE TEMP TABLE oracle_t4 AS WITH x AS (SELECT id FROM users WHERE country_code = 'DE') SELECT o.* FROM orders o JOIN x ON x.id = o.user_id;
SELECT id, user_id FROM oracle_t4;

-- ---------------------------------------------------------------- row shapes, locking
-- case: whole_row_reference
SELECT u FROM users u WHERE id < 10;

-- case: row_to_json
SELECT row_to_json(o)::text FROM orders o WHERE id < 20;

-- case: tableoid_system_column
SELECT tableoid::regclass::text, id FROM users WHERE id < 8;

-- case: is_distinct_from
SELECT id FROM users WHERE country_code IS DISTINCT FROM 'US';

-- case: row_comparison
SELECT id FROM orders WHERE (user_id, id) > (30, 0);

-- case: for_update
SELECT id FROM users WHERE score < 30 FOR UPDATE;

-- case: for_update_of_join
SELECT o.id, u.id FROM orders o JOIN users u ON u.id = o.user_id WHERE o.status = 'new' FOR UPDATE OF o;

-- case: for_share_skip_locked
SELECT id FROM order_items WHERE qty = 5 FOR SHARE SKIP LOCKED;

-- ---------------------------------------------------------------- bound parameters (psycopg 3: Bind; psycopg2 and direct: inlined)
-- case: param_limit
-- params: [5, 5]
-- ordered
SELECT id FROM users WHERE score > %s ORDER BY id LIMIT %s;

-- case: param_user_orders_all_deleted
-- params: [7]
SELECT * FROM orders WHERE user_id = %s;

-- case: param_left_join_deleted_user
-- params: [3]
SELECT u.id, o.id FROM orders o LEFT JOIN users u ON u.id = o.user_id WHERE o.user_id = %s;

-- case: param_text_email
-- params: ['reuse@example.com']
SELECT id FROM users WHERE email = %s;

-- case: param_in_subquery
-- params: ['paid']
SELECT id FROM users WHERE id IN (SELECT user_id FROM orders WHERE status = %s);

-- case: param_in_cte
-- params: [2]
WITH n AS (SELECT user_id, count(*) AS c FROM orders GROUP BY user_id) SELECT u.id FROM users u JOIN n ON n.user_id = u.id WHERE n.c > %s;

-- case: param_lateral_limit
-- params: [1]
SELECT u.id, l.id FROM users u CROSS JOIN LATERAL (SELECT id FROM orders o WHERE o.user_id = u.id ORDER BY id LIMIT %s) l;

-- case: param_array_any
-- params: [[3, 4, 12, 13]]
SELECT id FROM users WHERE id = ANY (%s);

-- case: param_not_exists
-- params: ['NZ']
SELECT c.code FROM countries c WHERE c.code = %s AND NOT EXISTS (SELECT 1 FROM users u WHERE u.country_code = c.code);

-- case: param_recursive
-- params: [13]
WITH RECURSIVE t AS (SELECT id FROM comments WHERE id = %s UNION ALL SELECT c.id FROM comments c JOIN t ON c.parent_id = t.id)
SELECT count(*) FROM t;

-- case: param_quoted_table
-- params: [10]
SELECT "Id" FROM "UserNotes" WHERE "Id" > %s;

-- case: param_count_group
-- params: ['2025-03-01']
SELECT status, count(*) FROM orders WHERE placed_on >= %s::date GROUP BY status;

-- ---------------------------------------------------------------- harder scoping and placement
-- case: left_then_full_join
SELECT u.id, o.id, i.id FROM users u
LEFT JOIN orders o ON o.user_id = u.id
FULL JOIN order_items i ON i.order_id = o.id;

-- case: full_then_left_join
SELECT u.id, o.id, c.id FROM users u
FULL JOIN orders o ON o.user_id = u.id
LEFT JOIN comments c ON c.order_id = o.id;

-- case: left_then_right_join
SELECT u.id, o.id, i.id FROM users u
LEFT JOIN orders o ON o.user_id = u.id
RIGHT JOIN order_items i ON i.order_id = o.id;

-- case: full_join_unmanaged_then_full
SELECT c.code, u.id, o.id FROM countries c
FULL JOIN users u ON u.country_code = c.code
FULL JOIN orders o ON o.user_id = u.id;

-- case: alias_named_like_other_table
SELECT users.id, users.sku FROM products AS users WHERE users.price < 40;

-- case: aliases_swapped_between_managed_tables
SELECT orders.id AS user_id, users.id AS order_id FROM users AS orders JOIN orders AS users ON users.user_id = orders.id;

-- case: same_name_two_schemas_joined
SELECT public.users.id, crm.users.name FROM public.users JOIN crm.users ON crm.users.id = public.users.id;

-- case: same_name_two_schemas_from_list
SELECT count(*) FROM public.users, crm.users WHERE crm.users.email <> public.users.email;

-- case: recursive_cte_named_like_table
WITH RECURSIVE comments AS (
  SELECT id, parent_id FROM public.comments WHERE parent_id IS NULL
  UNION ALL
  SELECT c.id, c.parent_id FROM public.comments c JOIN comments ON c.parent_id = comments.id)
SELECT count(*) FROM comments;

-- case: cte_shadow_inside_lateral
WITH x AS (SELECT id FROM users WHERE id < 6)
SELECT x.id, y.id FROM x, LATERAL (WITH users AS (SELECT x.id + 1 AS id) SELECT id FROM users) y;

-- case: unaliased_correlated_subquery
SELECT id FROM users u WHERE EXISTS (SELECT 1 FROM orders WHERE orders.user_id = u.id AND orders.status = 'new');

-- case: lateral_same_table_unaliased_outer
SELECT users.id, x.n FROM users, LATERAL (SELECT count(*) AS n FROM users u2 WHERE u2.manager_id = users.id) x;

-- case: deep_nesting_cte_where_from
WITH a AS (
  SELECT id FROM users WHERE id IN (SELECT s.user_id FROM (SELECT user_id FROM orders o WHERE o.status <> 'new') s))
SELECT count(*) FROM a;

-- case: output_alias_named_like_marker
SELECT id, email AS deleted_at FROM users ORDER BY deleted_at LIMIT 5;

-- case: reads_marker_explicitly
SELECT count(*) FROM users WHERE deleted_at IS NOT NULL;

-- case: values_with_subqueries
VALUES ((SELECT count(*) FROM users), (SELECT count(*) FROM orders));

-- case: subquery_in_limit
SELECT id FROM orders ORDER BY id LIMIT (SELECT count(*) FROM users WHERE country_code = 'NZ');

-- case: subquery_in_group_by
SELECT user_id IN (SELECT id FROM users WHERE score < 20) AS low, count(*) FROM orders
GROUP BY user_id IN (SELECT id FROM users WHERE score < 20);

-- case: subquery_in_aggregate_filter
SELECT count(*) FILTER (WHERE user_id IN (SELECT id FROM users)) FROM orders;

-- case: subquery_in_function_in_from
SELECT * FROM unnest(ARRAY(SELECT id FROM users WHERE score < 25)) AS t(id);

-- case: subquery_in_window_partition
SELECT id, count(*) OVER (PARTITION BY user_id IN (SELECT id FROM users WHERE country_code = 'US')) FROM orders;

-- case: jsonb_agg_whole_rows
SELECT jsonb_agg(u ORDER BY u.id)::text FROM users u WHERE u.id < 15;

-- ---------------------------------------------------------------- session state traps
-- case: dollar_user_schema_hides_managed_table
-- unfiltered
SELECT id, label FROM tags;

-- case: dollar_user_schema_qualified_managed
SELECT * FROM public.tags;

-- case: dollar_user_schema_join_both
SELECT a.id, p.label FROM tags a LEFT JOIN public.tags p ON p.id = a.id;

-- case: search_path_without_user_schema
SET search_path = public;
SELECT id, label FROM tags;

-- case: same_statement_text_after_search_path_change
-- psycopg 3 prepares the first SELECT once and reuses it for the second; the server then
-- re-parses the prepared statement under the new search_path (PostgreSQL does that since 9.3).
SELECT id, label FROM tags;
SET search_path = public;
SELECT id, label FROM tags;
SET search_path = crm, public;
SELECT id, email FROM users WHERE id < 8;
RESET search_path;
SELECT id, email FROM users WHERE id < 8;

-- case: temp_table_shadows_managed_table
-- unfiltered
CREATE TEMP TABLE orders AS SELECT * FROM crm.users;
SELECT * FROM orders;

-- case: temp_table_shadow_qualified_is_real
CREATE TEMP TABLE users AS SELECT 1 AS id;
SELECT count(*) FROM public.users;

-- case: temp_table_dropped_then_managed_again
CREATE TEMP TABLE orders AS SELECT id, id AS user_id FROM crm.users;
DROP TABLE orders;
SELECT id, user_id FROM orders WHERE id < 40;

-- case: same_statement_after_temp_table_dropped
-- psycopg 3 prepares the SELECT once; PostgreSQL re-analyzes it once its temp table is dropped.
CREATE TEMP TABLE orders AS SELECT id, id AS user_id FROM crm.users;
SELECT id, user_id FROM orders WHERE id < 40;
DROP TABLE orders;
SELECT id, user_id FROM orders WHERE id < 40;

-- case: reset_all_restores_search_path
SET search_path = crm;
RESET ALL;
SELECT count(*) FROM users;

-- case: set_session_search_path
-- unfiltered
SET SESSION search_path TO crm, public;
SELECT * FROM users;

-- case: set_config_session_level
-- unfiltered
SELECT pg_catalog.set_config('search_path', 'crm, public', false) IS NOT NULL;
SELECT * FROM users;

-- case: savepoint_rollback_undoes_set_local
SAVEPOINT oracle_s1;
SET LOCAL search_path = crm;
ROLLBACK TO SAVEPOINT oracle_s1;
SELECT count(*) FROM users;

-- case: savepoint_release_keeps_set
-- unfiltered
SAVEPOINT oracle_s2;
SET search_path = crm, public;
RELEASE SAVEPOINT oracle_s2;
SELECT * FROM users;

-- case: set_union_arms_with_limits
(SELECT id FROM users ORDER BY id LIMIT 3) UNION ALL (SELECT id FROM orders ORDER BY id DESC LIMIT 3);

-- case: subquery_with_limit_in_from
SELECT * FROM (SELECT id FROM users ORDER BY id LIMIT 5) s;

-- case: quoted_schema_quoted_table
SELECT count(*) FROM "public"."UserNotes";

-- case: upper_schema_quoted_table
SELECT count(*) FROM PUBLIC."UserNotes";

-- ---------------------------------------------------------------- multi-statement strings (simple protocol only)
-- case: multi_statement_string_reads
-- modes: direct psycopg2
SELECT count(*) FROM orders; SELECT id, email FROM users WHERE id < 15;

-- case: multi_statement_string_literals_with_semicolons
-- modes: direct psycopg2
SELECT ';' AS s FROM countries WHERE code = 'US'; /* ; */ SELECT 'a;b' AS t, count(*) FROM users WHERE email <> ';';

-- ---------------------------------------------------------------- join aliases hide the tables inside
-- case: join_alias_hides_inner_names
SELECT j.email, j.status FROM (users u JOIN orders o ON o.user_id = u.id) AS j WHERE j.total > 100;

-- case: left_join_alias_hides_inner_names
SELECT j.email, j.status FROM (users u LEFT JOIN orders o ON o.user_id = u.id) AS j;

-- case: full_join_alias_with_column_list
SELECT * FROM (countries c FULL JOIN users u ON u.country_code = c.code) AS j(code, cname, region, uid);

-- case: same_table_nested_unaliased
SELECT id FROM users WHERE id IN (SELECT manager_id FROM users WHERE manager_id IS NOT NULL);

-- ---------------------------------------------------------------- characterizing known-hard spots
-- case: full_then_right_join
SELECT u.id, o.id, c.id FROM users u
FULL JOIN orders o ON o.user_id = u.id
RIGHT JOIN comments c ON c.order_id = o.id;

-- case: right_then_right_join
SELECT u.id, o.id, c.id FROM users u
RIGHT JOIN orders o ON o.user_id = u.id
RIGHT JOIN comments c ON c.order_id = o.id;

-- case: from_list_unqualified_and_other_schema_same_name
SELECT count(*) FROM users, crm.users WHERE crm.users.email LIKE 'crm%';

-- case: join_using_same_name_two_schemas
SELECT id, crm.users.name FROM users JOIN crm.users USING (id);

-- ---------------------------------------------------------------- literal templates
-- Statements that differ only in their constants share one cached rewrite template
-- (parser/literal_template.h): the same shape with a live row, a deleted row, other strings,
-- and negative and decimal numbers must each behave as on gone_db.
-- case: template_point_select_live_user
-- unfiltered
SELECT id, email FROM users WHERE id = 4;

-- case: template_point_select_deleted_user
SELECT id, email FROM users WHERE id = 3;

-- case: template_point_select_other_deleted_user
SELECT id, email FROM users WHERE id = 57;

-- case: template_string_literal_reused_email
SELECT id FROM users WHERE email = 'reuse@example.com';

-- case: template_string_literal_shared_email
SELECT id FROM users WHERE email = 'user50@example.com';

-- case: template_string_literal_quote_inside
SELECT id FROM users WHERE email = 'o''brien@example.com' OR id = 12;

-- case: template_negative_and_decimal
SELECT id FROM orders WHERE total > -1.5 AND user_id = 12 ORDER BY id LIMIT 3;

-- case: template_negative_and_decimal_again
-- ordered
SELECT id FROM orders WHERE total > -100.25 AND user_id = 7 ORDER BY id LIMIT 2;

-- ---------------------------------------------------------------- COPY options (fuzzer finds)
-- case: copy_csv_bare_header
COPY users (id, email) TO STDOUT WITH (FORMAT csv, HEADER);

-- case: copy_format_without_value
-- unfiltered
-- expect-error: 42601
COPY users (id, email) TO STDOUT WITH (FORMAT);
