#include "tests/unit/parser/fixture.h"

namespace tombstone::parser::testing {

config::Config test_config() {
  config::Config c;
  config::TablePolicy users;
  users.table = {"public", "users"};
  users.strategy = config::Strategy::kSoft;
  users.deleted_by = "deleted_by";
  users.reason = "deleted_reason";
  c.tables.push_back(users);

  config::TablePolicy comments;
  comments.table = {"public", "comments"};
  comments.column = "removed_at";
  c.tables.push_back(comments);

  config::TablePolicy notes;
  notes.table = {"public", "Notes"};
  c.tables.push_back(notes);

  config::TablePolicy orders;
  orders.table = {"public", "orders"};
  orders.strategy = config::Strategy::kArchive;
  orders.archive = {"public", "orders_archive"};
  c.tables.push_back(orders);

  config::TablePolicy sessions;
  sessions.table = {"public", "sessions"};
  sessions.strategy = config::Strategy::kHard;
  sessions.audit = true;
  c.tables.push_back(sessions);

  config::TablePolicy events;
  events.table = {"public", "events"};
  events.strategy = config::Strategy::kHard;
  c.tables.push_back(events);
  c.generation = 1;
  return c;
}

Catalog test_catalog() {
  std::vector<std::vector<std::string>> rows;
  auto rel = [&](const char* schema, const char* name, const char* kind,
                 std::vector<std::pair<const char*, const char*>> cols, const char* pk = "") {
    int n = 1;
    for (const auto& [col, type] : cols) {
      rows.push_back(
          {schema, name, kind, std::to_string(n++), col, type, std::string(col) == pk ? "t" : "f"});
    }
  };
  rel("public", "users", "r",
      {{"id", "bigint"},
       {"email", "text"},
       {"name", "text"},
       {"org_id", "bigint"},
       {"deleted_at", "timestamp with time zone"},
       {"deleted_by", "text"},
       {"deleted_reason", "text"}},
      "id");
  rel("public", "comments", "r",
      {{"id", "bigint"},
       {"user_id", "bigint"},
       {"body", "text"},
       {"removed_at", "timestamp with time zone"}},
      "id");
  rel("public", "Notes", "r",
      {{"id", "integer"}, {"body", "text"}, {"deleted_at", "timestamp with time zone"}}, "id");
  rel("public", "orders", "r",
      {{"id", "bigint"}, {"user_id", "bigint"}, {"total", "numeric(10,2)"}, {"status", "text"}},
      "id");
  rel("public", "orders_archive", "r",
      {{"id", "bigint"},
       {"user_id", "bigint"},
       {"total", "numeric(10,2)"},
       {"status", "text"},
       {"archived_at", "timestamp with time zone"},
       {"archived_by", "text"}});
  rel("public", "sessions", "r",
      {{"token", "text"}, {"user_id", "bigint"}, {"expires_at", "timestamp with time zone"}},
      "token");
  rel("public", "events", "r", {{"id", "bigint"}, {"payload", "jsonb"}}, "id");
  rel("reporting", "users", "v", {{"id", "bigint"}, {"email", "text"}});
  rel("other", "users", "r", {{"id", "bigint"}, {"email", "text"}});
  rel("evil", "users", "v",
      {{"id", "bigint"},
       {"email", "text"},
       {"name", "text"},
       {"org_id", "bigint"},
       {"deleted_at", "timestamp with time zone"},
       {"deleted_by", "text"},
       {"deleted_reason", "text"}});
  return catalog_from_rows(rows);
}

SessionState user_session() {
  SessionState s;
  s.session_user = "app";
  return s;
}

SessionState admin_session() {
  SessionState s;
  s.session_user = "dba";
  s.admin = true;
  s.visibility = Visibility::kAll;
  return s;
}

}  // namespace tombstone::parser::testing
