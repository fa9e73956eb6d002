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

-- case: temp_table_shadows_in_the_same_string
-- unfiltered
-- modes: direct psycopg2 startup
CREATE TEMP TABLE orders AS SELECT id, id AS user_id FROM crm.users; SELECT id, user_id FROM orders WHERE id < 40;

-- case: temp_table_dropped_in_the_same_string
-- modes: direct psycopg2 startup
CREATE TEMP TABLE orders AS SELECT id, id AS user_id FROM crm.users; DROP TABLE orders; SELECT id, user_id FROM orders WHERE id < 40;

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

-- ---------------------------------------------------------------- ORM-shaped reads (oracle growth, round 2)
-- case: r2_window_partition_range_frame
SELECT id, user_id, sum(total) OVER (PARTITION BY user_id ORDER BY placed_on RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) FROM orders;

-- case: r2_window_filtered_aggregate
SELECT id, user_id, count(*) FILTER (WHERE status = 'paid') OVER (PARTITION BY user_id), sum(total) FILTER (WHERE total > 100) OVER (PARTITION BY user_id) FROM orders;

-- case: r2_window_top_two_per_user
SELECT user_id, id, total FROM (SELECT o.*, row_number() OVER (PARTITION BY user_id ORDER BY total DESC NULLS LAST, id) AS rn FROM orders o) t WHERE rn <= 2;

-- case: r2_window_first_value_over_left_join
SELECT u.id, o.id, first_value(o.id) OVER (PARTITION BY u.id ORDER BY o.id), ntile(3) OVER (ORDER BY u.id, o.id) FROM users u LEFT JOIN orders o ON o.user_id = u.id WHERE u.id BETWEEN 1 AND 25;

-- case: r2_window_groups_frame_exclude
SELECT id, sum(qty) OVER (ORDER BY order_id GROUPS BETWEEN 1 PRECEDING AND 1 FOLLOWING EXCLUDE CURRENT ROW) FROM order_items WHERE order_id < 40;

-- case: r2_window_percent_rank_named
SELECT id, percent_rank() OVER w::numeric(10, 6), cume_dist() OVER w::numeric(10, 6) FROM users WINDOW w AS (PARTITION BY country_code ORDER BY score);

-- case: r2_cube_with_grouping
SELECT status, user_id % 3 AS bucket, GROUPING(status, user_id % 3), count(*), sum(total) FROM orders GROUP BY CUBE (status, user_id % 3);

-- case: r2_rollup_left_join_countries
SELECT c.region, c.code, count(u.id), GROUPING(c.region) FROM countries c LEFT JOIN users u ON u.country_code = c.code GROUP BY ROLLUP (c.region, c.code);

-- case: r2_grouping_sets_two_tables
SELECT o.status, i.product_id, sum(i.qty) FROM orders o JOIN order_items i ON i.order_id = o.id GROUP BY GROUPING SETS ((o.status), (i.product_id), ());

-- case: r2_distinct_on_left_join_latest
SELECT DISTINCT ON (u.id) u.id, o.id, o.placed_on FROM users u LEFT JOIN orders o ON o.user_id = u.id ORDER BY u.id, o.placed_on DESC NULLS LAST;

-- case: r2_distinct_on_country_best_score
-- ordered
SELECT DISTINCT ON (country_code) country_code, id, score FROM users ORDER BY country_code, score DESC NULLS LAST, id;

-- case: r2_left_join_lateral_limit_on_true
SELECT u.id, l.id, l.total FROM users u LEFT JOIN LATERAL (SELECT o.id, o.total FROM orders o WHERE o.user_id = u.id ORDER BY o.total DESC NULLS LAST, o.id LIMIT 2) l ON true WHERE u.id < 25;

-- case: r2_lateral_count_comments
SELECT u.id, x.n FROM users u, LATERAL (SELECT count(*) AS n FROM comments c WHERE c.user_id = u.id) x;

-- case: r2_recursive_replies_from_roots_with_depth
WITH RECURSIVE thread AS (
  SELECT id, id AS root, 0 AS depth FROM comments WHERE parent_id IS NULL
  UNION ALL
  SELECT c.id, t.root, t.depth + 1 FROM comments c JOIN thread t ON c.parent_id = t.id
) SELECT root, count(*), max(depth) FROM thread GROUP BY root;

