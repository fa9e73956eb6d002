#include "parser/rewriter.h"

#include <algorithm>
#include <array>

#include "parser/pg_tree.h"
#include "parser/statement_rewriter.h"

namespace tombstone::parser {
namespace {

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string lower_ascii(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = lower(c);
  return out;
}

// Words whose absence proves a statement needs no parsing: every configured and archive table
// name, `U&` (escaped identifiers), and the words that can change tracked session state.
struct Needles {
  std::vector<std::string> tables;                     // (table, archive) names, to detect changes
  std::array<std::vector<std::string>, 256> by_first;  // lower-case words by first byte
};

// Also the *_to_xml() functions: they read managed tables inside the server, named by a string,
// an OID or nothing at all (refused for filtering sessions), so they are always parsed.
constexpr std::array<const char*, 15> kParseWords = {
    "u&",        "search_path", "standard_conforming_strings",
    "tombstone", "schema",      "reset",
    "discard",   "set_config",  "authorization",
    "execute",   "deallocate",  "prepare",
    "database_to", "query_to",  "table_to"};

const Needles& needles_for(const config::Config& config) {
  thread_local Needles n;
  thread_local bool built = false;
  bool same = built && n.tables.size() == config.tables.size() * 2;
  for (std::size_t i = 0; same && i < config.tables.size(); ++i) {
    same = n.tables[2 * i] == config.tables[i].table.name &&
           n.tables[2 * i + 1] == config.tables[i].archive.name;
  }
  if (same) return n;
  n = Needles{};
  std::vector<std::string> words;
  for (const auto& t : config.tables) {
    n.tables.push_back(t.table.name);
    n.tables.push_back(t.archive.name);
    words.push_back(lower_ascii(t.table.name));
    if (t.strategy == config::Strategy::kArchive) words.push_back(lower_ascii(t.archive.name));
  }
  for (const char* w : kParseWords) words.emplace_back(w);
  for (auto& w : words) {
    if (!w.empty()) n.by_first[static_cast<unsigned char>(w[0])].push_back(std::move(w));
  }
  built = true;
  return n;
}

// Bytes that continue an identifier (PostgreSQL: letters, digits, _, $, and every non-ASCII byte).
constexpr std::array<bool, 256> kIdentByte = [] {
  std::array<bool, 256> t{};
  for (int c = 0; c < 256; ++c) {
    t[c] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '$' || c >= 0x80;
  }
  return t;
}();

bool may_matter(std::string_view sql, const Needles& n) {
  const std::size_t size = sql.size();
  const auto* bytes = reinterpret_cast<const unsigned char*>(sql.data());
  for (std::size_t i = 0; i < size; ++i) {
    // A name or keyword starts where an identifier cannot be continuing: inside a longer
    // identifier ("myusers") the bytes name something else.
    if (i > 0 && kIdentByte[bytes[i - 1]]) continue;
    const auto& candidates = n.by_first[static_cast<unsigned char>(lower(sql[i]))];
    for (const auto& w : candidates) {
      if (size - i < w.size()) continue;
      std::size_t k = 1;
      while (k < w.size() && lower(sql[i + k]) == w[k]) ++k;
      if (k == w.size()) return true;
    }
  }
  return false;
}

void append_utf8(std::string& out, unsigned long cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// The body of U&"..." with its escapes (\XXXX, \+XXXXXX, or another escape character given by
// UESCAPE) resolved, as PostgreSQL's scanner does.
std::string decode_unicode_ident(std::string_view body, char esc) {
  std::string out;
  auto hex = [&](std::size_t at, std::size_t n, unsigned long& cp) {
    if (at + n > body.size()) return false;
    cp = 0;
    for (std::size_t k = 0; k < n; ++k) {
      char h = lower(body[at + k]);
      int v = (h >= '0' && h <= '9') ? h - '0' : (h >= 'a' && h <= 'f') ? h - 'a' + 10 : -1;
      if (v < 0) return false;
      cp = cp * 16 + static_cast<unsigned long>(v);
    }
    return true;
  };
  for (std::size_t i = 0; i < body.size(); ++i) {
    char c = body[i];
    if (c == '"' && i + 1 < body.size() && body[i + 1] == '"') {
      out += '"';
      ++i;
    } else if (c == esc && i + 1 < body.size()) {
      unsigned long cp = 0;
      if (body[i + 1] == esc) {
        out += esc;
        ++i;
      } else if (body[i + 1] == '+' && hex(i + 2, 6, cp)) {
        append_utf8(out, cp);
        i += 7;
      } else if (hex(i + 1, 4, cp)) {
        append_utf8(out, cp);
        i += 4;
      } else {
        out += c;
      }
    } else {
      out += c;
    }
  }
  return out;
}

// The identifiers of a text the grammar rejects, as the server would read them.
std::vector<std::string> identifiers(std::string_view text, bool& complete) {
  std::vector<std::string> out;
  auto tokens = scan_sql(text);
  complete = !tokens.empty() || text.find_first_not_of(" \t\r\n;") == std::string_view::npos;
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    const auto& t = tokens[i];
    std::string_view s =
        text.substr(static_cast<std::size_t>(t.start), static_cast<std::size_t>(t.end - t.start));
    if (t.token == pg_query::Token::UIDENT) {
      char esc = '\\';
      if (i + 2 < tokens.size() && tokens[i + 1].token == pg_query::Token::UESCAPE &&
          tokens[i + 2].token == pg_query::Token::SCONST) {
        std::string_view lit =
            text.substr(static_cast<std::size_t>(tokens[i + 2].start),
                        static_cast<std::size_t>(tokens[i + 2].end - tokens[i + 2].start));
        if (lit.size() >= 3) esc = lit[1];
      }
      // The scanner's end offset for UIDENT is not the closing quote: find it here.
      std::string_view rest = text.substr(static_cast<std::size_t>(t.start));
      std::size_t open = rest.find('"');
      std::size_t close = open;
      while (open != std::string_view::npos) {
        close = rest.find('"', close + 1);
        if (close == std::string_view::npos) break;
        if (close + 1 < rest.size() && rest[close + 1] == '"') {
          ++close;  // a doubled quote inside the identifier
          continue;
        }
        out.push_back(decode_unicode_ident(rest.substr(open + 1, close - open - 1), esc));
        break;
      }
      if (open == std::string_view::npos || close == std::string_view::npos) complete = false;
    } else if (t.token == pg_query::Token::IDENT) {
      if (!s.empty() && s.front() == '"') {
        std::string v;
        for (std::size_t k = 1; k + 1 < s.size(); ++k) {
          v += s[k];
          if (s[k] == '"' && k + 2 < s.size() && s[k + 1] == '"') ++k;
        }
        out.push_back(v);
      } else {
        out.push_back(lower_ascii(s));
      }
    } else if (t.keyword) {
      out.push_back(lower_ascii(s));  // non-reserved keywords can name tables
    }
  }
  return out;
}

}  // namespace

std::optional<std::string> managed_table_named_in(std::string_view text,
                                                  const config::Config& config) {
  bool complete = true;
  auto idents = identifiers(text, complete);
  for (const auto& t : config.tables) {
    if (std::find(idents.begin(), idents.end(), t.table.name) != idents.end()) {
      return t.table.to_sql();
    }
    // The scanner gave up (e.g. an unterminated literal): fall back to the bytes, fail closed.
    if (!complete && lower_ascii(text).find(lower_ascii(t.table.name)) != std::string::npos) {
      return t.table.to_sql();
    }
  }
  return std::nullopt;
}

namespace {

// With standard_conforming_strings = off the server reads backslashes in '...' as escapes while
// the PG 15 grammar here does not: statement boundaries and literals could differ.
bool backslash_in_plain_literal(std::string_view text) {
  auto tokens = scan_sql(text);
  if (tokens.empty()) return text.find('\\') != std::string_view::npos;
  for (const auto& t : tokens) {
    if (t.token != pg_query::Token::SCONST) continue;
    std::string_view s =
        text.substr(static_cast<std::size_t>(t.start), static_cast<std::size_t>(t.end - t.start));
    // '...' and N'...' follow standard_conforming_strings; E'...' and $$...$$ do not.
    if (!s.empty() && (s.front() == 'N' || s.front() == 'n')) s.remove_prefix(1);
    if (!s.empty() && s.front() == '\'' && s.find('\\') != std::string_view::npos) return true;
  }
  return false;
}

// Bytes of whitespace and comments before a statement's first token: kept when the statement
// is rewritten, so a client's leading comments (query tags, hints) still reach the server.
std::size_t leading_trivia(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
      ++i;
    } else if (c == '-' && i + 1 < text.size() && text[i + 1] == '-') {
      // PostgreSQL ends a -- comment at a newline or a carriage return.
      std::size_t nl = text.find_first_of("\n\r", i);
      if (nl == std::string_view::npos) return i;
      i = nl + 1;
    } else if (c == '/' && i + 1 < text.size() && text[i + 1] == '*') {
      int depth = 0;  // PostgreSQL block comments nest
      std::size_t k = i;
      while (k + 1 < text.size()) {
        if (text[k] == '/' && text[k + 1] == '*') {
          ++depth;
          k += 2;
        } else if (text[k] == '*' && text[k + 1] == '/') {
          k += 2;
          if (--depth == 0) break;
        } else {
          ++k;
        }
      }
      if (depth != 0) return i;
      i = k;
    } else {
      break;
    }
  }
  return i;
}

