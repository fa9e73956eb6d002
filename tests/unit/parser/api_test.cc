// The public API around rewrite(): fast path, byte ranges, error statements, search_path
// parsing, the catalog snapshot and the rewrite cache.
#include <gtest/gtest.h>

#include "parser/pg_tree.h"
#include "parser/rewriter.h"
#include "tests/unit/parser/fixture.h"

namespace tombstone::parser::testing {
namespace {

class RewriterApi : public ::testing::Test {
 protected:
  config::Config config_ = test_config();
  Catalog catalog_ = test_catalog();
  SessionState session_ = user_session();
};

TEST_F(RewriterApi, StatementWithoutManagedNamesSkipsParsing) {
  std::string sql = "SELECT abalance FROM pgbench_accounts WHERE aid = 42";
  Rewrite r = rewrite(sql, config_, catalog_, session_);
  EXPECT_FALSE(r.parsed);
  EXPECT_FALSE(r.changed);
  EXPECT_EQ(r.sql, sql);
  EXPECT_TRUE(r.statements.empty());
}

TEST_F(RewriterApi, FastPathDoesNotSkipEscapesOrSettings) {
  for (const char* sql :
       {"SELECT * FROM U&\"\\0075sers\"", "SET search_path = app", "RESET ALL",
        "SELECT set_config('a.b', 'c', false)", "SET Tombstone.visibility = 'all'", "DISCARD ALL",
        "SET SCHEMA 'app'", "SELECT * FROM USERS"}) {
    EXPECT_TRUE(rewrite(sql, config_, catalog_, session_).parsed) << sql;
  }
}

TEST_F(RewriterApi, MultiStatementRangesPointAtOriginalBytes) {
  std::string sql = "SELECT 1;  /* c */ DELETE FROM users WHERE id = 1; SELECT  2 ";
  Rewrite r = rewrite(sql, config_, catalog_, session_);
  ASSERT_EQ(r.statements.size(), 3u);
  EXPECT_EQ(sql.substr(r.statements[0].offset, r.statements[0].length), "SELECT 1");
  EXPECT_EQ(sql.substr(r.statements[1].offset, r.statements[1].length),
            "  /* c */ DELETE FROM users WHERE id = 1");
  EXPECT_EQ(sql.substr(r.statements[2].offset, r.statements[2].length), " SELECT  2 ");
  EXPECT_FALSE(r.statements[0].changed);
  EXPECT_TRUE(r.statements[1].changed);
  EXPECT_EQ(r.statements[1].fixup, TagFixup::kDelete);
  // Leading comments of a rewritten statement and every other byte survive.
  EXPECT_EQ(r.sql.substr(0, 20), "SELECT 1;  /* c */ U");
  EXPECT_EQ(r.sql.substr(r.sql.size() - 12), "; SELECT  2 ");
}

TEST_F(RewriterApi, RefusedStatementBecomesServerSideError) {
  Rewrite r =
      rewrite("SELECT 1; SET tombstone.visibility = 'all'; SELECT 2", config_, catalog_, session_);
  ASSERT_EQ(r.statements.size(), 3u);
  ASSERT_TRUE(r.statements[1].error.has_value());
  EXPECT_EQ(r.statements[1].error->sqlstate, "42501");
  EXPECT_EQ(r.statements[1].error->message,
            "tombstone: permission denied to set tombstone.visibility");
  EXPECT_NE(r.statements[1].error->hint.find("admin_roles"), std::string::npos);
  EXPECT_EQ(r.sql, "SELECT 1;" + error_statement(*r.statements[1].error) + "; SELECT 2");
  EXPECT_TRUE(parse_sql(r.sql).has_value());
}

TEST(ErrorStatement, QuotesEverythingSafely) {
  RewriteError e{"0A000", "tombstone: it's a \\ $tombstone$ test", "say \"hi\"'"};
  std::string sql = error_statement(e);
  EXPECT_EQ(sql.rfind("DO $tombstone1$ BEGIN RAISE EXCEPTION USING ERRCODE = E'0A000', ", 0), 0u)
      << sql;
  EXPECT_NE(sql.find("MESSAGE = E'tombstone: it''s a \\\\ $tombstone$ test'"), std::string::npos)
      << sql;
  EXPECT_NE(sql.find("HINT = E'say \"hi\"'''"), std::string::npos) << sql;
  auto tree = parse_sql(sql);
  ASSERT_TRUE(tree.has_value());
  ASSERT_EQ(tree->stmts_size(), 1);
  EXPECT_TRUE(tree->stmts(0).stmt().has_do_stmt());
}

TEST(ErrorStatement, OmitsEmptyHint) {
  std::string sql = error_statement(RewriteError{"XX000", "tombstone: x", ""});
  EXPECT_EQ(sql,
            "DO $tombstone$ BEGIN RAISE EXCEPTION USING ERRCODE = E'XX000', MESSAGE = "
            "E'tombstone: x'; END $tombstone$");
}

TEST(SearchPath, ParsesEntriesAsWritten) {
  EXPECT_EQ(parse_search_path("\"$user\", public"),
            (std::vector<std::string>{"\"$user\"", "public"}));
  EXPECT_EQ(parse_search_path(" app ,\"A,b\" , x"),
            (std::vector<std::string>{"app", "\"A,b\"", "x"}));
  EXPECT_TRUE(parse_search_path("").empty());
  EXPECT_EQ(parse_bool_setting("OFF"), false);
  EXPECT_EQ(parse_bool_setting("on"), true);
  EXPECT_EQ(parse_bool_setting("maybe"), std::nullopt);
}

TEST_F(RewriterApi, SearchPathSettingChangesResolution) {
  Rewrite set = rewrite("SET search_path = reporting, public", config_, catalog_, session_);
  ASSERT_EQ(set.statements.size(), 1u);
  ASSERT_EQ(set.statements[0].settings.size(), 1u);
  const auto& change = set.statements[0].settings[0];
  EXPECT_EQ(change.name, "search_path");
  ASSERT_TRUE(change.value.has_value());
  session_.search_path = parse_search_path(*change.value);
  // reporting.users (a view) now shadows public.users: no predicate on a name that is not ours.
  EXPECT_FALSE(rewrite("SELECT * FROM users", config_, catalog_, session_).changed);
  session_.search_path = parse_search_path("\"Reporting\", public");  // quoted: another schema
  EXPECT_TRUE(rewrite("SELECT * FROM users", config_, catalog_, session_).changed);
}

TEST_F(RewriterApi, TempTableShadowsManagedTable) {
  auto rows = std::vector<std::vector<std::string>>{
      {"pg_temp", "users", "r", "1", "id", "bigint", "f"},
      {"public", "users", "r", "1", "id", "bigint", "t"},
      {"public", "users", "r", "2", "deleted_at", "timestamp with time zone", "f"}};
  Catalog catalog = catalog_from_rows(rows);
  EXPECT_FALSE(rewrite("SELECT * FROM users", config_, catalog, session_).changed);
  EXPECT_TRUE(rewrite("SELECT * FROM public.users", config_, catalog, session_).changed);
  session_.search_path = {"public", "pg_temp"};  // explicit pg_temp last: public wins
  EXPECT_TRUE(rewrite("SELECT * FROM users", config_, catalog, session_).changed);
}

TEST_F(RewriterApi, ManagedTableMissingFromCatalogIsRefused) {
  config::TablePolicy missing;
  missing.table = {"public", "ledger"};
  config_.tables.push_back(missing);
  for (const char* sql : {"SELECT * FROM ledger", "DELETE FROM public.ledger WHERE id = 1"}) {
    Rewrite r = rewrite(sql, config_, catalog_, session_);
    ASSERT_EQ(r.statements.size(), 1u) << sql;
    ASSERT_TRUE(r.statements[0].error.has_value()) << sql;
    EXPECT_EQ(r.statements[0].error->sqlstate, "42P01");
    EXPECT_NE(r.statements[0].error->message.find("public.ledger"), std::string::npos);
    EXPECT_NE(r.statements[0].error->hint.find("USAGE"), std::string::npos);
    EXPECT_EQ(r.sql.find("DELETE"), std::string::npos) << "never forwarded: " << r.sql;
  }
}

TEST(Catalog, QueryNamesEveryManagedAndArchiveTable) {
  std::string q = catalog_query(test_config());
  for (const char* name : {"E'users'", "E'orders'", "E'orders_archive'", "E'sessions'", "E'Notes'",
                           "pg_my_temp_schema()"}) {
    EXPECT_NE(q.find(name), std::string::npos) << name;
  }
  EXPECT_TRUE(parse_sql(q).has_value());
}

TEST(Catalog, RowsBuildRelationsInOrder) {
  Catalog c = test_catalog();
  const Relation* users = c.find({"public", "users"});
  ASSERT_NE(users, nullptr);
  EXPECT_EQ(users->relkind, 'r');
  ASSERT_EQ(users->columns.size(), 7u);
  EXPECT_EQ(users->columns[4].name, "deleted_at");
  EXPECT_EQ(users->columns[4].type, "timestamp with time zone");
  EXPECT_TRUE(users->columns[0].primary_key);
  EXPECT_FALSE(users->columns[1].primary_key);
  EXPECT_EQ(c.find({"reporting", "users"})->relkind, 'v');
  EXPECT_EQ(c.schemas_with("users"),
            (std::vector<std::string>{"public", "reporting", "other", "evil"}));
  EXPECT_NE(test_catalog().version, c.version) << "every snapshot has its own version";
}

TEST_F(RewriterApi, CacheHitsAndKeysBySessionMode) {
  RewriteCache cache(8);
  const std::string sql = "SELECT * FROM users";
  const Rewrite& first = cache.get(sql, config_, catalog_, session_);
  EXPECT_TRUE(first.changed);
  EXPECT_EQ(cache.misses(), 1u);
  EXPECT_TRUE(cache.get(sql, config_, catalog_, session_).changed);
  EXPECT_EQ(cache.hits(), 1u);
  SessionState admin = admin_session();
  EXPECT_FALSE(cache.get(sql, config_, catalog_, admin).changed) << "admin sees all rows";
  session_.search_path = {"reporting"};
  EXPECT_FALSE(cache.get(sql, config_, catalog_, session_).changed) << "search_path is in the key";
  config_.generation++;
  session_ = user_session();
  EXPECT_TRUE(cache.get(sql, config_, catalog_, session_).changed);
  EXPECT_EQ(cache.misses(), 4u);
}

TEST_F(RewriterApi, CacheIsBounded) {
  RewriteCache cache(4);
  for (int i = 0; i < 20; ++i) {
    cache.get("SELECT a" + std::to_string(i) + " FROM users", config_, catalog_, session_);
  }
  EXPECT_EQ(cache.size(), 4u);
  cache.get("SELECT a19 FROM users", config_, catalog_, session_);
  EXPECT_EQ(cache.hits(), 1u) << "most recent entries are kept";
  cache.get("SELECT a0 FROM users", config_, catalog_, session_);
  EXPECT_EQ(cache.hits(), 1u) << "oldest entries are evicted";
}

TEST_F(RewriterApi, PrepareExecuteDeallocateAreReported) {
  Rewrite p =
      rewrite("PREPARE d(bigint) AS DELETE FROM users WHERE id = $1", config_, catalog_, session_);
  ASSERT_EQ(p.statements.size(), 1u);
  EXPECT_EQ(p.statements[0].prepared_name, "d");
  EXPECT_EQ(p.statements[0].prepared_fixup, TagFixup::kDelete);
  EXPECT_EQ(p.statements[0].fixup, TagFixup::kNone) << "PREPARE's own tag is PREPARE";
  Rewrite e = rewrite("EXECUTE d(1)", config_, catalog_, session_);
  ASSERT_EQ(e.statements.size(), 1u);
  EXPECT_EQ(e.statements[0].execute_name, "d");
  Rewrite d = rewrite("DEALLOCATE ALL", config_, catalog_, session_);
  ASSERT_EQ(d.statements.size(), 1u);
  EXPECT_EQ(d.statements[0].deallocate_name, "");
}

TEST_F(RewriterApi, DdlIsFlaggedForCatalogRefresh) {
  for (const char* sql : {"CREATE TABLE app.users (id int)", "ALTER TABLE users ADD x int",
                          "DROP TABLE reporting.users", "CREATE VIEW v AS SELECT * FROM users"}) {
    Rewrite r = rewrite(sql, config_, catalog_, session_);
    ASSERT_EQ(r.statements.size(), 1u) << sql;
    EXPECT_TRUE(r.statements[0].ddl) << sql;
  }
  Rewrite r = rewrite("SELECT * FROM users", config_, catalog_, session_);
  EXPECT_FALSE(r.statements[0].ddl);
}

}  // namespace
}  // namespace tombstone::parser::testing

