#include "config/loader.h"

#include <arpa/inet.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <sstream>
#include <utility>

namespace tombstone::config {
namespace {

namespace fs = std::filesystem;

// PostgreSQL truncates identifiers to NAMEDATALEN - 1 bytes; a longer name in the config would
// silently name a different table than the server uses, so it is an error.
constexpr std::size_t kMaxIdentifierBytes = 63;
constexpr std::size_t kMinMessageSize = 1024;
constexpr std::size_t kMaxMessageSize = std::size_t{1} << 30;  // PostgreSQL's own MaxAllocSize
constexpr std::size_t kMaxCacheEntries = 10'000'000;

// ---------------------------------------------------------------------------------------------
// SQL names

bool is_ident_start(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80;
}
bool is_ident_char(unsigned char c) {
  return is_ident_start(c) || (c >= '0' && c <= '9') || c == '$';
}

// Splits "a.B."C""" into folded parts; the scanner follows PostgreSQL's rules for identifiers
// (scan.l): ASCII-only down-casing of unquoted parts, "" inside quotes is one quote.
std::expected<std::vector<std::string>, std::string> parse_name_parts(std::string_view text) {
  std::vector<std::string> parts;
  std::size_t i = 0;
  if (text.empty()) return std::unexpected("empty name");
  while (true) {
    std::string part;
    if (i < text.size() && text[i] == '"') {
      ++i;
      bool closed = false;
      while (i < text.size()) {
        if (text[i] == '"') {
          if (i + 1 < text.size() && text[i + 1] == '"') {
            part += '"';
            i += 2;
            continue;
          }
          ++i;
          closed = true;
          break;
        }
        part += text[i++];
      }
      if (!closed) return std::unexpected("unterminated quoted identifier");
      if (part.empty()) return std::unexpected("zero-length quoted identifier \"\"");
    } else {
      if (i >= text.size() || !is_ident_start(static_cast<unsigned char>(text[i]))) {
        if (i >= text.size()) return std::unexpected("name ends with '.'");
        return std::unexpected(std::string("unexpected character '") + text[i] +
                               "' (quote the name, e.g. '\"My Table\"')");
      }
      while (i < text.size() && is_ident_char(static_cast<unsigned char>(text[i]))) {
        char c = text[i++];
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        part += c;
      }
    }
    if (part.size() > kMaxIdentifierBytes) {
      return std::unexpected("identifier '" + part +
                             "' is longer than 63 bytes (PostgreSQL "
                             "would truncate it)");
    }
    parts.push_back(std::move(part));
    if (i == text.size()) break;
    if (text[i] != '.') {
      return std::unexpected(std::string("unexpected character '") + text[i] +
                             "' (quote the name, e.g. '\"My Table\"')");
    }
    ++i;
  }
  return parts;
}

// ---------------------------------------------------------------------------------------------
// Values with units

std::optional<std::uint64_t> parse_uint(std::string_view s) {
  std::uint64_t v = 0;
  if (s.empty()) return std::nullopt;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

struct Unit {
  std::string_view suffix;
  std::uint64_t factor;
};

// "1d12h" / "90d" / "500ms": one or more <integer><unit> groups, summed.
std::optional<std::uint64_t> parse_with_units(std::string_view s,
                                              std::initializer_list<Unit> units) {
  if (s.empty()) return std::nullopt;
  std::uint64_t total = 0;
  std::size_t i = 0;
  while (i < s.size()) {
    std::size_t d = i;
    while (d < s.size() && s[d] >= '0' && s[d] <= '9') ++d;
    auto n = parse_uint(s.substr(i, d - i));
    if (!n) return std::nullopt;
    std::size_t u = d;
    while (u < s.size() && !(s[u] >= '0' && s[u] <= '9')) ++u;
    std::string_view suffix = s.substr(d, u - d);
    const Unit* found = nullptr;
    for (const auto& unit : units) {
      if (unit.suffix == suffix) found = &unit;
    }
    if (!found) return std::nullopt;
    if (*n > UINT64_MAX / found->factor / 2) return std::nullopt;
    total += *n * found->factor;
    i = u;
  }
  return total;
}

std::string trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return std::string(s);
}

std::string without_spaces(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c != ' ' && c != '\t') out += c;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Addresses

bool valid_hostname(std::string_view host) {
  if (host.empty() || host.size() > 253) return false;
  std::size_t label = 0;
  for (std::size_t i = 0; i < host.size(); ++i) {
    char c = host[i];
    if (c == '.') {
      if (label == 0 || host[i - 1] == '-') return false;
      label = 0;
      continue;
    }
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_';
    if (!ok || (label == 0 && c == '-') || ++label > 63) return false;
  }
  return host.back() != '-';
}

bool looks_numeric(std::string_view host) {
  return std::all_of(host.begin(), host.end(),
                     [](char c) { return (c >= '0' && c <= '9') || c == '.'; });
}

std::expected<Endpoint, std::string> parse_endpoint(std::string_view text) {
  const std::string kFix = " — fix: write \"host:port\", e.g. \"127.0.0.1:5432\" or \"[::1]:5432\"";
  std::string host;
  std::string_view port_text;
  if (text.empty()) return std::unexpected("empty address" + kFix);
  if (text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos)
      return std::unexpected("missing ']' after IPv6 address" + kFix);
    host = std::string(text.substr(1, close - 1));
    in6_addr a6;
    if (inet_pton(AF_INET6, host.c_str(), &a6) != 1) {
      return std::unexpected("'" + host + "' is not an IPv6 address" + kFix);
    }
    if (close + 1 >= text.size() || text[close + 1] != ':')
      return std::unexpected("missing port" + kFix);
    port_text = text.substr(close + 2);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return std::unexpected("missing port" + kFix);
    host = std::string(text.substr(0, colon));
    port_text = text.substr(colon + 1);
    if (host.find(':') != std::string::npos) {
      return std::unexpected("IPv6 addresses must be in brackets" + kFix);
    }
    if (host.empty()) return std::unexpected("missing host" + kFix);
    if (looks_numeric(host)) {
      in_addr a4;
      if (inet_pton(AF_INET, host.c_str(), &a4) != 1) {
        return std::unexpected("'" + host + "' is not an IPv4 address" + kFix);
      }
    } else if (!valid_hostname(host)) {
      return std::unexpected("'" + host + "' is not a valid host name" + kFix);
    }
  }
  auto port = parse_uint(port_text);
  if (!port || *port < 1 || *port > 65535) {
    return std::unexpected("port '" + std::string(port_text) + "' is not a number from 1 to 65535" +
                           kFix);
  }
  return Endpoint{host, static_cast<std::uint16_t>(*port)};
}

// ---------------------------------------------------------------------------------------------

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      cur[j] =
          std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1] ? 1 : 0)});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string join(const std::vector<std::string>& items, std::string_view sep) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i) out += sep;
    out += items[i];
  }
  return out;
}

