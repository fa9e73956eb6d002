// `tombstone restore` (DESIGN §7): brings soft-deleted rows back (marker, deleted_by and reason set
// to NULL) or moves archived rows back into their table with their original column values, all
// in one transaction. `--batch TIMESTAMP` undoes one transaction's deletes: every row whose
// marker (or archived_at) equals that transaction's now(), across every managed table.
#include <cstdio>

#include "config/loader.h"
#include "tools/cli.h"
#include "tools/commands.h"

namespace tombstone::tools {
namespace {

using config::quote_identifier;

const CommandSpec kRestore{
    "restore",
    "Restores soft-deleted rows or moves archived rows back, in one transaction. Either --table T "
    "--where SQL (rows of T matching SQL), or --batch TIMESTAMP (every row one transaction "
    "deleted, "
    "in every soft and archive table, or only in --table T). Refuses, naming the row, when a "
    "restored row would violate a unique index among live rows.",
    {config_option(),
     dsn_option(),
     {"table", "T", "managed table to restore into"},
     {"where", "SQL",
      "condition selecting the rows (on the archive table's columns for archive tables)"},
     {"batch", "TIMESTAMP",
      "the deleted_at / archived_at value shared by one transaction's deletes"},
     {"dry-run", "", "report what would be restored, then roll back"}}};

struct Step {
  std::string table;  // for output
  std::string sql;
};

// INSERT column list of the source table: generated columns are computed again, identity
// columns keep their original values.
std::expected<std::pair<std::string, bool>, PgError> insert_columns(
    Connection& conn, const config::QualifiedName& t) {
  auto cols = conn.exec(
      "SELECT a.attname, a.attidentity::text FROM pg_attribute a JOIN pg_class c ON c.oid = "
      "a.attrelid "
      "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2 AND "
      "a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = '' ORDER BY a.attnum",
      {t.schema, t.name});
  if (!cols) return std::unexpected(cols.error());
  if (cols->rows.empty())
    return std::unexpected(PgError{"42P01", "table " + t.to_sql() + " does not exist"});
  std::string list;
  bool identity_always = false;
  for (const auto& r : cols->rows) {
    if (!list.empty()) list += ", ";
    list += quote_identifier(*r[0]);
    if (*r[1] == "a") identity_always = true;
  }
  return std::pair{list, identity_always};
}

}  // namespace

int restore_command(int argc, char** argv) {
  auto ctx = start_command(kRestore, argc, argv, true);
  if (!ctx) return ctx.error();
  auto usage = [&](const std::string& why) {
    std::fprintf(stderr, "tombstone restore: %s\n\n", why.c_str());
    print_usage(kRestore, stderr);
    return kExitUsage;
  };
  auto where = ctx->args.get("where");
  auto batch = ctx->args.get("batch");
  auto table_arg = ctx->args.get("table");
  if (where.has_value() == batch.has_value())
    return usage("give exactly one of --where SQL or --batch TIMESTAMP");
  if (where && !table_arg) return usage("--where needs --table T");

  const auto& config = ctx->config;
  std::vector<const config::TablePolicy*> policies;
  if (table_arg) {
    auto name = config::parse_qualified_name(*table_arg);
    const auto* policy = name ? config.find_table(*name) : nullptr;
    if (!policy)
      return usage("--table " + *table_arg + " is not a managed table in " + config.source_file);
    if (policy->strategy == config::Strategy::kHard) {
      return usage(policy->table.to_sql() + " uses strategy hard: its deleted rows are gone");
    }
    policies.push_back(policy);
  } else {
    for (const auto& t : config.tables) {
      if (t.strategy != config::Strategy::kHard) policies.push_back(&t);
    }
  }

  auto& conn = *ctx->conn;
  std::vector<Step> steps;
  for (const auto* p : policies) {
    if (p->strategy == config::Strategy::kSoft) {
      std::string col = quote_identifier(p->column);
      std::string set = col + " = NULL";
      if (p->deleted_by) set += ", " + quote_identifier(*p->deleted_by) + " = NULL";
      if (p->reason) set += ", " + quote_identifier(*p->reason) + " = NULL";
      std::string cond = where ? "(" + *where + ")" : col + " = $1::timestamptz";
      steps.push_back({p->table.to_sql(), "UPDATE " + p->table.to_sql() + " SET " + set +
                                              " WHERE " + col + " IS NOT NULL AND " + cond});
    } else {
      auto cols = insert_columns(conn, p->table);
      if (!cols) {
        std::fprintf(stderr, "tombstone restore: %s\n", cols.error().describe().c_str());
        return kExitFailure;
      }
      std::string cond = where ? "(" + *where + ")" : "archived_at = $1::timestamptz";
      steps.push_back({p->table.to_sql(), "WITH d AS (DELETE FROM " + p->archive.to_sql() +
                                              " WHERE " + cond + " RETURNING *) INSERT INTO " +
                                              p->table.to_sql() + " (" + cols->first + ")" +
                                              (cols->second ? " OVERRIDING SYSTEM VALUE" : "") +
                                              " SELECT " + cols->first + " FROM d"});
    }
  }

  bool dry_run = ctx->args.has("dry-run");
  if (auto r = conn.exec("BEGIN"); !r) {
    std::fprintf(stderr, "tombstone restore: %s\n", r.error().describe().c_str());
    return kExitFailure;
  }
  long total = 0;
  int tables = 0;
  std::vector<std::string> lines;
  for (const auto& step : steps) {
    auto r = batch ? conn.exec(step.sql, {*batch}) : conn.exec(step.sql);
    if (!r) {
      (void)conn.exec("ROLLBACK");
      const auto& e = r.error();
      if (e.sqlstate == "23505") {
        std::fprintf(
            stderr,
            "tombstone restore: refused, nothing was restored: a restored row of %s would "
            "violate unique constraint \"%s\" among live rows: %s — fix: delete or change the "
            "live row first, or restore with a narrower --where\n",
            step.table.c_str(), e.constraint.c_str(), e.detail.c_str());
      } else {
        std::fprintf(stderr, "tombstone restore: failed on %s, nothing was restored: %s\n",
                     step.table.c_str(), e.describe().c_str());
      }
      return kExitFailure;
    }
    if (r->affected > 0 || table_arg) {
      lines.push_back(step.table + ": " + (dry_run ? "would restore " : "restored ") +
                      std::to_string(r->affected) + " row(s)");
    }
    if (r->affected > 0) ++tables;
    total += r->affected;
  }
  auto end = conn.exec(dry_run ? "ROLLBACK" : "COMMIT");
  if (!end) {
    std::fprintf(stderr, "tombstone restore: COMMIT failed, nothing was restored: %s\n",
                 end.error().describe().c_str());
    return kExitFailure;
  }
  for (const auto& l : lines) std::printf("%s\n", l.c_str());
  if (total == 0) {
    std::fprintf(stderr, "tombstone restore: no deleted rows matched; nothing restored\n");
    return kExitFailure;
  }
  std::printf("%s %ld row(s) in %d table(s)%s\n", dry_run ? "would restore" : "restored", total,
              tables, dry_run ? " (dry run: rolled back)" : "");
  return kExitOk;
}

}  // namespace tombstone::tools
