// Statements that differ only in their constants share one rewrite (DESIGN §8): simple-protocol
// clients inline every value (`... WHERE aid = 48213`), so a text-keyed cache misses on almost
// every statement and each miss is a full libpg_query parse + deparse.
//
// The statement's literals are found with a small lexer and replaced by markers (its "shape").
// The first statement of a shape is rewritten twice: as sent, and with every literal replaced by
// a unique sentinel. The sentinel output, cut at the sentinels, is the template. It is used only
// if filling it with the statement's own literals gives exactly the as-sent rewrite, and if
// nothing in the rewrite depends on the literal values (no session settings, no refusals, one
// statement). Later statements of the same shape are answered by filling the template with their
// literals, which the server reads exactly as it would have read them in the deparsed output.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "parser/rewriter.h"

namespace tombstone::parser {

struct Literal {
  std::size_t offset = 0;
  std::size_t length = 0;
  bool string = false;  // '...' (else a number)
};

// The literals of `sql` and its shape (the text with each literal replaced by a one-byte marker).
// Empty when the statement is not eligible: anything but a plain SELECT/INSERT/UPDATE/DELETE/
// WITH/VALUES/TABLE/MERGE statement; prefixed strings (E'', B'', X'', N'', U&); dollar quotes;
// standard_conforming_strings off; sentinel look-alikes outside literals; anything the lexer is
// not sure about. (Whether the rewrite depends on a literal's value, the rewriter reports.)
struct Shape {
  std::string text;
  std::vector<Literal> literals;
};
std::optional<Shape> literal_shape(std::string_view sql, bool standard_conforming_strings);

// `sql` with literal i replaced by sentinel i.
std::string with_sentinels(std::string_view sql, const std::vector<Literal>& literals);

// Rewrite output cut at the sentinels: text, literal, text, literal, ..., text.
struct FillIn {
  std::vector<std::string> texts;  // literals.size() + 1 pieces
  std::vector<std::size_t> slots;  // which input literal goes after texts[i]
  std::string fill(std::string_view sql, const std::vector<Literal>& literals) const;
};
// Empty when some sentinel is missing or the output cannot be cut unambiguously.
std::optional<FillIn> cut_at_sentinels(std::string_view output, std::size_t literal_count);

// The template of one shape (with one session mode): what RewriteCache stores.
struct LiteralTemplate {
  bool usable = false;
  FillIn sql;        // Rewrite::sql
  FillIn statement;  // Rewrite::statements[0].sql
  Rewrite meta;      // everything else of the rewrite (its strings filled per statement)
  std::size_t literal_bytes = 0;  // total length of the literals of the statement it was made from
};

// Builds the template from the as-sent rewrite and the sentinel rewrite of one statement.
LiteralTemplate make_template(std::string_view sql, const Shape& shape, const Rewrite& as_sent,
                              const Rewrite& with_sentinel);

// Fills `t` (usable) with the literals of `sql` into `out`.
void fill_template(const LiteralTemplate& t, std::string_view sql, const Shape& shape,
                   Rewrite& out);

}  // namespace tombstone::parser