// "a, b or c"
std::string alternatives(std::initializer_list<std::string_view> words) {
  std::string out;
  std::size_t i = 0;
  for (auto w : words) {
    if (i) out += (i + 1 == words.size()) ? " or " : ", ";
    out += w;
    ++i;
  }
  return out;
}

// One key/value pair of a YAML mapping, with the key as written (for messages).
struct Entry {
  std::string key;
  YAML::Node key_node;
  YAML::Node value;
};

class Loader {
 public:
  Loader(std::string source, fs::path base_dir)
      : source_(std::move(source)), base_dir_(std::move(base_dir)) {}

  std::expected<Config, std::string> load(std::string_view text) {
    YAML::Node root;
    try {
      root = YAML::Load(std::string(text));
    } catch (const YAML::Exception& e) {
      return std::unexpected(source_ + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg +
                             " — fix: correct the YAML syntax");
    }
    config_.source_file = source_;
    if (!root.IsDefined() || root.IsNull()) {
      return std::unexpected(source_ + ":1: the file is empty — fix: set at least \"upstream\"");
    }
    if (!root.IsMap()) {
      error(root, "(top level)", "expected a mapping of settings (listen, upstream, tables, ...)");
      return finish();
    }
    load_root(root);
    return finish();
  }

 private:
  std::expected<Config, std::string> finish() {
    if (!errors_.empty()) return std::unexpected(join(errors_, "\n"));
    return std::move(config_);
  }

