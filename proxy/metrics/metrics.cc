#include "proxy/metrics/metrics.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace tombstone::metrics {

namespace {

constexpr std::string_view kStatementKindNames[] = {"query", "parse", "bind", "execute",
                                                    "function_call"};
static_assert(std::size(kStatementKindNames) == static_cast<std::size_t>(StatementKind::kCount));

constexpr std::string_view kRefusalNames[] = {"unparsable", "unsupported", "permission"};
static_assert(std::size(kRefusalNames) == static_cast<std::size_t>(RefusalReason::kCount));

constexpr std::string_view kStrategyNames[] = {"soft", "archive", "hard"};

// Label values escape backslash, double quote and newline (exposition format 0.0.4). Table
// names may hold any of them when they were double-quoted in SQL.
std::string escape_label(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// `le` values are printed the way Prometheus' own clients print them ("1e-06", "0.001", "1"),
// with the shortest representation that round-trips.
std::string format_bound(double bound) { return fmt::format("{}", bound); }

void family(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  fmt::format_to(std::back_inserter(out), "# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

// The bounds in whole nanoseconds, so that an observation exactly on a bound lands in it (`le`
// means <=) without floating-point rounding deciding.
constexpr auto kBucketBoundsNs = [] {
  std::array<std::uint64_t, kRewriteBuckets.size()> ns{};
  for (std::size_t i = 0; i < ns.size(); ++i) {
    ns[i] = static_cast<std::uint64_t>(kRewriteBuckets[i] * 1e9 + 0.5);
  }
  return ns;
}();

}  // namespace

Metrics::Metrics() = default;

void Metrics::observe_rewrite(std::chrono::nanoseconds elapsed) {
  const auto ns = static_cast<std::uint64_t>(std::max<std::int64_t>(0, elapsed.count()));
  // Buckets are few and sorted: a linear scan is cheaper than a binary search at this size.
  std::size_t i = 0;
  while (i < kBucketBoundsNs.size() && ns > kBucketBoundsNs[i]) ++i;
  rewrite_buckets_[i].fetch_add(1, std::memory_order_relaxed);
  rewrite_sum_ns_.fetch_add(ns, std::memory_order_relaxed);
}

void Metrics::observe_rewrite_seconds(double seconds) {
  if (!(seconds > 0)) seconds = 0;  // also maps NaN to 0
  observe_rewrite(std::chrono::nanoseconds(static_cast<std::int64_t>(std::llround(seconds * 1e9))));
}

TableCounters& Metrics::table_slot(const config::QualifiedName& table) {
  const std::size_t n = published_.load(std::memory_order_acquire);
  for (std::size_t i = 0; i < n; ++i) {
    if (names_[i] == table) return tables_[i];
  }
  return other_;
}

void Metrics::register_tables(const config::Config& config) {
  std::lock_guard lock(register_mutex_);
  std::size_t n = published_.load(std::memory_order_relaxed);
  for (const auto& policy : config.tables) {
    const bool known = std::any_of(names_.begin(), names_.begin() + static_cast<std::ptrdiff_t>(n),
                                   [&](const auto& name) { return name == policy.table; });
    if (known || n == kMaxTables) continue;
    names_[n] = policy.table;
    ++n;
    // Publish one slot at a time: readers never see a slot whose name is still being written.
    published_.store(n, std::memory_order_release);
  }
  generation_.store(config.generation, std::memory_order_relaxed);
}

void Metrics::count_reload(bool ok) { (ok ? reloads_ok_ : reloads_failed_).add(); }

Snapshot Metrics::snapshot() const {
  Snapshot s;
  s.connections_open = connections_open.get();
  s.connections_total = connections_total.get();
  s.upstream_connect_errors = upstream_connect_errors.get();
  s.draining = draining.get();
  for (std::size_t i = 0; i < statements_.size(); ++i) s.statements[i] = statements_[i].get();
  for (std::size_t i = 0; i < refusals_.size(); ++i) s.refusals[i] = refusals_[i].get();
  s.statements_rewritten = statements_rewritten.get();
  s.parse_failures = parse_failures.get();
  s.cache_hits = cache_hits.get();
  s.cache_misses = cache_misses.get();
  s.bytes_client_to_server = bytes_client_to_server.get();
  s.bytes_server_to_client = bytes_server_to_client.get();
  s.config_reloads_ok = reloads_ok_.get();
  s.config_reloads_failed = reloads_failed_.get();
  s.config_generation = generation_.load(std::memory_order_relaxed);
  for (std::size_t i = 0; i < rewrite_buckets_.size(); ++i) {
    s.rewrite_buckets[i] = rewrite_buckets_[i].load(std::memory_order_relaxed);
  }
  s.rewrite_sum_ns = rewrite_sum_ns_.load(std::memory_order_relaxed);

  auto copy = [](std::string name, const TableCounters& c) {
    Snapshot::Table t;
    t.name = std::move(name);
    for (std::size_t k = 0; k < t.rewrites.size(); ++k) {
      t.rewrites[k] = c.rewrites[k].load(std::memory_order_relaxed);
    }
    t.read_filters = c.read_filters.load(std::memory_order_relaxed);
    return t;
  };
  const std::size_t n = published_.load(std::memory_order_acquire);
  s.tables.reserve(n + 1);
  for (std::size_t i = 0; i < n; ++i) s.tables.push_back(copy(names_[i].to_sql(), tables_[i]));
  Snapshot::Table other = copy("_other", other_);
  const bool other_used =
      other.read_filters != 0 || std::any_of(other.rewrites.begin(), other.rewrites.end(),
                                             [](std::uint64_t v) { return v != 0; });
  if (other_used) s.tables.push_back(std::move(other));
  return s;
}

Metrics& metrics() {
  static Metrics registry;
  return registry;
}

std::string render_prometheus(const Snapshot& s) {
  std::string out;
  out.reserve(4096 + s.tables.size() * 256);
  auto line = [&](std::string_view name, std::string_view labels, auto value) {
    if (labels.empty()) {
      fmt::format_to(std::back_inserter(out), "{} {}\n", name, value);
    } else {
      fmt::format_to(std::back_inserter(out), "{}{{{}}} {}\n", name, labels, value);
    }
  };

  family(out, "tombstone_connections_open", "gauge", "Client connections currently open.");
  line("tombstone_connections_open", "", s.connections_open);
  family(out, "tombstone_connections_total", "counter", "Client connections accepted.");
  line("tombstone_connections_total", "", s.connections_total);
  family(out, "tombstone_upstream_connect_errors_total", "counter",
         "Connections to PostgreSQL that failed or timed out.");
  line("tombstone_upstream_connect_errors_total", "", s.upstream_connect_errors);
  family(out, "tombstone_draining", "gauge",
         "1 while a SIGTERM drain is in progress (no new connections are accepted).");
  line("tombstone_draining", "", s.draining);

  family(out, "tombstone_statements_total", "counter",
         "Statements and extended-protocol messages received from clients, by kind.");
  for (std::size_t i = 0; i < s.statements.size(); ++i) {
    line("tombstone_statements_total", fmt::format("kind=\"{}\"", kStatementKindNames[i]),
         s.statements[i]);
  }
  family(out, "tombstone_refusals_total", "counter",
         "Statements Tombstone refused with its own error instead of forwarding, by reason.");
  for (std::size_t i = 0; i < s.refusals.size(); ++i) {
    line("tombstone_refusals_total", fmt::format("reason=\"{}\"", kRefusalNames[i]), s.refusals[i]);
  }
  family(out, "tombstone_statements_rewritten_total", "counter",
         "Statements sent upstream with text changed by Tombstone (filters or DELETE rewrites).");
  line("tombstone_statements_rewritten_total", "", s.statements_rewritten);
  family(out, "tombstone_parse_failures_total", "counter",
         "Statements that did not parse and named no managed table (forwarded unchanged).");
  line("tombstone_parse_failures_total", "", s.parse_failures);
  family(out, "tombstone_rewrite_cache_hits_total", "counter", "Rewrite cache hits.");
  line("tombstone_rewrite_cache_hits_total", "", s.cache_hits);
  family(out, "tombstone_rewrite_cache_misses_total", "counter", "Rewrite cache misses.");
  line("tombstone_rewrite_cache_misses_total", "", s.cache_misses);

  family(out, "tombstone_rewrites_total", "counter",
         "DELETE/TRUNCATE statements turned into their table's strategy, by table and strategy.");
  for (const auto& t : s.tables) {
    const std::string table = escape_label(t.name);
    for (std::size_t k = 0; k < t.rewrites.size(); ++k) {
      line("tombstone_rewrites_total",
           fmt::format("table=\"{}\",strategy=\"{}\"", table, kStrategyNames[k]), t.rewrites[k]);
    }
  }
  family(out, "tombstone_read_filters_total", "counter",
         "References to soft-delete tables that received the deleted-rows filter, by table.");
  for (const auto& t : s.tables) {
    line("tombstone_read_filters_total", fmt::format("table=\"{}\"", escape_label(t.name)),
         t.read_filters);
  }

  family(out, "tombstone_bytes_total", "counter", "Bytes forwarded, by direction.");
  line("tombstone_bytes_total", "direction=\"client_to_server\"", s.bytes_client_to_server);
  line("tombstone_bytes_total", "direction=\"server_to_client\"", s.bytes_server_to_client);

  family(out, "tombstone_rewrite_duration_seconds", "histogram",
         "Time to produce the statement sent upstream (cache lookup, parse, rewrite, deparse).");
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < kRewriteBuckets.size(); ++i) {
    cumulative += s.rewrite_buckets[i];
    line("tombstone_rewrite_duration_seconds_bucket",
         fmt::format("le=\"{}\"", format_bound(kRewriteBuckets[i])), cumulative);
  }
  cumulative += s.rewrite_buckets.back();
  line("tombstone_rewrite_duration_seconds_bucket", "le=\"+Inf\"", cumulative);
  line("tombstone_rewrite_duration_seconds_sum", "",
       format_bound(static_cast<double>(s.rewrite_sum_ns) * 1e-9));
  line("tombstone_rewrite_duration_seconds_count", "", cumulative);

  family(out, "tombstone_config_reloads_total", "counter", "SIGHUP reloads, by result.");
  line("tombstone_config_reloads_total", "result=\"ok\"", s.config_reloads_ok);
  line("tombstone_config_reloads_total", "result=\"failed\"", s.config_reloads_failed);
  family(out, "tombstone_config_generation", "gauge",
         "Generation of the configuration in force (bumped by every successful load).");
  line("tombstone_config_generation", "", s.config_generation);
  return out;
}

}  // namespace tombstone::metrics

namespace tombstone::metrics {

std::string render_process(const ProcessStats& p) {
  std::string out;
  auto put = [&](std::string_view name, std::string_view type, std::string_view help, auto value) {
    family(out, name, type, help);
    fmt::format_to(std::back_inserter(out), "{} {}\n", name, value);
  };
  put("process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.",
      p.cpu_seconds);
  put("process_start_time_seconds", "gauge",
      "Start time of the process since unix epoch in seconds.", p.start_time_seconds);
  put("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.", p.resident_bytes);
  put("process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.", p.virtual_bytes);
  put("process_open_fds", "gauge", "Number of open file descriptors.", p.open_fds);
  put("process_max_fds", "gauge", "Maximum number of open file descriptors.", p.max_fds);
  return out;
}

}  // namespace tombstone::metrics
