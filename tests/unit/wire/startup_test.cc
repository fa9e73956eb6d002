// The startup phase: packets without a type byte (StartupMessage, SSLRequest, GSSENCRequest,
// CancelRequest), the server's one-byte answer to the encryption requests, and the switch to
// typed messages.
#include <gtest/gtest.h>

#include "proxy/wire/messages.h"
#include "proxy/wire/stream_decoder.h"
#include "tests/unit/wire/samples.h"

namespace tombstone::wire {
namespace {

using testing::encoded;

constexpr std::size_t kMax = 1 << 20;

std::string bytes(std::initializer_list<int> values) {
  std::string s;
  for (const int v : values) s.push_back(static_cast<char>(v));
  return s;
}

std::string v3() { return bytes({0, 3, 0, 0}); }

TEST(WireStartup, StartupMessageWithParamsHasPostgresBytesAndDecodes) {
  const StartupMessage m{.protocol = kProtocolV3,
                         .params = {{"user", "alice"}, {"database", "app"}}};
  const std::string wire = encoded(m);
  const std::string body = v3() + std::string("user\0alice\0database\0app\0\0", 25);
  EXPECT_EQ(wire, bytes({0, 0, 0, 33}) + body);
  const auto decoded = decode_startup(body);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(std::get<StartupMessage>(*decoded), m);
}

TEST(WireStartup, EncryptionAndCancelRequestsDecode) {
  EXPECT_TRUE(std::holds_alternative<SslRequest>(*decode_startup(bytes({0x04, 0xd2, 0x16, 0x2f}))));
  EXPECT_TRUE(
      std::holds_alternative<GssEncRequest>(*decode_startup(bytes({0x04, 0xd2, 0x16, 0x30}))));
  const auto cancel =
      decode_startup(bytes({0x04, 0xd2, 0x16, 0x2e, 0, 0, 0x30, 0x39, 0x80, 0, 0, 1}));
  ASSERT_TRUE(cancel.has_value());
  EXPECT_EQ(std::get<CancelRequest>(*cancel),
            (CancelRequest{.pid = 12345, .secret = static_cast<std::int32_t>(0x80000001u)}));
}

TEST(WireStartup, NewerMinorVersionIsAcceptedForTheServerToNegotiate) {
  const auto decoded = decode_startup(bytes({0, 3, 0, 1}) + std::string("user\0u\0\0", 8));
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(std::get<StartupMessage>(*decoded).protocol, kProtocolV3 + 1);
}

TEST(WireStartup, BadPacketsAreBadStartup) {
  const std::pair<const char*, std::string> cases[] = {
      {"protocol 2.0", bytes({0, 2, 0, 0}) + std::string("user\0u\0\0", 8)},
      {"protocol 4.0", bytes({0, 4, 0, 0}) + std::string("\0", 1)},
      {"unknown request code", bytes({0x04, 0xd2, 0x16, 0x31})},
      {"missing final NUL", v3() + std::string("user\0alice\0", 11)},
      {"empty value, then no final NUL", v3() + std::string("user\0\0", 6)},
      {"value without terminator", v3() + std::string("user\0alice", 10)},
      {"bytes after the final NUL", v3() + std::string("user\0u\0\0x", 9)},
      {"only a version", v3()},
      {"shorter than a code", bytes({0, 3})},
      {"empty", ""},
      {"SSLRequest with extra bytes", bytes({0x04, 0xd2, 0x16, 0x2f, 0})},
      {"GSSENCRequest with extra bytes", bytes({0x04, 0xd2, 0x16, 0x30, 1, 2})},
      {"CancelRequest without secret", bytes({0x04, 0xd2, 0x16, 0x2e, 0, 0, 0, 1})},
      {"CancelRequest with extra bytes",
       bytes({0x04, 0xd2, 0x16, 0x2e, 0, 0, 0, 1, 0, 0, 0, 2, 3})},
  };
  for (const auto& [name, body] : cases) {
    const auto decoded = decode_startup(body);
    ASSERT_FALSE(decoded.has_value()) << name;
    EXPECT_EQ(decoded.error(), WireError::kBadStartup) << name;
  }
}

TEST(WireStartup, DecoderFollowsSslRequestThenStartupThenTypedMessages) {
  StreamDecoder decoder(Side::kFrontend, kMax, /*startup_phase=*/true);
  const StartupMessage startup{.protocol = kProtocolV3, .params = {{"user", "u"}}};
  decoder.feed(encoded(FrontendMessage(SslRequest{})));
  EXPECT_EQ(decoder.next(), (RawMessage{.type = '\0', .body = bytes({0x04, 0xd2, 0x16, 0x2f})}));
  EXPECT_TRUE(decoder.startup_phase());  // after SSLRequest another startup packet follows
  EXPECT_EQ(decoder.buffered_size(), 0u);
  decoder.feed(encoded(FrontendMessage(startup)) + encoded(FrontendMessage(Query{.sql = "x"})));
  const auto packet = decoder.next();
  ASSERT_TRUE(packet.has_value() && packet->has_value());
  EXPECT_EQ(std::get<StartupMessage>(*decode_startup((*packet)->body)), startup);
  EXPECT_FALSE(decoder.startup_phase());
  EXPECT_EQ(decoder.next(), (RawMessage{.type = 'Q', .body = std::string("x\0", 2)}));
}

TEST(WireStartup, BytesSentRightAfterSslRequestAreVisible) {
  // A client (or attacker) that sends data before the TLS handshake: the caller must refuse it.
  StreamDecoder decoder(Side::kFrontend, kMax, true);
  decoder.feed(encoded(FrontendMessage(SslRequest{})) +
               encoded(FrontendMessage(Query{.sql = "x"})));
  ASSERT_TRUE(decoder.next().has_value());
  EXPECT_EQ(decoder.buffered_size(), 7u);
}

TEST(WireStartup, GssEncAndCancelKeepTheStartupPhase) {
  StreamDecoder decoder(Side::kFrontend, kMax, true);
  decoder.feed(encoded(FrontendMessage(GssEncRequest{})) +
               encoded(FrontendMessage(CancelRequest{.pid = 1, .secret = 2})));
  EXPECT_TRUE(decoder.next()->has_value());
  EXPECT_TRUE(decoder.startup_phase());
  const auto cancel = decoder.next();
  ASSERT_TRUE(cancel.has_value() && cancel->has_value());
  EXPECT_EQ(std::get<CancelRequest>(*decode_startup((*cancel)->body)),
            (CancelRequest{.pid = 1, .secret = 2}));
  EXPECT_TRUE(decoder.startup_phase());
}

TEST(WireStartup, DecoderRejectsBadStartupLengths) {
  {
    StreamDecoder decoder(Side::kFrontend, kMax, true);
    decoder.feed(bytes({0, 0, 0, 4}));
    EXPECT_EQ(decoder.next().error(), WireError::kBadStartup);
  }
  {
    StreamDecoder decoder(Side::kFrontend, kMax, true);
    decoder.feed(bytes({0xff, 0xff, 0xff, 0xf0}));
    EXPECT_EQ(decoder.next().error(), WireError::kBadStartup);
  }
  {
    // Startup packets are bounded by PostgreSQL's own 10000-byte limit even when the configured
    // message size is larger; the error comes before any body is sent.
    StreamDecoder decoder(Side::kFrontend, kMax, true);
    decoder.feed(bytes({0, 0, 0x27, 0x11}));  // 10001
    EXPECT_EQ(decoder.next().error(), WireError::kTooLarge);
  }
  {
    // A garbage "startup packet", e.g. an HTTP request sent to the proxy port: "GET " is a
    // 1.1 GB length.
    StreamDecoder decoder(Side::kFrontend, kMax, true);
    decoder.feed("GET / HTTP/1.1\r\n\r\n");
    EXPECT_EQ(decoder.next().error(), WireError::kTooLarge);
  }
}

TEST(WireStartup, BackendAnswersToEncryptionRequestsAreOneByte) {
  for (const char answer : {'S', 'N', 'G'}) {
    StreamDecoder decoder(Side::kBackend, kMax, true);
    decoder.feed(std::string(1, answer));
    EXPECT_EQ(decoder.next(), (RawMessage{.type = answer, .body = ""}));
    EXPECT_FALSE(decoder.startup_phase());
    EXPECT_EQ(decoder.next(), std::nullopt);
  }
  // 'N' then the server's normal messages.
  StreamDecoder decoder(Side::kBackend, kMax, true);
  std::string wire = "N";
  encode(Authentication{.code = kAuthOk}, wire);
  decoder.feed(wire);
  EXPECT_EQ(decoder.next()->value().type, 'N');
  EXPECT_EQ(decoder.next()->value().type, 'R');
}

TEST(WireStartup, BackendMayAnswerEncryptionRequestWithAnError) {
  StreamDecoder decoder(Side::kBackend, kMax, true);
  const std::string error = encoded(BackendMessage(make_error("FATAL", "08P01", "no")));
  decoder.feed(std::string_view(error).substr(0, 3));
  EXPECT_EQ(decoder.next(), std::nullopt);
  decoder.feed(std::string_view(error).substr(3));
  const auto message = decoder.next();
  ASSERT_TRUE(message.has_value() && message->has_value());
  EXPECT_EQ((*message)->type, 'E');
  EXPECT_EQ(std::get<ErrorResponse>(*decode_backend('E', (*message)->body)).message(), "no");
}

TEST(WireStartup, BackendGarbageAnswerIsUnknownType) {
  StreamDecoder decoder(Side::kBackend, kMax, true);
  decoder.feed("x");
  EXPECT_EQ(decoder.next().error(), WireError::kUnknownType);
}

}  // namespace
}  // namespace tombstone::wire