-- case: r2_recursive_search_breadth_first
WITH RECURSIVE t(id, parent_id) AS (
  SELECT id, parent_id FROM comments WHERE id IN (1, 9, 13)
  UNION ALL
  SELECT c.id, c.parent_id FROM t JOIN comments c ON c.parent_id = t.id
) SEARCH BREADTH FIRST BY id SET ord
SELECT id, parent_id FROM t;

-- case: r2_recursive_cycle_clause_managers
WITH RECURSIVE chain(id, manager_id) AS (
  SELECT id, manager_id FROM users WHERE id > 50
  UNION ALL
  SELECT u.id, u.manager_id FROM users u JOIN chain ON u.id = chain.manager_id
) CYCLE id SET is_cycle USING path
SELECT id, manager_id, is_cycle FROM chain;

-- case: r2_recursive_ancestors_of_replies
WITH RECURSIVE up AS (
  SELECT id, parent_id, id AS start FROM comments WHERE id > 60
  UNION ALL
  SELECT p.id, p.parent_id, up.start FROM comments p JOIN up ON p.id = up.parent_id
) SELECT start, count(*) FROM up GROUP BY start;

-- case: r2_correlated_scalar_in_select_list
SELECT c.id, (SELECT count(*) FROM comments r WHERE r.parent_id = c.id) AS replies, (SELECT u.email FROM users u WHERE u.id = c.user_id) FROM comments c;

-- case: r2_correlated_in_order_by
-- ordered
SELECT u.id FROM users u WHERE u.id < 30 ORDER BY (SELECT count(*) FROM orders o WHERE o.user_id = u.id) DESC, u.id;

-- case: r2_correlated_in_having
SELECT o.user_id, count(*) FROM orders o GROUP BY o.user_id HAVING count(*) > (SELECT count(*) FROM comments c WHERE c.user_id = o.user_id);

-- case: r2_not_in_null_only_from_deleted_row
SELECT code FROM countries WHERE code NOT IN (SELECT country_code FROM users WHERE id IN (33, 34, 35));

-- case: r2_not_in_with_null_from_live_row
SELECT code, code NOT IN (SELECT country_code FROM users WHERE id IN (22, 41)) FROM countries;

-- case: r2_not_in_managed_ids
SELECT id FROM users WHERE id NOT IN (SELECT user_id FROM orders) AND id NOT IN (SELECT user_id FROM comments);

-- case: r2_not_exists_anti_join_items
SELECT o.id FROM orders o WHERE NOT EXISTS (SELECT 1 FROM order_items i WHERE i.order_id = o.id);

-- case: r2_left_join_is_null_anti_join_two_levels
SELECT u.id FROM users u LEFT JOIN orders o ON o.user_id = u.id LEFT JOIN order_items i ON i.order_id = o.id WHERE i.id IS NULL;

-- case: r2_all_over_only_deleted_rows
SELECT count(*) FROM orders WHERE total > ALL (SELECT total FROM orders WHERE user_id = 7);

-- case: r2_any_array_subquery
SELECT id FROM orders WHERE user_id = ANY (ARRAY(SELECT id FROM users WHERE country_code = 'FR'));

-- case: r2_greater_all_subquery
SELECT id FROM users WHERE score > ALL (SELECT score FROM users WHERE manager_id = 3 AND id BETWEEN 10 AND 20);

-- case: r2_scalar_subquery_comparison_avg
SELECT id FROM orders WHERE total > (SELECT avg(total) FROM orders) * 1.5;

-- case: r2_scalar_subquery_only_deleted_row
SELECT (SELECT email FROM users WHERE id = 3) AS e, (SELECT count(*) FROM users WHERE id = 3) AS n;

-- case: r2_row_constructor_in_subquery
SELECT id FROM users WHERE (country_code, manager_id) IN (SELECT u.country_code, u.manager_id FROM users u JOIN orders o ON o.user_id = u.id WHERE o.status = 'cancelled');

