// The YAML loader of DESIGN §6: a full valid file round-trips into the structs, SQL names fold
// like PostgreSQL's, and every invalid file is rejected with a message naming file, line and key.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "config/loader.h"

namespace tombstone::config {
namespace {

namespace fs = std::filesystem;

// A temp dir with dummy PEM files, so file-existence checks have something to find.
class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/tombstone-config-test-XXXXXX";
    path_ = mkdtemp(tmpl);
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string write(const std::string& name, const std::string& text) const {
    auto p = path_ / name;
    std::ofstream(p) << text;
    return p.string();
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

Config load_ok(const std::string& yaml) {
  auto c = load_config_string(yaml, "t.yaml");
  EXPECT_TRUE(c.has_value()) << (c ? "" : c.error());
  return c ? *c : Config{};
}

TEST(ConfigLoader, FullExampleRoundTripsIntoStructs) {
  TempDir dir;
  std::string crt = dir.write("tls.crt", "cert");
  std::string key = dir.write("tls.key", "key");
  std::string ca = dir.write("ca.pem", "ca");
  std::string yaml = R"(
listen: "0.0.0.0:6432"
upstream: "db.internal:5433"
tls:
  client:   {mode: require, cert: )" +
                     crt + ", key: " + key + R"(}
  upstream: {mode: verify-full, ca: )" +
                     ca + R"(}
admin_roles: [tombstone_admin, dba]
unparsable: forward
metrics: "127.0.0.1:9187"
log: {level: debug, format: json}
tables:
  public.users:    {strategy: soft, column: deleted_at, deleted_by: deleted_by, reason: deleted_reason, retention: 90d}
  public.orders:   {strategy: archive, archive: public.orders_archive, retention: 1w}
  public.sessions: {strategy: hard, audit: true}
  'public."Notes"': {strategy: soft, column: Removed_At}
  Accounts: {retention: 12h}
databases: [app, "Reporting"]
limits:
  max_message_size: 32MiB
  startup_timeout: 3s
  connect_timeout: 500ms
  drain_timeout: 0s
  rewrite_cache_entries: 100
)";
  Config c = load_ok(yaml);
  EXPECT_EQ(c.source_file, "t.yaml");
  EXPECT_EQ(c.generation, 0u);
  EXPECT_EQ(c.listen, (Endpoint{"0.0.0.0", 6432}));
  EXPECT_EQ(c.upstream, (Endpoint{"db.internal", 5433}));
  EXPECT_EQ(c.tls_client.mode, TlsMode::kRequire);
  EXPECT_EQ(c.tls_client.cert, crt);
  EXPECT_EQ(c.tls_client.key, key);
  EXPECT_EQ(c.tls_client.ca, "");
  EXPECT_EQ(c.tls_upstream.mode, TlsMode::kVerifyFull);
  EXPECT_EQ(c.tls_upstream.ca, ca);
  EXPECT_EQ(c.admin_roles, (std::vector<std::string>{"tombstone_admin", "dba"}));
  EXPECT_EQ(c.unparsable, Unparsable::kForward);
  ASSERT_TRUE(c.metrics.has_value());
  EXPECT_EQ(*c.metrics, (Endpoint{"127.0.0.1", 9187}));
  EXPECT_EQ(c.log.level, "debug");
  EXPECT_EQ(c.log.format, LogFormat::kJson);
  EXPECT_EQ(c.databases, (std::vector<std::string>{"app", "Reporting"}));
  EXPECT_EQ(c.limits.max_message_size, 32u * 1024 * 1024);
  EXPECT_EQ(c.limits.startup_timeout, std::chrono::milliseconds(3000));
  EXPECT_EQ(c.limits.connect_timeout, std::chrono::milliseconds(500));
  EXPECT_EQ(c.limits.drain_timeout, std::chrono::milliseconds(0));
  EXPECT_EQ(c.limits.rewrite_cache_entries, 100u);

  ASSERT_EQ(c.tables.size(), 5u);
  const TablePolicy* users = c.find_table({"public", "users"});
  ASSERT_NE(users, nullptr);
  EXPECT_EQ(users->strategy, Strategy::kSoft);
  EXPECT_EQ(users->column, "deleted_at");
  EXPECT_EQ(users->deleted_by, "deleted_by");
  EXPECT_EQ(users->reason, "deleted_reason");
  EXPECT_EQ(users->retention, std::chrono::seconds(90 * 86400));

  const TablePolicy* orders = c.find_table({"public", "orders"});
  ASSERT_NE(orders, nullptr);
  EXPECT_EQ(orders->strategy, Strategy::kArchive);
  EXPECT_EQ(orders->archive, (QualifiedName{"public", "orders_archive"}));
  EXPECT_EQ(orders->retention, std::chrono::seconds(7 * 86400));

  const TablePolicy* sessions = c.find_table({"public", "sessions"});
  ASSERT_NE(sessions, nullptr);
  EXPECT_EQ(sessions->strategy, Strategy::kHard);
  EXPECT_TRUE(sessions->audit);

  const TablePolicy* notes = c.find_table({"public", "Notes"});
  ASSERT_NE(notes, nullptr);
  EXPECT_EQ(notes->column, "removed_at");
  EXPECT_FALSE(notes->deleted_by.has_value());
  EXPECT_EQ(notes->table.to_sql(), "public.\"Notes\"");

  // Unqualified, unquoted: public, folded; strategy defaults to soft with the default marker.
  const TablePolicy* accounts = c.find_table({"public", "accounts"});
  ASSERT_NE(accounts, nullptr);
  EXPECT_EQ(accounts->strategy, Strategy::kSoft);
  EXPECT_EQ(accounts->column, "deleted_at");
  EXPECT_EQ(accounts->retention, std::chrono::seconds(12 * 3600));
}

TEST(ConfigLoader, DefaultsWhenKeysAreOmitted) {
  Config c =
      load_ok("upstream: \"127.0.0.1:5432\"\ntables:\n  sales.orders: {strategy: archive}\n");
  EXPECT_EQ(c.listen, (Endpoint{"0.0.0.0", 6432}));
  EXPECT_EQ(c.tls_client.mode, TlsMode::kDisable);
  EXPECT_EQ(c.tls_upstream.mode, TlsMode::kPrefer);
  EXPECT_EQ(c.unparsable, Unparsable::kReject);
  EXPECT_FALSE(c.metrics.has_value());
  EXPECT_EQ(c.log.level, "info");
  EXPECT_EQ(c.log.format, LogFormat::kText);
  EXPECT_TRUE(c.databases.empty());
  EXPECT_EQ(c.limits.max_message_size, 64u * 1024 * 1024);
  ASSERT_EQ(c.tables.size(), 1u);
  EXPECT_EQ(c.tables[0].archive, (QualifiedName{"sales", "orders_archive"}));
  EXPECT_FALSE(c.tables[0].retention.has_value());
}

TEST(ConfigLoader, EmptySectionsMeanNothingConfigured) {
  Config c =
      load_ok("upstream: \"db:5432\"\ntables:\nmetrics: ~\nadmin_roles: []\ndatabases: []\n");
  EXPECT_TRUE(c.tables.empty());
  EXPECT_FALSE(c.metrics.has_value());
  EXPECT_TRUE(c.admin_roles.empty());
  EXPECT_TRUE(c.applies_to_database("anything"));
}

TEST(ConfigLoader, DatabasesAndRolesAreExactNames) {
  Config c = load_ok("admin_roles: [Ops]\ndatabases: [App]\n");
  EXPECT_EQ(c.admin_roles, std::vector<std::string>{"Ops"});
  EXPECT_TRUE(c.applies_to_database("App"));
  EXPECT_FALSE(c.applies_to_database("app"));
}

TEST(ConfigLoader, ClientTlsModeDefaultsToPreferWhenCertificateGiven) {
  TempDir dir;
  dir.write("c.crt", "x");
  dir.write("c.key", "x");
  // Relative paths are resolved against the config file's directory.
  std::string path =
      dir.write("tombstone.yaml", "upstream: \"h:1\"\ntls:\n  client: {cert: c.crt, key: c.key}\n");
  auto c = load_config_file(path);
  ASSERT_TRUE(c.has_value()) << c.error();
  EXPECT_EQ(c->tls_client.mode, TlsMode::kPrefer);
  EXPECT_EQ(c->tls_client.cert, (dir.path() / "c.crt").string());
  EXPECT_EQ(c->source_file, path);
}

TEST(ConfigLoader, RequiredClientCertificatesNeedCaAndTlsRequired) {
  TempDir dir;
  dir.write("c.crt", "x");
  dir.write("c.key", "x");
  dir.write("ca.pem", "x");
  const std::string tls = "upstream: \"h:1\"\ntls:\n  client: {cert: c.crt, key: c.key, ca: ca.pem, ";
  auto ok = load_config_file(dir.write("ok.yaml", tls + "mode: require, client_cert: require}\n"));
  ASSERT_TRUE(ok.has_value()) << ok.error();
  EXPECT_TRUE(ok->tls_client.require_client_cert);
  auto optional = load_config_file(dir.write("opt.yaml", tls + "mode: prefer}\n"));
  ASSERT_TRUE(optional.has_value()) << optional.error();
  EXPECT_FALSE(optional->tls_client.require_client_cert);
  // With prefer, a plaintext client would skip the certificate check.
  auto prefer = load_config_file(dir.write("bad.yaml", tls + "mode: prefer, client_cert: require}\n"));
  ASSERT_FALSE(prefer.has_value());
  EXPECT_NE(prefer.error().find("bad.yaml:3: tls.client.client_cert"), std::string::npos)
      << prefer.error();
  EXPECT_NE(prefer.error().find("fix: set tls.client.mode: require"), std::string::npos);
}

TEST(ConfigLoader, Ipv6AndHostNames) {
  Config c = load_ok(
      "listen: \"[::1]:7000\"\nupstream: \"[2001:db8::5]:5432\"\nmetrics: localhost:9000\n");
  EXPECT_EQ(c.listen, (Endpoint{"::1", 7000}));
  EXPECT_EQ(c.upstream, (Endpoint{"2001:db8::5", 5432}));
  EXPECT_EQ(*c.metrics, (Endpoint{"localhost", 9000}));
}

TEST(ConfigLoader, SizesAndDurationsWithUnits) {
  struct Case {
    std::string text;
    std::size_t bytes;
  };
  for (const auto& [text, bytes] : std::vector<Case>{{"1GB", 1u << 30},
                                                     {"64MiB", 64u << 20},
                                                     {"512 kB", 512u << 10},
                                                     {"4096", 4096},
                                                     {"2048B", 2048}}) {
    Config c = load_ok("limits: {max_message_size: " + text + "}\n");
    EXPECT_EQ(c.limits.max_message_size, bytes) << text;
  }
  Config c = load_ok("limits: {startup_timeout: 1m30s, connect_timeout: 2h}\n");
  EXPECT_EQ(c.limits.startup_timeout, std::chrono::milliseconds(90'000));
  EXPECT_EQ(c.limits.connect_timeout, std::chrono::milliseconds(7'200'000));
  c = load_ok("tables: {t: {retention: 30m}, u: {retention: 1d12h}, v: {retention: 45s}}\n");
  EXPECT_EQ(c.find_table({"public", "t"})->retention, std::chrono::seconds(1800));
  EXPECT_EQ(c.find_table({"public", "u"})->retention, std::chrono::seconds(36 * 3600));
  EXPECT_EQ(c.find_table({"public", "v"})->retention, std::chrono::seconds(45));
}

TEST(ConfigNames, FoldingAndQuoting) {
  struct Case {
    std::string text;
    QualifiedName name;
  };
  for (const auto& [text, want] : std::vector<Case>{
           {"users", {"public", "users"}},
           {"Users", {"public", "users"}},
           {"APP.Users", {"app", "users"}},
           {"public.\"Notes\"", {"public", "Notes"}},
           {"\"My Schema\".\"My \"\"Quoted\"\" Table\"", {"My Schema", "My \"Quoted\" Table"}},
           {"\"UPPER\".lower", {"UPPER", "lower"}},
           {"s1.t$2", {"s1", "t$2"}},
           {"_x.ÄÖ", {"_x", "ÄÖ"}},  // non-ASCII is not folded (PostgreSQL folds ASCII only)
       }) {
    auto got = parse_qualified_name(text);
    ASSERT_TRUE(got.has_value()) << text << ": " << got.error();
    EXPECT_EQ(*got, want) << text;
  }
  for (std::string bad : std::vector<std::string>{"", "a.b.c", "1abc", "a b", "\"unterminated",
                                                  "a.", ".a", "\"\"", std::string(64, 'x')}) {
    EXPECT_FALSE(parse_qualified_name(bad).has_value()) << bad;
  }
  EXPECT_EQ(parse_identifier("Deleted_At"), "deleted_at");
  EXPECT_EQ(parse_identifier("\"DeletedAt\""), "DeletedAt");
  EXPECT_FALSE(parse_identifier("a.b").has_value());
}

TEST(ConfigNames, ToSqlQuotesOnlyWhenNeeded) {
  EXPECT_EQ((QualifiedName{"public", "users"}).to_sql(), "public.users");
  EXPECT_EQ((QualifiedName{"public", "Notes"}).to_sql(), "public.\"Notes\"");
  EXPECT_EQ((QualifiedName{"my schema", "a\"b"}).to_sql(), "\"my schema\".\"a\"\"b\"");
  // Keywords PostgreSQL's quote_ident() quotes; unreserved ones (e.g. "name", "data") stay bare.
  EXPECT_EQ((QualifiedName{"public", "order"}).to_sql(), "public.\"order\"");
  EXPECT_EQ(quote_identifier("user"), "\"user\"");
  EXPECT_EQ(quote_identifier("name"), "name");
  EXPECT_EQ(quote_identifier("t1$"), "\"t1$\"");
  EXPECT_EQ(quote_identifier("1x"), "\"1x\"");
}

// Each invalid file: the message must name the file, the line and the key, and say what is wrong.
struct ErrorCase {
  std::string name;
  std::string yaml;
  int line;
  std::string key;
  std::string problem;  // a substring of the message
};

class ConfigErrors : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(ConfigErrors, NameFileLineAndKey) {
  const ErrorCase& c = GetParam();
  auto got = load_config_string(c.yaml, "tombstone.yaml");
  ASSERT_FALSE(got.has_value()) << c.name << " was accepted";
  std::string want_prefix = "tombstone.yaml:" + std::to_string(c.line) + ": " + c.key + ": ";
  EXPECT_NE(got.error().find(want_prefix), std::string::npos)
      << "want '" << want_prefix << "' in: " << got.error();
  EXPECT_NE(got.error().find(c.problem), std::string::npos)
      << "want '" << c.problem << "' in: " << got.error();
}

const std::string kHead = "listen: \"127.0.0.1:6432\"\nupstream: \"127.0.0.1:5432\"\n";  // 2 lines

INSTANTIATE_TEST_SUITE_P(
    Loader, ConfigErrors,
    ::testing::Values(
        ErrorCase{"unknown_strategy", kHead + "tables:\n  public.users:\n    strategy: sfot\n", 5,
                  "tables.public.users.strategy",
                  "unknown strategy 'sfot' (expected soft, archive or hard)"},
        ErrorCase{"unknown_top_key", kHead + "listne: \"1.2.3.4:5\"\n", 3, "listne",
                  "did you mean 'listen'"},
        ErrorCase{"unknown_table_key", kHead + "tables:\n  users: {strategy: soft, colum: x}\n", 4,
                  "tables.users.colum", "unknown key 'colum'"},
        ErrorCase{"key_not_for_strategy",
                  kHead + "tables:\n  users:\n    strategy: hard\n    column: x\n", 6,
                  "tables.users.column", "not valid for strategy hard"},
        ErrorCase{"audit_on_soft", kHead + "tables:\n  users: {strategy: soft,\n    audit: true}\n",
                  5, "tables.users.audit", "not valid for strategy soft"},
        ErrorCase{"archive_on_soft", kHead + "tables:\n  users: {archive: x}\n", 4,
                  "tables.users.archive", "not valid for strategy soft"},
        ErrorCase{"bad_retention", kHead + "tables:\n  users: {retention: 90 days}\n", 4,
                  "tables.users.retention", "bad retention '90 days'"},
        ErrorCase{"zero_retention", kHead + "tables:\n  users: {retention: 0d}\n", 4,
                  "tables.users.retention", "bad retention"},
        ErrorCase{"bad_table_name", kHead + "tables:\n  a.b.c: {}\n", 4, "tables.a.b.c",
                  "too many parts"},
        ErrorCase{"bad_column_name", kHead + "tables:\n  t: {column: \"deleted at\"}\n", 4,
                  "tables.t.column", "bad column name"},
        ErrorCase{"same_column_twice", kHead + "tables:\n  t: {column: x, deleted_by: X}\n", 4,
                  "tables.t.deleted_by", "already used as column"},
        ErrorCase{"by_equals_default_marker", kHead + "tables:\n  t: {reason: deleted_at}\n", 4,
                  "tables.t.reason", "already used"},
        ErrorCase{"duplicate_table", kHead + "tables:\n  users: {}\n  Public.USERS: {}\n", 5,
                  "tables.Public.USERS", "same table as the entry on line 4"},
        ErrorCase{"archive_is_itself",
                  kHead + "tables:\n  o: {strategy: archive, archive: public.o}\n", 4,
                  "tables.o.archive", "must differ"},
        ErrorCase{"archive_is_managed",
                  kHead + "tables:\n  o: {strategy: archive, archive: p}\n  p: {strategy: hard}\n",
                  4, "tables.o.archive", "is itself a managed table"},
        ErrorCase{"audit_not_bool", kHead + "tables:\n  s: {strategy: hard, audit: maybe}\n", 4,
                  "tables.s.audit", "expected true or false"},
        ErrorCase{"tables_not_map", kHead + "tables: [users]\n", 3, "tables", "expected a mapping"},
        ErrorCase{"table_value_list", kHead + "tables:\n  users: [soft]\n", 4, "tables.users",
                  "expected a mapping"},
        ErrorCase{"listen_no_port", "listen: \"0.0.0.0\"\n", 1, "listen", "missing port"},
        ErrorCase{"listen_bad_port", "listen: \"0.0.0.0:70000\"\n", 1, "listen",
                  "not a number from 1 to 65535"},
        ErrorCase{"upstream_bad_ipv4", "\nupstream: \"300.1.2.3:5432\"\n", 2, "upstream",
                  "not an IPv4 address"},
        ErrorCase{"upstream_ipv6_unbracketed", "upstream: \"::1:5432\"\n", 1, "upstream",
                  "must be in brackets"},
        ErrorCase{"upstream_bad_ipv6", "upstream: \"[::zz]:5432\"\n", 1, "upstream",
                  "not an IPv6 address"},
        ErrorCase{"upstream_bad_host", "upstream: \"bad host:5432\"\n", 1, "upstream",
                  "not a valid host name"},
        ErrorCase{"upstream_list", "upstream: [a, b]\n", 1, "upstream",
                  "expected a string, got a list"},
        ErrorCase{"metrics_equals_listen",
                  "listen: \"127.0.0.1:7000\"\nmetrics: \"127.0.0.1:7000\"\n", 2, "metrics",
                  "same address as listen"},
        ErrorCase{"client_tls_bad_mode", "tls:\n  client: {mode: verify-full}\n", 2,
                  "tls.client.mode", "expected disable, prefer or require"},
        ErrorCase{"client_tls_require_without_cert", "tls:\n  client:\n    mode: require\n", 3,
                  "tls.client.mode", "needs a certificate"},
        ErrorCase{"client_cert_bad_value", "tls:\n  client:\n    client_cert: always\n", 3,
                  "tls.client.client_cert", "expected optional or require"},
        ErrorCase{"client_cert_require_without_ca", "tls:\n  client:\n    client_cert: require\n",
                  3, "tls.client.client_cert", "set tls.client.ca"},
        ErrorCase{"client_cert_missing_file", "tls:\n  client:\n    cert: /nonexistent/x.crt\n", 3,
                  "tls.client.cert", "'/nonexistent/x.crt' does not exist"},
        ErrorCase{"client_cert_is_directory", "tls:\n  client:\n    cert: /tmp\n    key: /tmp\n", 3,
                  "tls.client.cert", "is a directory"},
        ErrorCase{"upstream_tls_bad_mode", "tls:\n  upstream: {mode: allow}\n", 2,
                  "tls.upstream.mode", "verify-ca or verify-full"},
        ErrorCase{"upstream_verify_without_ca", "tls:\n  upstream:\n    mode: verify-ca\n", 3,
                  "tls.upstream.mode", "set tls.upstream.ca"},
        ErrorCase{"upstream_ca_missing",
                  "tls:\n  upstream: {mode: verify-full,\n    ca: missing.pem}\n", 3,
                  "tls.upstream.ca", "does not exist"},
        ErrorCase{"tls_unknown_section", "tls:\n  server: {}\n", 2, "tls.server", "unknown key"},
        ErrorCase{"unparsable_bad", "unparsable: ignore\n", 1, "unparsable",
                  "expected reject or forward"},
        ErrorCase{"admin_roles_scalar", "admin_roles: admin\n", 1, "admin_roles",
                  "expected a list"},
        ErrorCase{"admin_roles_nested", "admin_roles:\n  - a\n  - [b]\n", 3, "admin_roles",
                  "non-empty strings"},
        ErrorCase{"log_level_bad", "log:\n  level: verbose\n", 2, "log.level",
                  "unknown level 'verbose'"},
        ErrorCase{"log_format_bad", "log: {format: xml}\n", 1, "log.format",
                  "expected text or json"},
        ErrorCase{"size_bad_unit", "limits:\n  max_message_size: 64 parsecs\n", 2,
                  "limits.max_message_size", "bad size"},
        ErrorCase{"size_too_big", "limits:\n  max_message_size: 2GB\n", 2,
                  "limits.max_message_size", "out of range"},
        ErrorCase{"duration_no_unit", "limits:\n  startup_timeout: 10\n", 2,
                  "limits.startup_timeout", "bad duration '10'"},
        ErrorCase{"duration_zero", "limits:\n  connect_timeout: 0s\n", 2, "limits.connect_timeout",
                  "greater than zero"},
        ErrorCase{"cache_negative", "limits:\n  rewrite_cache_entries: -1\n", 2,
                  "limits.rewrite_cache_entries", "whole number"},
        ErrorCase{"limits_unknown", "limits:\n  max_connections: 5\n", 2, "limits.max_connections",
                  "unknown key"},
        ErrorCase{"duplicate_key", "listen: \"h:1\"\nupstream: \"h:2\"\nlisten: \"h:3\"\n", 3,
                  "listen", "duplicate key (first given on line 1)"},
        ErrorCase{"top_level_list", "- a\n- b\n", 1, "(top level)", "expected a mapping"},
        ErrorCase{"databases_map", "databases: {a: 1}\n", 1, "databases", "expected a list"}),
    [](const auto& info) { return info.param.name; });

TEST(ConfigLoader, SyntaxErrorNamesLine) {
  auto got = load_config_string("listen: \"a:1\"\ntables:\n  users: {strategy: soft\n", "x.yaml");
  ASSERT_FALSE(got.has_value());
  EXPECT_EQ(got.error().rfind("x.yaml:", 0), 0u) << got.error();
  EXPECT_NE(got.error().find("YAML syntax"), std::string::npos) << got.error();
}

TEST(ConfigLoader, EmptyFileIsAnError) {
  auto got = load_config_string("", "x.yaml");
  ASSERT_FALSE(got.has_value());
  EXPECT_EQ(got.error(), "x.yaml:1: the file is empty — fix: set at least \"upstream\"");
}

TEST(ConfigLoader, ReportsEveryProblemOnItsOwnLine) {
  auto got = load_config_string("listen: nope\nunparsable: maybe\ntables:\n  t: {strategy: x}\n",
                                "x.yaml");
  ASSERT_FALSE(got.has_value());
  EXPECT_NE(got.error().find("x.yaml:1: listen: missing port"), std::string::npos) << got.error();
  EXPECT_NE(got.error().find("\nx.yaml:2: unparsable: "), std::string::npos) << got.error();
  EXPECT_NE(got.error().find("\nx.yaml:4: tables.t.strategy: "), std::string::npos) << got.error();
}

TEST(ConfigLoader, MissingOrUnreadableFile) {
  auto got = load_config_file("/nonexistent/tombstone.yaml");
  ASSERT_FALSE(got.has_value());
  EXPECT_NE(got.error().find("/nonexistent/tombstone.yaml: cannot read"), std::string::npos)
      << got.error();

  // Permission bits do not stop root, so only check them when not running as root.
  if (geteuid() != 0) {
    TempDir dir;
    std::string key = dir.write("k.key", "x");
    chmod(key.c_str(), 0);
    std::string cfg =
        dir.write("c.yaml", "tls:\n  client: {cert: " + key + ", key: " + key + "}\n");
    auto bad = load_config_file(cfg);
    ASSERT_FALSE(bad.has_value());
    EXPECT_NE(bad.error().find(":2: tls.client.cert: cannot read"), std::string::npos)
        << bad.error();
  }
}

}  // namespace
}  // namespace tombstone::config
