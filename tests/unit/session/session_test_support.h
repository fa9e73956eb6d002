// A Session driven without sockets: the test plays both the client and the server, feeding
// encoded protocol messages and decoding what the session sends each way.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "parser/rewriter.h"
#include "proxy/session/catalog_cache.h"
#include "proxy/session/session.h"
#include "proxy/wire/messages.h"
#include "proxy/wire/stream_decoder.h"

namespace tombstone::session::testing {

class TestEnvironment final : public Environment {
 public:
  explicit TestEnvironment(config::Config config)
      : config_(std::make_shared<const config::Config>(std::move(config))) {}
  const std::shared_ptr<const config::Config>& config() override { return config_; }
  parser::RewriteCache& rewrite_cache() override { return cache_; }
  CatalogCache& catalogs() override { return catalogs_; }
  void set_config(config::Config config) {
    config_ = std::make_shared<const config::Config>(std::move(config));
  }

 private:
  std::shared_ptr<const config::Config> config_;
  parser::RewriteCache cache_{256};
  CatalogCache catalogs_;
};

// A config with `listen`/`upstream` defaults and TLS off on both sides.
inline config::Config base_config() {
  config::Config c;
  c.generation = 1;
  c.tls_client.mode = config::TlsMode::kDisable;
  c.tls_upstream.mode = config::TlsMode::kDisable;
  return c;
}

// public.users (soft, deleted_at) — the table most tests use.
inline config::Config users_config() {
  config::Config c = base_config();
  config::TablePolicy users;
  users.table = {"public", "users"};
  users.strategy = config::Strategy::kSoft;
  users.column = "deleted_at";
  c.tables.push_back(users);
  return c;
}

template <typename M>
std::string bytes_of(const M& message) {
  std::string out;
  wire::encode(message, out);
  return out;
}

inline std::vector<wire::RawMessage> decode_all(wire::Side side, std::string& bytes) {
  wire::StreamDecoder decoder(side, 1u << 30, false);
  decoder.feed(bytes);
  bytes.clear();
  std::vector<wire::RawMessage> out;
  for (;;) {
    auto next = decoder.next();
    EXPECT_TRUE(next.has_value()) << "undecodable output";
    if (!next || !*next) break;
    out.push_back(std::move(**next));
  }
  EXPECT_EQ(decoder.buffered_size(), 0u) << "a partial message was sent";
  return out;
}

inline std::string types_of(const std::vector<wire::RawMessage>& messages) {
  std::string out;
  for (const auto& m : messages) out.push_back(m.type);
  return out;
}

inline std::string tag_of(const wire::RawMessage& m) {
  EXPECT_EQ(m.type, 'C');
  return m.body.empty() ? std::string() : m.body.substr(0, m.body.size() - 1);
}

inline std::string query_text(const wire::RawMessage& m) {
  EXPECT_EQ(m.type, 'Q');
  return m.body.empty() ? std::string() : m.body.substr(0, m.body.size() - 1);
}

inline wire::ErrorResponse error_of(const wire::RawMessage& m) {
  auto decoded = wire::decode_backend(m.type, m.body);
  EXPECT_TRUE(decoded.has_value());
  if (!decoded || !std::holds_alternative<wire::ErrorResponse>(*decoded)) return {};
  return std::get<wire::ErrorResponse>(*decoded);
}

// Catalog rows as the catalog query returns them: (nspname, relname, relkind, attnum, attname,
// format_type, is_pk).
inline std::vector<std::vector<std::string>> users_catalog_rows() {
  return {{"public", "users", "r", "1", "id", "integer", "t"},
          {"public", "users", "r", "2", "email", "text", "f"},
          {"public", "users", "r", "3", "deleted_at", "timestamp with time zone", "f"}};
}

// The responses to the startup query's last statement (the session's real search_path and
// session_user), without ReadyForQuery. No search_path: an answer without rows, which leaves the
// session with what the startup packet said.
inline std::string session_answer(const std::optional<std::string>& search_path,
                                  const std::string& user = "alice") {
  std::string answer = bytes_of(wire::RowDescription{});
  if (!search_path) return answer + bytes_of(wire::CommandComplete{"SELECT 0"});
  answer += bytes_of(wire::DataRow{{*search_path, user}});
  answer += bytes_of(wire::CommandComplete{"SELECT 1"});
  return answer;
}

// The catalog statement's responses (without ReadyForQuery).
inline std::string catalog_answer(const std::vector<std::vector<std::string>>& rows) {
  std::string answer = bytes_of(wire::RowDescription{});
  for (const auto& row : rows) {
    wire::DataRow data;
    for (const auto& v : row) data.columns.emplace_back(v);
    answer += bytes_of(data);
  }
  answer += bytes_of(wire::CommandComplete{"SELECT " + std::to_string(rows.size())});
  return answer;
}

class Harness {
 public:
  explicit Harness(config::Config config = base_config())
      : env(std::move(config)), session(std::make_unique<Session>(env)) {}

  Next client(std::string_view bytes) {
    return session->from_client(bytes, {to_client, to_server});
  }
  Next server(std::string_view bytes) {
    return session->from_server(bytes, {to_client, to_server});
  }
  std::vector<wire::RawMessage> sent_to_server() {
    return decode_all(wire::Side::kFrontend, to_server);
  }
  std::vector<wire::RawMessage> sent_to_client() {
    return decode_all(wire::Side::kBackend, to_client);
  }

  // Startup + trust authentication, answering the invisible query (if any) with `admin` and
  // `catalog_rows`. Leaves both output buffers empty and the session ready.
  void connect(std::vector<std::pair<std::string, std::string>> params = {{"user", "alice"},
                                                                          {"database", "app"}},
               bool admin = false,
               std::vector<std::vector<std::string>> catalog_rows = users_catalog_rows(),
               std::optional<std::string> server_search_path = std::nullopt) {
    ASSERT_EQ(client(bytes_of(wire::StartupMessage{wire::kProtocolV3, params})),
              Next::kConnectUpstream);
    to_server.clear();
    std::string greeting = bytes_of(wire::Authentication{wire::kAuthOk, ""});
    greeting += bytes_of(wire::ParameterStatus{"standard_conforming_strings", "on"});
    greeting += bytes_of(wire::BackendKeyData{42, 4242});
    greeting += bytes_of(wire::ReadyForQuery{'I'});
    ASSERT_EQ(server(greeting), Next::kContinue);
    auto hidden = sent_to_server();
    if (!hidden.empty()) {
      ASSERT_EQ(types_of(hidden), "Q");
      std::string answer;
      const auto& cfg = *env.config();
      if (!cfg.admin_roles.empty()) {
        answer += bytes_of(wire::RowDescription{{wire::FieldDescription{.name = "admin"}}});
        answer += bytes_of(wire::DataRow{{std::string(admin ? "t" : "f")}});
        answer += bytes_of(wire::CommandComplete{"SELECT 1"});
      }
      if (!cfg.tables.empty()) {
        std::string user = "alice";
        for (const auto& [name, value] : params) {
          if (name == "user") user = value;
        }
        answer += catalog_answer(catalog_rows);
        answer += session_answer(server_search_path, user);
      }
      answer += bytes_of(wire::ReadyForQuery{'I'});
      ASSERT_EQ(server(answer), Next::kContinue);
    }
    auto greeting_out = sent_to_client();
    ASSERT_FALSE(greeting_out.empty());
    ASSERT_EQ(greeting_out.back().type, 'Z');
  }

  TestEnvironment env;
  std::unique_ptr<Session> session;
  std::string to_client;
  std::string to_server;
};

}  // namespace tombstone::session::testing