-- case: r2_row_constructor_equality
SELECT o.id FROM orders o, users u WHERE ROW(o.user_id, o.status) = ROW(u.id, 'paid') AND u.score > 10 AND u.id < 25;

-- case: r2_values_inner_join_managed
SELECT v.id, v.label, u.email FROM (VALUES (3, 'a'), (4, 'b'), (12, 'c'), (50, 'd')) v(id, label) JOIN users u ON u.id = v.id;

-- case: r2_in_values_list
SELECT id FROM products WHERE (id, category) IN (VALUES (5, 'books'), (17, 'toys'), (4, 'food'), (7, 'toys'));

-- case: r2_union_parenthesized_limits
-- ordered
(SELECT id FROM users ORDER BY id LIMIT 5) UNION (SELECT user_id FROM orders ORDER BY user_id DESC LIMIT 5) ORDER BY 1;

-- case: r2_except_all_order_offset
-- ordered
SELECT user_id FROM orders EXCEPT ALL SELECT user_id FROM comments ORDER BY 1 OFFSET 3 LIMIT 20;

-- case: r2_intersect_in_in_subquery
SELECT id, email FROM users WHERE id IN (SELECT user_id FROM orders INTERSECT SELECT user_id FROM comments);

-- case: r2_left_right_full_mixed
SELECT u.id, o.id, i.id, p.id FROM users u LEFT JOIN orders o ON o.user_id = u.id
RIGHT JOIN order_items i ON i.order_id = o.id AND u.score > 20
FULL JOIN products p ON p.id = i.product_id AND o.status = 'paid';

-- case: r2_on_references_three_tables
SELECT c.code, u.id, o.id FROM countries c LEFT JOIN users u ON u.country_code = c.code
LEFT JOIN orders o ON o.user_id = u.id AND o.total > u.score AND c.region = 'Europe';

-- case: r2_nested_join_parentheses_right
SELECT u.id, x.oid, x.id FROM users u RIGHT JOIN (orders o LEFT JOIN order_items i ON i.order_id = o.id) AS x(oid, ouser) ON x.ouser = u.id WHERE x.oid < 40;

-- case: r2_join_using_two_managed
SELECT user_id, o.id, c.id, u.email FROM orders o JOIN comments c USING (user_id) JOIN users u ON u.id = user_id WHERE user_id < 15;

-- case: r2_left_join_using_two_managed
SELECT id, o.total, c.body FROM orders o LEFT JOIN comments c USING (id) WHERE id < 90;

-- case: r2_natural_join_two_managed
SELECT * FROM products NATURAL JOIN order_items;

-- case: r2_natural_join_markers_shared
SELECT count(*) FROM orders NATURAL JOIN order_items;

-- case: r2_self_join_three_aliases
SELECT u.id, m.id, mm.id FROM users u JOIN users m ON m.id = u.manager_id LEFT JOIN users mm ON mm.id = m.manager_id;

-- case: r2_self_join_comment_grandparent
SELECT c.id, p.id, g.id FROM comments c JOIN comments p ON p.id = c.parent_id LEFT JOIN comments g ON g.id = p.parent_id;

-- case: r2_cte_self_joined
WITH t AS (SELECT user_id, count(*) AS n FROM orders GROUP BY user_id)
SELECT a.user_id, b.user_id FROM t a JOIN t b ON a.n = b.n AND a.user_id < b.user_id WHERE a.user_id < 20;

-- case: r2_cte_materialized_joined_twice
WITH m AS MATERIALIZED (SELECT id, manager_id FROM users WHERE score IS NOT NULL)
SELECT x.id, y.id FROM m x LEFT JOIN m y ON y.id = x.manager_id;

-- case: r2_cte_not_materialized_in_where
WITH live AS NOT MATERIALIZED (SELECT id FROM users)
SELECT count(*) FROM orders WHERE user_id IN (SELECT id FROM live) AND user_id NOT IN (SELECT id FROM live WHERE id > 40);

-- case: r2_cte_with_managed_shadow_name_used_twice
WITH orders AS (SELECT * FROM orders WHERE status = 'paid')
SELECT (SELECT count(*) FROM orders), (SELECT count(*) FROM public.orders);

