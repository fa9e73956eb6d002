// The session settings that change what the rewriter must do (DESIGN §4), tracked with
// PostgreSQL's semantics: a statement's SET/RESET takes effect when its CommandComplete arrives;
// SET LOCAL lasts until the end of the transaction; SETs of a transaction that rolls back (an
// explicit ROLLBACK, or an error in an implicit transaction) are discarded; RESET returns to the
// value the startup packet gave. No I/O: the session feeds it tags, errors and ReadyForQuery.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "parser/rewriter.h"

namespace tombstone::session {

struct TrackedSettings {
  std::vector<std::string> search_path = {"\"$user\"", "public"};  // raw entries
  std::optional<parser::Visibility> visibility;                    // nullopt: the session's default
  std::optional<parser::DeleteMode> delete_mode;
  std::optional<std::string> actor;  // tombstone.actor, for the DELETE log line
  bool operator==(const TrackedSettings&) const = default;
};

// Parses a startup packet's `options` value ("-c name=value --name=value", backslash escapes
// a space, as PostgreSQL's pg_split_opts does) into (name, value) pairs; other switches are
// ignored (the server judges them).
std::vector<std::pair<std::string, std::string>> parse_startup_options(std::string_view options);

// Value parsers for the tombstone.* placeholders; nullopt for anything else (case-insensitive).
std::optional<parser::Visibility> parse_visibility(std::string_view value);
std::optional<parser::DeleteMode> parse_delete_mode(std::string_view value);

class SettingsTracker {
 public:
  // The values in effect after the startup packet; RESET returns to them.
  void set_startup(TrackedSettings values);
  // Applies one name=value from the startup packet (params or options); unknown names ignored.
  static void apply_value(TrackedSettings& values, std::string_view name,
                          std::optional<std::string_view> value, const TrackedSettings& defaults);

  // A statement carrying these changes completed successfully.
  void apply(const parser::SettingChange& change);
  // Every CommandComplete tag, for transaction boundaries (BEGIN/COMMIT/ROLLBACK/DISCARD ALL).
  void on_command_tag(std::string_view tag);
  // ROLLBACK TO SAVEPOINT (its tag is just "ROLLBACK"): back to the settings at the innermost
  // savepoint (names are not tracked: nested savepoints rolled back out of order are
  // approximated).
  void rollback_to_savepoint();
  // An ErrorResponse: outside an explicit transaction block the implicit transaction (the rest
  // of a simple Query, or an extended batch up to Sync) is rolled back with its SETs.
  void on_error();
  // ReadyForQuery: 'I' ends any transaction (an implicit one commits), 'T'/'E' are in a block.
  void on_ready(char status);

  const TrackedSettings& current() const { return current_; }
  // Bumped whenever current() changes, so the session rebuilds its rewriter state only then.
  std::uint64_t version() const { return version_; }

 private:
  void commit();
  void rollback();

  TrackedSettings reset_;      // startup values
  TrackedSettings committed_;  // as of the start of the current transaction
  TrackedSettings persist_;    // what survives if the current transaction commits
  TrackedSettings current_;    // what the server uses now (includes SET LOCAL)
  bool in_block_ = false;
  std::uint64_t version_ = 0;
  // (persist, current) at each open SAVEPOINT, innermost last.
  std::vector<std::pair<TrackedSettings, TrackedSettings>> savepoints_;
};

}  // namespace tombstone::session