namespace tombstone::parser::testing {
namespace {

TEST(Deletes, ReportTablesAndStrategyApplied) {
  auto config = test_config();
  auto catalog = test_catalog();
  auto strategies = [&](const char* sql, const SessionState& s) {
    std::vector<std::string> out;
    for (const auto& st : rewrite(sql, config, catalog, s).statements) {
      for (const auto& d : st.deletes) {
        out.push_back(d.table.to_sql() + ":" +
                      (d.strategy == config::Strategy::kSoft      ? "soft"
                       : d.strategy == config::Strategy::kArchive ? "archive"
                                                                  : "hard"));
      }
    }
    return out;
  };
  EXPECT_EQ(strategies("DELETE FROM users WHERE id = 1; DELETE FROM orders", user_session()),
            (std::vector<std::string>{"public.users:soft", "public.orders:archive"}));
  EXPECT_EQ(strategies("TRUNCATE users, sessions", user_session()),
            (std::vector<std::string>{"public.users:soft", "public.sessions:hard"}));
  EXPECT_EQ(
      strategies("WITH d AS (DELETE FROM users RETURNING id) SELECT * FROM d", user_session()),
      (std::vector<std::string>{"public.users:soft"}));
  EXPECT_TRUE(strategies("PREPARE p AS DELETE FROM users", user_session()).empty())
      << "a prepared DELETE deletes when executed";
  EXPECT_TRUE(strategies("DELETE FROM products", user_session()).empty());
  SessionState hard = admin_session();
  hard.delete_mode = DeleteMode::kHard;
  EXPECT_EQ(strategies("DELETE FROM users WHERE id = 2", hard),
            (std::vector<std::string>{"public.users:hard"}));
}

}  // namespace
}  // namespace tombstone::parser::testing
