#include "tools/schema.h"

#include <algorithm>
#include <optional>

namespace tombstone::tools {
namespace {

using config::quote_identifier;
using config::Strategy;
using config::TablePolicy;

// Columns the deletion log needs, with the types migrate creates them with. row_key is what the
// rewriter's audit insert sends: jsonb_build_object(<primary key columns>), NULL without a key.
struct LogColumn {
  const char* name;
  const char* definition;
};
constexpr LogColumn kLogColumns[] = {
    {"id", "bigserial PRIMARY KEY"},
    {"table_name", "text NOT NULL"},
    {"row_key", "jsonb"},
    {"row_count", "bigint NOT NULL DEFAULT 1"},
    {"actor", "text"},
    {"reason", "text"},
    {"deleted_at", "timestamptz NOT NULL DEFAULT now()"},
    {"operation", "text NOT NULL DEFAULT 'delete'"},
};

struct ColumnInfo {
  std::string name;
  std::string type;
  std::string attnum;
  std::optional<std::string> comment;
  bool not_null = false;
  bool has_default = false;
};

struct TableInfo {
  std::string oid;
  char relkind = 'r';
  std::vector<ColumnInfo> columns;

  const ColumnInfo* column(const std::string& name) const {
    for (const auto& c : columns) {
      if (c.name == name) return &c;
    }
    return nullptr;
  }
};

bool is_timestamp(const std::string& type) {
  return type == "timestamp with time zone" || type == "timestamp without time zone" ||
         type.starts_with("timestamp(");
}

bool is_text_like(const std::string& type) {
  return type == "text" || type == "name" || type.starts_with("character varying") ||
         type == "citext";
}

std::string strategy_name(Strategy s) {
  return s == Strategy::kSoft ? "soft" : s == Strategy::kArchive ? "archive" : "hard";
}

std::string relkind_name(char k) {
  switch (k) {
    case 'v':
      return "a view";
    case 'm':
      return "a materialized view";
    case 'f':
      return "a foreign table";
    case 'S':
      return "a sequence";
    case 'i':
    case 'I':
      return "an index";
    case 'c':
      return "a composite type";
    default:
      return "not a table";
  }
}

// Regex-escapes a name for PostgreSQL's ~* operator.
std::string regex_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (std::string_view(".^$*+?()[]{}|\\").find(c) != std::string_view::npos) out += '\\';
    out += c;
  }
  return out;
}

std::string truncate_identifier(std::string name, const std::string& suffix) {
  if (name.size() + suffix.size() > 63) name.resize(63 - suffix.size());
  return name + suffix;
}

std::string retention_comment(const TablePolicy& t) {
  return "tombstone: purged " + format_retention(*t.retention) + " after " +
         (t.strategy == Strategy::kSoft ? "soft deletion" : "archiving") + " (retention)";
}

class Inspector {
 public:
  Inspector(const config::Config& config, Connection& conn) : config_(config), conn_(conn) {}

  std::expected<std::vector<Finding>, PgError> run() {
    check_database();
    check_admin_roles();
    for (const auto& t : config_.tables) {
      if (error_) break;
      switch (t.strategy) {
        case Strategy::kSoft:
          check_soft(t);
          break;
        case Strategy::kArchive:
          check_archive(t);
          break;
        case Strategy::kHard:
          check_hard(t);
          break;
      }
    }
    if (!error_) check_deletion_log();
    if (error_) return std::unexpected(*error_);
    return std::move(findings_);
  }

 private:
  Rows query(const std::string& sql, const std::vector<Value>& params = {}) {
    if (error_) return {};
    auto r = conn_.exec(sql, params);
    if (!r) {
      error_ = r.error();
      return {};
    }
    return std::move(*r);
  }

  void add(Severity s, std::string what, std::string fix, std::vector<std::string> ddl = {}) {
    findings_.push_back({s, std::move(what), std::move(fix), std::move(ddl), false});
  }