class Driver {
 public:
  Driver(std::string_view sql, const config::Config& config, const Catalog& catalog,
         const SessionState& session)
      : sql_(sql), config_(config), catalog_(&catalog), session_(session) {}

  void statement(pg_query::Node& stmt, std::size_t offset, std::size_t length,
                 std::vector<StatementRewrite>& out) {
    StatementRewrite st;
    st.offset = offset;
    st.length = length;
    std::string_view text = sql_.substr(offset, length);
    {
      StatementRewriter rw(config_, *catalog_, session_);
      bool changed = rw.run(stmt, st);
      if (!st.error) follow_temp_tables(stmt);
      if (!st.error && changed) {
        if (rw.risky() && !deparse_round_trips(text)) {
          st.error = RewriteError{
              "0A000",
              "tombstone: this statement on a managed table uses syntax Tombstone cannot "
              "rewrite safely",
              "Known libpg_query deparser limitations: a subscript on a parenthesized "
              "expression such as (ARRAY[...])[1], or UPDATE SET (a, b) = (...) mixed with "
              "other assignments. Rewrite that part of the statement."};
        } else if (auto sql = deparse_statement(stmt)) {
          st.sql.assign(text.substr(0, leading_trivia(text)));
          st.sql += *sql;
          st.changed = true;
        } else {
          st.error = RewriteError{
              "XX000", "tombstone: cannot deparse rewritten statement: " + sql.error(), ""};
        }
      }
    }
    finish(st, text);
    // Later statements of the same string run after this one's SETs (search_path above all).
    if (!st.error) {
      for (const auto& change : st.settings) apply_setting(session_, change);
    }
    out.push_back(std::move(st));
  }

