// What `tombstone check` reports and `tombstone migrate` fixes: one inspection of the live schema
// against the config, producing findings that carry the DDL fixing them (when a machine can).
#pragma once

#include <chrono>
#include <expected>
#include <string>
#include <vector>

#include "config/config.h"
#include "tools/pg.h"

namespace tombstone::tools {

enum class Severity {
  kError,        // Tombstone would misbehave or refuse statements
  kWarning,      // a leak path or a risky setup the operator should know about
  kMigrateOnly,  // not a problem, but migrate keeps it tidy (retention comments)
};

struct Finding {
  Severity severity = Severity::kError;
  std::string what;
  std::string fix;
  std::vector<std::string> ddl;    // idempotent statements migrate prints/applies; empty: manual
  bool needs_revoke_flag = false;  // DDL only applied with `migrate --revoke`
};

// "error: <what> — fix: <how>" (check's output line).
std::string format_finding(const Finding& finding);

std::expected<std::vector<Finding>, PgError> inspect_schema(const config::Config& config,
                                                            Connection& conn);

// The log of audited hard deletes (written by the rewriter's audit insert: table_name, row_key,
// actor, reason, deleted_at) and of purge batches (row_count, operation = 'purge').
inline constexpr const char* kDeletionLog = "tombstone.deletion_log";
std::vector<std::string> deletion_log_ddl();

// 90d, 12h, 45s: the largest exact unit up to days, as the config accepts it.
std::string format_retention(std::chrono::seconds retention);

}  // namespace tombstone::tools