  std::optional<TableInfo> lookup(const config::QualifiedName& name) {
    auto rel = query(
        "SELECT c.oid::text, c.relkind::text FROM pg_class c JOIN pg_namespace n ON n.oid = "
        "c.relnamespace WHERE n.nspname = $1 AND c.relname = $2",
        {name.schema, name.name});
    if (rel.rows.empty()) return std::nullopt;
    TableInfo info;
    info.oid = *rel.rows[0][0];
    info.relkind = (*rel.rows[0][1])[0];
    auto cols = query(
        "SELECT attname, format_type(atttypid, atttypmod), attnum::text, col_description(attrelid, "
        "attnum), attnotnull::text, atthasdef::text FROM pg_attribute WHERE attrelid = $1::oid AND "
        "attnum > 0 AND NOT attisdropped ORDER BY attnum",
        {info.oid});
    for (auto& r : cols.rows) {
      info.columns.push_back({*r[0], *r[1], *r[2], r[3], *r[4] == "true", *r[5] == "true"});
    }
    return info;
  }

  // The table exists and is something DELETE can target; otherwise reports why and returns nullopt.
  std::optional<TableInfo> managed_table(const TablePolicy& t) {
    auto info = lookup(t.table);
    if (error_) return std::nullopt;
    if (!info) {
      add(Severity::kError,
          "table " + t.table.to_sql() + " (" + strategy_name(t.strategy) + ") does not exist",
          "create it, or remove it from tables: in " + config_.source_file);
      return std::nullopt;
    }
    if (info->relkind != 'r' && info->relkind != 'p') {
      add(Severity::kError,
          t.table.to_sql() + " is " + relkind_name(info->relkind) + ", not a table",
          "manage the underlying table instead");
      return std::nullopt;
    }
    return info;
  }

  // The tools inspect whatever --dsn names; the proxy applies the policies only to `databases`.
  void check_database() {
    auto db = query("SELECT current_database()::text");
    if (db.rows.empty() || config_.applies_to_database(*db.rows[0][0])) return;
    add(Severity::kWarning,
        "database " + quote_identifier(*db.rows[0][0]) + " is not listed in databases: of " +
            config_.source_file + ", so Tombstone applies no table policy to it",
        "add it to databases:, or point --dsn at one of the listed databases");
  }

  void check_admin_roles() {
    for (const auto& role : config_.admin_roles) {
      auto r = query("SELECT 1 FROM pg_roles WHERE rolname = $1", {role});
      if (error_) return;
      if (!r.rows.empty()) continue;
      std::string ddl =
          "DO $$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = " + quote_literal(role) +
          ") THEN CREATE ROLE " + quote_identifier(role) + " NOLOGIN; END IF; END$$";
      add(Severity::kError, "admin role '" + role + "' does not exist, so no session is admin",
          "CREATE ROLE " + quote_identifier(role) +
              " NOLOGIN and GRANT it to the operators' login roles",
          {ddl});
    }
  }

  void check_text_column(const TablePolicy& t, const TableInfo& info, const std::string& column,
                         const char* key) {
    const auto* c = info.column(column);
    std::string where = t.table.to_sql() + "." + quote_identifier(column);
    if (!c) {
      add(Severity::kError, std::string(key) + " column " + where + " does not exist",
          "ALTER TABLE " + t.table.to_sql() + " ADD COLUMN " + quote_identifier(column) + " text",
          {"ALTER TABLE " + t.table.to_sql() + " ADD COLUMN IF NOT EXISTS " +
           quote_identifier(column) + " text"});
    } else if (!is_text_like(c->type)) {
      add(Severity::kWarning,
          std::string(key) + " column " + where + " is " + c->type + ", not text",
          "ALTER TABLE " + t.table.to_sql() + " ALTER COLUMN " + quote_identifier(column) +
              " TYPE text");
    }
  }