  int line_of(const YAML::Node& node) const {
    int line = node.Mark().line;
    return line < 0 ? 1 : line + 1;
  }

  void error(const YAML::Node& at, const std::string& key, const std::string& problem) {
    errors_.push_back(source_ + ":" + std::to_string(line_of(at)) + ": " + key + ": " + problem);
  }

  // The entries of a mapping; unknown and duplicate keys are reported here so every caller
  // only handles the keys it knows.
  std::vector<Entry> entries(const YAML::Node& map, const std::string& path,
                             const std::vector<std::string>& allowed) {
    std::vector<Entry> out;
    for (auto it = map.begin(); it != map.end(); ++it) {
      // Copies: yaml-cpp's iterator hands out a temporary pair, references into it dangle.
      const YAML::Node k = it->first;
      const YAML::Node v = it->second;
      std::string key_path = path.empty() ? "" : path + ".";
      if (!k.IsScalar()) {
        error(k, path.empty() ? "(top level)" : path, "keys must be plain strings");
        continue;
      }
      std::string key = k.Scalar();
      if (!allowed.empty() && std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
        std::string hint;
        for (const auto& a : allowed) {
          if (edit_distance(key, a) <= 2) hint = "; did you mean '" + a + "'?";
        }
        error(k, key_path + key,
              "unknown key '" + key + "' (expected one of: " + join(allowed, ", ") + ")" + hint);
        continue;
      }
      bool duplicate = false;
      for (const auto& e : out) {
        if (e.key == key) {
          error(k, key_path + key,
                "duplicate key (first given on line " + std::to_string(line_of(e.key_node)) +
                    ") — fix: keep one");
          duplicate = true;
        }
      }
      if (!duplicate) out.push_back({key, k, v});
    }
    return out;
  }

  std::optional<std::string> scalar(const Entry& e, const std::string& path) {
    if (!e.value.IsScalar()) {
      std::string got = e.value.IsNull()       ? "nothing"
                        : e.value.IsSequence() ? "a list"
                                               : "a mapping";
      error(e.value.IsNull() ? e.key_node : e.value, path, "expected a string, got " + got);
      return std::nullopt;
    }
    return e.value.Scalar();
  }

  bool is_map(const Entry& e, const std::string& path) {
    if (e.value.IsMap()) return true;
    std::string got = e.value.IsNull() ? "nothing" : e.value.IsSequence() ? "a list" : "a string";
    error(e.value.IsNull() ? e.key_node : e.value, path, "expected a mapping, got " + got);
    return false;
  }

  std::optional<std::vector<std::string>> string_list(const Entry& e, const std::string& path) {
    if (!e.value.IsSequence()) {
      std::string got = e.value.IsNull() ? "nothing" : e.value.IsMap() ? "a mapping" : "a string";
      error(e.value.IsNull() ? e.key_node : e.value, path,
            "expected a list, got " + got + " — fix: write [a, b]");
      return std::nullopt;
    }
    std::vector<std::string> out;
    bool ok = true;
    for (const auto& item : e.value) {
      if (!item.IsScalar() || item.Scalar().empty()) {
        error(item, path, "list items must be non-empty strings");
        ok = false;
        continue;
      }
      out.push_back(item.Scalar());
    }
    return ok ? std::optional(out) : std::nullopt;
  }

  std::optional<Endpoint> endpoint(const Entry& e, const std::string& path) {
    auto text = scalar(e, path);
    if (!text) return std::nullopt;
    auto ep = parse_endpoint(trim(*text));
    if (!ep) {
      error(e.value, path, ep.error());
      return std::nullopt;
    }
    return *ep;
  }