-- case: r2_filter_aggregate_left_join
SELECT u.country_code, count(*) FILTER (WHERE o.id IS NULL) AS no_order, count(o.id) FILTER (WHERE o.status = 'paid') FROM users u LEFT JOIN orders o ON o.user_id = u.id GROUP BY u.country_code;

-- case: r2_array_agg_distinct_filter
SELECT o.user_id, array_agg(DISTINCT i.product_id ORDER BY i.product_id) FILTER (WHERE i.qty > 2) FROM orders o JOIN order_items i ON i.order_id = o.id GROUP BY o.user_id;

-- case: r2_json_agg_whole_row_per_user
SELECT u.id, json_agg(o ORDER BY o.id)::text FROM users u JOIN orders o ON o.user_id = u.id WHERE u.id < 12 GROUP BY u.id;

-- case: r2_row_to_json_whole_row_left_join
SELECT c.code, row_to_json(u)::text FROM countries c LEFT JOIN users u ON u.country_code = c.code AND u.id > 40;

-- case: r2_whole_row_is_null_left_join
SELECT c.code, u IS NULL AS missing FROM countries c LEFT JOIN users u ON u.country_code = c.code;

-- case: r2_whole_row_field_select
SELECT (u).email, (o).total FROM users u JOIN orders o ON o.user_id = u.id WHERE u.id < 10;

-- case: r2_whole_row_star_and_row
SELECT u.*, o FROM users u JOIN orders o ON o.user_id = u.id WHERE u.id IN (3, 4, 20);

-- case: r2_to_jsonb_minus_key
SELECT (to_jsonb(c) - 'posted_at')::text FROM comments c WHERE c.id < 30;

-- case: r2_jsonb_agg_filter_whole_row
SELECT o.user_id, jsonb_agg(o.id) FILTER (WHERE o.total > 200), count(i) FROM orders o LEFT JOIN order_items i ON i.order_id = o.id GROUP BY o.user_id;

-- case: r2_json_build_nested_subquery
SELECT u.id, json_build_object('orders', (SELECT json_agg(o.id ORDER BY o.id) FROM orders o WHERE o.user_id = u.id))::text FROM users u WHERE u.id < 15;

-- case: r2_array_subquery_per_user
SELECT u.id, ARRAY(SELECT c.id FROM comments c WHERE c.user_id = u.id ORDER BY c.id) FROM users u;

-- case: r2_fetch_first_with_ties
SELECT id, score FROM users ORDER BY score NULLS LAST FETCH FIRST 5 ROWS WITH TIES;

-- case: r2_exists_empty_select_list
SELECT u.id FROM users u WHERE EXISTS (SELECT FROM orders o WHERE o.user_id = u.id AND o.status = 'shipped');

-- case: r2_subquery_right_join_managed
SELECT s.user_id, s.n, u.id FROM (SELECT user_id, count(*) AS n FROM orders GROUP BY user_id) s RIGHT JOIN users u ON u.id = s.user_id;

-- case: r2_rows_from_left_join
SELECT g, u.email FROM ROWS FROM (generate_series(1, 15)) AS g LEFT JOIN users u ON u.id = g;

-- case: r2_in_union_subquery
SELECT id FROM users WHERE id IN (SELECT user_id FROM orders WHERE status = 'new' UNION SELECT manager_id FROM users);

-- case: r2_case_subquery_in_order_by
-- ordered
SELECT id FROM products ORDER BY CASE WHEN EXISTS (SELECT 1 FROM order_items i WHERE i.product_id = products.id AND i.qty = 5) THEN 0 ELSE 1 END, id;

-- case: r2_explain_json_recursive
-- unfiltered
-- explain
EXPLAIN (FORMAT JSON, COSTS OFF) WITH RECURSIVE t AS (SELECT id FROM comments WHERE parent_id IS NULL UNION ALL SELECT c.id FROM comments c JOIN t ON c.parent_id = t.id) SELECT count(*) FROM t;

-- case: r2_explain_verbose_window
-- unfiltered
-- explain
EXPLAIN (VERBOSE, COSTS OFF) SELECT id, rank() OVER (PARTITION BY user_id ORDER BY total) FROM orders;

