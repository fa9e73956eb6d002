#include "parser/literal_template.h"

#include <algorithm>
#include <array>
#include <cctype>

namespace tombstone::parser {
namespace {

constexpr char kNumberMark = '\x01';
constexpr char kStringMark = '\x02';
constexpr std::uint64_t kNumberSentinelBase = 913700000000ULL;  // 12 digits, + literal index
constexpr std::string_view kStringSentinel = "'tslit";          // 'tslit<index>q'

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool ident_start(char c) {
  const auto u = static_cast<unsigned char>(c);
  return std::isalpha(u) != 0 || c == '_' || u >= 0x80;
}
bool ident_char(char c) {
  const auto u = static_cast<unsigned char>(c);
  return std::isalnum(u) != 0 || c == '_' || c == '$' || u >= 0x80;
}
bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == y;
         });
}

bool icontains(std::string_view text, std::string_view lower_needle) {
  if (text.size() < lower_needle.size()) return false;
  for (std::size_t i = 0; i + lower_needle.size() <= text.size(); ++i) {
    if (iequals(text.substr(i, lower_needle.size()), lower_needle)) return true;
  }
  return false;
}

// Statements whose rewrite never depends on a literal's value (settings statements, COPY,
// PREPARE/EXECUTE, utility statements do, or are not worth it).
bool eligible_first_word(std::string_view word) {
  static constexpr std::array<std::string_view, 8> kWords = {
      "select", "insert", "update", "delete", "with", "values", "table", "merge"};
  return std::any_of(kWords.begin(), kWords.end(),
                     [&](std::string_view w) { return iequals(word, w); });
}

// The last character before `i` that is not white space ('\0' if none).
char previous_visible(std::string_view sql, std::size_t i) {
  while (i > 0) {
    --i;
    if (!is_space(sql[i])) return sql[i];
  }
  return '\0';
}

// End of the number starting at `i`, or npos when the lexer is not sure where it ends.
std::size_t number_end(std::string_view sql, std::size_t i) {
  const std::size_t n = sql.size();
  std::size_t j = i;
  while (j < n && is_digit(sql[j])) ++j;
  if (j < n && sql[j] == '.') {
    if (j + 1 < n && sql[j + 1] == '.') return std::string_view::npos;  // 1..2
    ++j;
    while (j < n && is_digit(sql[j])) ++j;
  }
  if (j < n && (sql[j] == 'e' || sql[j] == 'E')) {
    std::size_t k = j + 1;
    if (k < n && (sql[k] == '+' || sql[k] == '-')) ++k;
    if (k >= n || !is_digit(sql[k])) return std::string_view::npos;
    j = k;
    while (j < n && is_digit(sql[j])) ++j;
  }
  if (j < n && (ident_char(sql[j]) || sql[j] == '.')) return std::string_view::npos;  // 12abc
  return j;
}

// The quote closing the "..." or '...' opened at `open` (a doubled quote is part of the text).
std::size_t closing_quote(std::string_view sql, std::size_t open) {
  const char quote = sql[open];
  for (std::size_t j = open + 1; j < sql.size(); ++j) {
    if (sql[j] != quote) continue;
    if (j + 1 < sql.size() && sql[j + 1] == quote) {
      ++j;
      continue;
    }
    return j;
  }
  return std::string_view::npos;
}

std::string sentinel(std::size_t index, bool string) {
  if (string) return std::string(kStringSentinel) + std::to_string(index) + "q'";
  return std::to_string(kNumberSentinelBase + index);
}

}  // namespace

