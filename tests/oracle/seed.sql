-- Deterministic rows for schema.sql (no random(), no now()). Which of them are deleted is decided
-- in oracle.py (DELETIONS); this file is identical for soft_db and gone_db.

INSERT INTO countries (code, name, region) VALUES
  ('US', 'United States', 'Americas'), ('CA', 'Canada', 'Americas'), ('MX', 'Mexico', 'Americas'),
  ('BR', 'Brazil', 'Americas'), ('GB', 'United Kingdom', 'Europe'), ('FR', 'France', 'Europe'),
  ('DE', 'Germany', 'Europe'), ('IS', 'Iceland', 'Europe'), ('JP', 'Japan', 'Asia'),
  ('NZ', 'New Zealand', NULL);

-- 60 users; managers are 1..5; users 57 and 58 are the only New Zealanders; every 11th user has
-- no country; every 7th has no score.
INSERT INTO users (id, email, name, country_code, manager_id, score, signup_on)
SELECT g,
       CASE g WHEN 20 THEN 'reuse@example.com' WHEN 44 THEN 'Mixed.Case@Example.com'
              WHEN 12 THEN 'user50@example.com'
              ELSE 'user' || g || '@example.com' END,
       'User ' || lpad(g::text, 2, '0'),
       CASE WHEN g IN (57, 58) THEN 'NZ'
            WHEN g % 11 = 0 THEN NULL
            ELSE (ARRAY['US', 'CA', 'MX', 'GB', 'FR', 'DE', 'JP', 'BR'])[1 + g % 8] END,
       CASE WHEN g <= 5 THEN NULL ELSE 1 + g % 5 END,
       CASE WHEN g % 7 = 0 THEN NULL ELSE (g * 37) % 100 END,
       date '2024-01-01' + g * 3
FROM generate_series(1, 60) g;

INSERT INTO products (id, sku, title, price, category)
SELECT g, 'SKU-' || lpad(CASE g WHEN 17 THEN 18 ELSE g END::text, 3, '0'), 'Product ' || g, (g * 7 % 90) + 0.99,
       CASE WHEN g % 6 = 0 THEN NULL ELSE (ARRAY['books', 'garden', 'toys', 'tools', 'food'])[1 + g % 5] END
FROM generate_series(1, 30) g;

-- 150 orders for users 1..55 (56..60 have none); orders 141..150 have no items.
INSERT INTO orders (id, user_id, status, total, placed_on, note)
SELECT g, 1 + (g * 7) % 55,
       (ARRAY['new', 'paid', 'shipped', 'cancelled'])[1 + g % 4],
       CASE WHEN g % 13 = 0 THEN NULL ELSE round(((g * 1937) % 50000) / 100.0, 2) END,
       date '2025-01-01' + g,
       CASE WHEN g % 3 = 0 THEN 'note ' || g END
FROM generate_series(1, 150) g;

INSERT INTO order_items (id, order_id, product_id, qty, unit_price)
SELECT g, 1 + (g * 13) % 140, 1 + (g * 7) % 30, 1 + g % 5, (g % 50) + 0.49
FROM generate_series(1, 400) g;

-- 20 thread roots, then replies whose parent is an earlier comment; users 51..60 never comment.
INSERT INTO comments (id, user_id, order_id, parent_id, body, posted_at)
SELECT g, 1 + (g * 11) % 50,
       CASE WHEN g % 4 = 0 THEN 1 + g % 150 END,
       CASE WHEN g <= 20 THEN NULL ELSE g - 1 - (g * 7) % 20 END,
       'comment ' || g,
       timestamptz '2025-06-01 00:00:00+00' + g * interval '1 hour'
FROM generate_series(1, 80) g;

INSERT INTO "UserNotes" ("Id", "UserId", "Body")
SELECT g, 1 + (g * 3) % 60, CASE WHEN g % 8 = 0 THEN NULL ELSE 'note body ' || g END
FROM generate_series(1, 40) g;

INSERT INTO events (id, user_id, kind, payload, at)
SELECT g, CASE WHEN g % 9 = 0 THEN NULL ELSE 1 + g % 60 END,
       (ARRAY['login', 'logout', 'purchase', 'error'])[1 + g % 4],
       CASE WHEN g % 5 = 0 THEN NULL ELSE 'payload ' || g END,
       timestamptz '2025-03-01 00:00:00+00' + g * interval '1 minute'
FROM generate_series(1, 100) g;

INSERT INTO events_archive (archived_at, kind, id, at, payload, user_id, archived_by)
SELECT timestamptz '2025-02-01 00:00:00+00', 'login', 1000 + g,
       timestamptz '2025-01-01 00:00:00+00' + g * interval '1 minute', 'old ' || g, g, 'seed'
FROM generate_series(1, 5) g;

INSERT INTO api_keys (id, user_id, label, deleted_at)
SELECT g, 1 + g % 60, 'key ' || g,
       CASE WHEN g % 3 = 0 THEN timestamptz '2025-05-05 05:05:05+00' END
FROM generate_series(1, 24) g;

INSERT INTO crm.users (id, email, name, deleted_at)
SELECT g, 'crm' || g || '@example.com', 'Crm ' || g,
       CASE WHEN g IN (2, 5) THEN timestamptz '2025-04-04 04:04:04+00' END
FROM generate_series(1, 10) g;

INSERT INTO crm.accounts (id, handle, user_id, balance)
SELECT g, CASE g WHEN 9 THEN 'reuse-handle' WHEN 15 THEN 'h16' ELSE 'h' || g END, 1 + (g * 5) % 60,
       CASE WHEN g % 6 = 0 THEN NULL ELSE g * 10.5 END
FROM generate_series(1, 20) g;

INSERT INTO tags (id, label) SELECT g, 'tag ' || g FROM generate_series(1, 12) g;
INSERT INTO app.tags (id, label, deleted_at)
SELECT g, 'app tag ' || g, CASE WHEN g % 2 = 0 THEN timestamptz '2025-07-07 07:07:07+00' END
FROM generate_series(1, 6) g;

SELECT setval(pg_get_serial_sequence('users', 'id'), 1000, false);
SELECT setval(pg_get_serial_sequence('products', 'id'), 1000, false);
SELECT setval(pg_get_serial_sequence('orders', 'id'), 1000, false);
SELECT setval(pg_get_serial_sequence('order_items', 'id'), 1000, false);
SELECT setval(pg_get_serial_sequence('comments', 'id'), 1000, false);
SELECT setval(pg_get_serial_sequence('events', 'id'), 1000, false);