-- case: r2_param_window_partition
-- params: [10]
SELECT id, row_number() OVER (PARTITION BY user_id ORDER BY id) FROM orders WHERE user_id < %s;

-- case: r2_param_not_in_text_array
-- params: [['US', 'NZ']]
SELECT id FROM users WHERE country_code <> ALL (%s) AND id NOT IN (SELECT user_id FROM comments);

-- case: r2_param_lateral_and_limit
-- params: [2, 20]
SELECT u.id, l.id FROM users u LEFT JOIN LATERAL (SELECT c.id FROM comments c WHERE c.user_id = u.id ORDER BY c.id DESC LIMIT %s) l ON true WHERE u.id < %s;

-- case: r2_whole_row_nullable_side_of_using_join
SELECT o.id, u FROM orders o LEFT JOIN users u USING (id) WHERE o.id < 30;

-- case: r2_group_by_pk_nullable_side_of_using_join
SELECT u.id, u.email, count(*) FROM orders o LEFT JOIN users u USING (id) GROUP BY u.id;

-- case: r2_row_to_json_nullable_side_of_natural_join
SELECT p.id, row_to_json(i)::text FROM products p NATURAL LEFT JOIN order_items i WHERE p.id < 20;

-- case: r2_subquery_returning_whole_row
SELECT o.id, (SELECT u FROM users u WHERE u.id = o.user_id) FROM orders o WHERE o.id < 40;

-- case: r2_distinct_whole_row
SELECT DISTINCT u FROM users u JOIN orders o ON o.user_id = u.id WHERE u.id < 25;

-- case: r2_count_distinct_whole_row
SELECT count(DISTINCT o), count(o) FROM users u LEFT JOIN orders o ON o.user_id = u.id;

-- case: r2_json_object_agg
SELECT json_object_agg(id, email ORDER BY id)::text FROM users WHERE id < 25;

-- case: r2_json_populate_recordset_of_managed
SELECT (r).id, (r).email FROM (SELECT json_populate_recordset(NULL::users, (SELECT json_agg(u) FROM users u WHERE u.id < 15)) AS r) t;

-- case: r2_join_on_with_in_subquery
SELECT u.id, o.id FROM users u LEFT JOIN orders o ON o.user_id = u.id AND o.id IN (SELECT order_id FROM order_items WHERE qty > 3) WHERE u.id < 30;

-- case: r2_top_level_values_with_subquery
VALUES ((SELECT count(*) FROM users), (SELECT max(id) FROM orders WHERE user_id = 7));

-- case: r2_limit_from_subquery_on_managed
-- ordered
SELECT id FROM orders ORDER BY id LIMIT (SELECT count(*) FROM users WHERE id < 15);

-- case: r2_recursive_cte_inside_where_subquery
SELECT u.id FROM users u WHERE u.id IN (
  WITH RECURSIVE r AS (SELECT id, parent_id, user_id FROM comments WHERE id = 9 UNION ALL SELECT c.id, c.parent_id, c.user_id FROM comments c JOIN r ON c.parent_id = r.id)
  SELECT user_id FROM r);

-- case: r2_grouping_sets_having_subquery
SELECT status, count(*) FROM orders GROUP BY GROUPING SETS ((status), ()) HAVING count(*) > (SELECT count(*) FROM users) / 4;

-- case: r2_inner_join_using_in_exists
SELECT u.id FROM users u WHERE EXISTS (SELECT 1 FROM orders o JOIN order_items i USING (id) WHERE o.user_id = u.id);

-- case: r2_full_join_using_coalesced_key_filter
SELECT id, o.status, c.body FROM orders o FULL JOIN comments c USING (id) WHERE id BETWEEN 5 AND 95;

-- case: r2_tableoid_nullable_side_of_using_join
SELECT o.id, u.tableoid::regclass::text, u.email FROM orders o LEFT JOIN users u USING (id) WHERE o.id < 30;

-- case: r2_join_alias_whole_row
SELECT row_to_json(j)::text FROM (users u JOIN orders o ON o.user_id = u.id) AS j(uid, mail) WHERE j.uid < 12;