std::optional<Shape> literal_shape(std::string_view sql, bool standard_conforming_strings) {
  if (!standard_conforming_strings) return std::nullopt;
  // U& spellings are not lexed here. (Rewrites that depend on a literal's value are excluded
  // by the rewriter itself: StatementRewrite::literal_sensitive.)
  if (icontains(sql, "u&")) return std::nullopt;
  Shape out;
  out.text.reserve(sql.size());
  const std::size_t n = sql.size();
  bool statement_started = false;
  std::size_t i = 0;
  while (i < n) {
    const char c = sql[i];
    if (c == '-' && i + 1 < n && sql[i + 1] == '-') {
      std::size_t e = sql.find_first_of("\n\r", i);  // as PostgreSQL's scanner
      if (e == std::string_view::npos) e = n;
      out.text.append(sql.substr(i, e - i));
      i = e;
    } else if (c == '/' && i + 1 < n && sql[i + 1] == '*') {
      std::size_t j = i + 2;
      int depth = 1;
      while (j < n && depth > 0) {
        if (sql[j] == '/' && j + 1 < n && sql[j + 1] == '*') {
          ++depth;
          j += 2;
        } else if (sql[j] == '*' && j + 1 < n && sql[j + 1] == '/') {
          --depth;
          j += 2;
        } else {
          ++j;
        }
      }
      if (depth > 0) return std::nullopt;
      out.text.append(sql.substr(i, j - i));
      i = j;
    } else if (c == '"') {
      const std::size_t j = closing_quote(sql, i);
      if (j == std::string_view::npos) return std::nullopt;
      out.text.append(sql.substr(i, j + 1 - i));
      i = j + 1;
    } else if (c == '\'') {
      if (!statement_started || (i > 0 && ident_char(sql[i - 1]))) return std::nullopt;  // E''
      const std::size_t j = closing_quote(sql, i);
      if (j == std::string_view::npos) return std::nullopt;
      const std::size_t end = j + 1;
      std::size_t k = end;
      while (k < n && is_space(sql[k])) ++k;
      if (k < n && sql[k] == '\'') return std::nullopt;  // 'a'<newline>'b' is one literal
      out.literals.push_back(Literal{i, end - i, true});
      out.text.push_back(kStringMark);
      i = end;
    } else if (c == '$') {
      if (i + 1 >= n || !is_digit(sql[i + 1])) return std::nullopt;  // dollar quoting
      std::size_t j = i + 1;
      while (j < n && is_digit(sql[j])) ++j;
      if (j < n && ident_char(sql[j])) return std::nullopt;
      out.text.append(sql.substr(i, j - i));
      i = j;
    } else if (ident_start(c)) {
      std::size_t j = i;
      while (j < n && ident_char(sql[j])) ++j;
      if (!statement_started) {
        if (!eligible_first_word(sql.substr(i, j - i))) return std::nullopt;
        statement_started = true;
      }
      if (j < n && (sql[j] == '\'' || sql[j] == '&')) return std::nullopt;  // B'..', U&
      out.text.append(sql.substr(i, j - i));
      i = j;
    } else if (is_digit(c) || (c == '.' && i + 1 < n && is_digit(sql[i + 1]))) {
      if (!statement_started) return std::nullopt;
      if (c == '.') {
        const char before = previous_visible(sql, i);
        if (ident_char(before) || before == '"' || before == ')' || before == ']') {
          return std::nullopt;
        }
      }
      const std::size_t end = number_end(sql, i);
      if (end == std::string_view::npos) return std::nullopt;
      out.literals.push_back(Literal{i, end - i, false});
      out.text.push_back(kNumberMark);
      i = end;
    } else if (c == ';') {
      // One statement only: a terminating semicolon, then nothing but white space.
      for (std::size_t k = i + 1; k < n; ++k) {
        if (!is_space(sql[k])) return std::nullopt;
      }
      out.text.append(sql.substr(i));
      i = n;
    } else if (c == kNumberMark || c == kStringMark) {
      return std::nullopt;
    } else {
      out.text.push_back(c);
      ++i;
    }
  }
  if (!statement_started || out.literals.empty()) return std::nullopt;
  // Text that is not a literal but looks like a sentinel (in an identifier, a comment) would be
  // cut as a slot and filled with the next statement's literal: no template for such a shape.
  if (icontains(out.text, "tslit") || out.text.find("9137") != std::string::npos) {
    return std::nullopt;
  }
  return out;
}

std::string with_sentinels(std::string_view sql, const std::vector<Literal>& literals) {
  std::string out;
  out.reserve(sql.size() + literals.size() * 12);
  std::size_t pos = 0;
  for (std::size_t i = 0; i < literals.size(); ++i) {
    out.append(sql.substr(pos, literals[i].offset - pos));
    out += sentinel(i, literals[i].string);
    pos = literals[i].offset + literals[i].length;
  }
  out.append(sql.substr(pos));
  return out;
}

std::string FillIn::fill(std::string_view sql, const std::vector<Literal>& literals) const {
  std::size_t size = texts.back().size();
  for (std::size_t k = 0; k < slots.size(); ++k) size += texts[k].size() + literals[slots[k]].length;
  std::string out;
  out.reserve(size);
  for (std::size_t k = 0; k < slots.size(); ++k) {
    out += texts[k];
    const Literal& l = literals[slots[k]];
    out.append(sql.substr(l.offset, l.length));
  }
  out += texts.back();
  return out;
}