  // Certificate/key/CA files must exist and be readable now: a typo found at startup beats a
  // TLS handshake failure at the first client.
  std::optional<std::string> readable_file(const Entry& e, const std::string& path) {
    auto text = scalar(e, path);
    if (!text) return std::nullopt;
    if (text->empty()) {
      error(e.value, path, "empty file name");
      return std::nullopt;
    }
    fs::path p(*text);
    if (p.is_relative()) p = base_dir_ / p;
    p = p.lexically_normal();
    std::error_code ec;
    auto st = fs::status(p, ec);
    if (ec || !fs::exists(st)) {
      error(e.value, path, "file '" + p.string() + "' does not exist — fix: correct the path");
      return std::nullopt;
    }
    if (fs::is_directory(st)) {
      error(e.value, path, "'" + p.string() + "' is a directory, not a file");
      return std::nullopt;
    }
    std::ifstream in(p, std::ios::binary);
    if (!in) {
      error(e.value, path,
            "cannot read '" + p.string() + "': " + std::strerror(errno) +
                " — fix: make it readable by the tombstone user");
      return std::nullopt;
    }
    return p.string();
  }

  std::optional<std::string> identifier(const Entry& e, const std::string& path) {
    auto text = scalar(e, path);
    if (!text) return std::nullopt;
    auto id = parse_identifier(*text);
    if (!id) {
      error(e.value, path, "bad column name '" + *text + "': " + id.error());
      return std::nullopt;
    }
    return *id;
  }

  std::optional<std::chrono::milliseconds> duration(const Entry& e, const std::string& path,
                                                    bool allow_zero) {
    auto text = scalar(e, path);
    if (!text) return std::nullopt;
    auto ms = parse_with_units(
        without_spaces(*text),
        {{"ms", 1}, {"s", 1000}, {"m", 60'000}, {"min", 60'000}, {"h", 3'600'000}});
    if (!ms) {
      error(e.value, path,
            "bad duration '" + *text +
                "' — fix: write a number with a unit ms, s, m "
                "or h, e.g. 10s or 500ms");
      return std::nullopt;
    }
    if (*ms == 0 && !allow_zero) {
      error(e.value, path, "must be greater than zero");
      return std::nullopt;
    }
    return std::chrono::milliseconds(*ms);
  }

  void load_root(const YAML::Node& root) {
    for (const auto& e : entries(root, "",
                                 {"listen", "upstream", "tls", "admin_roles", "unparsable",
                                  "metrics", "log", "tables", "databases", "limits"})) {
      const std::string& k = e.key;
      if (k == "listen") {
        if (auto ep = endpoint(e, k)) config_.listen = *ep;
      } else if (k == "upstream") {
        if (auto ep = endpoint(e, k)) config_.upstream = *ep;
      } else if (k == "tls") {
        if (is_map(e, k)) load_tls(e.value);
      } else if (k == "admin_roles") {
        if (auto roles = string_list(e, k)) config_.admin_roles = *roles;
      } else if (k == "unparsable") {
        auto v = scalar(e, k);
        if (v == "reject") {
          config_.unparsable = Unparsable::kReject;
        } else if (v == "forward") {
          config_.unparsable = Unparsable::kForward;
        } else if (v) {
          error(e.value, k, "unknown value '" + *v + "' (expected reject or forward)");
        }
      } else if (k == "metrics") {
        if (e.value.IsNull()) {
          config_.metrics.reset();
        } else if (auto ep = endpoint(e, k)) {
          config_.metrics = *ep;
          metrics_node_ = e.value;
        }
      } else if (k == "log") {
        if (is_map(e, k)) load_log(e.value);
      } else if (k == "tables") {
        if (e.value.IsNull()) continue;  // "tables:" with nothing under it: no policies
        if (is_map(e, k)) load_tables(e.value);
      } else if (k == "databases") {
        if (auto dbs = string_list(e, k)) config_.databases = *dbs;
      } else if (k == "limits") {
        if (is_map(e, k)) load_limits(e.value);
      }
    }
    if (config_.metrics && *config_.metrics == config_.listen) {
      error(metrics_node_, "metrics", "same address as listen — fix: use another port");
    }
  }