-- case: r2_for_update_of_nullable_side_of_using_join_preserved
SELECT o.id, u.email FROM orders o LEFT JOIN users u USING (id) WHERE o.id < 30 FOR UPDATE OF o;

-- case: r2_lateral_function_with_correlated_subquery
SELECT u.id, g FROM users u, generate_series(1, (SELECT count(*) FROM orders o WHERE o.user_id = u.id)::int) g WHERE u.id < 15;

-- case: r2_recursive_union_distinct_managers
WITH RECURSIVE down(id, lvl) AS (SELECT id, 0 FROM users WHERE manager_id IS NULL UNION SELECT u.id, d.lvl + 1 FROM users u JOIN down d ON u.manager_id = d.id)
SELECT lvl, count(*), sum(id) FROM down GROUP BY lvl;

-- case: r2_except_order_limit
-- ordered
SELECT id FROM users EXCEPT SELECT user_id FROM orders WHERE status = 'paid' ORDER BY 1 LIMIT 12;

-- case: r2_any_subquery_in_where_with_join
SELECT count(*) FROM users u, orders o WHERE o.user_id = u.id AND u.id = ANY (SELECT manager_id FROM users WHERE country_code IN ('FR', 'DE'));

-- case: r2_cube_having_grouping
SELECT u.country_code, o.status, count(*) FROM users u JOIN orders o ON o.user_id = u.id GROUP BY CUBE (u.country_code, o.status) HAVING GROUPING(u.country_code) = 1 OR count(*) > 3;

-- case: r2_managed_tags_full_join_unmanaged_tags
SELECT id, t.label, a.label FROM public.tags t FULL JOIN app.tags a USING (id);

-- case: r2_jsonb_path_over_aggregated_rows
SELECT jsonb_path_query_array(jsonb_agg(to_jsonb(o) ORDER BY o.id), '$[*] ? (@.total > 400).id')::text FROM orders o;

-- case: r2_window_over_aggregate_with_subquery_filter
SELECT user_id, sum(total), rank() OVER (ORDER BY sum(total) DESC NULLS LAST) FROM orders WHERE user_id IN (SELECT id FROM users WHERE score > 20) GROUP BY user_id;

-- case: r2_param_any_subquery_and_row
-- params: ['paid', 3]
SELECT o.id FROM orders o WHERE (o.user_id, o.status) IN (SELECT u.id, %s::text FROM users u WHERE u.manager_id = %s);

-- ---------------------------------------------------------------- literal-sensitive shapes (one cached template, several constants)
-- case: r2_template_order_by_position
-- ordered
SELECT id, score FROM users WHERE id < 15 ORDER BY 2 NULLS LAST, 1 LIMIT 6;
SELECT id, score FROM users WHERE id < 15 ORDER BY 1 DESC, 2 LIMIT 6;

-- case: r2_template_group_by_position
SELECT country_code, count(*) FROM users GROUP BY 1;
SELECT manager_id, count(*) FROM users GROUP BY 1;

-- case: r2_template_typed_literals
SELECT id FROM orders WHERE placed_on < date '2025-01-25' AND total > 100::numeric;
SELECT id FROM orders WHERE placed_on < date '2025-02-05' + interval '2 days' AND total > 250::numeric;

-- case: r2_template_escape_string_and_bits
SELECT id, E'tab\there' AS t, B'101' AS b, X'1F' AS x FROM users WHERE email LIKE E'user3\\_%' OR id = 3;
SELECT id, E'a\\b' AS t, B'11' AS b, X'FF' AS x FROM users WHERE email LIKE E'user1\\_%' OR id = 12;

-- case: r2_template_null_and_boolean_constants
SELECT id FROM users WHERE (score IS NULL) = true AND id < 60;
SELECT id FROM users WHERE (score IS NULL) = false AND id < 10;

-- case: r2_template_limit_offset_constants
-- ordered
SELECT id FROM comments ORDER BY id LIMIT 3 OFFSET 7;
SELECT id FROM comments ORDER BY id LIMIT 5 OFFSET 11;

-- case: r2_template_in_list_lengths
SELECT id FROM users WHERE id IN (3, 4);
SELECT id FROM users WHERE id IN (3, 4, 12, 20, 21);
SELECT id FROM users WHERE id IN (33);