  void check_soft(const TablePolicy& t) {
    auto info = managed_table(t);
    if (!info) return;
    const std::string table = t.table.to_sql();
    const std::string marker = quote_identifier(t.column);
    const auto* col = info->column(t.column);
    if (!col) {
      add(Severity::kError, "marker column " + table + "." + marker + " does not exist",
          "ALTER TABLE " + table + " ADD COLUMN " + marker + " timestamptz",
          {"ALTER TABLE " + table + " ADD COLUMN IF NOT EXISTS " + marker + " timestamptz"});
    } else if (!is_timestamp(col->type)) {
      add(Severity::kError,
          "marker column " + table + "." + marker + " is " + col->type +
              ", not timestamptz or timestamp",
          "convert it (ALTER TABLE " + table + " ALTER COLUMN " + marker +
              " TYPE timestamptz USING …) or set column: to a timestamptz column");
    } else {
      // NULL means live: a NOT NULL marker or one with a default makes new rows born deleted.
      if (col->not_null) {
        std::string ddl = "ALTER TABLE " + table + " ALTER COLUMN " + marker + " DROP NOT NULL";
        add(Severity::kError,
            "marker column " + table + "." + marker + " is NOT NULL, but NULL marks a live row",
            ddl, {ddl});
      }
      if (col->has_default) {
        std::string ddl = "ALTER TABLE " + table + " ALTER COLUMN " + marker + " DROP DEFAULT";
        add(Severity::kError,
            "marker column " + table + "." + marker +
                " has a default, so new rows would be inserted as deleted",
            ddl, {ddl});
      }
    }
    if (t.deleted_by) check_text_column(t, *info, *t.deleted_by, "deleted_by");
    if (t.reason) check_text_column(t, *info, *t.reason, "reason");
    if (t.retention && (!col || col->comment != retention_comment(t))) {
      add(Severity::kMigrateOnly, "retention comment on " + table + "." + marker, "",
          {"COMMENT ON COLUMN " + table + "." + marker + " IS " +
           quote_literal(retention_comment(t))});
    }
    check_soft_indexes(t, *info);
    check_views(t, *info);
    check_triggers(t, *info);
    check_foreign_keys(t, *info);
    check_functions(t);
    check_privileges(t, *info);
  }