  void load_tls(const YAML::Node& tls) {
    for (const auto& e : entries(tls, "tls", {"client", "upstream"})) {
      std::string path = "tls." + e.key;
      if (!is_map(e, path)) continue;
      if (e.key == "client") {
        load_client_tls(e);
      } else {
        load_upstream_tls(e);
      }
    }
  }

  void load_client_tls(const Entry& section) {
    const std::string path = "tls.client";
    std::optional<TlsMode> mode;
    YAML::Node mode_node = section.key_node;
    auto& tls = config_.tls_client;
    YAML::Node client_cert_node;
    for (const auto& e : entries(section.value, path, {"mode", "cert", "key", "ca", "client_cert"})) {
      std::string p = path + "." + e.key;
      if (e.key == "client_cert") {
        auto v = scalar(e, p);
        client_cert_node = e.value;
        if (v == "require") {
          tls.require_client_cert = true;
        } else if (v && *v != "optional") {
          error(e.value, p, "unknown value '" + *v + "' (expected optional or require)");
        }
      } else if (e.key == "mode") {
        auto v = scalar(e, p);
        mode_node = e.value;
        if (v == "disable") {
          mode = TlsMode::kDisable;
        } else if (v == "prefer") {
          mode = TlsMode::kPrefer;
        } else if (v == "require") {
          mode = TlsMode::kRequire;
        } else if (v) {
          error(e.value, p, "unknown mode '" + *v + "' (expected disable, prefer or require)");
        }
      } else if (auto file = readable_file(e, p)) {
        (e.key == "cert" ? tls.cert : e.key == "key" ? tls.key : tls.ca) = *file;
      }
    }
    // Clients get TLS when a certificate is configured, unless the operator says otherwise.
    tls.mode = mode.value_or(tls.cert.empty() ? TlsMode::kDisable : TlsMode::kPrefer);
    if (tls.cert.empty() != tls.key.empty()) {
      error(section.key_node, path, "cert and key must be given together");
    } else if (tls.mode != TlsMode::kDisable && tls.cert.empty()) {
      error(mode_node, path + ".mode",
            "mode " + std::string(tls.mode == TlsMode::kPrefer ? "prefer" : "require") +
                " needs a certificate — fix: set tls.client.cert and tls.client.key, or mode: "
                "disable");
    } else if (tls.require_client_cert && tls.ca.empty()) {
      error(client_cert_node, path + ".client_cert",
            "client_cert: require needs the CA to verify them — fix: set tls.client.ca");
    } else if (tls.require_client_cert && tls.mode != TlsMode::kRequire) {
      error(client_cert_node, path + ".client_cert",
            "client_cert: require with a plaintext-capable mode lets clients skip the check — "
            "fix: set tls.client.mode: require");
    }
  }

  void load_upstream_tls(const Entry& section) {
    const std::string path = "tls.upstream";
    auto& tls = config_.tls_upstream;
    YAML::Node mode_node = section.key_node;
    for (const auto& e : entries(section.value, path, {"mode", "ca", "cert", "key"})) {
      std::string p = path + "." + e.key;
      if (e.key == "mode") {
        auto v = scalar(e, p);
        mode_node = e.value;
        if (v == "disable") {
          tls.mode = TlsMode::kDisable;
        } else if (v == "prefer") {
          tls.mode = TlsMode::kPrefer;
        } else if (v == "require") {
          tls.mode = TlsMode::kRequire;
        } else if (v == "verify-ca") {
          tls.mode = TlsMode::kVerifyCa;
        } else if (v == "verify-full") {
          tls.mode = TlsMode::kVerifyFull;
        } else if (v) {
          error(e.value, p,
                "unknown mode '" + *v +
                    "' (expected disable, prefer, require, verify-ca or verify-full)");
        }
      } else if (auto file = readable_file(e, p)) {
        (e.key == "cert" ? tls.cert : e.key == "key" ? tls.key : tls.ca) = *file;
      }
    }
    if (tls.cert.empty() != tls.key.empty()) {
      error(section.key_node, path, "cert and key must be given together");
    }
    if ((tls.mode == TlsMode::kVerifyCa || tls.mode == TlsMode::kVerifyFull) && tls.ca.empty()) {
      error(mode_node, path + ".mode",
            "verify-ca and verify-full need the CA that signed the server's certificate — fix: set "
            "tls.upstream.ca");
    }
  }

