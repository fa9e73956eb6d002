-- The example schema of deploy/quickstart.sh and deploy/docker-compose.yml: one soft-delete
-- table, one archive table, and the roles of Tombstone's security model (README "Security").
-- Run as a superuser in the application database. Passwords are for local demos only.

-- `app` is an ordinary application role; `admin` sees deleted rows through Tombstone because
-- it is a member of tombstone_admin (the config's admin_roles).
CREATE ROLE app LOGIN PASSWORD 'app';
CREATE ROLE tombstone_admin NOLOGIN;
CREATE ROLE admin LOGIN PASSWORD 'admin' IN ROLE tombstone_admin;

CREATE TABLE users (
  id             bigserial PRIMARY KEY,
  email          text NOT NULL,
  name           text NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now(),
  deleted_at     timestamptz,          -- the soft-delete marker: NULL = live
  deleted_by     text,                 -- tombstone.actor, or the login role
  deleted_reason text                  -- tombstone.reason
);
-- Unique among live rows only, so a deleted user's e-mail can be registered again.
CREATE UNIQUE INDEX users_email_live ON users (email) WHERE deleted_at IS NULL;
CREATE INDEX users_live ON users (id) WHERE deleted_at IS NULL;

-- No foreign key to users on purpose: deleting a referenced user would succeed as a soft delete
-- where a hard DELETE fails with 23503, and `tombstone check` warns about exactly that.
CREATE TABLE orders (
  id         bigserial PRIMARY KEY,
  user_id    bigint NOT NULL,
  total      numeric(10, 2) NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
-- Deleted orders move here in the same statement (strategy: archive).
CREATE TABLE orders_archive (
  LIKE orders,
  archived_at timestamptz NOT NULL DEFAULT now(),
  archived_by text
);

INSERT INTO users (email, name) VALUES
  ('ada@example.com', 'Ada Lovelace'),
  ('alan@example.com', 'Alan Turing'),
  ('grace@example.com', 'Grace Hopper'),
  ('edsger@example.com', 'Edsger Dijkstra'),
  ('barbara@example.com', 'Barbara Liskov');
-- One user deleted before we start: invisible to `app` through Tombstone, visible to `admin`.
UPDATE users SET deleted_at = now() - interval '3 days', deleted_by = 'user:1',
                 deleted_reason = 'account closed'
 WHERE email = 'edsger@example.com';
INSERT INTO orders (user_id, total)
SELECT u.id, t.total
  FROM users u, (VALUES (19.90), (5.00), (120.00)) AS t(total)
 WHERE u.deleted_at IS NULL;

-- The app may read and write, but never DELETE or TRUNCATE a soft table itself: Tombstone does
-- not need those privileges (its DELETE becomes an UPDATE), and revoking them closes every path
-- around the proxy. Archive tables need DELETE on the source and INSERT on the archive.
GRANT SELECT, INSERT, UPDATE ON users, orders TO app;
GRANT DELETE ON orders TO app;
GRANT SELECT, INSERT ON orders_archive TO app;
GRANT USAGE ON SEQUENCE users_id_seq, orders_id_seq TO app;
GRANT SELECT, INSERT, UPDATE, DELETE ON users, orders, orders_archive TO tombstone_admin;
GRANT USAGE ON SEQUENCE users_id_seq, orders_id_seq TO tombstone_admin;
