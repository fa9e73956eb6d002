// The rewriter: a pure function from (SQL text, policy, catalog snapshot, session mode) to the SQL
// to send and how to fix the results (DESIGN §1-§5). No I/O. This file is where DELETE becomes
// UPDATE (soft) or archive-then-delete, and where active-row predicates are added to reads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "config/config.h"
#include "parser/catalog.h"

namespace tombstone::parser {

enum class Visibility { kActive, kAll };
enum class DeleteMode { kSoft, kHard };

struct SessionState {
  bool admin = false;
  Visibility visibility = Visibility::kActive;  // the proxy sets kAll for admin sessions
  DeleteMode delete_mode = DeleteMode::kSoft;
  // Raw entries as written in SET search_path / the startup packet (see parse_search_path()).
  std::vector<std::string> search_path = {"\"$user\"", "public"};
  // What RESET search_path / RESET ALL return to: the value the session started with (startup
  // packet options, else the role/database default the server reports). Empty: PostgreSQL's
  // built-in default "$user", public.
  std::vector<std::string> default_search_path;
  std::string session_user;
  bool standard_conforming_strings = true;
};

enum class TagFixup {
  kNone,
  kDelete,    // "UPDATE n" / "INSERT 0 n" / "SELECT n" -> "DELETE n"
  kTruncate,  // any tag -> "TRUNCATE TABLE"
};

struct SettingChange {
  std::string name;                  // lower-case GUC name ("search_path", "tombstone.actor")
  std::optional<std::string> value;  // nullopt = RESET / DISCARD; search_path: "a, \"B\"" form
  bool local = false;                // SET LOCAL / set_config(..., true)
  bool reset_all = false;            // RESET ALL / DISCARD ALL (name is empty)
};

struct RewriteError {
  std::string sqlstate;  // e.g. "42501", "0A000"
  std::string message;   // starts with "tombstone: "
  std::string hint;      // may be empty
};

// A managed table a DELETE statement removes rows from, and how (kHard also for an admin's
// `tombstone.delete = hard`): the proxy logs one line per rewrite with the row count.
struct DeleteTarget {
  config::QualifiedName table;
  config::Strategy strategy = config::Strategy::kSoft;
};

struct StatementRewrite {
  std::size_t offset = 0;  // byte range of the ORIGINAL statement in the input
  std::size_t length = 0;
  std::string sql;  // statement text to send: the original bytes when unchanged
  bool changed = false;
  TagFixup fixup = TagFixup::kNone;
  std::vector<SettingChange> settings;  // effects the session must track
  bool ddl = false;                     // CREATE/ALTER/DROP/...: the proxy refreshes the catalog
  std::optional<RewriteError> error;    // this statement is refused
  // PREPARE name AS <stmt>: the fix-up later EXECUTEs of `prepared_name` need.
  std::optional<std::string> prepared_name;
  TagFixup prepared_fixup = TagFixup::kNone;
  std::optional<std::string> execute_name;     // EXECUTE name: apply that statement's fix-up
  std::optional<std::string> deallocate_name;  // DEALLOCATE name ("" = ALL)
  // DELETEs (also TRUNCATE, MERGE ... DELETE) of managed tables, not counting PREPARE's body
  // (it deletes when EXECUTEd): for the proxy's log.
  std::vector<DeleteTarget> deletes;
  // The rewrite looked at a constant's value (set_config()'s setting name, a *_to_xml()
  // argument): another literal there may rewrite differently, so no literal template is built.
  bool literal_sensitive = false;
};

struct Rewrite {
  // Whole string to send: unchanged statements byte-for-byte, refused statements replaced by
  // error_statement().
  std::string sql;
  std::vector<StatementRewrite> statements;  // empty when the fast path skipped parsing
  bool changed = false;
  bool parsed = false;  // false: fast path, nothing in the text can matter
};

Rewrite rewrite(std::string_view sql, const config::Config& config, const Catalog& catalog,
                const SessionState& session);

// The fast path's test: false when the text cannot name a managed/archive table nor change a
// tracked setting, so rewrite() would return it unchanged without parsing.
bool may_need_rewrite(std::string_view sql, const config::Config& config);

// A managed table whose name appears as an identifier in `text` (any statement, parsable or not;
// the bytes when the scanner gives up), as "schema.name".
std::optional<std::string> managed_table_named_in(std::string_view text,
                                                  const config::Config& config);

// The whole string to send: the statements' own bytes from `sql` where unchanged, their `sql`
// where changed (rewritten or refused), and the bytes between statements as they were.
std::string assemble(std::string_view sql, const std::vector<StatementRewrite>& statements);

// SQL that makes the SERVER raise exactly this error (a DO block with RAISE ... USING ERRCODE),
// so the transaction state is what PostgreSQL has after any failing statement.
std::string error_statement(const RewriteError& error);

// Applies one reported setting change to the session as PostgreSQL would (search_path,
// standard_conforming_strings, SET SESSION AUTHORIZATION, and tombstone.visibility/delete for
// admin sessions; RESET/RESET ALL return to the defaults). rewrite() applies the changes of each
// statement to the ones after it in the same string; the proxy applies them to the session once
// the statement succeeded (and undoes SET LOCAL / rolled-back SETs at transaction end).
void apply_setting(SessionState& session, const SettingChange& change);

// Splits a search_path value ("\"$user\", public") into raw entries as SessionState wants them.
std::vector<std::string> parse_search_path(std::string_view value);

// PostgreSQL's boolean spellings (on/off/true/false/yes/no/1/0) for standard_conforming_strings.
std::optional<bool> parse_bool_setting(std::string_view value);

struct LiteralTemplate;

// Bounded LRU cache of rewrite() results, keyed by text + session mode + search_path + session
// user + standard_conforming_strings + config generation + catalog version. One per thread.
// Statements the fast path passes are not stored. Statements that differ from a cached one only
// in their literals are answered from a template of that statement shape (literal_template.h).
// A returned reference is valid until the next get().
class RewriteCache {
 public:
  explicit RewriteCache(std::size_t max_entries);
  ~RewriteCache();
  RewriteCache(const RewriteCache&) = delete;
  RewriteCache& operator=(const RewriteCache&) = delete;
  const Rewrite& get(std::string_view sql, const config::Config& config, const Catalog& catalog,
                     const SessionState& session);
  std::uint64_t hits() const { return hits_; }  // template hits included
  std::uint64_t template_hits() const { return template_hits_; }
  std::uint64_t misses() const { return misses_; }
  std::size_t size() const { return exact_.size(); }

 private:
  template <typename V>
  class Lru {
   public:
    V* find(std::string_view key);
    V& insert(std::string key, V value, std::size_t max_entries);
    std::size_t size() const { return map_.size(); }

   private:
    struct Entry {
      std::string key;
      V value;
    };
    std::list<Entry> list_;  // front = most recently used
    std::unordered_map<std::string_view, typename std::list<Entry>::iterator> map_;
  };
  std::size_t max_entries_;
  Lru<Rewrite> exact_;
  Lru<std::unique_ptr<LiteralTemplate>> templates_;
  std::string scratch_key_;
  Rewrite passthrough_;  // fast-path results: never cached, so unique literals do not evict
  Rewrite templated_;    // the last template fill
  std::uint64_t hits_ = 0;
  std::uint64_t template_hits_ = 0;
  std::uint64_t misses_ = 0;
};

}  // namespace tombstone::parser
