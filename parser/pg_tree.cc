#include "parser/pg_tree.h"

#include <google/protobuf/stubs/logging.h>
#include <pg_query.h>

#include <memory>

namespace tombstone::parser {
namespace {

// libpg_query wants NUL-terminated input; statements are usually short, so a copy is cheap.
std::string terminated(std::string_view sql) { return std::string(sql); }

// A COPY option the server requires a value for, given without one: libpg_query's deparser
// dereferences the missing value (found by fuzzing), so such a tree is never handed to it.
bool valueless_copy_option(const pg_query::Node& stmt) {
  if (!stmt.has_copy_stmt()) return false;
  for (const auto& o : stmt.copy_stmt().options()) {
    if (!o.has_def_elem() || !copy_option_needs_value(o.def_elem().defname())) continue;
    const auto& def = o.def_elem();
    // The deparser also reads these values as strings: a number or * there crashes it.
    if (!def.has_arg() ||
        (copy_option_takes_string(def.defname()) && !def.arg().has_string())) {
      return true;
    }
  }
  return false;
}

}  // namespace

bool copy_option_needs_value(std::string_view name) {
  static constexpr std::string_view kNeedsValue[] = {
      "format", "delimiter", "null", "quote", "escape", "encoding",
      "force_quote", "force_not_null", "force_null"};
  for (std::string_view n : kNeedsValue) {
    if (n == name) return true;
  }
  return false;
}

bool copy_option_takes_string(std::string_view name) {
  return name == "format" || name == "delimiter" || name == "null" || name == "quote" ||
         name == "escape" || name == "encoding";
}

std::expected<pg_query::ParseResult, ParseFailure> parse_sql(std::string_view sql) {
  std::string text = terminated(sql);
  PgQueryProtobufParseResult result = pg_query_parse_protobuf(text.c_str());
  std::unique_ptr<PgQueryProtobufParseResult, void (*)(PgQueryProtobufParseResult*)> guard(
      &result, [](PgQueryProtobufParseResult* r) { pg_query_free_protobuf_parse_result(*r); });
  if (result.error != nullptr) {
    return std::unexpected(ParseFailure{
        result.error->message ? result.error->message : "syntax error", result.error->cursorpos});
  }
  pg_query::ParseResult tree;
  // Input that is not UTF-8 fails to decode (and is then judged as unparsable); protobuf would
  // also log each such failure to stderr, which is noise for a proxy.
  google::protobuf::LogSilencer quiet;
  if (!tree.ParseFromArray(result.parse_tree.data, static_cast<int>(result.parse_tree.len))) {
    return std::unexpected(ParseFailure{"cannot decode parse tree", 0});
  }
  return tree;
}

std::expected<std::string, std::string> deparse_statement(const pg_query::Node& stmt) {
  if (valueless_copy_option(stmt)) return std::unexpected("COPY option without its value");
  pg_query::ParseResult tree;
  tree.set_version(PG_VERSION_NUM);
  *tree.add_stmts()->mutable_stmt() = stmt;
  std::string bytes;
  if (!tree.SerializeToString(&bytes)) return std::unexpected("cannot encode parse tree");
  PgQueryProtobuf buf{bytes.size(), bytes.data()};
  PgQueryDeparseResult result = pg_query_deparse_protobuf(buf);
  std::unique_ptr<PgQueryDeparseResult, void (*)(PgQueryDeparseResult*)> guard(
      &result, [](PgQueryDeparseResult* r) { pg_query_free_deparse_result(*r); });
  if (result.error != nullptr) {
    return std::unexpected(
        std::string(result.error->message ? result.error->message : "deparse failed"));
  }
  return std::string(result.query);
}

std::vector<ScannedToken> scan_sql(std::string_view sql) {
  std::string text = terminated(sql);
  PgQueryScanResult result = pg_query_scan(text.c_str());
  std::unique_ptr<PgQueryScanResult, void (*)(PgQueryScanResult*)> guard(
      &result, [](PgQueryScanResult* r) { pg_query_free_scan_result(*r); });
  std::vector<ScannedToken> out;
  if (result.error != nullptr) return out;
  pg_query::ScanResult scan;
  if (!scan.ParseFromArray(result.pbuf.data, static_cast<int>(result.pbuf.len))) return out;
  out.reserve(static_cast<std::size_t>(scan.tokens_size()));
  for (const auto& t : scan.tokens()) {
    out.push_back(ScannedToken{t.start(), t.end(), t.token(),
                               t.keyword_kind() != pg_query::KeywordKind::NO_KEYWORD});
  }
  return out;
}

std::vector<ByteRange> split_sql(std::string_view sql) {
  std::string text = terminated(sql);
  PgQuerySplitResult result = pg_query_split_with_scanner(text.c_str());
  std::unique_ptr<PgQuerySplitResult, void (*)(PgQuerySplitResult*)> guard(
      &result, [](PgQuerySplitResult* r) { pg_query_free_split_result(*r); });
  std::vector<ByteRange> out;
  if (result.error != nullptr) {
    out.push_back(ByteRange{0, sql.size()});
    return out;
  }
  for (int i = 0; i < result.n_stmts; ++i) {
    auto loc = static_cast<std::size_t>(result.stmts[i]->stmt_location);
    auto len = static_cast<std::size_t>(result.stmts[i]->stmt_len);
    if (len == 0) len = sql.size() - loc;
    out.push_back(ByteRange{loc, len});
  }
  return out;
}

void clear_locations(google::protobuf::Message& message) {
  const auto* descriptor = message.GetDescriptor();
  const auto* reflection = message.GetReflection();
  std::vector<const google::protobuf::FieldDescriptor*> fields;
  reflection->ListFields(message, &fields);
  for (const auto* field : fields) {
    if (field->type() == google::protobuf::FieldDescriptor::TYPE_MESSAGE) {
      if (field->is_repeated()) {
        int n = reflection->FieldSize(message, field);
        for (int i = 0; i < n; ++i) {
          clear_locations(*reflection->MutableRepeatedMessage(&message, field, i));
        }
      } else {
        clear_locations(*reflection->MutableMessage(&message, field));
      }
    } else if (field->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_INT32 &&
               !field->is_repeated() &&
               (field->name() == "location" || field->name() == "stmt_location" ||
                field->name() == "stmt_len")) {
      reflection->ClearField(&message, field);
    }
  }
  (void)descriptor;
}

bool deparse_round_trips(std::string_view sql) {
  auto orig = parse_sql(sql);
  if (!orig || orig->stmts_size() != 1) return false;
  pg_query::Node a = orig->stmts(0).stmt();
  auto text = deparse_statement(a);
  if (!text) return false;
  auto again = parse_sql(*text);
  if (!again || again->stmts_size() != 1) return false;
  pg_query::Node b = again->stmts(0).stmt();
  clear_locations(a);
  clear_locations(b);
  return a.SerializeAsString() == b.SerializeAsString();
}

}  // namespace tombstone::parser