-- ---------------------------------------------------------------- filtered in place (nullable side of USING/NATURAL, aliased joins) in every wrapper
-- case: r2_in_place_declare_cursor
BEGIN;
DECLARE r2c CURSOR FOR SELECT o.id, u FROM orders o LEFT JOIN users u USING (id) WHERE o.id < 25;
FETCH ALL FROM r2c;
COMMIT;

-- case: r2_in_place_create_temp_table_as
CREATE TEMP TABLE r2_t AS SELECT id, u.email, o.status FROM users u FULL JOIN orders o USING (id);
SELECT count(*), count(email), count(status) FROM r2_t;
DROP TABLE r2_t;

-- case: r2_in_place_copy_query
COPY (SELECT p.id, i.qty FROM products p NATURAL LEFT JOIN order_items i ORDER BY p.id) TO STDOUT;

-- case: r2_in_place_prepare_execute
PREPARE r2p(int) AS SELECT id, u.email FROM orders o LEFT JOIN users u USING (id) WHERE id < $1;
EXECUTE r2p(25);
DEALLOCATE r2p;

-- case: r2_in_place_join_alias_over_using
SELECT j.id, j.email, j.status FROM (users u LEFT JOIN orders o USING (id)) AS j WHERE j.id < 30;

-- case: r2_in_place_full_join_alias_renamed
SELECT j.k, j.cuser, j.email, x.m FROM (comments c FULL JOIN users u USING (id)) AS j(k, cuser), LATERAL (SELECT j.k * 2) x(m) WHERE j.k BETWEEN 1 AND 70;

-- case: r2_in_place_exists_with_using_left_join
SELECT c.code FROM countries c WHERE EXISTS (SELECT 1 FROM users u LEFT JOIN orders o USING (id) WHERE u.country_code = c.code AND o.id IS NULL);

-- case: r2_in_place_param_using_join
-- params: [40]
SELECT id, c.body, o.status FROM comments c RIGHT JOIN orders o USING (id) WHERE id < %s;

-- ---------------------------------------------------------------- more joins, NULL semantics and wrappers
-- case: r2_self_natural_join_markers_never_match
SELECT count(*) FROM users NATURAL JOIN users AS v;

-- case: r2_chained_using_left_joins
SELECT id, o.status, u.email, c.body FROM orders o LEFT JOIN users u USING (id) LEFT JOIN comments c USING (id) WHERE id < 70;

-- case: r2_join_alias_without_columns_count
SELECT count(*), count(j.status) FROM (users u LEFT JOIN orders o ON o.user_id = u.id) AS j;

-- case: r2_lateral_full_join_using_correlated
SELECT u.id, x.id, x.status FROM users u, LATERAL (SELECT id, o.status FROM orders o FULL JOIN comments c USING (id) WHERE coalesce(o.user_id, c.user_id) = u.id) x WHERE u.id < 20;

-- case: r2_recursive_with_left_join_using
WITH RECURSIVE t(id, depth, st) AS (
  SELECT id, 0, NULL::text FROM comments WHERE parent_id IS NULL AND id < 8
  UNION ALL
  SELECT c.id, t.depth + 1, o.status FROM t JOIN (comments c LEFT JOIN orders o USING (id)) ON c.parent_id = t.id
) SELECT id, depth, st FROM t;

-- case: r2_table_command_set_operation
TABLE public.tags EXCEPT SELECT * FROM public.tags WHERE id > 8;

-- case: r2_window_range_interval
SELECT id, count(*) OVER (ORDER BY placed_on RANGE BETWEEN INTERVAL '3 days' PRECEDING AND CURRENT ROW) FROM orders;

-- case: r2_temp_view_over_using_join_whole_row
CREATE TEMP VIEW r2_v AS SELECT o.id AS oid, u FROM orders o LEFT JOIN users u USING (id);
SELECT oid, (u).email FROM r2_v WHERE oid < 30;
DROP VIEW r2_v;

-- case: r2_copy_chained_using_csv
COPY (SELECT id, o.status, u.email FROM orders o LEFT JOIN users u USING (id) WHERE id < 40 ORDER BY id) TO STDOUT WITH (FORMAT csv, HEADER);