  void load_log(const YAML::Node& log) {
    for (const auto& e : entries(log, "log", {"level", "format"})) {
      std::string p = "log." + e.key;
      auto v = scalar(e, p);
      if (!v) continue;
      if (e.key == "level") {
        static const std::vector<std::string> kLevels = {"trace", "debug",    "info", "warn",
                                                         "error", "critical", "off"};
        if (std::find(kLevels.begin(), kLevels.end(), *v) == kLevels.end()) {
          error(e.value, p, "unknown level '" + *v + "' (expected " + join(kLevels, ", ") + ")");
        } else {
          config_.log.level = *v;
        }
      } else if (*v == "text") {
        config_.log.format = LogFormat::kText;
      } else if (*v == "json") {
        config_.log.format = LogFormat::kJson;
      } else {
        error(e.value, p, "unknown format '" + *v + "' (expected text or json)");
      }
    }
  }

  void load_limits(const YAML::Node& limits) {
    auto& l = config_.limits;
    for (const auto& e : entries(limits, "limits",
                                 {"max_message_size", "startup_timeout", "connect_timeout",
                                  "drain_timeout", "rewrite_cache_entries",
                                  "catalog_max_age"})) {
      std::string p = "limits." + e.key;
      if (e.key == "max_message_size") {
        auto v = scalar(e, p);
        if (!v) continue;
        // PostgreSQL's convention (kB = 1024); the IEC spellings are accepted as synonyms.
        auto bytes = parse_with_units(without_spaces(*v), {{"", 1},
                                                           {"B", 1},
                                                           {"kB", 1024},
                                                           {"KB", 1024},
                                                           {"KiB", 1024},
                                                           {"MB", 1024 * 1024},
                                                           {"MiB", 1024 * 1024},
                                                           {"GB", 1024 * 1024 * 1024},
                                                           {"GiB", 1024 * 1024 * 1024}});
        if (!bytes) {
          error(e.value, p,
                "bad size '" + *v +
                    "' — fix: write bytes or a number with kB, MB, GB "
                    "(or KiB, MiB, GiB), e.g. 64MiB");
        } else if (*bytes < kMinMessageSize || *bytes > kMaxMessageSize) {
          error(e.value, p, "size " + *v + " out of range (expected 1kB to 1GB)");
        } else {
          l.max_message_size = *bytes;
        }
      } else if (e.key == "rewrite_cache_entries") {
        auto v = scalar(e, p);
        if (!v) continue;
        auto n = parse_uint(trim(*v));
        if (!n || *n > kMaxCacheEntries) {
          error(e.value, p, "expected a whole number from 0 to 10000000, got '" + *v + "'");
        } else {
          l.rewrite_cache_entries = *n;
        }
      } else {
        auto d = duration(e, p, e.key == "drain_timeout" || e.key == "catalog_max_age");
        if (!d) continue;
        (e.key == "startup_timeout"   ? l.startup_timeout
         : e.key == "connect_timeout" ? l.connect_timeout
         : e.key == "drain_timeout"   ? l.drain_timeout
                                      : l.catalog_max_age) = *d;
      }
    }
  }