  void check_soft_indexes(const TablePolicy& t, const TableInfo& info) {
    const std::string table = t.table.to_sql();
    const std::string marker_null = quote_identifier(t.column) + " IS NULL";
    auto idx = query(
        "SELECT i.relname, n.nspname, pg_get_indexdef(x.indexrelid), pg_get_expr(x.indpred, "
        "x.indrelid), x.indisunique::text, con.conname, coalesce(con.condeferrable, false)::text, "
        "(SELECT string_agg(format('%I.%I', fn.nspname, fc.relname) || ' (' || f.conname || ')', "
        "', ') FROM pg_constraint f JOIN pg_class fc ON fc.oid = f.conrelid JOIN pg_namespace fn "
        "ON "
        "fn.oid = fc.relnamespace WHERE f.contype = 'f' AND f.conindid = x.indexrelid), "
        "x.indkey::text || ' ' || coalesce(pg_get_expr(x.indexprs, x.indrelid), ''), "
        "EXISTS (SELECT 1 FROM unnest(x.indkey) k JOIN pg_attribute a ON a.attrelid = x.indrelid "
        "AND a.attnum = k WHERE a.attname = $2)::text, coalesce(con.contype::text, '') "
        "FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
        "JOIN pg_namespace n ON n.oid = i.relnamespace "
        "LEFT JOIN pg_constraint con ON con.conindid = x.indexrelid AND con.conrelid = x.indrelid "
        "AND con.contype IN ('u', 'x', 'p') "
        "WHERE x.indrelid = $1::oid AND NOT x.indisprimary ORDER BY i.relname",
        {info.oid, t.column});
    struct Index {
      std::string name, schema, def;
      std::optional<std::string> pred;
      bool unique, deferrable, on_marker;
      std::optional<std::string> constraint, referenced_by;
      std::string keys, contype;
      bool partial_on_marker;  // its predicate already restricts it to live rows
    };
    std::vector<Index> indexes;
    for (auto& r : idx.rows) {
      bool partial = r[3] && r[3]->find(marker_null) != std::string::npos;
      indexes.push_back({*r[0], *r[1], *r[2], r[3], *r[4] == "true", *r[6] == "true",
                         *r[9] == "true", r[5], r[7], *r[8], *r[10], partial});
    }
    for (const auto& ix : indexes) {
      if (ix.contype == "x" || ix.partial_on_marker || ix.on_marker) continue;
      std::string qualified = quote_identifier(ix.schema) + "." + quote_identifier(ix.name);
      std::string where =
          " WHERE " + (ix.pred ? "(" + *ix.pred + ") AND " : std::string()) + marker_null;
      std::string def = ix.def;
      if (ix.pred) {
        auto pos = def.rfind(" WHERE ");
        if (pos != std::string::npos) def.resize(pos);
      }
      if (ix.unique) {
        std::string kind = ix.constraint ? "unique constraint " + quote_identifier(*ix.constraint)
                                         : "unique index " + qualified;
        std::string what = kind + " on " + table +
                           " is not partial on the marker, so a deleted row still blocks a new row "
                           "with the same key";
        std::string fix = "replace it with CREATE UNIQUE INDEX … WHERE " + marker_null;
        if (ix.referenced_by) {
          add(Severity::kError, what,
              fix + " (it is referenced by foreign key " + *ix.referenced_by +
                  ": drop and re-create that foreign key by hand around it)");
          continue;
        }
        if (ix.deferrable) {
          add(Severity::kError, what,
              fix +
                  " (it is DEFERRABLE, which a unique index cannot be: "
                  "decide by hand)");
          continue;
        }
        const std::string prefix = "CREATE UNIQUE INDEX ";
        std::string create =
            def.starts_with(prefix) ? prefix + "IF NOT EXISTS " + def.substr(prefix.size()) : def;
        std::vector<std::string> ddl;
        if (ix.constraint) {
          ddl.push_back("ALTER TABLE " + table + " DROP CONSTRAINT IF EXISTS " +
                        quote_identifier(*ix.constraint));
        } else {
          ddl.push_back("DROP INDEX IF EXISTS " + qualified);
        }
        ddl.push_back(create + where);
        add(Severity::kError, what, fix, ddl);
        continue;
      }
      // A plain index also indexes deleted rows; ordinary sessions only read active ones, so a
      // partial twin keeps their plans small. The original stays for admin sessions.
      bool has_twin = std::any_of(indexes.begin(), indexes.end(), [&](const Index& other) {
        return &other != &ix && !other.unique && other.keys == ix.keys && other.partial_on_marker;
      });
      if (has_twin) continue;
      auto on = def.find(" ON ");
      if (!def.starts_with("CREATE INDEX ") || on == std::string::npos) continue;
      std::string twin = truncate_identifier(ix.name, "_active");
      add(Severity::kWarning,
          "index " + qualified + " on " + table + " has no partial twin for active rows (" +
              marker_null + ")",
          "CREATE INDEX " + quote_identifier(twin) + " … WHERE " + marker_null,
          {"CREATE INDEX IF NOT EXISTS " + quote_identifier(twin) + def.substr(on) + where});
    }
  }

  void check_views(const TablePolicy& t, const TableInfo& info) {
    const std::string marker_null = quote_identifier(t.column) + " IS NULL";
    auto views = query(
        "SELECT DISTINCT format('%I.%I', n.nspname, v.relname), v.relkind::text, "
        "pg_get_viewdef(v.oid) FROM pg_depend d JOIN pg_rewrite r ON r.oid = d.objid "
        "JOIN pg_class v ON v.oid = r.ev_class JOIN pg_namespace n ON n.oid = v.relnamespace "
        "WHERE d.classid = 'pg_rewrite'::regclass AND d.refclassid = 'pg_class'::regclass "
        "AND d.refobjid = $1::oid AND v.oid <> $1::oid ORDER BY 1",
        {info.oid});
    for (auto& r : views.rows) {
      // A view created through Tombstone has the active-row predicate baked in.
      if (r[2] && r[2]->find(marker_null) != std::string::npos) continue;
      std::string kind = *r[1] == "m" ? "materialized view " : "view ";
      add(Severity::kWarning,
          kind + *r[0] + " reads " + t.table.to_sql() +
              " inside the server, so it shows soft-deleted rows",
          "re-create it through Tombstone (CREATE OR REPLACE VIEW via the proxy adds the filter) "
          "or add "
          "WHERE " +
              marker_null);
    }
  }

