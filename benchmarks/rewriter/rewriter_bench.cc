// Rewriter speed against DESIGN §8: cached statement < 1 µs; statement naming no managed table
// < 0.5 µs; cold rewrite of a short join < 20 µs (libpg_query's protobuf round trip dominates).
// Inputs: a short join, and a ~2 KB ORM-style query (Django-like quoted column lists), each in a
// managed and an unmanaged variant.
//   build/bin/rewriter_bench --benchmark_min_time=0.2
#include <benchmark/benchmark.h>

#include <string>

#include "parser/pg_tree.h"
#include "parser/rewriter.h"
#include "tests/unit/parser/fixture.h"

namespace {

using namespace tombstone::parser;

const std::string kShortJoin =
    "SELECT u.email, c.body FROM users u JOIN comments c ON c.user_id = u.id WHERE u.id = $1";
const std::string kShortUnmanaged =
    "SELECT a.email, p.name FROM accounts a JOIN products p ON p.owner_id = a.id WHERE a.id = $1";
const std::string kPgbenchSelect = "SELECT abalance FROM pgbench_accounts WHERE aid = 48213;";

// What an ORM sends: every column quoted and qualified, a few joins, IN lists, ordering, paging.
std::string orm_query(const std::string& users, const std::string& comments) {
  std::string cols;
  for (const char* c :
       {"id", "email", "name", "org_id", "deleted_at", "deleted_by", "deleted_reason"}) {
    cols += "\"" + users + "\".\"" + c + "\" AS \"" + users + "__" + c + "\", ";
  }
  for (const char* c : {"id", "user_id", "body", "removed_at"}) {
    cols += "\"" + comments + "\".\"" + c + "\" AS \"" + comments + "__" + c + "\", ";
  }
  for (const char* c : {"id", "name", "price", "owner_id"}) {
    cols += "\"products\".\"" + std::string(c) + "\", ";
  }
  cols += "\"products\".\"tags\"";
  std::string in_list;
  for (int i = 1; i <= 120; ++i) in_list += (i > 1 ? ", " : "") + std::to_string(i * 7919);
  return "SELECT " + cols + " FROM \"" + users + "\" INNER JOIN \"" + comments + "\" ON (\"" +
         comments + "\".\"user_id\" = \"" + users +
         "\".\"id\") LEFT OUTER JOIN \"products\" ON (\"" + "products\".\"owner_id\" = \"" + users +
         "\".\"id\") WHERE (\"" + users + "\".\"org_id\" IN (" + in_list + ") AND \"" + users +
         "\".\"email\"::text LIKE " + "'%@example.com' AND NOT (\"" + comments +
         "\".\"body\" IS NULL) AND \"products\"." + "\"price\" BETWEEN 10 AND 1000 AND \"" + users +
         "\".\"id\" IN (SELECT U0.\"user_id\" " + "FROM \"" + comments +
         "\" U0 WHERE U0.\"body\" ILIKE '%urgent%')) ORDER BY \"" + users + "\".\"email\" ASC, \"" +
         comments + "\".\"id\" DESC LIMIT 21 OFFSET 40";
}

const std::string kOrmManaged = orm_query("users", "comments");
const std::string kOrmUnmanaged = orm_query("accounts", "remarks_log");

struct Env {
  tombstone::config::Config config = testing::test_config();
  Catalog catalog = testing::test_catalog();
  SessionState session = testing::user_session();
};

Env& env() {
  static Env e;
  return e;
}

void cold(benchmark::State& state, const std::string& sql) {
  auto& e = env();
  state.SetLabel(std::to_string(sql.size()) + " bytes");
  for (auto _ : state) {
    Rewrite r = rewrite(sql, e.config, e.catalog, e.session);
    benchmark::DoNotOptimize(r);
  }
}

void cached(benchmark::State& state, const std::string& sql) {
  auto& e = env();
  RewriteCache cache(1024);
  cache.get(sql, e.config, e.catalog, e.session);
  state.SetLabel(std::to_string(sql.size()) + " bytes");
  for (auto _ : state) {
    const Rewrite& r = cache.get(sql, e.config, e.catalog, e.session);
    benchmark::DoNotOptimize(&r);
  }
}

// Simple-protocol statements that differ only in literals (pgbench -S -M simple, a managed
// pgbench_accounts, ORM queries with inlined values): each is a new text, answered from the
// literal template of its shape (parser/literal_template.h).
void other_literals(benchmark::State& state, const std::string& prefix) {
  auto& e = env();
  RewriteCache cache(1024);
  int i = 1;
  cache.get(prefix + "1;", e.config, e.catalog, e.session);
  std::string sql;
  for (auto _ : state) {
    sql = prefix;
    sql += std::to_string(++i % 1000000);
    sql += ';';
    const Rewrite& r = cache.get(sql, e.config, e.catalog, e.session);
    benchmark::DoNotOptimize(&r);
  }
  state.counters["template_hits"] = static_cast<double>(cache.template_hits());
}

// Where cold time goes: libpg_query's parse (with its protobuf encoding and our decoding) and
// deparse (our encoding and its decoding) of the same statement.
void parse_only(benchmark::State& state, const std::string& sql) {
  for (auto _ : state) {
    auto tree = parse_sql(sql);
    benchmark::DoNotOptimize(tree);
  }
}

void deparse_only(benchmark::State& state, const std::string& sql) {
  auto tree = parse_sql(sql);
  const auto& stmt = tree->stmts(0).stmt();
  for (auto _ : state) {
    auto text = deparse_statement(stmt);
    benchmark::DoNotOptimize(text);
  }
}

BENCHMARK_CAPTURE(parse_only, short_join, kShortJoin);
BENCHMARK_CAPTURE(deparse_only, short_join, kShortJoin);
BENCHMARK_CAPTURE(cold, short_join, kShortJoin);
BENCHMARK_CAPTURE(cold, orm_2kb, kOrmManaged);
BENCHMARK_CAPTURE(cached, short_join, kShortJoin);
BENCHMARK_CAPTURE(cached, orm_2kb, kOrmManaged);
BENCHMARK_CAPTURE(other_literals, managed_point_select,
                  std::string("SELECT name FROM users WHERE id = "));
BENCHMARK_CAPTURE(other_literals, managed_short_join,
                  std::string("SELECT u.email, c.body FROM users u JOIN comments c ON c.user_id = "
                              "u.id WHERE u.id = "));
// No managed table: the fast path, with and without the cache in front.
BENCHMARK_CAPTURE(cold, no_managed_short, kShortUnmanaged);
BENCHMARK_CAPTURE(cold, no_managed_pgbench, kPgbenchSelect);
BENCHMARK_CAPTURE(cold, no_managed_orm_2kb, kOrmUnmanaged);
BENCHMARK_CAPTURE(cached, no_managed_short, kShortUnmanaged);
BENCHMARK_CAPTURE(cached, no_managed_orm_2kb, kOrmUnmanaged);

}  // namespace

BENCHMARK_MAIN();