  void load_tables(const YAML::Node& tables) {
    std::vector<int> lines;  // line of each accepted table, for duplicate messages
    for (const auto& e : entries(tables, "tables", {})) {
      std::string path = "tables." + e.key;
      auto name = parse_qualified_name(e.key);
      if (!name) {
        error(e.key_node, path, "bad table name '" + e.key + "': " + name.error());
        continue;
      }
      bool duplicate = false;
      for (std::size_t i = 0; i < config_.tables.size(); ++i) {
        if (config_.tables[i].table == *name) {
          error(e.key_node, path,
                "names the same table as the entry on line " + std::to_string(lines[i]) +
                    " — fix: keep one");
          duplicate = true;
        }
      }
      if (duplicate) continue;
      auto policy = load_table(e, path, *name);
      if (!policy) continue;
      config_.tables.push_back(std::move(*policy));
      lines.push_back(line_of(e.key_node));
      table_nodes_.push_back(e.key_node);
    }
    // Archive tables are written by Tombstone itself; managing one would recurse.
    for (std::size_t i = 0; i < config_.tables.size(); ++i) {
      const auto& t = config_.tables[i];
      if (t.strategy != Strategy::kArchive) continue;
      if (t.archive == t.table) {
        error(table_nodes_[i], "tables." + table_nodes_[i].Scalar() + ".archive",
              "the archive table must differ from the table itself");
      } else if (const auto* other = config_.find_table(t.archive)) {
        error(table_nodes_[i], "tables." + table_nodes_[i].Scalar() + ".archive",
              "archive table " + other->table.to_sql() +
                  " is itself a managed table — fix: use a separate archive table");
      }
    }
  }

  std::optional<TablePolicy> load_table(const Entry& table, const std::string& path,
                                        const QualifiedName& name) {
    TablePolicy policy;
    policy.table = name;
    policy.archive = QualifiedName{name.schema, name.name + "_archive"};
    if (table.value.IsNull()) return policy;  // "public.users:" alone: soft with defaults
    if (!is_map(table, path)) return std::nullopt;
    auto fields =
        entries(table.value, path,
                {"strategy", "column", "deleted_by", "reason", "retention", "archive", "audit"});
    bool ok = true;
    for (const auto& e : fields) {
      if (e.key != "strategy") continue;
      auto v = scalar(e, path + ".strategy");
      if (v == "soft") {
        policy.strategy = Strategy::kSoft;
      } else if (v == "archive") {
        policy.strategy = Strategy::kArchive;
      } else if (v == "hard") {
        policy.strategy = Strategy::kHard;
      } else {
        if (v) {
          error(e.value, path + ".strategy",
                "unknown strategy '" + *v + "' (expected " +
                    alternatives({"soft", "archive", "hard"}) + ")");
        }
        return std::nullopt;  // the other keys cannot be judged without a strategy
      }
    }
    static const std::vector<std::string> kSoftKeys = {"strategy", "column", "deleted_by", "reason",
                                                       "retention"};
    static const std::vector<std::string> kArchiveKeys = {"strategy", "archive", "retention"};
    static const std::vector<std::string> kHardKeys = {"strategy", "audit"};
    const auto& valid = policy.strategy == Strategy::kSoft      ? kSoftKeys
                        : policy.strategy == Strategy::kArchive ? kArchiveKeys
                                                                : kHardKeys;
    const char* strategy_name = policy.strategy == Strategy::kSoft      ? "soft"
                                : policy.strategy == Strategy::kArchive ? "archive"
                                                                        : "hard";
    std::vector<std::pair<std::string, const Entry*>> columns;
    for (const auto& e : fields) {
      std::string p = path + "." + e.key;
      if (std::find(valid.begin(), valid.end(), e.key) == valid.end()) {
        error(e.key_node, p,
              "not valid for strategy " + std::string(strategy_name) +
                  " (valid keys: " + join(valid, ", ") + ")");
        ok = false;
        continue;
      }
      if (e.key == "column" || e.key == "deleted_by" || e.key == "reason") {
        auto id = identifier(e, p);
        if (!id) {
          ok = false;
          continue;
        }
        (e.key == "column"       ? policy.column
         : e.key == "deleted_by" ? policy.deleted_by.emplace()
                                 : policy.reason.emplace()) = *id;
        columns.emplace_back(*id, &e);
      } else if (e.key == "retention") {
        auto v = scalar(e, p);
        auto secs =
            v ? parse_with_units(
                    without_spaces(*v),
                    {{"s", 1}, {"m", 60}, {"min", 60}, {"h", 3600}, {"d", 86400}, {"w", 604800}})
              : std::nullopt;
        if (!secs || *secs == 0) {
          if (v) {
            error(e.value, p,
                  "bad retention '" + *v +
                      "' — fix: write a positive number with a unit "
                      "s, m, h, d or w, e.g. 90d or 12h");
          }
          ok = false;
          continue;
        }
        policy.retention = std::chrono::seconds(*secs);
      } else if (e.key == "archive") {
        auto v = scalar(e, p);
        if (!v) {
          ok = false;
          continue;
        }
        auto archive = parse_qualified_name(*v);
        if (!archive) {
          error(e.value, p, "bad table name '" + *v + "': " + archive.error());
          ok = false;
          continue;
        }
        policy.archive = *archive;
      } else if (e.key == "audit") {
        bool audit = false;
        if (!e.value.IsScalar() || !YAML::convert<bool>::decode(e.value, audit)) {
          error(e.value.IsNull() ? e.key_node : e.value, p, "expected true or false");
          ok = false;
          continue;
        }
        policy.audit = audit;
      }
    }
    if (policy.strategy == Strategy::kSoft) {
      if (std::find_if(columns.begin(), columns.end(),
                       [](const auto& c) { return c.second->key == "column"; }) == columns.end()) {
        columns.insert(columns.begin(), {policy.column, nullptr});
      }
      for (std::size_t i = 0; i < columns.size(); ++i) {
        for (std::size_t j = 0; j < i; ++j) {
          if (columns[i].first == columns[j].first) {
            std::string other = columns[j].second ? columns[j].second->key : "column (default)";
            error(columns[i].second->value, path + "." + columns[i].second->key,
                  "column '" + columns[i].first + "' is already used as " + other +
                      " — fix: use separate columns");
            ok = false;
          }
        }
      }
    }
    if (!ok) return std::nullopt;
    return policy;
  }