  void check_triggers(const TablePolicy& t, const TableInfo& info) {
    // tgtype bits (pg_trigger.h): 8 = DELETE, 32 = TRUNCATE.
    auto trig = query(
        "SELECT tgname FROM pg_trigger WHERE tgrelid = $1::oid AND NOT tgisinternal AND "
        "(tgtype::int & 40) <> 0 ORDER BY tgname",
        {info.oid});
    for (auto& r : trig.rows) {
      add(Severity::kWarning,
          "trigger " + quote_identifier(*r[0]) + " on " + t.table.to_sql() +
              " fires ON DELETE/TRUNCATE, which soft deletes never do (they are UPDATEs)",
          "move its logic to an UPDATE trigger that checks " + quote_identifier(t.column) +
              " becoming non-NULL");
    }
  }

  void check_foreign_keys(const TablePolicy& t, const TableInfo& info) {
    auto fks = query(
        "SELECT con.conname, format('%I.%I', cn.nspname, c.relname), cn.nspname, c.relname, "
        "format('%I.%I', pn.nspname, p.relname), pn.nspname, p.relname, con.confdeltype::text, "
        "(con.confrelid = $1::oid)::text FROM pg_constraint con "
        "JOIN pg_class c ON c.oid = con.conrelid JOIN pg_namespace cn ON cn.oid = c.relnamespace "
        "JOIN pg_class p ON p.oid = con.confrelid JOIN pg_namespace pn ON pn.oid = p.relnamespace "
        "WHERE con.contype = 'f' AND (con.conrelid = $1::oid OR con.confrelid = $1::oid) ORDER BY "
        "1",
        {info.oid});
    for (auto& r : fks.rows) {
      std::string name = quote_identifier(*r[0]);
      std::string child = *r[1], parent = *r[4];
      const std::string& action = *r[7];
      bool we_are_parent = *r[8] == "true";
      std::string verb = action == "c"   ? "ON DELETE CASCADE"
                         : action == "n" ? "ON DELETE SET NULL"
                         : action == "d" ? "ON DELETE SET DEFAULT"
                                         : "";
      const TablePolicy* child_policy = config_.find_table({*r[2], *r[3]});
      const TablePolicy* parent_policy = config_.find_table({*r[5], *r[6]});
      if (we_are_parent) {
        if (t.strategy == Strategy::kSoft) {
          if (!verb.empty()) {
            add(Severity::kWarning,
                "foreign key " + name + " on " + child + " is " + verb + " from soft table " +
                    parent + ": a soft delete is an UPDATE, so the server never runs it and " +
                    child + " keeps the children",
                "make it ON DELETE NO ACTION and delete the children explicitly in the same "
                "transaction" +
                    std::string(child_policy && child_policy->strategy == Strategy::kSoft
                                    ? " (they then share the parent's deleted_at batch)"
                                    : ", with " + child + " managed as a soft table"));
          } else if (!(child_policy && child_policy->strategy == Strategy::kSoft)) {
            add(Severity::kWarning,
                "foreign key " + name + " on " + child + " references soft table " + parent +
                    ": deleting a referenced row succeeds (soft) where a hard DELETE fails with "
                    "23503",
                "manage " + child +
                    " as a soft table too and delete its rows in the same transaction");
          }
        } else if (action == "c" && (t.strategy == Strategy::kArchive || t.audit)) {
          add(Severity::kWarning,
              "foreign key " + name + " on " + child + " is ON DELETE CASCADE from " + parent +
                  ": the server deletes the children itself, so they are neither " +
                  (t.strategy == Strategy::kArchive ? "archived" : "audited"),
              "delete the children explicitly first, through Tombstone");
        }
      } else if (action == "c" && !(parent_policy && parent_policy->strategy == Strategy::kSoft) &&
                 (t.strategy != Strategy::kHard || t.audit)) {
        // The parent's DELETE is real, and its cascade removes our rows inside the server.
        add(Severity::kWarning,
            "foreign key " + name + " on " + child + " is ON DELETE CASCADE from " + parent +
                ": deleting a " + parent + " row physically deletes " + child +
                " rows, bypassing their " + strategy_name(t.strategy) + " policy",
            "make it ON DELETE RESTRICT and delete the children explicitly through Tombstone");
      }
    }
  }