  void unparsable(std::size_t offset, std::size_t length, std::vector<StatementRewrite>& out) {
    StatementRewrite st;
    st.offset = offset;
    st.length = length;
    std::string_view text = sql_.substr(offset, length);
    if (config_.unparsable == config::Unparsable::kReject) {
      if (auto table = managed_table_named_in(text, config_)) {
        st.error = RewriteError{
            "0A000",
            "tombstone: statement names managed table " + *table +
                " but does not parse with the PostgreSQL 15 grammar; refused",
            "Fix the syntax, or set unparsable: forward in tombstone.yaml to let the server "
            "judge such statements unfiltered."};
      }
    }
    finish(st, text);
    out.push_back(std::move(st));
  }

 private:
  static void finish(StatementRewrite& st, std::string_view text) {
    if (st.error) {
      st.sql = error_statement(*st.error);
      st.changed = true;
      st.fixup = TagFixup::kNone;
      st.prepared_fixup = TagFixup::kNone;
    } else if (!st.changed) {
      st.sql.assign(text);
    }
  }

  // A temp table created (or dropped) by a statement of this string, under a managed table's
  // name, shadows it (pg_temp is searched first) for the statements after it in the string.
  void follow_temp_tables(const pg_query::Node& stmt) {
    auto managed_name = [&](const std::string& name) {
      return std::ranges::any_of(config_.tables, [&](const config::TablePolicy& t) {
        return t.table.name == name || t.archive.name == name;
      });
    };
    auto temp_target = [&](const pg_query::RangeVar& rv) {
      return (rv.relpersistence() == "t" || rv.schemaname() == "pg_temp") &&
             (rv.schemaname().empty() || rv.schemaname() == "pg_temp") &&
             managed_name(rv.relname());
    };
    const pg_query::RangeVar* created = nullptr;
    std::vector<std::string> columns;
    if (stmt.has_create_stmt()) {
      created = &stmt.create_stmt().relation();
      for (const auto& e : stmt.create_stmt().table_elts()) {
        if (e.has_column_def()) columns.push_back(e.column_def().colname());
      }
    } else if (stmt.has_create_table_as_stmt() && stmt.create_table_as_stmt().has_into()) {
      created = &stmt.create_table_as_stmt().into().rel();
    } else if (stmt.has_select_stmt() && stmt.select_stmt().has_into_clause()) {
      created = &stmt.select_stmt().into_clause().rel();
    }
    if (created != nullptr && temp_target(*created)) {
      Catalog& own = own_catalog();
      Relation rel;
      rel.name = {"pg_temp", created->relname()};
      for (auto& c : columns) rel.columns.push_back(Column{std::move(c), "", false});
      std::erase_if(own.relations, [&](const Relation& r) { return r.name == rel.name; });
      own.relations.insert(own.relations.begin(), std::move(rel));
      return;
    }
    if (stmt.has_drop_stmt() && stmt.drop_stmt().remove_type() == pg_query::OBJECT_TABLE) {
      for (const auto& object : stmt.drop_stmt().objects()) {
        if (!object.has_list()) continue;
        const auto& parts = object.list().items();
        if (parts.empty() || !parts[parts.size() - 1].has_string()) continue;
        const std::string& name = parts[parts.size() - 1].string().sval();
        if (parts.size() == 2 && parts[0].string().sval() != "pg_temp") continue;
        if (catalog_->find({"pg_temp", name}) == nullptr) continue;
        std::erase_if(own_catalog().relations,
                      [&](const Relation& r) { return r.name == config::QualifiedName{"pg_temp", name}; });
      }
    } else if (stmt.has_discard_stmt() && stmt.discard_stmt().target() != pg_query::DISCARD_PLANS &&
               stmt.discard_stmt().target() != pg_query::DISCARD_SEQUENCES) {
      std::erase_if(own_catalog().relations,
                    [](const Relation& r) { return r.name.schema == "pg_temp"; });
    }
  }

