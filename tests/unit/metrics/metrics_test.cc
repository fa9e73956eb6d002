// What an operator scraping /metrics sees: the exact exposition lines for each counter, and
// that the whole document is well-formed Prometheus text (checked by a small strict parser).
#include "proxy/metrics/metrics.h"

#include <gtest/gtest.h>

#include <map>
#include <regex>
#include <sstream>
#include <thread>

namespace tombstone::metrics {
namespace {

config::Config config_with(std::vector<config::QualifiedName> names, std::uint64_t generation) {
  config::Config c;
  for (auto& n : names) {
    config::TablePolicy p;
    p.table = std::move(n);
    c.tables.push_back(std::move(p));
  }
  c.generation = generation;
  return c;
}

std::string render(const Metrics& m) { return render_prometheus(m.snapshot()); }

// The value of the sample line `name{labels}` (labels exactly as rendered), or -1 when absent.
double sample(const std::string& text, const std::string& series) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.size() > series.size() && line.compare(0, series.size(), series) == 0 &&
        line[series.size()] == ' ') {
      return std::stod(line.substr(series.size() + 1));
    }
  }
  return -1;
}

// Strict checks of the text format 0.0.4: every sample belongs to the family declared by the
// closest preceding # TYPE (histograms may add _bucket/_sum/_count), names and labels are
// well-formed, values are numbers, no series repeats, and the text ends with a newline.
void expect_valid_exposition(const std::string& text) {
  ASSERT_FALSE(text.empty());
  ASSERT_EQ(text.back(), '\n');
  static const std::regex kHelp(R"(^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) .+$)");
  static const std::regex kType(
      R"(^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$)");
  static const std::regex kSample(
      R"re(^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\["\\n])*")(,[a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\["\\n])*")*\})? ([-+]?[0-9.eE+-]+|\+Inf|-Inf|NaN)$)re");
  std::istringstream in(text);
  std::string line, family, type;
  std::map<std::string, int> seen_series;
  std::map<std::string, int> seen_families;
  while (std::getline(in, line)) {
    std::smatch m;
    if (std::regex_match(line, m, kHelp)) {
      family = m[1];
      EXPECT_EQ(seen_families[family]++, 0) << "family declared twice: " << family;
    } else if (std::regex_match(line, m, kType)) {
      EXPECT_EQ(m[1], family) << "# TYPE must follow its # HELP: " << line;
      type = m[2];
    } else if (std::regex_match(line, m, kSample)) {
      const std::string name = m[1];
      bool ok = name == family;
      if (type == "histogram") {
        ok = name == family + "_bucket" || name == family + "_sum" || name == family + "_count";
      }
      EXPECT_TRUE(ok) << "sample outside its family " << family << ": " << line;
      const std::string series = line.substr(0, line.rfind(' '));
      EXPECT_EQ(seen_series[series]++, 0) << "series repeated: " << series;
    } else {
      ADD_FAILURE() << "not exposition format: '" << line << "'";
    }
  }
}

TEST(Metrics, FreshRegistryRendersEveryFamilyAtZero) {
  Metrics m;
  const std::string text = render(m);
  expect_valid_exposition(text);
  EXPECT_EQ(sample(text, "tombstone_connections_open"), 0);
  EXPECT_EQ(sample(text, "tombstone_connections_total"), 0);
  EXPECT_EQ(sample(text, "tombstone_statements_total{kind=\"query\"}"), 0);
  EXPECT_EQ(sample(text, "tombstone_statements_total{kind=\"function_call\"}"), 0);
  EXPECT_EQ(sample(text, "tombstone_refusals_total{reason=\"unparsable\"}"), 0);
  EXPECT_EQ(sample(text, "tombstone_rewrite_duration_seconds_bucket{le=\"+Inf\"}"), 0);
  EXPECT_EQ(sample(text, "tombstone_rewrite_duration_seconds_count"), 0);
  EXPECT_NE(text.find("# TYPE tombstone_rewrite_duration_seconds histogram\n"), std::string::npos);
  EXPECT_NE(text.find("# TYPE tombstone_connections_open gauge\n"), std::string::npos);
  // No table has been configured, so no per-table series exist yet.
  EXPECT_EQ(text.find("table="), std::string::npos);
}