-- case: r2_exists_in_on_clause_nullable
SELECT c.code, u.id FROM countries c LEFT JOIN users u ON u.country_code = c.code AND EXISTS (SELECT 1 FROM orders o WHERE o.user_id = u.id AND o.status = 'cancelled');

-- case: r2_not_in_two_columns_nulls
SELECT id FROM orders WHERE (user_id, total) NOT IN (SELECT user_id, total FROM orders WHERE id % 10 = 0 OR id % 13 = 0) AND id < 60;

-- case: r2_param_prepared_using_join
-- params: [3, 30]
SELECT id, u.email FROM orders o LEFT JOIN users u USING (id) WHERE o.user_id <> %s AND id < %s;

-- case: r2_having_correlated_exists_and_filter
SELECT o.user_id, count(*) FILTER (WHERE o.status = 'new') FROM orders o GROUP BY o.user_id
HAVING EXISTS (SELECT 1 FROM comments c WHERE c.user_id = o.user_id) AND count(*) > 1;

-- case: r2_order_by_scalar_subquery_nulls
-- ordered
SELECT u.id FROM users u WHERE u.id BETWEEN 1 AND 25 ORDER BY (SELECT max(o.total) FROM orders o WHERE o.user_id = u.id) DESC NULLS LAST, u.id;

-- case: r2_select_list_exists_and_in
SELECT c.id, EXISTS (SELECT 1 FROM comments r WHERE r.parent_id = c.id) AS has_replies, c.parent_id IN (SELECT id FROM comments) AS parent_alive FROM comments c WHERE c.id > 20;

-- case: r2_group_by_whole_row_key
SELECT u.id, count(o.id) FROM users u LEFT JOIN orders o ON o.user_id = u.id GROUP BY u.id HAVING count(o.id) = 0;

-- ---------------------------------------------------------------- ORM read shapes
-- case: r2_django_annotate_count_left_outer
SELECT "users"."id", "users"."email", COUNT("orders"."id") AS "n" FROM "users" LEFT OUTER JOIN "orders" ON ("users"."id" = "orders"."user_id") GROUP BY "users"."id" ORDER BY "users"."id" ASC;

-- case: r2_django_prefetch_in_list
SELECT "orders"."id", "orders"."user_id" FROM "orders" WHERE "orders"."user_id" IN (3, 7, 12, 13, 20);

-- case: r2_sqlalchemy_joinedload_subquery
SELECT anon_1.users_id, orders_1.id FROM (SELECT users.id AS users_id FROM users ORDER BY users.id LIMIT 15) AS anon_1 LEFT OUTER JOIN orders AS orders_1 ON anon_1.users_id = orders_1.user_id;

-- case: r2_prisma_style_three_part_select
SELECT "public"."users"."id", "public"."users"."email" FROM "public"."users" WHERE ("public"."users"."id" IN (3, 4, 12) AND 1=1) OFFSET 0;

-- case: r2_activerecord_exists_limit_one
SELECT 1 AS one FROM "users" WHERE "users"."email" = 'reuse@example.com' LIMIT 1;

-- case: r2_hibernate_style_aliases
SELECT u1_0.id, u1_0.email, o1_0.id FROM users u1_0 LEFT JOIN orders o1_0 ON u1_0.id = o1_0.user_id WHERE u1_0.country_code = 'NZ' OR u1_0.id = 7;

-- case: r2_products_nullable_using_renamed_marker
SELECT i.id, p.sku, p.gone FROM order_items i LEFT JOIN products AS p(product_id, sku, title, price, category, gone) USING (product_id) WHERE i.id < 60;

-- case: r2_accounts_nullable_natural_join
SELECT count(*), count(a.handle), sum(a.balance) FROM (SELECT id AS user_id FROM users) u NATURAL LEFT JOIN crm.accounts a;

-- case: r2_quoted_table_nullable_using_whole_row
SELECT u.id, n FROM users u LEFT JOIN "UserNotes" n ON n."UserId" = u.id LEFT JOIN orders o USING (id) WHERE u.id < 20;
