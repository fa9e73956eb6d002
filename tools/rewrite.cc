// `tombstone rewrite`: shows how a session would rewrite SQL (a debugging aid), and drives the
// equivalence oracle with --batch (NUL-separated statements in, one JSON line each out).
#include <cstdio>
#include <iostream>
#include <iterator>

#include "parser/catalog.h"
#include "parser/rewriter.h"
#include "tools/cli.h"
#include "tools/commands.h"
#include "tools/json.h"

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
    auto rows = ctx->conn->exec(parser::catalog_query(ctx->config));
    if (!rows) {
      std::fprintf(stderr, "tombstone rewrite: reading the catalog failed: %s\n",
                   rows.error().describe().c_str());
      return kExitFailure;
    }
    std::vector<std::vector<std::string>> text_rows;
    text_rows.reserve(rows->rows.size());
    for (const auto& r : rows->rows) {
      std::vector<std::string> row;
      for (const auto& v : r) row.push_back(v.value_or(""));
      text_rows.push_back(std::move(row));
    }
    catalog = parser::catalog_from_rows(text_rows);
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

  // --batch: NUL separates statements; a trailing NUL does not start another one.
  std::size_t start = 0;
  while (start < input.size()) {
    std::size_t end = input.find('\0', start);
    if (end == std::string::npos) end = input.size();
    auto r = parser::rewrite(std::string_view(input).substr(start, end - start), ctx->config,
                             catalog, session);
    std::string line = json_line(r) + "\n";
    std::fwrite(line.data(), 1, line.size(), stdout);
    start = end + 1;
  }
  std::fflush(stdout);
  return kExitOk;
}

}  // namespace tombstone::tools
