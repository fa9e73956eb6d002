// Thin wrapper over libpg_query (PG 15 grammar): parse to the generated C++ protobuf classes,
// deparse back, scan tokens, split statements. Every libpg_query result is freed here; nothing
// calls pg_query_exit() (DESIGN §9). Internal to tombstone_parser and its tests.
#pragma once

#include <cstddef>
#include <expected>
#include <string>
#include <string_view>
#include <vector>

#include "pg_query.pb.h"

namespace tombstone::parser {

struct ParseFailure {
  std::string message;
  int cursor = 0;  // 1-based character position PostgreSQL reports, 0 when unknown
};

// Parses the whole text (one or more statements).
std::expected<pg_query::ParseResult, ParseFailure> parse_sql(std::string_view sql);

// Deparses one statement node to SQL text (no trailing semicolon).
std::expected<std::string, std::string> deparse_statement(const pg_query::Node& stmt);

// COPY options the server rejects without a value (FORMAT, DELIMITER, NULL, QUOTE, ...).
bool copy_option_needs_value(std::string_view name);
// Those of them whose value is one string (not FORCE_* column lists).
bool copy_option_takes_string(std::string_view name);

struct ScannedToken {
  int start = 0;  // byte offsets into the scanned text
  int end = 0;
  pg_query::Token token = pg_query::Token::NUL;
  bool keyword = false;
};
// Tokens of the text as PostgreSQL's scanner sees them (comments and whitespace skipped). Works on
// text the grammar rejects; stops early on unterminated literals.
std::vector<ScannedToken> scan_sql(std::string_view sql);

struct ByteRange {
  std::size_t offset = 0;
  std::size_t length = 0;
};
// Statement ranges by the scanner (semicolons outside literals/comments), for text that does not
// parse as a whole. Same convention as RawStmt: a range starts right after the previous ';'.
std::vector<ByteRange> split_sql(std::string_view sql);

// Whether deparsing the (single) statement and parsing the result gives the same tree: false
// for constructs libpg_query's deparser gets wrong (DESIGN §9).
bool deparse_round_trips(std::string_view sql);

// Sets every `location`-like field to zero so two trees can be compared structurally.
void clear_locations(google::protobuf::Message& message);

}  // namespace tombstone::parser