  void check_functions(const TablePolicy& t) {
    auto fns = query(
        "SELECT format('%I.%I(%s)', n.nspname, p.proname, "
        "pg_get_function_identity_arguments(p.oid)) "
        "FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace JOIN pg_language l ON l.oid "
        "= "
        "p.prolang WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT "
        "LIKE 'pg_toast%' AND l.lanname NOT IN ('c', 'internal') AND p.prosrc ~* $1 AND NOT EXISTS "
        "(SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND "
        "d.deptype = 'e') ORDER BY 1",
        {"\\m" + regex_escape(t.table.name) + "\\M"});
    for (auto& r : fns.rows) {
      std::string effect = t.strategy == Strategy::kSoft
                               ? "it reads deleted rows and its DELETEs are hard"
                               : "its DELETEs bypass the " + strategy_name(t.strategy) + " policy";
      add(Severity::kWarning,
          "function " + *r[0] + " mentions " + t.table.name + ": it runs inside the server, so " +
              effect,
          "review it: filter on " + quote_identifier(t.column) +
              " IS NULL / soft-delete by UPDATE, or "
              "call it only from admin sessions");
    }
  }

  void check_privileges(const TablePolicy& t, const TableInfo& info) {
    std::string admins = "{";
    for (std::size_t i = 0; i < config_.admin_roles.size(); ++i) {
      if (i) admins += ",";
      admins += "\"";
      for (char c : config_.admin_roles[i]) {
        if (c == '"' || c == '\\') admins += '\\';
        admins += c;
      }
      admins += "\"";
    }
    admins += "}";
    auto privs = query(
        "SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE r.rolname END, "
        "string_agg(DISTINCT a.privilege_type, ', ' ORDER BY a.privilege_type) "
        "FROM pg_class c CROSS JOIN LATERAL aclexplode(coalesce(c.relacl, acldefault('r', "
        "c.relowner))) a LEFT JOIN pg_roles r ON r.oid = a.grantee "
        "WHERE c.oid = $1::oid AND a.privilege_type IN ('DELETE', 'TRUNCATE') AND (a.grantee = 0 "
        "OR "
        "(NOT r.rolsuper AND NOT EXISTS (SELECT 1 FROM pg_roles ad WHERE ad.rolname = "
        "ANY($2::text[]) "
        "AND pg_has_role(a.grantee, ad.oid, 'MEMBER')))) GROUP BY 1 ORDER BY 1",
        {info.oid, admins});
    for (auto& r : privs.rows) {
      std::string role = *r[0] == "PUBLIC" ? "PUBLIC" : quote_identifier(*r[0]);
      std::string revoke = "REVOKE " + *r[1] + " ON " + t.table.to_sql() + " FROM " + role;
      Finding f{Severity::kWarning,
                "role " + role + " holds " + *r[1] + " on soft table " + t.table.to_sql() +
                    ": connected directly, it can hard-delete around Tombstone",
                revoke + " (tombstone migrate --revoke)",
                {revoke},
                true};
      findings_.push_back(std::move(f));
    }
  }

