// Process-wide counters, gauges and the rewrite-latency histogram behind GET /metrics.
//
// Every hot-path update is one relaxed atomic add: the proxy counts on every message, and an
// operator only needs totals that are right "eventually" (a scrape is a moment, not a barrier).
// Per-table counters live in fixed slots that are claimed when a config is (re)loaded and never
// move or disappear, so the hot path finds them without a lock and a reload never loses counts.
// Rendering is a pure function of a snapshot (render_prometheus), so it is unit-tested as text.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"

namespace tombstone::metrics {

// What a client asked the server to run; each is counted once per message/statement.
enum class StatementKind : std::uint8_t {
  kQuery,         // one statement of a simple-protocol Query (a multi-statement string counts n)
  kParse,         // extended protocol Parse
  kBind,          // extended protocol Bind
  kExecute,       // extended protocol Execute
  kFunctionCall,  // legacy FunctionCall message
  kCount
};

// Why Tombstone answered a statement with its own ErrorResponse instead of forwarding it.
enum class RefusalReason : std::uint8_t {
  kUnparsable,   // names a managed table but does not parse with the PG 15 grammar (0A000)
  kUnsupported,  // parses, but cannot be made safe (TRUNCATE … CASCADE, archive MERGE DELETE)
  kPermission,   // a non-admin session touched tombstone.visibility / tombstone.delete (42501)
  kCount
};

template <typename E>
constexpr std::size_t index(E e) {
  return static_cast<std::size_t>(e);
}

// The histogram's upper bounds in seconds. A cached rewrite takes well under 1 µs and a cold
// rewrite of a short join about 20–60 µs (DESIGN §8), so the buckets are dense there.
inline constexpr std::array<double, 14> kRewriteBuckets = {
    1e-6, 2.5e-6, 5e-6, 10e-6, 25e-6, 50e-6, 100e-6, 250e-6, 500e-6, 1e-3, 2.5e-3, 10e-3, 0.1, 1};

// The most distinct tables the process will count separately over its lifetime; tables beyond
// that (e.g. after many reloads adding new names) share one slot labelled "_other".
inline constexpr std::size_t kMaxTables = 256;

// A relaxed counter on its own cache line: connections and bytes are bumped by every pump,
// possibly on several threads, and must not false-share with each other.
struct alignas(64) Counter {
  std::atomic<std::uint64_t> value{0};
  void add(std::uint64_t n = 1) { value.fetch_add(n, std::memory_order_relaxed); }
  std::uint64_t get() const { return value.load(std::memory_order_relaxed); }
};

struct alignas(64) Gauge {
  std::atomic<std::int64_t> value{0};
  void add(std::int64_t n = 1) { value.fetch_add(n, std::memory_order_relaxed); }
  void sub(std::int64_t n = 1) { value.fetch_sub(n, std::memory_order_relaxed); }
  void set(std::int64_t n) { value.store(n, std::memory_order_relaxed); }
  std::int64_t get() const { return value.load(std::memory_order_relaxed); }
};

// Counts for one managed table. A table's strategy may change on reload, so rewrites are kept
// per strategy rather than per slot.
struct TableCounters {
  std::array<std::atomic<std::uint64_t>, 3> rewrites{};  // indexed by config::Strategy
  std::atomic<std::uint64_t> read_filters{0};  // predicates `R.col IS NULL` added to reads
};

// A plain copy of everything, taken at scrape time; what render_prometheus prints.
struct Snapshot {
  struct Table {
    std::string name;  // "schema.table" as SQL would write it; "_other" for the overflow slot
    std::array<std::uint64_t, 3> rewrites{};
    std::uint64_t read_filters = 0;
  };
  std::int64_t connections_open = 0;
  std::uint64_t connections_total = 0;
  std::uint64_t upstream_connect_errors = 0;
  std::int64_t draining = 0;
  std::array<std::uint64_t, static_cast<std::size_t>(StatementKind::kCount)> statements{};
  std::array<std::uint64_t, static_cast<std::size_t>(RefusalReason::kCount)> refusals{};
  std::uint64_t statements_rewritten = 0;
  std::uint64_t parse_failures = 0;
  std::uint64_t cache_hits = 0;
  std::uint64_t cache_misses = 0;
  std::uint64_t bytes_client_to_server = 0;
  std::uint64_t bytes_server_to_client = 0;
  std::uint64_t config_reloads_ok = 0;
  std::uint64_t config_reloads_failed = 0;
  std::uint64_t config_generation = 0;
  // Per bucket (not cumulative), then the +Inf overflow; the sum is in nanoseconds.
  std::array<std::uint64_t, kRewriteBuckets.size() + 1> rewrite_buckets{};
  std::uint64_t rewrite_sum_ns = 0;
  std::vector<Table> tables;  // in slot order (the order tables were first configured)
};

class Metrics {
 public:
  Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // --- connections: the proxy's net layer ---------------------------------------------------
  Gauge connections_open;           // client connections currently accepted and not yet closed
  Counter connections_total;        // every accepted client connection
  Counter upstream_connect_errors;  // connects to the server that failed or timed out
  Gauge draining;                   // 1 after SIGTERM: /healthz turns 503 so traffic moves away
  Counter bytes_client_to_server;   // bytes forwarded towards PostgreSQL
  Counter bytes_server_to_client;   // bytes forwarded towards the client

