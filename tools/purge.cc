// `tombstone purge` (DESIGN §7): hard-deletes rows whose soft-delete marker (or archived_at, for
// archive tables) is older than the table's retention. Small batches, each its own transaction,
// so no lock is held for long; every batch is logged to tombstone.deletion_log.
#include <chrono>
#include <cstdio>
#include <thread>

#include "config/loader.h"
#include "tools/cli.h"
#include "tools/commands.h"
#include "tools/schema.h"

namespace tombstone::tools {
namespace {

const CommandSpec kPurge{
    "purge",
    "Hard-deletes rows deleted longer ago than their table's retention (soft tables: the marker "
    "column; archive tables: archived_at of the archive table), in batches, logging each batch's "
    "count to tombstone.deletion_log. Suitable for a cron job.",
    {config_option(),
     dsn_option(),
     {"batch-size", "N", "rows per batch, each batch its own transaction (default 1000)"},
     {"pause", "MS", "milliseconds to sleep between batches (default 0)"},
     {"table", "T", "only this managed table"},
     {"dry-run", "", "print how many rows would be purged; change nothing"}}};

struct Target {
  const config::TablePolicy* policy;
  config::QualifiedName table;  // where rows are deleted
  std::string column;           // the timestamp compared with the cutoff
};

}  // namespace

int purge_command(int argc, char** argv) {
  auto ctx = start_command(kPurge, argc, argv, true);
  if (!ctx) return ctx.error();
  auto batch_size = number_option(ctx->args, "batch-size", 1000, 1);
  auto pause_ms = number_option(ctx->args, "pause", 0, 0);
  if (!batch_size || !pause_ms) return kExitUsage;
  bool dry_run = ctx->args.has("dry-run");
  std::optional<config::QualifiedName> only;
  if (auto t = ctx->args.get("table")) {
    auto name = config::parse_qualified_name(*t);
    if (!name || !ctx->config.find_table(*name)) {
      std::fprintf(stderr, "tombstone purge: --table %s is not a managed table in %s\n", t->c_str(),
                   ctx->config.source_file.c_str());
      return kExitUsage;
    }
    only = *name;
  }

  std::vector<Target> targets;
  for (const auto& t : ctx->config.tables) {
    if (!t.retention || (only && t.table != *only)) continue;
    if (t.strategy == config::Strategy::kSoft) targets.push_back({&t, t.table, t.column});
    if (t.strategy == config::Strategy::kArchive) targets.push_back({&t, t.archive, "archived_at"});
  }
  if (targets.empty()) {
    std::printf("nothing to purge: no %s table has a retention in %s\n",
                only ? "selected" : "managed", ctx->config.source_file.c_str());
    return kExitOk;
  }

  auto& conn = *ctx->conn;
  if (!dry_run) {
    auto log = conn.exec("SELECT to_regclass('tombstone.deletion_log') IS NOT NULL");
    if (!log || log->rows.empty() || log->rows[0][0] != "t") {
      std::fprintf(stderr,
                   "tombstone purge: %s does not exist — fix: run tombstone migrate --apply\n",
                   kDeletionLog);
      return kExitFailure;
    }
  }
  int failures = 0;
  for (const auto& target : targets) {
    const std::string table = target.table.to_sql();
    const std::string col = config::quote_identifier(target.column);
    const std::string retention = format_retention(*target.policy->retention);
    // One cutoff per run, fixed up front: rows deleted while the purge runs are not chased.
    auto cutoff = conn.exec("SELECT (now() - $1::bigint * interval '1 second')::text",
                            {std::to_string(target.policy->retention->count())});
    if (!cutoff) {
      std::fprintf(stderr, "tombstone purge: %s\n", cutoff.error().describe().c_str());
      return kExitFailure;
    }
    const std::string when = *cutoff->rows[0][0];
    if (dry_run) {
      auto n = conn.exec("SELECT count(*) FROM " + table + " WHERE " + col + " < $1::timestamptz",
                         {when});
      if (!n) {
        std::fprintf(stderr, "tombstone purge: %s: %s\n", table.c_str(),
                     n.error().describe().c_str());
        ++failures;
        continue;
      }
      std::printf("%s: %s row(s) older than %s (before %s) would be purged (dry run)\n",
                  table.c_str(), n->rows[0][0]->c_str(), retention.c_str(), when.c_str());
      continue;
    }
    // ctid = ANY(ARRAY(...)) runs as a TID scan; repeating the cutoff keeps it exact even on a
    // partitioned table, where ctids repeat across partitions.
    const std::string batch_sql =
        "WITH d AS (DELETE FROM " + table + " WHERE ctid = ANY (ARRAY(SELECT ctid FROM " + table +
        " WHERE " + col + " < $1::timestamptz LIMIT $2::bigint)) AND " + col +
        " < $1::timestamptz RETURNING 1), " + "l AS (INSERT INTO " + kDeletionLog +
        " (table_name, row_count, actor, reason, deleted_at, operation) " +
        "SELECT $3, count(*), 'tombstone purge', $4, now(), 'purge' FROM d HAVING count(*) > 0 "
        "RETURNING "
        "row_count) SELECT coalesce((SELECT row_count FROM l), 0)::text";
    long total = 0;
    int batches = 0;
    bool ok = true;
    while (true) {
      auto r = conn.exec(batch_sql,
                         {when, std::to_string(*batch_size), table, "retention " + retention});
      if (!r) {
        std::fprintf(stderr, "tombstone purge: %s: batch %d failed: %s\n", table.c_str(),
                     batches + 1, r.error().describe().c_str());
        ok = false;
        break;
      }
      long n = std::stol(*r->rows[0][0]);
      if (n == 0) break;
      total += n;
      ++batches;
      std::printf("%s: batch %d: purged %ld row(s)\n", table.c_str(), batches, n);
      std::fflush(stdout);
      if (n < *batch_size) break;
      if (*pause_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(*pause_ms));
    }
    if (!ok) ++failures;
    std::printf("%s: purged %ld row(s) older than %s (before %s) in %d batch(es)\n", table.c_str(),
                total, retention.c_str(), when.c_str(), batches);
  }
  return failures > 0 ? kExitFailure : kExitOk;
}

}  // namespace tombstone::tools