TEST(Metrics, ConnectionAndTrafficCountersShowTheirValues) {
  Metrics m;
  m.connections_total.add();
  m.connections_total.add();
  m.connections_open.add();
  m.connections_open.add();
  m.connections_open.sub();
  m.upstream_connect_errors.add();
  m.bytes_client_to_server.add(1234);
  m.bytes_server_to_client.add(98765);
  m.cache_hits.add(7);
  m.cache_misses.add(2);
  m.parse_failures.add();
  m.statements_rewritten.add(4);
  m.count_statement(StatementKind::kQuery);
  m.count_statement(StatementKind::kParse);
  m.count_statement(StatementKind::kParse);
  m.count_refusal(RefusalReason::kPermission);
  m.count_reload(true);
  m.count_reload(false);
  m.count_reload(false);
  const std::string text = render(m);
  expect_valid_exposition(text);
  EXPECT_EQ(sample(text, "tombstone_connections_total"), 2);
  EXPECT_EQ(sample(text, "tombstone_connections_open"), 1);
  EXPECT_EQ(sample(text, "tombstone_upstream_connect_errors_total"), 1);
  EXPECT_EQ(sample(text, "tombstone_bytes_total{direction=\"client_to_server\"}"), 1234);
  EXPECT_EQ(sample(text, "tombstone_bytes_total{direction=\"server_to_client\"}"), 98765);
  EXPECT_EQ(sample(text, "tombstone_rewrite_cache_hits_total"), 7);
  EXPECT_EQ(sample(text, "tombstone_rewrite_cache_misses_total"), 2);
  EXPECT_EQ(sample(text, "tombstone_parse_failures_total"), 1);
  EXPECT_EQ(sample(text, "tombstone_statements_rewritten_total"), 4);
  EXPECT_EQ(sample(text, "tombstone_statements_total{kind=\"query\"}"), 1);
  EXPECT_EQ(sample(text, "tombstone_statements_total{kind=\"parse\"}"), 2);
  EXPECT_EQ(sample(text, "tombstone_statements_total{kind=\"bind\"}"), 0);
  EXPECT_EQ(sample(text, "tombstone_refusals_total{reason=\"permission\"}"), 1);
  EXPECT_EQ(sample(text, "tombstone_refusals_total{reason=\"unparsable\"}"), 0);
  EXPECT_EQ(sample(text, "tombstone_config_reloads_total{result=\"ok\"}"), 1);
  EXPECT_EQ(sample(text, "tombstone_config_reloads_total{result=\"failed\"}"), 2);
}

TEST(Metrics, RewritesAreCountedPerTableAndStrategy) {
  Metrics m;
  m.register_tables(config_with({{"public", "users"}, {"sales", "orders"}}, 3));
  m.count_rewrite({"public", "users"}, config::Strategy::kSoft);
  m.count_rewrite({"public", "users"}, config::Strategy::kSoft);
  m.count_rewrite({"sales", "orders"}, config::Strategy::kArchive);
  m.count_read_filter({"public", "users"});
  const std::string text = render(m);
  expect_valid_exposition(text);
  EXPECT_EQ(sample(text, R"(tombstone_rewrites_total{table="public.users",strategy="soft"})"), 2);
  EXPECT_EQ(sample(text, R"(tombstone_rewrites_total{table="public.users",strategy="archive"})"),
            0);
  EXPECT_EQ(sample(text, R"(tombstone_rewrites_total{table="sales.orders",strategy="archive"})"),
            1);
  EXPECT_EQ(sample(text, R"(tombstone_read_filters_total{table="public.users"})"), 1);
  EXPECT_EQ(sample(text, R"(tombstone_read_filters_total{table="sales.orders"})"), 0);
  EXPECT_EQ(sample(text, "tombstone_config_generation"), 3);
  EXPECT_EQ(text.find("_other"), std::string::npos);
}

TEST(Metrics, ReloadKeepsTheTotalsOfTablesThatLeftTheConfig) {
  Metrics m;
  m.register_tables(config_with({{"public", "users"}}, 1));
  m.count_rewrite({"public", "users"}, config::Strategy::kSoft);
  m.register_tables(config_with({{"public", "orders"}}, 2));
  m.register_tables(config_with({{"public", "orders"}, {"public", "users"}}, 3));
  m.count_rewrite({"public", "users"}, config::Strategy::kHard);
  m.count_rewrite({"public", "orders"}, config::Strategy::kSoft);
  const std::string text = render(m);
  expect_valid_exposition(text);
  EXPECT_EQ(sample(text, R"(tombstone_rewrites_total{table="public.users",strategy="soft"})"), 1);
  EXPECT_EQ(sample(text, R"(tombstone_rewrites_total{table="public.users",strategy="hard"})"), 1);
  EXPECT_EQ(sample(text, R"(tombstone_rewrites_total{table="public.orders",strategy="soft"})"), 1);
  EXPECT_EQ(sample(text, "tombstone_config_generation"), 3);
  EXPECT_EQ(m.snapshot().tables.size(), 2u);  // re-registering a name reuses its slot
}

TEST(Metrics, UnregisteredTablesShareTheOtherSeries) {
  Metrics m;
  m.count_rewrite({"public", "ghost"}, config::Strategy::kSoft);
  const std::string text = render(m);
  expect_valid_exposition(text);
  EXPECT_EQ(sample(text, R"(tombstone_rewrites_total{table="_other",strategy="soft"})"), 1);
}

