// `tombstone check` and `tombstone migrate` (DESIGN §7): both run the same inspection
// (tools/schema.h); check prints the findings, migrate prints or applies their DDL.
#include <cstdio>

#include "tools/cli.h"
#include "tools/commands.h"
#include "tools/schema.h"

namespace tombstone::tools {
namespace {

const CommandSpec kCheck{
    "check",
    "Validates the config against the live schema: tables and columns, archive tables, unique "
    "constraints, views, functions, triggers and foreign keys that leak around a wire proxy, admin "
    "roles and DELETE/TRUNCATE privileges. One line per finding: 'error|warning: what — fix: how'.",
    {config_option(), dsn_option()}};

const CommandSpec kMigrate{
    "migrate",
    "Prints the idempotent DDL that makes the schema ready for the config "
    "(marker/deleted_by/reason "
    "columns, partial unique indexes, partial indexes for active rows, archive tables, "
    "tombstone.deletion_log, retention comments). With --apply runs it in one transaction.",
    {config_option(),
     dsn_option(),
     {"apply", "", "run the DDL in one transaction"},
     {"revoke", "", "also REVOKE DELETE, TRUNCATE on soft tables from non-admin roles"}}};

}  // namespace

int check_command(int argc, char** argv) {
  auto ctx = start_command(kCheck, argc, argv, true);
  if (!ctx) return ctx.error();
  auto findings = inspect_schema(ctx->config, *ctx->conn);
  if (!findings) {
    std::fprintf(stderr, "tombstone check: %s\n", findings.error().describe().c_str());
    return kExitFailure;
  }
  int errors = 0, warnings = 0;
  for (const auto& f : *findings) {
    if (f.severity == Severity::kMigrateOnly) continue;
    (f.severity == Severity::kError ? errors : warnings)++;
    std::printf("%s\n", format_finding(f).c_str());
  }
  if (errors == 0 && warnings == 0) {
    std::printf("ok: %zu managed tables match %s\n", ctx->config.tables.size(),
                ctx->config.source_file.c_str());
  } else {
    std::fprintf(stderr, "tombstone check: %d error(s), %d warning(s)\n", errors, warnings);
  }
  return errors > 0 ? kExitFailure : kExitOk;
}

int migrate_command(int argc, char** argv) {
  auto ctx = start_command(kMigrate, argc, argv, true);
  if (!ctx) return ctx.error();
  bool apply = ctx->args.has("apply");
  bool revoke = ctx->args.has("revoke");
  auto findings = inspect_schema(ctx->config, *ctx->conn);
  if (!findings) {
    std::fprintf(stderr, "tombstone migrate: %s\n", findings.error().describe().c_str());
    return kExitFailure;
  }
  std::vector<std::string> statements;
  int manual_errors = 0;
  for (const auto& f : *findings) {
    if (f.ddl.empty()) {
      if (f.severity == Severity::kError) ++manual_errors;
      std::printf("-- needs a manual fix: %s\n", format_finding(f).c_str());
      continue;
    }
    if (f.needs_revoke_flag && !revoke) {
      std::printf("-- not revoked (use --revoke): %s\n", f.what.c_str());
      continue;
    }
    std::printf("-- %s\n",
                f.severity == Severity::kMigrateOnly ? f.what.c_str() : format_finding(f).c_str());
    for (const auto& s : f.ddl) {
      std::printf("%s;\n", s.c_str());
      statements.push_back(s);
    }
  }
  if (statements.empty())
    std::printf("-- nothing to do: the schema already matches %s\n",
                ctx->config.source_file.c_str());
  if (apply && !statements.empty()) {
    auto& conn = *ctx->conn;
    if (auto r = conn.exec("BEGIN"); !r) {
      std::fprintf(stderr, "tombstone migrate: %s\n", r.error().describe().c_str());
      return kExitFailure;
    }
    for (const auto& s : statements) {
      if (auto r = conn.exec(s); !r) {
        std::fprintf(stderr, "tombstone migrate: failed, nothing was changed: %s\n  in: %s\n",
                     r.error().describe().c_str(), s.c_str());
        (void)conn.exec("ROLLBACK");
        return kExitFailure;
      }
    }
    if (auto r = conn.exec("COMMIT"); !r) {
      std::fprintf(stderr, "tombstone migrate: COMMIT failed: %s\n", r.error().describe().c_str());
      return kExitFailure;
    }
    std::fprintf(stderr, "tombstone migrate: applied %zu statement(s) in one transaction\n",
                 statements.size());
  }
  if (manual_errors > 0) {
    std::fprintf(stderr,
                 "tombstone migrate: %d error(s) need a manual fix (see '-- needs a manual fix')\n",
                 manual_errors);
    return kExitFailure;
  }
  return kExitOk;
}

}  // namespace tombstone::tools