  Catalog& own_catalog() {
    if (!own_catalog_) {
      own_catalog_ = *catalog_;
      catalog_ = &*own_catalog_;
    }
    return *own_catalog_;
  }

  std::string_view sql_;
  const config::Config& config_;
  const Catalog* catalog_;             // the snapshot, or own_catalog_ once this string changed it
  std::optional<Catalog> own_catalog_;
  SessionState session_;  // a copy: statements of one string change it for the next
};

}  // namespace

bool may_need_rewrite(std::string_view sql, const config::Config& config) {
  return may_matter(sql.substr(0, sql.find('\0')), needles_for(config));
}

Rewrite rewrite(std::string_view sql, const config::Config& config, const Catalog& catalog,
                const SessionState& session) {
  Rewrite out;
  // Query strings are NUL-terminated on the wire and the server reads up to the first NUL.
  sql = sql.substr(0, sql.find('\0'));
  if (!may_matter(sql, needles_for(config))) {
    out.sql.assign(sql);
    return out;
  }
  out.parsed = true;
  if (!session.standard_conforming_strings && backslash_in_plain_literal(sql)) {
    // The server reads backslashes in '...' as escapes, the PG 15 grammar here does not: even the
    // statement boundaries may differ, so no part of the string can be judged. Refuse all of it.
    StatementRewrite st;
    st.length = sql.size();
    st.error = RewriteError{"0A000",
                            "tombstone: backslashes in string literals are not supported with "
                            "standard_conforming_strings = off",
                            "Use E'...' literals or SET standard_conforming_strings = on."};
    st.sql = error_statement(*st.error);
    st.changed = true;
    out.sql = st.sql;
    out.changed = true;
    out.statements.push_back(std::move(st));
    return out;
  }
  Driver driver(sql, config, catalog, session);
  if (auto tree = parse_sql(sql)) {
    for (auto& raw : *tree->mutable_stmts()) {
      auto offset = static_cast<std::size_t>(raw.stmt_location());
      std::size_t length =
          raw.stmt_len() > 0 ? static_cast<std::size_t>(raw.stmt_len()) : sql.size() - offset;
      driver.statement(*raw.mutable_stmt(), offset, length, out.statements);
    }
  } else {
    // Some statement does not parse: judge each statement alone (the server, if its grammar is
    // newer, might run the others).
    for (const auto& range : split_sql(sql)) {
      std::string_view piece = sql.substr(range.offset, range.length);
      auto sub = parse_sql(piece);
      if (!sub) {
        driver.unparsable(range.offset, range.length, out.statements);
        continue;
      }
      for (auto& raw : *sub->mutable_stmts()) {
        auto offset = range.offset + static_cast<std::size_t>(raw.stmt_location());
        std::size_t length = raw.stmt_len() > 0 ? static_cast<std::size_t>(raw.stmt_len())
                                                : range.offset + range.length - offset;
        driver.statement(*raw.mutable_stmt(), offset, length, out.statements);
      }
    }
  }
  out.sql = assemble(sql, out.statements);
  out.changed = std::ranges::any_of(out.statements, [](const auto& st) { return st.changed; });
  return out;
}

std::string assemble(std::string_view sql, const std::vector<StatementRewrite>& statements) {
  std::string out;
  std::size_t pos = 0;
  for (const auto& st : statements) {
    if (!st.changed) continue;
    out.append(sql.substr(pos, st.offset - pos));
    out.append(st.sql);
    pos = st.offset + st.length;
  }
  out.append(sql.substr(std::min(pos, sql.size())));
  return out;
}

}  // namespace tombstone::parser
