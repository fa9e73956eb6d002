// Startup phase: SSL/GSSENC negotiation, TLS policy, cancel requests, authentication pass-through
// with the SASL mechanism list rewrite, the invisible admin/catalog query, drain.
#include <gtest/gtest.h>

#include "tests/unit/session/session_test_support.h"

namespace tombstone::session::testing {
namespace {

std::string ssl_request() { return bytes_of(wire::SslRequest{}); }

std::string startup(std::vector<std::pair<std::string, std::string>> params = {
                        {"user", "alice"}, {"database", "app"}}) {
  return bytes_of(wire::StartupMessage{wire::kProtocolV3, std::move(params)});
}

TEST(SessionStartup, StartupPacketIsForwardedByteForByte) {
  Harness h;
  const std::string packet =
      startup({{"user", "alice"}, {"database", "app"}, {"application_name", "psql"}});
  EXPECT_EQ(h.client(packet), Next::kConnectUpstream);
  EXPECT_EQ(h.to_server, packet);
  EXPECT_TRUE(h.to_client.empty());
  EXPECT_EQ(h.session->startup().user, "alice");
  EXPECT_EQ(h.session->startup().database, "app");
  EXPECT_EQ(h.session->startup().application_name, "psql");
}

TEST(SessionStartup, StartupPacketSplitAtEveryByte) {
  const std::string packet = startup();
  for (std::size_t cut = 1; cut < packet.size(); ++cut) {
    Harness h;
    EXPECT_EQ(h.client(packet.substr(0, cut)), Next::kContinue) << cut;
    EXPECT_EQ(h.client(packet.substr(cut)), Next::kConnectUpstream) << cut;
    EXPECT_EQ(h.to_server, packet) << cut;
  }
}

TEST(SessionStartup, DatabaseDefaultsToUser) {
  Harness h;
  EXPECT_EQ(h.client(startup({{"user", "bob"}})), Next::kConnectUpstream);
  EXPECT_EQ(h.session->startup().database, "bob");
}

TEST(SessionStartup, SslRequestAnsweredNWhenTlsIsOff) {
  Harness h;
  EXPECT_EQ(h.client(ssl_request()), Next::kContinue);
  EXPECT_EQ(h.to_client, "N");
  h.to_client.clear();
  EXPECT_EQ(h.client(startup()), Next::kConnectUpstream);
}

TEST(SessionStartup, SslRequestAnsweredSWhenTlsIsOn) {
  config::Config c = base_config();
  c.tls_client.mode = config::TlsMode::kPrefer;
  Harness h(c);
  EXPECT_EQ(h.client(ssl_request()), Next::kStartClientTls);
  EXPECT_EQ(h.to_client, "S");
  h.to_client.clear();
  h.session->client_tls_established();
  EXPECT_EQ(h.client(startup()), Next::kConnectUpstream);
  EXPECT_TRUE(h.session->startup().client_tls);
}

TEST(SessionStartup, BytesAfterSslRequestAreRefused) {
  config::Config c = base_config();
  c.tls_client.mode = config::TlsMode::kPrefer;
  Harness h(c);
  EXPECT_EQ(h.client(ssl_request() + startup()), Next::kClose);
  auto out = h.sent_to_client();
  ASSERT_EQ(types_of(out), "E");
  EXPECT_EQ(error_of(out[0]).code(), "08P01");
  EXPECT_TRUE(h.to_server.empty());
}

TEST(SessionStartup, GssEncRequestAnsweredN) {
  Harness h;
  EXPECT_EQ(h.client(bytes_of(wire::GssEncRequest{})), Next::kContinue);
  EXPECT_EQ(h.to_client, "N");
}

TEST(SessionStartup, TlsRequiredRefusesPlaintextStartup) {
  config::Config c = base_config();
  c.tls_client.mode = config::TlsMode::kRequire;
  Harness h(c);
  EXPECT_EQ(h.client(startup()), Next::kClose);
  auto out = h.sent_to_client();
  ASSERT_EQ(types_of(out), "E");
  const auto error = error_of(out[0]);
  EXPECT_EQ(error.code(), "28000");
  EXPECT_EQ(error.message(), "tombstone: TLS is required");
  EXPECT_FALSE(error.field('H').empty());
  EXPECT_TRUE(h.to_server.empty());
}

TEST(SessionStartup, CancelRequestIsForwardedAsIs) {
  Harness h;
  const std::string cancel = bytes_of(wire::CancelRequest{1234, 5678});
  EXPECT_EQ(h.client(cancel), Next::kForwardCancel);
  EXPECT_EQ(h.to_server, cancel);
  EXPECT_TRUE(h.to_client.empty());
}

TEST(SessionStartup, GarbageStartupPacketGetsProtocolViolation) {
  Harness h;
  EXPECT_EQ(h.client(std::string("\x00\x00\x00\x08\x00\x00\x00\x01", 8)), Next::kClose);
  auto out = h.sent_to_client();
  ASSERT_EQ(types_of(out), "E");
  EXPECT_EQ(error_of(out[0]).code(), "08P01");
}

TEST(SessionStartup, OversizedStartupPacketGetsProtocolViolation) {
  Harness h;
  EXPECT_EQ(h.client(std::string("\x7f\x00\x00\x00", 4)), Next::kClose);
  auto out = h.sent_to_client();
  ASSERT_EQ(types_of(out), "E");
  EXPECT_EQ(error_of(out[0]).code(), "08P01");
}

TEST(SessionStartup, UpstreamFailureIsReportedWith08001) {
  Harness h;
  EXPECT_EQ(h.client(startup()), Next::kConnectUpstream);
  h.to_server.clear();
  EXPECT_EQ(
      h.session->upstream_failed(ProxyError::kUpstreamUnreachable,
                                 "127.0.0.1:1: Connection refused", {h.to_client, h.to_server}),
      Next::kClose);
  auto out = h.sent_to_client();
  ASSERT_EQ(types_of(out), "E");
  const auto error = error_of(out[0]);
  EXPECT_EQ(error.code(), "08001");
  EXPECT_TRUE(error.message().starts_with("tombstone: cannot connect"));
  EXPECT_NE(error.message().find("Connection refused"), std::string_view::npos);
  EXPECT_TRUE(h.to_server.empty());
}

TEST(SessionAuth, ScramPlusIsRemovedFromTheMechanismList) {
  Harness h;
  h.client(startup());
  h.to_server.clear();
  const auto sasl = wire::make_sasl_authentication({"SCRAM-SHA-256-PLUS", "SCRAM-SHA-256"});
  EXPECT_EQ(h.server(bytes_of(sasl)), Next::kContinue);
  auto out = h.sent_to_client();
  ASSERT_EQ(types_of(out), "R");
  auto decoded = wire::decode_backend('R', out[0].body);
  ASSERT_TRUE(decoded.has_value());
  auto mechanisms = wire::sasl_mechanisms(std::get<wire::Authentication>(*decoded));
  ASSERT_TRUE(mechanisms.has_value());
  EXPECT_EQ(*mechanisms, std::vector<std::string>{"SCRAM-SHA-256"});
}

TEST(SessionAuth, AuthenticationMessagesPassThroughUnchanged) {
  Harness h;
  h.client(startup());
  h.to_server.clear();
  const std::string md5 = bytes_of(wire::Authentication{wire::kAuthMd5Password, "salt"});
  h.server(md5);
  EXPECT_EQ(h.to_client, md5);
  h.to_client.clear();
  const std::string password = bytes_of(wire::PasswordMessage{std::string("md5abc\0", 7)});
  h.client(password);
  EXPECT_EQ(h.to_server, password);
  h.to_server.clear();
  const std::string failure =
      bytes_of(wire::make_error("FATAL", "28P01", "password authentication failed"));
  h.server(failure);
  EXPECT_EQ(h.to_client, failure);
}

TEST(SessionAuth, NoHiddenQueryWithoutAdminRolesOrTables) {
  Harness h;
  h.client(startup());
  h.to_server.clear();
  std::string greeting = bytes_of(wire::Authentication{wire::kAuthOk, ""});
  greeting += bytes_of(wire::BackendKeyData{1, 2});
  greeting += bytes_of(wire::ReadyForQuery{'I'});
  h.server(greeting);
  EXPECT_TRUE(h.to_server.empty());
  EXPECT_EQ(h.to_client, greeting);
  EXPECT_FALSE(h.session->admin());
}

TEST(SessionAuth, AdminCheckIsInvisibleAndHoldsReadyForQuery) {
  config::Config c = base_config();
  c.admin_roles = {"tombstone_admin"};
  Harness h(c);
  h.client(startup());
  h.to_server.clear();
  std::string greeting = bytes_of(wire::Authentication{wire::kAuthOk, ""});
  greeting += bytes_of(wire::BackendKeyData{1, 2});
  greeting += bytes_of(wire::ReadyForQuery{'I'});
  h.server(greeting);
  // Everything but the ReadyForQuery reached the client; the server got the admin query.
  EXPECT_EQ(types_of(h.sent_to_client()), "RK");
  auto hidden = h.sent_to_server();
  ASSERT_EQ(types_of(hidden), "Q");
  EXPECT_NE(query_text(hidden[0]).find("pg_has_role"), std::string::npos);
  EXPECT_NE(query_text(hidden[0]).find("E'tombstone_admin'"), std::string::npos);

  std::string answer = bytes_of(wire::RowDescription{{wire::FieldDescription{.name = "x"}}});
  answer += bytes_of(wire::DataRow{{std::string("t")}});
  answer += bytes_of(wire::CommandComplete{"SELECT 1"});
  answer += bytes_of(wire::ReadyForQuery{'I'});
  h.server(answer);
  auto out = h.sent_to_client();
  ASSERT_EQ(types_of(out), "Z");  // only the held ReadyForQuery: the answer stays invisible
  EXPECT_TRUE(h.session->admin());
  EXPECT_EQ(h.session->state().visibility, parser::Visibility::kAll);
}

TEST(SessionAuth, AdminQueryErrorMeansNotAdmin) {
  config::Config c = base_config();
  c.admin_roles = {"tombstone_admin"};
  Harness h(c);
  h.client(startup());
  h.server(bytes_of(wire::Authentication{wire::kAuthOk, ""}) + bytes_of(wire::ReadyForQuery{'I'}));
  h.to_server.clear();
  h.to_client.clear();
  h.server(bytes_of(wire::make_error("ERROR", "42501", "permission denied")) +
           bytes_of(wire::ReadyForQuery{'I'}));
  EXPECT_EQ(types_of(h.sent_to_client()), "Z");
  EXPECT_FALSE(h.session->admin());
}

TEST(SessionAuth, NonAdminSettingVisibilityInStartupOptionsIsFatal42501) {
  config::Config c = base_config();
  c.admin_roles = {"tombstone_admin"};
  Harness h(c);
  h.client(startup({{"user", "alice"}, {"options", "-c tombstone.visibility=all"}}));
  h.server(bytes_of(wire::Authentication{wire::kAuthOk, ""}) + bytes_of(wire::ReadyForQuery{'I'}));
  h.to_server.clear();
  h.to_client.clear();
  std::string answer = bytes_of(wire::DataRow{{std::string("f")}});
  answer += bytes_of(wire::CommandComplete{"SELECT 1"});
  answer += bytes_of(wire::ReadyForQuery{'I'});
  EXPECT_EQ(h.server(answer), Next::kClose);
  auto out = h.sent_to_client();
  ASSERT_EQ(types_of(out), "E");
  EXPECT_EQ(error_of(out[0]).code(), "42501");
  EXPECT_TRUE(error_of(out[0]).message().starts_with("tombstone: "));
  EXPECT_EQ(types_of(h.sent_to_server()), "X");
}

TEST(SessionAuth, AdminMayChooseVisibilityInStartupOptions) {
  config::Config c = base_config();
  c.admin_roles = {"tombstone_admin"};
  Harness h(c);
  h.connect({{"user", "root"}, {"options", "-c tombstone.visibility=active"}}, /*admin=*/true);
  EXPECT_TRUE(h.session->admin());
  EXPECT_EQ(h.session->state().visibility, parser::Visibility::kActive);
}

TEST(SessionAuth, RoleNamedLikeTheAdminRoleInStartupGetsNothing) {
  config::Config c = base_config();
  c.admin_roles = {"tombstone_admin"};
  Harness h(c);
  h.connect({{"user", "tombstone_admin"}}, /*admin=*/false);
  EXPECT_FALSE(h.session->admin());
  EXPECT_EQ(h.session->state().visibility, parser::Visibility::kActive);
}

// Connects a second session on `h`'s environment as `user`; returns the invisible query text
// it sent after authentication ("" if none).
std::string second_session_query(Harness& h, Session& second, const std::string& user) {
  std::string to_client, to_server;
  second.from_client(startup({{"user", user}, {"database", "app"}}), {to_client, to_server});
  to_server.clear();
  const std::string greeting =
      bytes_of(wire::Authentication{wire::kAuthOk, ""}) + bytes_of(wire::ReadyForQuery{'I'});
  second.from_server(greeting, {to_client, to_server});
  auto sent = decode_all(wire::Side::kFrontend, to_server);
  (void)h;
  return sent.size() == 1 && sent[0].type == 'Q' ? query_text(sent[0]) : std::string();
}

TEST(SessionAuth, CatalogQueryRunsOnceAndIsCachedPerDatabaseAndRole) {
  Harness h(users_config());
  h.connect();
  // A second session of the same role reuses the snapshot: it only reads its own search_path.
  Session second(h.env);
  const std::string again = second_session_query(h, second, "alice");
  EXPECT_EQ(again.find("pg_namespace"), std::string::npos) << again;
  EXPECT_NE(again.find("current_setting('search_path')"), std::string::npos) << again;
  // Another role may have USAGE on other schemas: it takes its own snapshot.
  Session third(h.env);
  const std::string other = second_session_query(h, third, "bob");
  EXPECT_NE(other.find("pg_namespace"), std::string::npos) << other;
}

TEST(SessionAuth, CatalogCacheIsKeyedByRole) {
  CatalogCache cache;
  cache.store("app", "alice", 1, parser::catalog_from_rows(users_catalog_rows()), true);
  EXPECT_NE(cache.find("app", "alice", 1), nullptr);
  EXPECT_EQ(cache.find("app", "bob", 1), nullptr);
  EXPECT_EQ(cache.find("other", "alice", 1), nullptr);
  // A newer generation drops the older snapshots of every role.
  cache.store("app", "bob", 2, parser::catalog_from_rows({}), true);
  EXPECT_EQ(cache.find("app", "alice", 1), nullptr);
  EXPECT_NE(cache.find("app", "bob", 2), nullptr);
}

TEST(SessionAuth, SearchPathAndSessionUserComeFromTheServer) {
  Harness h(users_config());
  // ALTER ROLE alice SET search_path = crm, public: the startup packet does not say so.
  h.connect({{"user", "alice"}, {"database", "app"}}, false, users_catalog_rows(), "crm, public");
  const std::vector<std::string> expected = {"crm", "public"};
  EXPECT_EQ(h.session->state().search_path, expected);
  EXPECT_EQ(h.session->state().default_search_path, expected);
  EXPECT_EQ(h.session->state().session_user, "alice");
  // RESET search_path returns to the role's default, not the built-in one.
  h.client(bytes_of(wire::Query{"SET search_path = public"}));
  h.server(bytes_of(wire::CommandComplete{"SET"}) + bytes_of(wire::ReadyForQuery{'I'}));
  h.client(bytes_of(wire::Query{"RESET search_path"}));
  h.server(bytes_of(wire::CommandComplete{"RESET"}) + bytes_of(wire::ReadyForQuery{'I'}));
  h.to_server.clear();
  h.client(bytes_of(wire::Query{"SELECT 1"}));  // rebuilds the rewriter state
  EXPECT_EQ(h.session->state().search_path, expected);
}

TEST(SessionAuth, ChannelBindingErrorDuringAuthGetsAHint) {
  Harness h;
  h.client(startup());
  h.to_client.clear();
  auto error = wire::make_error("FATAL", "08P01", "SCRAM channel binding negotiation error");
  error.fields.emplace_back('D', "detail kept");
  h.server(bytes_of(error));
  auto out = h.sent_to_client();
  ASSERT_EQ(types_of(out), "E");
  const auto forwarded = error_of(out[0]);
  EXPECT_EQ(forwarded.code(), "08P01");
  EXPECT_EQ(forwarded.message(), "SCRAM channel binding negotiation error");
  EXPECT_EQ(forwarded.field('D'), "detail kept");
  EXPECT_NE(forwarded.field('H').find("channel_binding=disable"), std::string_view::npos);
  EXPECT_NE(forwarded.field('H').find("tls.upstream.mode: disable"), std::string_view::npos);
}

TEST(SessionAuth, OtherAuthErrorsPassThroughUnchanged) {
  Harness h;
  h.client(startup());
  h.to_client.clear();
  const std::string error = bytes_of(
      wire::make_error("FATAL", "28P01", "password authentication failed for user \"alice\""));
  h.server(error);
  EXPECT_EQ(h.to_client, error);
}

TEST(SessionAuth, PoliciesLimitedToOtherDatabasesNeedNoCatalog) {
  config::Config c = users_config();
  c.databases = {"other"};
  Harness h(c);
  h.client(startup());
  h.to_server.clear();
  h.server(bytes_of(wire::Authentication{wire::kAuthOk, ""}) + bytes_of(wire::ReadyForQuery{'I'}));
  EXPECT_TRUE(h.to_server.empty());
  h.to_client.clear();
  const std::string del = bytes_of(wire::Query{"DELETE FROM users WHERE id = 1"});
  h.client(del);
  EXPECT_EQ(h.to_server, del);  // not this database's policy: untouched
}

TEST(SessionDrain, IdleSessionIsClosedWith57P01) {
  Harness h;
  h.connect();
  EXPECT_EQ(h.session->drain({h.to_client, h.to_server}), Next::kClose);
  auto out = h.sent_to_client();
  ASSERT_EQ(types_of(out), "E");
  EXPECT_EQ(error_of(out[0]).code(), "57P01");
  EXPECT_EQ(types_of(h.sent_to_server()), "X");
}

TEST(SessionDrain, OpenTransactionFinishesFirst) {
  Harness h;
  h.connect();
  h.client(bytes_of(wire::Query{"BEGIN"}));
  h.server(bytes_of(wire::CommandComplete{"BEGIN"}) + bytes_of(wire::ReadyForQuery{'T'}));
  h.sent_to_server();
  h.sent_to_client();
  EXPECT_EQ(h.session->drain({h.to_client, h.to_server}), Next::kContinue);
  EXPECT_TRUE(h.to_client.empty());
  h.client(bytes_of(wire::Query{"INSERT INTO t VALUES (1)"}));
  EXPECT_EQ(
      h.server(bytes_of(wire::CommandComplete{"INSERT 0 1"}) + bytes_of(wire::ReadyForQuery{'T'})),
      Next::kContinue);
  h.client(bytes_of(wire::Query{"COMMIT"}));
  EXPECT_EQ(
      h.server(bytes_of(wire::CommandComplete{"COMMIT"}) + bytes_of(wire::ReadyForQuery{'I'})),
      Next::kClose);
  auto out = h.sent_to_client();
  EXPECT_EQ(types_of(out), "CZCZE");
  EXPECT_EQ(error_of(out.back()).code(), "57P01");
}

}  // namespace
}  // namespace tombstone::session::testing
