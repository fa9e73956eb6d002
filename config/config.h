// The policy model: plain structs filled by the YAML loader (config/loader.h) and read by every
// other module. DESIGN §6 is the reference for every field.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tombstone::config {

// A SQL name after folding: unquoted parts lower-cased, quoted parts exact.
struct QualifiedName {
  std::string schema;  // "public" when the config left it out
  std::string name;

  bool operator==(const QualifiedName&) const = default;
  // "schema.name", quoting each part only when SQL would need it.
  std::string to_sql() const;
};

// One identifier as SQL text: bare when PostgreSQL's quote_ident() would leave it bare (lower
// case, digits, '_', not a reserved/column-name/type-function keyword), double-quoted otherwise.
std::string quote_identifier(std::string_view name);

enum class Strategy { kSoft, kArchive, kHard };

struct TablePolicy {
  QualifiedName table;
  Strategy strategy = Strategy::kSoft;
  std::string column = "deleted_at";              // soft: the marker column
  std::optional<std::string> deleted_by;          // soft: column that receives the actor
  std::optional<std::string> reason;              // soft: column that receives tombstone.reason
  std::optional<std::chrono::seconds> retention;  // purge rows deleted longer ago than this
  QualifiedName archive;                          // archive: defaults to <schema>.<table>_archive
  bool audit = false;                             // hard: log (table, key, actor, reason, time)
};

enum class TlsMode { kDisable, kPrefer, kRequire, kVerifyCa, kVerifyFull };

struct Endpoint {
  std::string host;
  std::uint16_t port = 0;
  bool operator==(const Endpoint&) const = default;
};

struct ClientTls {
  TlsMode mode = TlsMode::kDisable;  // disable | prefer | require
  std::string cert;                  // PEM server certificate presented to clients
  std::string key;
  std::string ca;  // optional: when set, client certificates are requested and verified
  // require: a TLS client without a certificate signed by `ca` is refused (needs ca and mode
  // require, so no client can skip it by not using TLS); optional: verified when presented.
  bool require_client_cert = false;
};

struct UpstreamTls {
  TlsMode mode = TlsMode::kPrefer;  // disable | prefer | require | verify-ca | verify-full
  std::string ca;
  std::string cert;  // optional client certificate towards the server
  std::string key;
};

enum class Unparsable { kReject, kForward };
enum class LogFormat { kText, kJson };

struct LogConfig {
  std::string level = "info";  // trace|debug|info|warn|error|critical|off
  LogFormat format = LogFormat::kText;
};

struct Limits {
  std::size_t max_message_size = 64 * 1024 * 1024;  // bytes, for messages Tombstone must buffer
  std::chrono::milliseconds startup_timeout{10'000};
  std::chrono::milliseconds connect_timeout{5'000};
  std::chrono::milliseconds drain_timeout{30'000};
  std::size_t rewrite_cache_entries = 4096;
  // A session's catalog snapshot older than this is taken again at its next idle point, so DDL
  // run elsewhere (a migration adding a column) reaches it without a SIGHUP; 0 = only on DDL
  // through the session and on reload.
  std::chrono::milliseconds catalog_max_age{60'000};
};

struct Config {
  std::string source_file;  // where it was loaded from, for messages
  Endpoint listen{"0.0.0.0", 6432};
  Endpoint upstream{"127.0.0.1", 5432};
  ClientTls tls_client;
  UpstreamTls tls_upstream;
  std::vector<std::string> admin_roles;
  Unparsable unparsable = Unparsable::kReject;
  std::optional<Endpoint> metrics;
  LogConfig log;
  std::vector<TablePolicy> tables;
  std::vector<std::string> databases;  // empty: the policies apply to every database
  Limits limits;
  std::uint64_t generation = 0;  // bumped on every successful (re)load; part of cache keys

  // The policy for a table, or nullptr when the table is not managed.
  const TablePolicy* find_table(const QualifiedName& name) const;
  // Whether the table policies apply to connections to this database.
  bool applies_to_database(const std::string& database) const;
};

}  // namespace tombstone::config