  std::string source_;
  fs::path base_dir_;
  Config config_;
  std::vector<std::string> errors_;
  YAML::Node metrics_node_;
  std::vector<YAML::Node> table_nodes_;
};

}  // namespace

std::expected<QualifiedName, std::string> parse_qualified_name(std::string_view text) {
  auto parts = parse_name_parts(text);
  if (!parts) return std::unexpected(parts.error());
  if (parts->size() == 1) return QualifiedName{"public", (*parts)[0]};
  if (parts->size() == 2) return QualifiedName{(*parts)[0], (*parts)[1]};
  return std::unexpected("too many parts (expected [schema.]table)");
}

std::expected<std::string, std::string> parse_identifier(std::string_view text) {
  auto parts = parse_name_parts(text);
  if (!parts) return std::unexpected(parts.error());
  if (parts->size() != 1) return std::unexpected("expected one name without '.'");
  return (*parts)[0];
}

std::expected<Config, std::string> load_config_string(std::string_view yaml,
                                                      std::string_view source_name) {
  std::error_code ec;
  fs::path cwd = fs::current_path(ec);
  return Loader(std::string(source_name), cwd).load(yaml);
}

std::expected<Config, std::string> load_config_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return std::unexpected(path + ": cannot read the configuration file: " + std::strerror(errno));
  }
  std::error_code ec;
  if (fs::is_directory(path, ec))
    return std::unexpected(path + ": is a directory, not a configuration file");
  std::ostringstream text;
  text << in.rdbuf();
  fs::path base = fs::absolute(fs::path(path), ec).parent_path();
  return Loader(path, base).load(text.str());
}

}  // namespace tombstone::config