std::optional<FillIn> cut_at_sentinels(std::string_view output, std::size_t literal_count) {
  FillIn out;
  std::vector<bool> seen(literal_count, false);
  std::string current;
  const std::size_t n = output.size();
  std::size_t i = 0;
  while (i < n) {
    std::optional<std::size_t> index;
    std::size_t end = i;
    if (output.compare(i, kStringSentinel.size(), kStringSentinel) == 0) {
      std::size_t j = i + kStringSentinel.size();
      std::size_t value = 0;
      const std::size_t digits_at = j;
      while (j < n && is_digit(output[j]) && j - digits_at < 9) value = value * 10 + (output[j++] - '0');
      if (j > digits_at && j + 1 < n && output[j] == 'q' && output[j + 1] == '\'') {
        index = value;
        end = j + 2;
      }
    } else if (output[i] == '9' && (i == 0 || !(ident_char(output[i - 1]) || output[i - 1] == '.'))) {
      const std::size_t e = number_end(output, i);
      if (e != std::string_view::npos && e - i == 12) {
        std::uint64_t value = 0;
        bool digits = true;
        for (std::size_t k = i; k < e; ++k) {
          if (!is_digit(output[k])) digits = false;
          value = value * 10 + static_cast<std::uint64_t>(output[k] - '0');
        }
        if (digits && value >= kNumberSentinelBase) {
          index = static_cast<std::size_t>(value - kNumberSentinelBase);
          end = e;
        }
      }
    }
    if (!index) {
      current.push_back(output[i++]);
      continue;
    }
    if (*index >= literal_count) return std::nullopt;
    seen[*index] = true;
    out.texts.push_back(std::move(current));
    current.clear();
    out.slots.push_back(*index);
    i = end;
  }
  out.texts.push_back(std::move(current));
  if (std::find(seen.begin(), seen.end(), false) != seen.end()) return std::nullopt;
  return out;
}

namespace {

bool same_deletes(const std::vector<DeleteTarget>& a, const std::vector<DeleteTarget>& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                    [](const DeleteTarget& x, const DeleteTarget& y) {
                      return x.table == y.table && x.strategy == y.strategy;
                    });
}

// Nothing of the statement's meaning, besides its text, may depend on the literal values.
bool templatable(const Rewrite& r) {
  if (!r.parsed || r.statements.size() != 1) return false;
  const StatementRewrite& st = r.statements.front();
  return !st.error && st.settings.empty() && !st.ddl && !st.prepared_name && !st.execute_name &&
         !st.deallocate_name && !st.literal_sensitive;
}

}  // namespace

LiteralTemplate make_template(std::string_view sql, const Shape& shape, const Rewrite& as_sent,
                              const Rewrite& with_sentinel) {
  LiteralTemplate t;
  if (!templatable(as_sent) || !templatable(with_sentinel)) return t;
  const StatementRewrite& a = as_sent.statements.front();
  const StatementRewrite& s = with_sentinel.statements.front();
  if (a.changed != s.changed || a.fixup != s.fixup || a.prepared_fixup != s.prepared_fixup ||
      a.offset != s.offset || !same_deletes(a.deletes, s.deletes) ||
      as_sent.changed != with_sentinel.changed) {
    return t;
  }
  for (const Literal& l : shape.literals) {
    if (l.offset < a.offset || l.offset + l.length > a.offset + a.length) return t;
    t.literal_bytes += l.length;
  }
  auto whole = cut_at_sentinels(with_sentinel.sql, shape.literals.size());
  auto statement = cut_at_sentinels(s.sql, shape.literals.size());
  if (!whole || !statement) return t;
  // The proof: the template filled with this statement's literals is the real rewrite.
  if (whole->fill(sql, shape.literals) != as_sent.sql ||
      statement->fill(sql, shape.literals) != a.sql) {
    return t;
  }
  t.sql = std::move(*whole);
  t.statement = std::move(*statement);
  t.meta = as_sent;
  t.meta.sql.clear();
  t.meta.statements.front().sql.clear();
  t.usable = true;
  return t;
}

void fill_template(const LiteralTemplate& t, std::string_view sql, const Shape& shape,
                   Rewrite& out) {
  out.changed = t.meta.changed;
  out.parsed = t.meta.parsed;
  out.sql = t.sql.fill(sql, shape.literals);
  out.statements.resize(1);
  StatementRewrite& st = out.statements.front();
  st = t.meta.statements.front();
  st.sql = t.statement.fill(sql, shape.literals);
  std::size_t bytes = 0;
  for (const Literal& l : shape.literals) bytes += l.length;
  st.length = st.length + bytes - t.literal_bytes;
}

}  // namespace tombstone::parser
