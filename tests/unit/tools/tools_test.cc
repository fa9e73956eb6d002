// Pure parts of the operator commands: option parsing, the JSON lines of `rewrite --batch`, SQL
// literal quoting and retention formatting.
#include <gtest/gtest.h>

#include "tools/cli.h"
#include "tools/json.h"
#include "tools/pg.h"
#include "tools/schema.h"

namespace tombstone::tools {
namespace {

const CommandSpec kSpec{
    "demo", "a demo", {config_option(), {"dry-run", "", "flag"}, {"batch-size", "N", "n"}}};

std::expected<Args, std::string> parse(std::vector<std::string> words) {
  std::vector<char*> argv;
  for (auto& w : words) argv.push_back(w.data());
  return parse_args(kSpec, static_cast<int>(argv.size()), argv.data());
}

TEST(ParseArgs, ValuesFlagsAndEqualsForm) {
  auto a = parse({"demo", "--config", "t.yaml", "--dry-run", "--batch-size=50"});
  ASSERT_TRUE(a.has_value()) << a.error();
  EXPECT_EQ(a->get("config"), "t.yaml");
  EXPECT_TRUE(a->has("dry-run"));
  EXPECT_EQ(a->get("batch-size"), "50");
  EXPECT_FALSE(a->help);
  EXPECT_TRUE(parse({"demo", "--help"})->help);
}

TEST(ParseArgs, Errors) {
  EXPECT_EQ(parse({"demo", "--nope"}).error(), "unknown option '--nope'");
  EXPECT_EQ(parse({"demo", "--config"}).error(), "option '--config' needs a value");
  EXPECT_EQ(parse({"demo", "--dry-run=yes"}).error(), "option '--dry-run' takes no value");
  EXPECT_EQ(parse({"demo", "stray"}).error(), "unexpected argument 'stray'");
}

TEST(JsonString, EscapesWhatJsonRequiresAndPassesTheRest) {
  EXPECT_EQ(json_string("SELECT 1"), "\"SELECT 1\"");
  EXPECT_EQ(json_string("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(json_string("l1\nl2\r\t\b\f"), "\"l1\\nl2\\r\\t\\b\\f\"");
  EXPECT_EQ(json_string(std::string("x\x01y\x1f", 4)), "\"x\\u0001y\\u001f\"");
  EXPECT_EQ(json_string("naïve — 日本"), "\"naïve — 日本\"");
  EXPECT_EQ(json_string("\x7f"), "\"\x7f\"");
}

TEST(QuoteLiteral, QuotesAndBackslashes) {
  EXPECT_EQ(quote_literal("it's"), "'it''s'");
  EXPECT_EQ(quote_literal("a\\b"), "E'a\\\\b'");
  EXPECT_EQ(quote_literal(""), "''");
}

TEST(FormatRetention, LargestExactUnit) {
  using std::chrono::seconds;
  EXPECT_EQ(format_retention(seconds(90 * 86400)), "90d");
  EXPECT_EQ(format_retention(seconds(7 * 86400)), "7d");
  EXPECT_EQ(format_retention(seconds(36 * 3600)), "36h");
  EXPECT_EQ(format_retention(seconds(1800)), "30m");
  EXPECT_EQ(format_retention(seconds(45)), "45s");
}

TEST(Findings, CheckLineFormat) {
  Finding f{Severity::kError,
            "marker column public.t.deleted_at does not exist",
            "ALTER TABLE …",
            {},
            false};
  EXPECT_EQ(format_finding(f),
            "error: marker column public.t.deleted_at does not exist — fix: ALTER TABLE …");
  f.severity = Severity::kWarning;
  f.fix.clear();
  EXPECT_EQ(format_finding(f), "warning: marker column public.t.deleted_at does not exist");
}

TEST(DeletionLog, DdlIsIdempotentAndHasTheRewritersColumns) {
  auto ddl = deletion_log_ddl();
  ASSERT_EQ(ddl.size(), 2u);
  EXPECT_EQ(ddl[0], "CREATE SCHEMA IF NOT EXISTS tombstone");
  EXPECT_TRUE(ddl[1].starts_with("CREATE TABLE IF NOT EXISTS tombstone.deletion_log ("));
  for (const char* col : {"table_name text", "row_key jsonb", "actor text", "reason text",
                          "deleted_at timestamptz", "row_count bigint", "operation text"}) {
    EXPECT_NE(ddl[1].find(col), std::string::npos) << col;
  }
}

}  // namespace
}  // namespace tombstone::tools
