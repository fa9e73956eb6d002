// Pipelines (extended protocol, no Sync between statements) whose later statements depend on
// what earlier ones change: a named statement re-bound after its search_path changed, and a temp
// table created earlier in the same pipeline. The exact bytes each side receives are asserted.
#include <gtest/gtest.h>

#include "tests/unit/session/session_test_support.h"

namespace tombstone::session::testing {
namespace {

std::string parse(std::string name, std::string sql) {
  return bytes_of(wire::Parse{std::move(name), std::move(sql), {}});
}
std::string bind(std::string portal, std::string statement) {
  return bytes_of(wire::Bind{std::move(portal), std::move(statement), {}, {}, {}});
}
std::string execute(std::string portal = "") {
  return bytes_of(wire::Execute{std::move(portal), 0});
}
std::string describe(char kind, std::string name) {
  return bytes_of(wire::Describe{kind, std::move(name)});
}
std::string close_statement(std::string name) {
  return bytes_of(wire::Close{'S', std::move(name)});
}
std::string sync() { return bytes_of(wire::Sync{}); }
std::string parse_complete() { return bytes_of(wire::ParseComplete{}); }
std::string bind_complete() { return bytes_of(wire::BindComplete{}); }
std::string close_complete() { return bytes_of(wire::CloseComplete{}); }
std::string complete(std::string tag) { return bytes_of(wire::CommandComplete{std::move(tag)}); }
std::string ready(char status = 'I') { return bytes_of(wire::ReadyForQuery{status}); }
std::string row(std::string value) { return bytes_of(wire::DataRow{{std::move(value)}}); }
std::string error(std::string code) { return bytes_of(wire::make_error("ERROR", code, "boom")); }
std::string unnamed_run(std::string sql) {
  return parse("", std::move(sql)) + bind("", "") + execute();
}

// What the rewriter makes of the test statement for public.users (soft, deleted_at).
constexpr char kFiltered[] = "SELECT id FROM users WHERE public.users.deleted_at IS NULL";
constexpr char kPlain[] = "SELECT id FROM users";

// public.users is managed; crm.users has the same name and is not.
void connect_with_crm(Harness& h) {
  auto rows = users_catalog_rows();
  rows.push_back({"crm", "users", "r", "1", "id", "integer", "f"});
  h.connect({{"user", "alice"}, {"database", "app"}}, false, rows);
}

// "s" prepared as kPlain in its own batch (under the default search_path: filtered), answers
// consumed.
void prepare_plain(Harness& h) {
  h.client(parse("s", kPlain) + sync());
  h.server(parse_complete() + ready());
  h.to_client.clear();
  h.to_server.clear();
}

TEST(SessionPipeline, NamedStatementFollowsSearchPathChangesInsideOnePipeline) {
  Harness h(users_config());
  connect_with_crm(h);
  // psycopg 3 in pipeline mode: "s" is prepared once and bound again after each SET/RESET,
  // all before the single Sync. The server re-analyzes "s" under the search_path of each Bind.
  h.client(parse("s", kPlain) + bind("", "s") + execute() +
           unnamed_run("SET search_path = crm, public") + bind("", "s") + execute() +
           unnamed_run("RESET search_path") + bind("", "s") + execute() + sync());
  // Under crm, public the statement reads crm.users (no filter); after RESET, public.users again
  // (filtered): each time a Close + Parse of the fresh rewrite goes right before the Bind.
  EXPECT_EQ(h.to_server, parse("s", kFiltered) + bind("", "s") + execute() +
                             unnamed_run("SET search_path = crm, public") + close_statement("s") +
                             parse("s", kPlain) + bind("", "s") + execute() +
                             unnamed_run("RESET search_path") + close_statement("s") +
                             parse("s", kFiltered) + bind("", "s") + execute() + sync());
  h.to_server.clear();
  // The CloseComplete/ParseComplete of the slipped-in messages never reach the client; the
  // client's own ParseCompletes do, in order.
  h.server(parse_complete() + bind_complete() + row("1") + complete("SELECT 1") + parse_complete() +
           bind_complete() + complete("SET") +  //
           close_complete() + parse_complete() + bind_complete() + row("1") + row("3") +
           complete("SELECT 2") +                                    //
           parse_complete() + bind_complete() + complete("RESET") +  //
           close_complete() + parse_complete() + bind_complete() + row("1") + complete("SELECT 1") +
           ready());
  EXPECT_EQ(h.to_client, parse_complete() + bind_complete() + row("1") + complete("SELECT 1") +
                             parse_complete() + bind_complete() + complete("SET") +
                             bind_complete() + row("1") + row("3") + complete("SELECT 2") +
                             parse_complete() + bind_complete() + complete("RESET") +
                             bind_complete() + row("1") + complete("SELECT 1") + ready());
  h.to_client.clear();
  // The settings are confirmed and the server holds the filtered text: the next Bind goes as is.
  h.client(bind("", "s") + execute() + sync());
  EXPECT_EQ(h.to_server, bind("", "s") + execute() + sync());
}

TEST(SessionPipeline, DescribeOfAStaleStatementAnswersForTheFreshOne) {
  Harness h(users_config());
  connect_with_crm(h);
  prepare_plain(h);
  h.client(unnamed_run("SET search_path = crm, public") + describe('S', "s") + sync());
  EXPECT_EQ(h.to_server, unnamed_run("SET search_path = crm, public") + close_statement("s") +
                             parse("s", kPlain) + describe('S', "s") + sync());
}

TEST(SessionPipeline, FailedReprepareIsTheBindsErrorAndIsRetried) {
  Harness h(users_config());
  connect_with_crm(h);
  prepare_plain(h);
  h.client(unnamed_run("SET search_path = crm, public") + bind("", "s") + execute() + sync());
  EXPECT_EQ(h.to_server, unnamed_run("SET search_path = crm, public") + close_statement("s") +
                             parse("s", kPlain) + bind("", "s") + execute() + sync());
  h.to_server.clear();
  // The fresh text fails to prepare (say crm.users was dropped meanwhile): the client sees that
  // error where its Bind's answer was due, then ReadyForQuery; the server skipped the rest.
  h.server(parse_complete() + bind_complete() + complete("SET") + close_complete() +
           error("42P01") + ready());
  EXPECT_EQ(h.to_client,
            parse_complete() + bind_complete() + complete("SET") + error("42P01") + ready());
  h.to_client.clear();
  // The server no longer holds "s": the next Bind prepares it again first (the error also
  // rolled back the pipeline's implicit transaction, and the SET with it).
  h.client(bind("", "s") + execute() + sync());
  EXPECT_EQ(h.to_server,
            close_statement("s") + parse("s", kFiltered) + bind("", "s") + execute() + sync());
  h.to_server.clear();
  h.server(close_complete() + parse_complete() + bind_complete() + complete("SELECT 0") + ready());
  EXPECT_EQ(h.to_client, bind_complete() + complete("SELECT 0") + ready());
}

TEST(SessionPipeline, ReprepareSkippedAfterAnEarlierErrorIsRetried) {
  Harness h(users_config());
  connect_with_crm(h);
  prepare_plain(h);
  // The SET itself fails: the server skips the slipped-in Close + Parse with everything else.
  h.client(unnamed_run("SET search_path = crm, public") + bind("", "s") + execute() + sync());
  EXPECT_EQ(h.to_server, unnamed_run("SET search_path = crm, public") + close_statement("s") +
                             parse("s", kPlain) + bind("", "s") + execute() + sync());
  h.to_server.clear();
  h.server(parse_complete() + bind_complete() + error("22023") + ready());
  EXPECT_EQ(h.to_client, parse_complete() + bind_complete() + error("22023") + ready());
  h.to_client.clear();
  // search_path is still the default: the server holds the filtered text, and "s" is known to be
  // uncertain, so it is prepared again (the same text) before the next Bind.
  h.client(bind("", "s") + execute() + sync());
  EXPECT_EQ(h.to_server,
            close_statement("s") + parse("s", kFiltered) + bind("", "s") + execute() + sync());
  h.to_server.clear();
  h.server(close_complete() + parse_complete() + bind_complete() + complete("SELECT 2") + ready());
  EXPECT_EQ(h.to_client, bind_complete() + complete("SELECT 2") + ready());
}

// The statement that reads the temp table is parsed before the CREATE has completed: it must
// already resolve `users` to pg_temp.users (searched first), not to the managed public.users.
TEST(SessionPipeline, TempTableCreatedEarlierInThePipelineShadowsTheManagedTable) {
  Harness h(users_config());
  h.connect();
  const std::string create = "CREATE TEMP TABLE users AS SELECT 1 AS id";
  h.client(unnamed_run(create) + unnamed_run(kPlain) + sync());
  EXPECT_EQ(h.to_server, unnamed_run(create) + unnamed_run(kPlain) + sync());  // no filter
  h.to_server.clear();
  h.server(parse_complete() + bind_complete() + complete("SELECT 1") + parse_complete() +
           bind_complete() + row("1") + complete("SELECT 1") + ready());
  // Everything is the client's; the ReadyForQuery waits for the catalog refresh the DDL asked for.
  EXPECT_EQ(h.to_client, parse_complete() + bind_complete() + complete("SELECT 1") +
                             parse_complete() + bind_complete() + row("1") + complete("SELECT 1"));
  h.to_client.clear();
  auto hidden = h.sent_to_server();
  ASSERT_EQ(types_of(hidden), "Q");
  auto rows = users_catalog_rows();
  rows.insert(rows.begin(), {"pg_temp", "users", "r", "1", "id", "integer", "f"});
  h.server(catalog_answer(rows) + ready());
  EXPECT_EQ(h.to_client, ready());
  h.to_client.clear();
  // From the snapshot now, the same: unfiltered; public.users itself still is filtered.
  h.client(unnamed_run(kPlain) + unnamed_run("SELECT id FROM public.users") + sync());
  EXPECT_EQ(h.to_server, unnamed_run(kPlain) +
                             unnamed_run("SELECT id FROM public.users WHERE "
                                         "public.users.deleted_at IS NULL") +
                             sync());
}

TEST(SessionPipeline, FailedOrRolledBackTempTableDoesNotShadow) {
  Harness h(users_config());
  h.connect();
  // The CREATE fails: the server skips the SELECT of this pipeline; the next one is filtered.
  h.client(unnamed_run("CREATE TEMP TABLE users (id int)") + unnamed_run(kPlain) + sync());
  h.to_server.clear();
  h.server(parse_complete() + bind_complete() + error("42501") + ready());
  h.to_client.clear();
  h.client(unnamed_run(kPlain) + sync());
  EXPECT_EQ(h.to_server, unnamed_run(kFiltered) + sync());
  h.to_server.clear();
  h.server(parse_complete() + bind_complete() + complete("SELECT 0") + ready());
  h.to_client.clear();
  // Created, then rolled back in the same pipeline: the SELECT after the ROLLBACK is filtered.
  h.client(unnamed_run("BEGIN") + unnamed_run("CREATE TEMP TABLE users (id int)") +
           unnamed_run(kPlain) + unnamed_run("ROLLBACK") + unnamed_run(kPlain) + sync());
  EXPECT_EQ(h.to_server, unnamed_run("BEGIN") + unnamed_run("CREATE TEMP TABLE users (id int)") +
                             unnamed_run(kPlain) + unnamed_run("ROLLBACK") +
                             unnamed_run(kFiltered) + sync());
}

TEST(SessionPipeline, DroppedTempTableNoLongerShadows) {
  Harness h(users_config());
  h.connect();
  // Created and dropped in one pipeline: the SELECT after the DROP reads public.users.
  h.client(unnamed_run("CREATE TEMP TABLE users (id int)") + unnamed_run("DROP TABLE users") +
           unnamed_run(kPlain) + sync());
  EXPECT_EQ(h.to_server, unnamed_run("CREATE TEMP TABLE users (id int)") +
                             unnamed_run("DROP TABLE users") + unnamed_run(kFiltered) + sync());
  h.to_server.clear();
  h.server(parse_complete() + bind_complete() + complete("CREATE TABLE") + parse_complete() +
           bind_complete() + complete("DROP TABLE") + parse_complete() + bind_complete() +
           complete("SELECT 2") + ready());
  ASSERT_EQ(types_of(h.sent_to_server()), "Q");  // the refresh
  h.server(catalog_answer(users_catalog_rows()) + ready());
  h.to_client.clear();
  // A temp table the snapshot knows, dropped earlier in the pipeline.
  h.client(unnamed_run("CREATE TEMP TABLE users (id int)") + sync());
  h.server(parse_complete() + bind_complete() + complete("CREATE TABLE") + ready());
  ASSERT_EQ(types_of(h.sent_to_server()),
            "PBES"
            "Q");
  auto rows = users_catalog_rows();
  rows.insert(rows.begin(), {"pg_temp", "users", "r", "1", "id", "integer", "f"});
  h.server(catalog_answer(rows) + ready());
  h.to_client.clear();
  h.client(unnamed_run(kPlain) + unnamed_run("DROP TABLE IF EXISTS pg_temp.users") +
           unnamed_run(kPlain) + sync());
  EXPECT_EQ(h.to_server, unnamed_run(kPlain) + unnamed_run("DROP TABLE IF EXISTS pg_temp.users") +
                             unnamed_run(kFiltered) + sync());
}

// PostgreSQL re-analyzes a prepared statement whose table was dropped: with the temp table gone,
// "s" would read public.users, so it is re-prepared with the filter before its Bind.
TEST(SessionPipeline, StatementOnADroppedTempTableIsReprepared) {
  Harness h(users_config());
  h.connect();
  h.client(unnamed_run("CREATE TEMP TABLE users (id int)") + sync());
  h.server(parse_complete() + bind_complete() + complete("CREATE TABLE") + ready());
  ASSERT_EQ(types_of(h.sent_to_server()),
            "PBES"
            "Q");
  auto rows = users_catalog_rows();
  rows.insert(rows.begin(), {"pg_temp", "users", "r", "1", "id", "integer", "f"});
  h.server(catalog_answer(rows) + ready());
  h.client(parse("s", kPlain) + sync());
  EXPECT_EQ(h.to_server, parse("s", kPlain) + sync());  // the temp table: no filter
  h.server(parse_complete() + ready());
  h.to_server.clear();
  h.to_client.clear();
  h.client(unnamed_run("DROP TABLE users") + bind("", "s") + execute() + sync());
  EXPECT_EQ(h.to_server, unnamed_run("DROP TABLE users") + close_statement("s") +
                             parse("s", kFiltered) + bind("", "s") + execute() + sync());
}

// A client that always keeps one batch ahead: the bookkeeping of expected answers never drains,
// and every ParseComplete must still reach the client, in order with the rest.
TEST(SessionPipeline, NeverDrainingPipelineKeepsEveryAnswer) {
  Harness h(users_config());
  h.connect();
  const std::string batch = unnamed_run("SELECT 1") + sync();
  const std::string answer = parse_complete() + bind_complete() + complete("SELECT 1") + ready();
  h.client(batch);
  std::string expected;
  for (int i = 0; i < 5000; ++i) {
    h.client(batch);
    h.server(answer);
    expected += answer;
  }
  h.server(answer);
  expected += answer;
  EXPECT_EQ(h.to_client, expected);
}

// A snapshot taken by a session that has temp tables lists them as pg_temp; the copy shared
// with the role's other sessions must not, or their `users` would skip the filter.
TEST(SessionPipeline, SharedSnapshotLeavesOutTheSessionsTempTables) {
  Harness h(users_config());
  h.connect();
  h.client(unnamed_run("CREATE TEMP TABLE users (id int)") + sync());
  h.server(parse_complete() + bind_complete() + complete("CREATE TABLE") + ready());
  ASSERT_EQ(types_of(h.sent_to_server()),
            "PBES"
            "Q");
  auto rows = users_catalog_rows();
  rows.insert(rows.begin(), {"pg_temp", "users", "r", "1", "id", "integer", "f"});
  h.server(catalog_answer(rows) + ready());
  h.to_client.clear();

  // A second session of the same role and database takes the shared snapshot at startup.
  Session other(h.env);
  std::string to_client;
  std::string to_server;
  Outputs out{to_client, to_server};
  other.from_client(
      bytes_of(wire::StartupMessage{wire::kProtocolV3, {{"user", "alice"}, {"database", "app"}}}),
      out);
  to_server.clear();
  other.from_server(bytes_of(wire::Authentication{wire::kAuthOk, ""}) + ready(), out);
  auto hidden = decode_all(wire::Side::kFrontend, to_server);
  ASSERT_EQ(types_of(hidden), "Q");
  EXPECT_EQ(query_text(hidden[0]).find("pg_class"), std::string::npos);  // no catalog query
  other.from_server(session_answer(std::nullopt) + ready(), out);
  to_client.clear();
  other.from_client(unnamed_run(kPlain) + sync(), out);
  EXPECT_EQ(to_server, unnamed_run(kFiltered) + sync());
}

}  // namespace
}  // namespace tombstone::session::testing