  void check_archive(const TablePolicy& t) {
    auto info = managed_table(t);
    if (!info) return;
    const std::string archive = t.archive.to_sql();
    auto arch = lookup(t.archive);
    if (error_) return;
    if (!arch) {
      std::vector<std::string> ddl;
      auto ns = query("SELECT 1 FROM pg_namespace WHERE nspname = $1", {t.archive.schema});
      if (ns.rows.empty())
        ddl.push_back("CREATE SCHEMA IF NOT EXISTS " + quote_identifier(t.archive.schema));
      ddl.push_back("CREATE TABLE IF NOT EXISTS " + archive + " (LIKE " + t.table.to_sql() +
                    ", archived_at timestamptz NOT NULL DEFAULT now(), archived_by text)");
      if (t.retention) {
        ddl.push_back("COMMENT ON COLUMN " + archive + ".archived_at IS " +
                      quote_literal(retention_comment(t)));
      }
      add(Severity::kError,
          "archive table " + archive + " for " + t.table.to_sql() + " does not exist",
          "CREATE TABLE " + archive + " (LIKE " + t.table.to_sql() +
              ", archived_at timestamptz, archived_by text)",
          ddl);
    } else if (arch->relkind != 'r' && arch->relkind != 'p') {
      add(Severity::kError, "archive table " + archive + " is " + relkind_name(arch->relkind),
          "set archive: to a table");
    } else {
      for (const auto& c : info->columns) {
        const auto* a = arch->column(c.name);
        std::string col = archive + "." + quote_identifier(c.name);
        if (!a) {
          add(Severity::kError,
              "archive table " + archive + " lacks column " + quote_identifier(c.name) + " of " +
                  t.table.to_sql(),
              "ALTER TABLE " + archive + " ADD COLUMN " + quote_identifier(c.name) + " " + c.type,
              {"ALTER TABLE " + archive + " ADD COLUMN IF NOT EXISTS " + quote_identifier(c.name) +
               " " + c.type});
        } else if (a->type != c.type) {
          add(Severity::kError,
              "archive column " + col + " is " + a->type + " but the source column is " + c.type,
              "ALTER TABLE " + archive + " ALTER COLUMN " + quote_identifier(c.name) + " TYPE " +
                  c.type);
        }
      }
      // Columns only the archive has get no value from the archive insert.
      for (const auto& a : arch->columns) {
        if (info->column(a.name) || a.name == "archived_at" || a.name == "archived_by") continue;
        if (a.not_null && !a.has_default) {
          std::string ddl = "ALTER TABLE " + archive + " ALTER COLUMN " + quote_identifier(a.name) +
                            " DROP NOT NULL";
          add(Severity::kError,
              "archive column " + archive + "." + quote_identifier(a.name) +
                  " is NOT NULL without a default and not in " + t.table.to_sql() +
                  ", so every archive DELETE would fail",
              ddl, {ddl});
        }
      }
      const auto* at = arch->column("archived_at");
      if (!at) {
        add(Severity::kError, "archive table " + archive + " lacks archived_at",
            "ALTER TABLE " + archive + " ADD COLUMN archived_at timestamptz",
            {"ALTER TABLE " + archive +
             " ADD COLUMN IF NOT EXISTS archived_at timestamptz NOT NULL DEFAULT now()"});
      } else if (!is_timestamp(at->type)) {
        add(Severity::kError, "archive column " + archive + ".archived_at is " + at->type,
            "make it timestamptz");
      }
      if (!arch->column("archived_by")) {
        add(Severity::kError, "archive table " + archive + " lacks archived_by",
            "ALTER TABLE " + archive + " ADD COLUMN archived_by text",
            {"ALTER TABLE " + archive + " ADD COLUMN IF NOT EXISTS archived_by text"});
      }
      if (t.retention && (!at || at->comment != retention_comment(t))) {
        add(Severity::kMigrateOnly, "retention comment on " + archive + ".archived_at", "",
            {"COMMENT ON COLUMN " + archive + ".archived_at IS " +
             quote_literal(retention_comment(t))});
      }
      check_archive_uniques(t, *info, *arch);
    }
    check_foreign_keys(t, *info);
    check_functions(t);
  }

  // A key deleted, re-inserted and deleted again must be archivable twice: unique indexes on the
  // archive over source columns make the second archive DELETE fail.
  void check_archive_uniques(const TablePolicy& t, const TableInfo& source, const TableInfo& arch) {
    auto idx = query(
        "SELECT i.relname, n.nspname, con.conname FROM pg_index x JOIN pg_class i ON i.oid = "
        "x.indexrelid JOIN pg_namespace n ON n.oid = i.relnamespace LEFT JOIN pg_constraint con ON "
        "con.conindid = x.indexrelid AND con.conrelid = x.indrelid WHERE x.indrelid = $1::oid AND "
        "x.indisunique AND NOT EXISTS (SELECT 1 FROM unnest(x.indkey) k JOIN pg_attribute a ON "
        "a.attrelid = x.indrelid AND a.attnum = k WHERE a.attname IN ('archived_at', "
        "'archived_by')) "
        "AND NOT EXISTS (SELECT 1 FROM unnest(x.indkey) k WHERE k = 0) "
        "AND (SELECT bool_and(EXISTS (SELECT 1 FROM pg_attribute s WHERE s.attrelid = $2::oid AND "
        "s.attname = a.attname AND NOT s.attisdropped)) FROM unnest(x.indkey) k JOIN pg_attribute "
        "a "
        "ON a.attrelid = x.indrelid AND a.attnum = k) ORDER BY 1",
        {arch.oid, source.oid});
    for (auto& r : idx.rows) {
      std::string archive = t.archive.to_sql();
      std::string stmt =
          r[2] ? "ALTER TABLE " + archive + " DROP CONSTRAINT IF EXISTS " + quote_identifier(*r[2])
               : "DROP INDEX IF EXISTS " + quote_identifier(*r[1]) + "." + quote_identifier(*r[0]);
      add(Severity::kError,
          "archive table " + archive + " has unique " +
              (r[2] ? "constraint " + quote_identifier(*r[2])
                    : "index " + quote_identifier(*r[0])) +
              " on source columns: archiving a re-used key a second time would fail",
          stmt, {stmt});
    }
  }