TEST(Metrics, SlotsRunOutIntoTheOtherSeries) {
  // Appending to an lvalue: GCC 12 at -O3 reports `"t" + std::to_string(i)` as an overlapping
  // memcpy (-Werror=restrict), a known false positive in libstdc++'s operator+.
  const auto table = [](std::size_t i) {
    std::string name = "t";
    name += std::to_string(i);
    return name;
  };
  Metrics m;
  std::vector<config::QualifiedName> names;
  for (std::size_t i = 0; i < kMaxTables + 5; ++i) names.push_back({"s", table(i)});
  m.register_tables(config_with(names, 1));
  m.count_read_filter({"s", "t0"});
  m.count_read_filter({"s", table(kMaxTables + 2)});
  const std::string text = render(m);
  expect_valid_exposition(text);
  EXPECT_EQ(sample(text, R"(tombstone_read_filters_total{table="s.t0"})"), 1);
  EXPECT_EQ(sample(text, R"(tombstone_read_filters_total{table="_other"})"), 1);
  EXPECT_EQ(m.snapshot().tables.size(), kMaxTables + 1);
}

TEST(Metrics, QuotedTableNamesAreEscapedInLabels) {
  Metrics m;
  m.register_tables(config_with({{"public", "My \"Notes\"\\x"}}, 1));
  m.count_rewrite({"public", "My \"Notes\"\\x"}, config::Strategy::kSoft);
  const std::string text = render(m);
  expect_valid_exposition(text);
  // to_sql() double-quotes the name and doubles its quotes; the label escapes " and \ again.
  EXPECT_EQ(
      sample(text,
             R"(tombstone_rewrites_total{table="public.\"My \"\"Notes\"\"\\x\"",strategy="soft"})"),
      1);
}

TEST(Metrics, HistogramBucketsAreCumulativeWithSumAndCount) {
  Metrics m;
  m.observe_rewrite_seconds(0.5e-6);  // le=1e-06
  m.observe_rewrite_seconds(1e-6);    // exactly on a bound: still le=1e-06 (le means <=)
  m.observe_rewrite(std::chrono::microseconds(30));  // le=5e-05
  m.observe_rewrite_seconds(2.0);                    // beyond the last bound: only +Inf
  m.observe_rewrite_seconds(-1);                     // clock went backwards: counted as 0
  const std::string text = render(m);
  expect_valid_exposition(text);
  auto bucket = [&](const char* le) {
    return sample(text,
                  std::string("tombstone_rewrite_duration_seconds_bucket{le=\"") + le + "\"}");
  };
  EXPECT_EQ(bucket("1e-06"), 3);
  EXPECT_EQ(bucket("2.5e-06"), 3);
  EXPECT_EQ(bucket("2.5e-05"), 3);
  EXPECT_EQ(bucket("5e-05"), 4);
  EXPECT_EQ(bucket("0.1"), 4);
  EXPECT_EQ(bucket("1"), 4);
  EXPECT_EQ(bucket("+Inf"), 5);
  EXPECT_EQ(sample(text, "tombstone_rewrite_duration_seconds_count"), 5);
  EXPECT_NEAR(sample(text, "tombstone_rewrite_duration_seconds_sum"), 2.0000315, 1e-12);
}

TEST(Metrics, ConcurrentUpdatesAreNotLost) {
  Metrics m;
  m.register_tables(config_with({{"public", "users"}}, 1));
  constexpr int kThreads = 4;
  constexpr int kEach = 50'000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kEach; ++i) {
        m.count_statement(StatementKind::kExecute);
        m.bytes_client_to_server.add(3);
        m.count_rewrite({"public", "users"}, config::Strategy::kSoft);
        m.observe_rewrite(std::chrono::nanoseconds(100));
      }
    });
  }
  // A reload racing with the hot path must neither lose counts nor move the slot.
  m.register_tables(config_with({{"public", "orders"}, {"public", "users"}}, 2));
  for (auto& t : threads) t.join();
  const std::string text = render(m);
  EXPECT_EQ(sample(text, "tombstone_statements_total{kind=\"execute\"}"), kThreads * kEach);
  EXPECT_EQ(sample(text, "tombstone_bytes_total{direction=\"client_to_server\"}"),
            3.0 * kThreads * kEach);
  EXPECT_EQ(sample(text, R"(tombstone_rewrites_total{table="public.users",strategy="soft"})"),
            kThreads * kEach);
  EXPECT_EQ(sample(text, "tombstone_rewrite_duration_seconds_count"), kThreads * kEach);
}

TEST(Metrics, ProcessWideRegistryIsOneObject) { EXPECT_EQ(&metrics(), &metrics()); }

}  // namespace
}  // namespace tombstone::metrics