  // --- statements and rewriting: the session layer ------------------------------------------
  void count_statement(StatementKind kind) { statements_[index(kind)].add(); }
  void count_refusal(RefusalReason reason) { refusals_[index(reason)].add(); }
  Counter statements_rewritten;  // statements sent with changed text (any filter or rewrite)
  Counter parse_failures;  // statements that did not parse and were forwarded (no managed table)
  Counter cache_hits;      // rewrite cache lookups that found an entry
  Counter cache_misses;    // lookups that had to parse (and maybe rewrite)

  // A DELETE/TRUNCATE/MERGE … DELETE on `table` turned into its strategy's statement.
  void count_rewrite(const config::QualifiedName& table, config::Strategy strategy) {
    table_slot(table).rewrites[static_cast<std::size_t>(strategy)].fetch_add(
        1, std::memory_order_relaxed);
  }
  // A read of `table` got its `deleted_at IS NULL` predicate (once per reference).
  void count_read_filter(const config::QualifiedName& table) {
    table_slot(table).read_filters.fetch_add(1, std::memory_order_relaxed);
  }
  // Time spent producing a statement to send (cache lookup + parse + rewrite + deparse).
  void observe_rewrite_seconds(double seconds);
  void observe_rewrite(std::chrono::nanoseconds elapsed);

  // --- configuration: serve's load/reload path (not hot) ------------------------------------
  // Claims a slot for every table of `config` so that the hot path finds it, and records the
  // generation. Call after each successful load; slots of tables that left the config stay
  // (their totals are still true) — Prometheus counters must never go backwards.
  void register_tables(const config::Config& config);
  void count_reload(bool ok);

  // The counters of a table: lock-free, one pass over the claimed slots (a config has a handful
  // of tables). A name never registered lands in the shared "_other" slot rather than allocating
  // on the hot path.
  TableCounters& table_slot(const config::QualifiedName& table);

  Snapshot snapshot() const;

 private:
  std::array<Counter, index(StatementKind::kCount)> statements_;
  std::array<Counter, index(RefusalReason::kCount)> refusals_;
  Counter reloads_ok_;
  Counter reloads_failed_;
  std::atomic<std::uint64_t> generation_{0};

  std::array<std::atomic<std::uint64_t>, kRewriteBuckets.size() + 1> rewrite_buckets_{};
  std::atomic<std::uint64_t> rewrite_sum_ns_{0};

  // Slots [0, published_) have their names set and are read without a lock; a writer fills the
  // next slot under register_mutex_ and then publishes it with a release store.
  std::array<config::QualifiedName, kMaxTables> names_;
  std::array<TableCounters, kMaxTables> tables_;
  TableCounters other_;
  std::atomic<std::size_t> published_{0};
  std::mutex register_mutex_;
};

// The standard process_* series that Prometheus client libraries export, so dashboards built for
// them work unchanged. Read from /proc by the HTTP server (read_process_stats in
// http_server.cc); rendering is pure.
struct ProcessStats {
  double cpu_seconds = 0;         // user + system
  double start_time_seconds = 0;  // since the Unix epoch
  std::uint64_t resident_bytes = 0;
  std::uint64_t virtual_bytes = 0;
  std::uint64_t open_fds = 0;
  std::uint64_t max_fds = 0;
};

// The process-wide registry that the proxy updates and GET /metrics renders.
Metrics& metrics();

// Prometheus text exposition format 0.0.4: `# HELP`/`# TYPE` per family, counters end in
// `_total`, the histogram has cumulative `_bucket{le=…}`, `_sum` (seconds) and `_count`.
std::string render_prometheus(const Snapshot& snapshot);

// process_cpu_seconds_total, process_start_time_seconds, process_resident_memory_bytes,
// process_virtual_memory_bytes, process_open_fds, process_max_fds.
std::string render_process(const ProcessStats& stats);

// The media type of render_prometheus's output, for the Content-Type header.
inline constexpr std::string_view kPrometheusContentType =
    "text/plain; version=0.0.4; charset=utf-8";

}  // namespace tombstone::metrics