  void check_hard(const TablePolicy& t) {
    auto info = managed_table(t);
    if (!info) return;
    if (t.audit) {
      auto pk =
          query("SELECT 1 FROM pg_index WHERE indrelid = $1::oid AND indisprimary", {info->oid});
      if (pk.rows.empty()) {
        add(Severity::kWarning,
            "audited table " + t.table.to_sql() +
                " has no primary key, so its "
                "deletion_log rows cannot say which row was deleted",
            "add a primary key");
      }
    }
    check_foreign_keys(t, *info);
    if (t.audit) check_functions(t);
  }

  void check_deletion_log() {
    if (config_.tables.empty()) return;
    bool audit = std::any_of(config_.tables.begin(), config_.tables.end(),
                             [](const auto& t) { return t.audit; });
    auto info = lookup({"tombstone", "deletion_log"});
    if (error_) return;
    std::string why =
        audit ? "audited hard deletes fail without it" : "purge logs its batches there";
    if (!info) {
      add(audit ? Severity::kError : Severity::kWarning,
          std::string(kDeletionLog) + " does not exist (" + why + ")",
          "create it (tombstone migrate)", deletion_log_ddl());
      return;
    }
    for (const auto& c : kLogColumns) {
      if (info->column(c.name)) continue;
      std::string def = c.definition;
      if (def.starts_with("bigserial")) def = "bigint";  // the id only matters for new tables
      add(Severity::kError, std::string(kDeletionLog) + " lacks column " + c.name,
          "ALTER TABLE " + std::string(kDeletionLog) + " ADD COLUMN " + c.name + " " + def,
          {"ALTER TABLE " + std::string(kDeletionLog) + " ADD COLUMN IF NOT EXISTS " + c.name +
           " " + def});
    }
  }

  const config::Config& config_;
  Connection& conn_;
  std::vector<Finding> findings_;
  std::optional<PgError> error_;
};

}  // namespace

std::string format_finding(const Finding& f) {
  std::string out = f.severity == Severity::kError ? "error: " : "warning: ";
  out += f.what;
  if (!f.fix.empty()) out += " — fix: " + f.fix;
  return out;
}

std::vector<std::string> deletion_log_ddl() {
  std::string create = "CREATE TABLE IF NOT EXISTS " + std::string(kDeletionLog) + " (";
  for (std::size_t i = 0; i < std::size(kLogColumns); ++i) {
    if (i) create += ", ";
    create += std::string(kLogColumns[i].name) + " " + kLogColumns[i].definition;
  }
  create += ")";
  return {"CREATE SCHEMA IF NOT EXISTS tombstone", create};
}

std::string format_retention(std::chrono::seconds retention) {
  long s = static_cast<long>(retention.count());
  struct Unit {
    long seconds;
    const char* suffix;
  };
  for (const auto& u : {Unit{86400, "d"}, Unit{3600, "h"}, Unit{60, "m"}}) {
    if (s % u.seconds == 0) return std::to_string(s / u.seconds) + u.suffix;
  }
  return std::to_string(s) + "s";
}

std::expected<std::vector<Finding>, PgError> inspect_schema(const config::Config& config,
                                                            Connection& conn) {
  return Inspector(config, conn).run();
}

}  // namespace tombstone::tools
