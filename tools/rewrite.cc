// `tombstone rewrite`: shows how a session would rewrite SQL (a debugging aid), and drives the
// equivalence oracle with --batch (NUL-separated statements in, one JSON line each out).
#include <cctype>
#include <cstdio>
#include <functional>
#include <iostream>
#include <iterator>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "parser/catalog.h"
#include "parser/rewriter.h"
#include "tools/cli.h"
#include "tools/commands.h"
#include "tools/json.h"
#include "tools/pg.h"

namespace tombstone::tools {
namespace {

const CommandSpec kRewrite{
    "rewrite",
    "Reads SQL from stdin and prints it as Tombstone would send it to the server (refusals and tag "
    "fix-ups on stderr). With --batch, stdin holds statements separated by NUL bytes and each gets "
    "one line of JSON: {\"sql\", \"changed\", \"fixups\", \"error\"}. Without --dsn the catalog is "
    "empty (every managed table counts as missing).",
    {config_option(),
     {"dsn", "DSN", "database to read the catalog from (the database itself, not the proxy)"},
     {"admin", "", "rewrite as an admin session (reads unfiltered unless --visibility active)"},
     {"visibility", "active|all", "tombstone.visibility of the session"},
     {"delete", "soft|hard", "tombstone.delete of the session (default soft)"},
     {"search-path", "PATH", "search_path of the session, e.g. 'app, public'"},
     {"user", "ROLE", "session_user (for $user in search_path; default: the --dsn user)"},
     {"batch", "", "NUL-separated statements in, one JSON line per statement out"}}};

const char* fixup_name(parser::TagFixup f) {
  switch (f) {
    case parser::TagFixup::kDelete:
      return "delete";
    case parser::TagFixup::kTruncate:
      return "truncate";
    case parser::TagFixup::kNone:
      break;
  }
  return "none";
}

std::string json_line(const parser::Rewrite& r) {
  std::string out = "{\"sql\": " + json_string(r.sql) +
                    ", \"changed\": " + (r.changed ? "true" : "false") + ", \"fixups\": [";
  const parser::RewriteError* error = nullptr;
  // The fast path did not split the text: nothing in it needs a fix-up.
  if (r.statements.empty()) out += "\"none\"";
  for (std::size_t i = 0; i < r.statements.size(); ++i) {
    if (i) out += ", ";
    out += json_string(fixup_name(r.statements[i].fixup));
    if (!error && r.statements[i].error) error = &*r.statements[i].error;
  }
  out += "], \"error\": ";
  if (error) {
    out += "{\"sqlstate\": " + json_string(error->sqlstate) +
           ", \"message\": " + json_string(error->message) + "}";
  } else {
    out += "null";
  }
  return out + "}";
}

std::optional<parser::Catalog> load_catalog(Connection& conn, const config::Config& config) {
  auto rows = conn.exec(parser::catalog_query(config));
  if (!rows) {
    std::fprintf(stderr, "tombstone rewrite: reading the catalog failed: %s\n",
                 rows.error().describe().c_str());
    return std::nullopt;
  }
  std::vector<std::vector<std::string>> text_rows;
  text_rows.reserve(rows->rows.size());
  for (const auto& r : rows->rows) {
    std::vector<std::string> row;
    for (const auto& v : r) row.push_back(v.value_or(""));
    text_rows.push_back(std::move(row));
  }
  return parser::catalog_from_rows(text_rows);
}

// First keyword of `sql`, lower-case (leading blanks and `--` comments skipped); `*end` is set to
// the offset just after it.
std::string first_word(std::string_view sql, std::size_t* end = nullptr) {
  std::size_t i = 0;
  while (i < sql.size()) {
    if (std::isspace(static_cast<unsigned char>(sql[i]))) {
      ++i;
    } else if (sql.substr(i, 2) == "--") {
      const auto eol = sql.find('\n', i);
      i = eol == std::string_view::npos ? sql.size() : eol + 1;
    } else {
      break;
    }
  }
  std::string word;
  while (i < sql.size() && std::isalpha(static_cast<unsigned char>(sql[i]))) {
    word += static_cast<char>(std::tolower(static_cast<unsigned char>(sql[i++])));
  }
  if (end != nullptr) *end = i;
  return word;
}

}  // namespace

int rewrite_command(int argc, char** argv) {
  auto parsed = parse_args(kRewrite, argc, argv);
  bool has_dsn = parsed && parsed->has("dsn");
  auto ctx = start_command(kRewrite, argc, argv, has_dsn);
  if (!ctx) return ctx.error();
  auto usage = [&](const std::string& why) {
    std::fprintf(stderr, "tombstone rewrite: %s\n\n", why.c_str());
    print_usage(kRewrite, stderr);
    return kExitUsage;
  };

  parser::SessionState session;
  session.admin = ctx->args.has("admin");
  session.visibility = session.admin ? parser::Visibility::kAll : parser::Visibility::kActive;
  if (auto v = ctx->args.get("visibility")) {
    if (*v == "active") {
      session.visibility = parser::Visibility::kActive;
    } else if (*v == "all") {
      session.visibility = parser::Visibility::kAll;
    } else {
      return usage("--visibility must be active or all");
    }
  }
  if (auto d = ctx->args.get("delete")) {
    if (*d == "soft") {
      session.delete_mode = parser::DeleteMode::kSoft;
    } else if (*d == "hard") {
      session.delete_mode = parser::DeleteMode::kHard;
    } else {
      return usage("--delete must be soft or hard");
    }
  }
  if (auto p = ctx->args.get("search-path")) session.search_path = parser::parse_search_path(*p);

  parser::Catalog catalog;
  if (ctx->conn) {
    auto loaded = load_catalog(*ctx->conn, ctx->config);
    if (!loaded) return kExitFailure;
    catalog = std::move(*loaded);
    if (!ctx->args.has("user")) {
      auto user = ctx->conn->exec("SELECT session_user::text");
      if (user && !user->rows.empty() && user->rows[0][0]) session.session_user = *user->rows[0][0];
    }
    // A session starts with the role's/database's configured search_path, not the built-in one.
    if (!ctx->args.has("search-path")) {
      auto path = ctx->conn->exec("SELECT current_setting('search_path')");
      if (path && !path->rows.empty() && path->rows[0][0]) {
        session.search_path = parser::parse_search_path(*path->rows[0][0]);
      }
    }
  }
  if (auto u = ctx->args.get("user")) session.session_user = *u;

  std::string input((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
  if (!ctx->args.has("batch")) {
    auto r = parser::rewrite(input, ctx->config, catalog, session);
    std::fwrite(r.sql.data(), 1, r.sql.size(), stdout);
    if (!r.sql.empty() && r.sql.back() != '\n') std::fputc('\n', stdout);
    int errors = 0;
    for (const auto& s : r.statements) {
      if (s.fixup != parser::TagFixup::kNone) {
        std::fprintf(stderr, "-- statement at byte %zu: command tag becomes %s\n", s.offset,
                     s.fixup == parser::TagFixup::kDelete ? "DELETE n" : "TRUNCATE TABLE");
      }
      if (s.error) {
        ++errors;
        std::fprintf(stderr, "-- statement at byte %zu refused: ERROR %s: %s%s%s\n", s.offset,
                     s.error->sqlstate.c_str(), s.error->message.c_str(),
                     s.error->hint.empty() ? "" : " HINT: ", s.error->hint.c_str());
      }
    }
    return errors > 0 ? kExitFailure : kExitOk;
  }

  // --batch: NUL separates statements; a trailing NUL does not start another one. The batch is
  // one session's script, as the proxy would see it: SQL-level PREPARE fix-ups carry over to
  // later EXECUTEs, and DDL changes the catalog later statements are rewritten with. The tool
  // does not run the script, so with --dsn it runs each DDL statement itself, inside a
  // transaction that is never committed (rolled back at every ROLLBACK of the script and at the
  // end), and reads the catalog again — e.g. CREATE TEMP TABLE shadowing a managed table.
  auto exec_quiet = [&](const std::string& sql) {
    return ctx->conn && ctx->conn->exec(sql).has_value();
  };
  bool in_tx = exec_quiet("BEGIN");
  if (in_tx && ctx->args.has("search-path")) {
    in_tx = ctx->conn
                ->exec("SELECT pg_catalog.set_config('search_path', $1, false)",
                       {std::string(*ctx->args.get("search-path"))})
                .has_value();
  }
  bool tx_changed = false;  // the tool's transaction holds DDL of the script
  auto reload = [&]() -> bool {
    auto loaded = load_catalog(*ctx->conn, ctx->config);
    if (!loaded) return false;
    catalog = std::move(*loaded);
    return true;
  };
  std::map<std::string, parser::TagFixup, std::less<>> prepared;
  std::size_t start = 0;
  while (start < input.size()) {
    std::size_t end = input.find('\0', start);
    if (end == std::string::npos) end = input.size();
    const std::string_view text = std::string_view(input).substr(start, end - start);
    auto r = parser::rewrite(text, ctx->config, catalog, session);
    bool ddl = false;
    for (auto& statement : r.statements) {
      ddl = ddl || (statement.ddl && !statement.error);
      if (statement.prepared_name) prepared[*statement.prepared_name] = statement.prepared_fixup;
      if (statement.execute_name && statement.fixup == parser::TagFixup::kNone) {
        auto it = prepared.find(*statement.execute_name);
        if (it != prepared.end()) statement.fixup = it->second;
      }
      if (statement.deallocate_name) {
        if (statement.deallocate_name->empty()) {
          prepared.clear();
        } else {
          prepared.erase(*statement.deallocate_name);
        }
      }
    }
    std::string line = json_line(r) + "\n";
    std::fwrite(line.data(), 1, line.size(), stdout);
    if (in_tx && ddl) {
      // A DDL statement that fails on the server changes nothing: undo it to the savepoint.
      if (exec_quiet("SAVEPOINT tombstone_rewrite")) {
        const bool ok = exec_quiet(r.sql);
        in_tx = exec_quiet(ok ? "RELEASE SAVEPOINT tombstone_rewrite"
                              : "ROLLBACK TO SAVEPOINT tombstone_rewrite");
        if (ok) {
          tx_changed = true;
          if (!reload()) return kExitFailure;
        }
      }
    }
    if (in_tx && tx_changed) {
      // ROLLBACK / ABORT of the script (not ROLLBACK TO SAVEPOINT, nor ROLLBACK PREPARED).
      std::size_t after = 0;
      const std::string word = first_word(text, &after);
      const std::string next = first_word(text.substr(after));
      if ((word == "rollback" || word == "abort") && next != "to" && next != "prepared") {
        in_tx = exec_quiet("ROLLBACK") && exec_quiet("BEGIN");
        tx_changed = false;
        if (!reload()) return kExitFailure;
      }
    }
    start = end + 1;
  }
  if (in_tx) exec_quiet("ROLLBACK");
  std::fflush(stdout);
  return kExitOk;
}

}  // namespace tombstone::tools
