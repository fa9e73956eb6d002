// The codec's promises on whole messages: every message round-trips both ways, known messages
// have PostgreSQL's exact bytes, and every malformed body is a WireError.
#include "proxy/wire/messages.h"

#include <gtest/gtest.h>

#include <random>
#include <set>

#include "tests/unit/wire/samples.h"

namespace tombstone::wire {
namespace {

using testing::backend_samples;
using testing::encoded;
using testing::frontend_samples;
using testing::is_startup_packet;

std::string bytes(std::initializer_list<int> values) {
  std::string s;
  for (const int v : values) s.push_back(static_cast<char>(v));
  return s;
}

// Splits an encoded typed message into (type, body) after checking its header.
std::pair<char, std::string> split_typed(const std::string& wire) {
  const auto header = parse_header(wire, 1 << 30);
  EXPECT_TRUE(header.has_value());
  EXPECT_EQ(header->length + 1, wire.size());
  return {header->type, wire.substr(kHeaderSize)};
}

std::expected<FrontendMessage, WireError> decode_encoded_frontend(const std::string& wire,
                                                                  bool startup) {
  if (startup) {
    const auto length = parse_startup_length(wire, 1 << 30);
    EXPECT_TRUE(length.has_value());
    EXPECT_EQ(*length, wire.size());
    return decode_startup(std::string_view(wire).substr(kStartupHeaderSize));
  }
  const auto [type, body] = split_typed(wire);
  return decode_frontend(type, body);
}

TEST(WireRoundTrip, EveryFrontendSampleDecodesToItselfAndReencodesToTheSameBytes) {
  for (const FrontendMessage& sample : frontend_samples()) {
    const std::string wire = encoded(sample);
    const auto decoded = decode_encoded_frontend(wire, is_startup_packet(sample));
    ASSERT_TRUE(decoded.has_value())
        << "index " << sample.index() << ": " << describe(decoded.error());
    EXPECT_EQ(*decoded, sample) << "index " << sample.index();
    EXPECT_EQ(encoded(*decoded), wire) << "index " << sample.index();
  }
}

TEST(WireRoundTrip, EveryBackendSampleDecodesToItselfAndReencodesToTheSameBytes) {
  for (const BackendMessage& sample : backend_samples()) {
    const std::string wire = encoded(sample);
    const auto [type, body] = split_typed(wire);
    const auto decoded = decode_backend(type, body);
    ASSERT_TRUE(decoded.has_value())
        << "index " << sample.index() << ": " << describe(decoded.error());
    EXPECT_EQ(*decoded, sample) << "index " << sample.index();
    EXPECT_EQ(encoded(*decoded), wire) << "index " << sample.index();
  }
}

TEST(WireRoundTrip, SamplesCoverEveryMessageType) {
  std::set<std::size_t> frontend, backend;
  for (const auto& m : frontend_samples()) frontend.insert(m.index());
  for (const auto& m : backend_samples()) backend.insert(m.index());
  EXPECT_EQ(frontend.size(), std::variant_size_v<FrontendMessage>);
  EXPECT_EQ(backend.size(), std::variant_size_v<BackendMessage>);
}

TEST(WireRoundTrip, MessageTableNamesEveryTypeOfEachDirection) {
  for (const auto& m : frontend_samples()) {
    const std::string wire = encoded(m);
    if (is_startup_packet(m)) continue;
    EXPECT_TRUE(is_known_type(Side::kFrontend, wire[0]));
    EXPECT_FALSE(message_name(Side::kFrontend, wire[0]).empty());
  }
  for (const auto& m : backend_samples()) {
    const std::string wire = encoded(m);
    EXPECT_TRUE(is_known_type(Side::kBackend, wire[0]));
  }
  EXPECT_EQ(message_name(Side::kFrontend, 'D'), "Describe");
  EXPECT_EQ(message_name(Side::kBackend, 'D'), "DataRow");
  EXPECT_EQ(message_name(Side::kBackend, 'Q'), "");
  EXPECT_FALSE(is_known_type(Side::kFrontend, 'Z'));
  EXPECT_FALSE(is_known_type(Side::kBackend, '\0'));
}

// Byte-exact encodings, written out from the protocol-message-formats page.
TEST(WireBytes, KnownMessagesHavePostgresExactBytes) {
  std::string out;
  encode(Query{.sql = "SELECT 1"}, out);
  EXPECT_EQ(out, bytes({'Q', 0, 0, 0, 13}) + std::string("SELECT 1\0", 9));

  out.clear();
  encode(Sync{}, out);
  encode(ReadyForQuery{.status = 'I'}, out);
  EXPECT_EQ(out, bytes({'S', 0, 0, 0, 4, 'Z', 0, 0, 0, 5, 'I'}));

  out.clear();
  encode(SslRequest{}, out);
  EXPECT_EQ(out, bytes({0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f}));

  out.clear();
  encode(CancelRequest{.pid = 1, .secret = -1}, out);
  EXPECT_EQ(out, bytes({0, 0, 0, 16, 0x04, 0xd2, 0x16, 0x2e, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff}));

  out.clear();
  encode(DataRow{.columns = {std::string("ab"), std::nullopt}}, out);
  EXPECT_EQ(out, bytes({'D', 0, 0, 0, 16, 0, 2, 0, 0, 0, 2, 'a', 'b', 0xff, 0xff, 0xff, 0xff}));

  out.clear();
  encode(CommandComplete{.tag = "DELETE 3"}, out);
  EXPECT_EQ(out, bytes({'C', 0, 0, 0, 13}) + std::string("DELETE 3\0", 9));

  out.clear();
  encode(Authentication{.code = kAuthMd5Password, .data = "salt"}, out);
  EXPECT_EQ(out, bytes({'R', 0, 0, 0, 12, 0, 0, 0, 5}) + "salt");
}

TEST(WireBytes, EncodeAppendsAfterExistingBytes) {
  std::string out = "prefix";
  encode(FrontendMessage(Terminate{}), out);
  EXPECT_EQ(out, "prefix" + bytes({'X', 0, 0, 0, 4}));
}

// Any strict prefix of a body, or the body plus one byte, must be rejected: that is what
// "bounds-checked, no trailing bytes" means. Raw-bodied messages (CopyData, PasswordMessage,
// Authentication with opaque data) accept any bytes, so they are exempt.
bool raw_body(const std::string& wire, Side side) {
  const char type = wire[0];
  if (type == 'd') return true;
  if (side == Side::kFrontend) return type == 'p';
  if (type == 'R') {
    const std::uint32_t code = static_cast<std::uint8_t>(wire[8]);
    return code == kAuthSaslContinue || code == kAuthSaslFinal || code == kAuthGssContinue;
  }
  return false;
}

TEST(WireMalformed, EveryTruncatedOrExtendedBodyIsRejected) {
  int checked = 0;
  for (const FrontendMessage& sample : frontend_samples()) {
    const std::string wire = encoded(sample);
    const bool startup = is_startup_packet(sample);
    if (!startup && raw_body(wire, Side::kFrontend)) continue;
    const std::size_t header = startup ? kStartupHeaderSize : kHeaderSize;
    const std::string body = wire.substr(header);
    auto decode = [&](std::string_view b) {
      return startup ? decode_startup(b) : decode_frontend(wire[0], b);
    };
    for (std::size_t n = 0; n < body.size(); ++n) {
      const auto result = decode(std::string_view(body).substr(0, n));
      ASSERT_FALSE(result.has_value()) << "frontend index " << sample.index() << " prefix " << n;
      EXPECT_EQ(result.error(), startup ? WireError::kBadStartup : WireError::kMalformed);
      ++checked;
    }
    EXPECT_FALSE(decode(body + 'x').has_value()) << "frontend index " << sample.index();
  }
  for (const BackendMessage& sample : backend_samples()) {
    const std::string wire = encoded(sample);
    if (raw_body(wire, Side::kBackend)) continue;
    const std::string body = wire.substr(kHeaderSize);
    for (std::size_t n = 0; n < body.size(); ++n) {
      const auto result = decode_backend(wire[0], std::string_view(body).substr(0, n));
      ASSERT_FALSE(result.has_value()) << "backend index " << sample.index() << " prefix " << n;
      EXPECT_EQ(result.error(), WireError::kMalformed);
      ++checked;
    }
    EXPECT_FALSE(decode_backend(wire[0], body + 'x').has_value())
        << "backend index " << sample.index();
  }
  EXPECT_GT(checked, 500);
}

struct MalformedCase {
  const char* name;
  Side side;
  char type;
  std::string body;
  WireError error;
};

TEST(WireMalformed, HandWrittenBadBodiesGiveTheirError) {
  const MalformedCase cases[] = {
      {"query without terminator", Side::kFrontend, 'Q', "SELECT 1", WireError::kMalformed},
      {"query with bytes after terminator", Side::kFrontend, 'Q', std::string("SELECT 1\0;", 10),
       WireError::kMalformed},
      {"parse param count 65535 without types", Side::kFrontend, 'P',
       std::string("\0SELECT 1\0", 10) + bytes({0xff, 0xff}), WireError::kMalformed},
      {"parse param count past the end", Side::kFrontend, 'P',
       std::string("\0SELECT 1\0", 10) + bytes({0, 2, 0, 0, 0, 23}), WireError::kMalformed},
      {"bind value length past the end", Side::kFrontend, 'B',
       std::string("\0\0", 2) + bytes({0, 0, 0, 1, 0, 0, 0, 9, 'a', 0, 0}), WireError::kMalformed},
      {"bind value length -2", Side::kFrontend, 'B',
       std::string("\0\0", 2) + bytes({0, 0, 0, 1, 0xff, 0xff, 0xff, 0xfe, 0, 0}),
       WireError::kMalformed},
      {"bind huge value length", Side::kFrontend, 'B',
       std::string("\0\0", 2) + bytes({0, 0, 0, 1, 0x7f, 0xff, 0xff, 0xff, 0, 0}),
       WireError::kMalformed},
      {"bind format count 32768 without formats", Side::kFrontend, 'B',
       std::string("\0\0", 2) + bytes({0x80, 0, 0, 0, 0, 0}), WireError::kMalformed},
      {"describe of unknown kind", Side::kFrontend, 'D', std::string("X\0", 2),
       WireError::kMalformed},
      {"close of unknown kind", Side::kFrontend, 'C', std::string("s\0", 2), WireError::kMalformed},
      {"execute without row count", Side::kFrontend, 'E', std::string("\0", 1),
       WireError::kMalformed},
      {"sync with a body", Side::kFrontend, 'S', "x", WireError::kMalformed},
      {"terminate with a body", Side::kFrontend, 'X', std::string("\0", 1), WireError::kMalformed},
      {"function call truncated", Side::kFrontend, 'F', bytes({0, 0, 0, 1, 0, 0, 0, 0}),
       WireError::kMalformed},
      {"frontend has no ReadyForQuery", Side::kFrontend, 'Z', "I", WireError::kUnknownType},
      {"frontend unknown type", Side::kFrontend, '!', "", WireError::kUnknownType},
      {"frontend NUL type", Side::kFrontend, '\0', "", WireError::kUnknownType},
      {"ready for query with bad status", Side::kBackend, 'Z', "X", WireError::kMalformed},
      {"ready for query empty", Side::kBackend, 'Z', "", WireError::kMalformed},
      {"data row count 65534 without columns", Side::kBackend, 'D', bytes({0xff, 0xfe}),
       WireError::kMalformed},
      {"data row count larger than values", Side::kBackend, 'D',
       bytes({0, 3, 0, 0, 0, 1, 'a', 0xff, 0xff, 0xff, 0xff}), WireError::kMalformed},
      {"data row column length past the end", Side::kBackend, 'D',
       bytes({0, 1, 0, 0, 0, 5, 'a', 'b'}), WireError::kMalformed},
      {"row description truncated field", Side::kBackend, 'T',
       bytes({0, 1, 'i', 'd', 0, 0, 0, 0, 0}), WireError::kMalformed},
      {"row description name without terminator", Side::kBackend, 'T', bytes({0, 1, 'i', 'd'}),
       WireError::kMalformed},
      {"md5 request with short salt", Side::kBackend, 'R', bytes({0, 0, 0, 5, 1, 2, 3}),
       WireError::kMalformed},
      {"auth ok with data", Side::kBackend, 'R', bytes({0, 0, 0, 0, 1}), WireError::kMalformed},
      {"auth without code", Side::kBackend, 'R', bytes({0, 0}), WireError::kMalformed},
      {"sasl list missing final terminator", Side::kBackend, 'R',
       bytes({0, 0, 0, 10}) + std::string("SCRAM-SHA-256\0", 14), WireError::kMalformed},
      {"error fields missing final zero", Side::kBackend, 'E', std::string("SERROR\0", 7),
       WireError::kMalformed},
      {"error field value without terminator", Side::kBackend, 'E', "SERROR",
       WireError::kMalformed},
      {"notice with bytes after the final zero", Side::kBackend, 'N',
       std::string("SNOTICE\0\0x", 10), WireError::kMalformed},
      {"negotiate negative count", Side::kBackend, 'v', bytes({0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff}),
       WireError::kMalformed},
      {"negotiate count past the end", Side::kBackend, 'v', bytes({0, 0, 0, 0, 0, 0, 0, 2, 'a', 0}),
       WireError::kMalformed},
      {"copy-in column count 65535 without formats", Side::kBackend, 'G', bytes({0, 0xff, 0xff}),
       WireError::kMalformed},
      {"copy-out without count", Side::kBackend, 'H', bytes({0}), WireError::kMalformed},
      {"notification payload without terminator", Side::kBackend, 'A',
       bytes({0, 0, 0, 1, 'c', 0, 'p'}), WireError::kMalformed},
      {"function result length -2", Side::kBackend, 'V', bytes({0xff, 0xff, 0xff, 0xfe}),
       WireError::kMalformed},
      {"backend key data short", Side::kBackend, 'K', bytes({0, 0, 0, 1, 0, 0, 0}),
       WireError::kMalformed},
      {"parameter description count past the end", Side::kBackend, 't', bytes({0, 2, 0, 0, 0, 23}),
       WireError::kMalformed},
      {"parameter status without value", Side::kBackend, 'S', std::string("a\0", 2),
       WireError::kMalformed},
      {"backend has no Query", Side::kBackend, 'Q', std::string("x\0", 2), WireError::kUnknownType},
      {"backend high-bit type", Side::kBackend, '\xd0', "", WireError::kUnknownType},
  };
  for (const MalformedCase& c : cases) {
    const bool ok = c.side == Side::kFrontend ? decode_frontend(c.type, c.body).has_value()
                                              : decode_backend(c.type, c.body).has_value();
    ASSERT_FALSE(ok) << c.name;
    const WireError error = c.side == Side::kFrontend ? decode_frontend(c.type, c.body).error()
                                                      : decode_backend(c.type, c.body).error();
    EXPECT_EQ(error, c.error) << c.name;
  }
}

// Random bodies under every type byte: decoding never crashes (ASan/UBSan builds check that),
// and whatever decodes re-encodes to exactly the bytes it came from.
TEST(WireMalformed, RandomBodiesFailCleanlyOrReencodeExactly) {
  std::mt19937 rng(20240611);
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_int_distribution<int> small(0, 3);
  const std::string known_types = "BCcdDEfFHpPQSX123AGIKnNRstTvVWZ";
  int decoded = 0;
  for (int i = 0; i < 40000; ++i) {
    // Mostly type bytes of real messages, so the body decoders are what gets exercised.
    const char type =
        byte(rng) < 32 ? static_cast<char>(byte(rng)) : known_types[byte(rng) % known_types.size()];
    std::string body(static_cast<std::size_t>(byte(rng) % 48), '\0');
    // Mostly small values, so counts and lengths are often plausible and decoding goes deep.
    for (char& c : body) c = static_cast<char>(small(rng) == 0 ? byte(rng) : small(rng));
    const Side side = (i % 2 == 0) ? Side::kFrontend : Side::kBackend;
    std::string reencoded;
    if (side == Side::kFrontend) {
      const auto m = decode_frontend(type, body);
      if (!m) continue;
      encode(*m, reencoded);
    } else {
      const auto m = decode_backend(type, body);
      if (!m) continue;
      encode(*m, reencoded);
    }
    ++decoded;
    ASSERT_EQ(reencoded.substr(kHeaderSize), body) << "type " << type;
    ASSERT_EQ(reencoded[0], type);
  }
  EXPECT_GT(decoded, 2000);  // the generator reaches deep into the decoders
}

// PostgreSQL reads the 16-bit counts unsigned: statements with up to 65535 parameters exist.
TEST(WireRoundTrip, CountsAbove32767AreUnsignedLikePostgres) {
  Bind bind;
  Parse parse{.name = "many", .query = "SELECT $40000"};
  ParameterDescription description;
  for (std::uint32_t i = 0; i < 40000; ++i) {
    bind.params.push_back(std::to_string(i));
    parse.param_types.push_back(23);
    description.oids.push_back(23);
  }
  const std::string bind_wire = encoded(bind);
  EXPECT_EQ(bind_wire.substr(kHeaderSize + 2, 4), bytes({0, 0, 0x9c, 0x40}));  // 0 formats, 40000
  EXPECT_EQ(std::get<Bind>(*decode_frontend('B', bind_wire.substr(kHeaderSize))), bind);
  EXPECT_EQ(std::get<Parse>(*decode_frontend('P', encoded(parse).substr(kHeaderSize))), parse);
  EXPECT_EQ(std::get<ParameterDescription>(
                *decode_backend('t', encoded(description).substr(kHeaderSize))),
            description);
}

TEST(WireHeader, LengthsAreCheckedAgainstMinimumSignAndMaximum) {
  EXPECT_EQ(parse_header(bytes({'Q', 0, 0, 0, 4}), 100)->body_size(), 0u);
  EXPECT_EQ(parse_header(bytes({'Q', 0, 0, 0, 100}), 100)->length, 100u);
  EXPECT_EQ(parse_header(bytes({'Q', 0, 0, 0, 101}), 100).error(), WireError::kTooLarge);
  EXPECT_EQ(parse_header(bytes({'Q', 0, 0, 0, 3}), 100).error(), WireError::kBadLength);
  EXPECT_EQ(parse_header(bytes({'Q', 0, 0, 0, 0}), 100).error(), WireError::kBadLength);
  EXPECT_EQ(parse_header(bytes({'Q', 0xff, 0xff, 0xff, 0xff}), 100).error(), WireError::kBadLength);
  EXPECT_EQ(parse_header(bytes({'Q', 0x80, 0, 0, 0}), SIZE_MAX).error(), WireError::kBadLength);
  EXPECT_EQ(parse_header(bytes({'Q', 0x7f, 0xff, 0xff, 0xff}), 1 << 30).error(),
            WireError::kTooLarge);
  EXPECT_EQ(parse_header(bytes({'Q', 0, 0}), 100).error(), WireError::kBadLength);
}

TEST(WireHeader, StartupLengthNeedsRoomForTheCode) {
  EXPECT_EQ(*parse_startup_length(bytes({0, 0, 0, 8}), 100), 8u);
  EXPECT_EQ(parse_startup_length(bytes({0, 0, 0, 7}), 100).error(), WireError::kBadLength);
  EXPECT_EQ(parse_startup_length(bytes({0xff, 0, 0, 8}), 100).error(), WireError::kBadLength);
  EXPECT_EQ(parse_startup_length(bytes({0, 0, 0, 101}), 100).error(), WireError::kTooLarge);
  EXPECT_EQ(parse_startup_length(bytes({0, 0}), 100).error(), WireError::kBadLength);
}

TEST(WireHelpers, MakeErrorBuildsWhatPostgresSends) {
  const ErrorResponse e = make_error("ERROR", "0A000", "cannot rewrite", "see docs");
  EXPECT_EQ(e.code(), "0A000");
  EXPECT_EQ(e.message(), "cannot rewrite");
  EXPECT_EQ(e.field('S'), "ERROR");
  EXPECT_EQ(e.field('V'), "ERROR");
  EXPECT_EQ(e.field('H'), "see docs");
  EXPECT_EQ(e.field('D'), "");
  EXPECT_EQ(make_error("ERROR", "0A000", "x").field('H'), "");
  std::string wire;
  encode(make_error("FATAL", "08P01", "m"), wire);
  EXPECT_EQ(wire, bytes({'E', 0, 0, 0, 29}) + std::string("SFATAL\0VFATAL\0C08P01\0Mm\0\0", 25));

  const ErrorResponse p = make_protocol_error(WireError::kTooLarge);
  EXPECT_EQ(p.code(), "08P01");
  EXPECT_EQ(p.field('S'), "FATAL");
  EXPECT_EQ(p.message(), describe(WireError::kTooLarge));

  const NoticeResponse n{.fields = {{'M', "hi"}, {'C', "01000"}}};
  EXPECT_EQ(n.code(), "01000");
  EXPECT_EQ(n.message(), "hi");
}

TEST(WireHelpers, EveryErrorHasItsOwnDescription) {
  std::set<std::string_view> seen;
  for (const WireError e : {WireError::kBadLength, WireError::kTooLarge, WireError::kMalformed,
                            WireError::kUnknownType, WireError::kBadStartup}) {
    EXPECT_FALSE(describe(e).empty());
    seen.insert(describe(e));
  }
  EXPECT_EQ(seen.size(), 5u);
}

TEST(WireHelpers, SaslMechanismListCanBeReadAndRewritten) {
  // What the proxy does to the server's list: drop the -PLUS mechanism (DESIGN §5).
  const std::string server =
      encoded(make_sasl_authentication({"SCRAM-SHA-256-PLUS", "SCRAM-SHA-256"}));
  EXPECT_EQ(server, bytes({'R', 0, 0, 0, 42, 0, 0, 0, 10}) +
                        std::string("SCRAM-SHA-256-PLUS\0SCRAM-SHA-256\0\0", 34));
  const auto decoded = decode_backend('R', std::string_view(server).substr(kHeaderSize));
  ASSERT_TRUE(decoded.has_value());
  auto mechanisms = sasl_mechanisms(std::get<Authentication>(*decoded));
  ASSERT_TRUE(mechanisms.has_value());
  EXPECT_EQ(*mechanisms, (std::vector<std::string>{"SCRAM-SHA-256-PLUS", "SCRAM-SHA-256"}));
  std::erase(*mechanisms, "SCRAM-SHA-256-PLUS");
  EXPECT_EQ(encoded(make_sasl_authentication(*mechanisms)),
            bytes({'R', 0, 0, 0, 23, 0, 0, 0, 10}) + std::string("SCRAM-SHA-256\0\0", 15));

  EXPECT_FALSE(sasl_mechanisms(Authentication{.code = kAuthOk}).has_value());
  EXPECT_FALSE(sasl_mechanisms(Authentication{.code = kAuthSasl, .data = std::string("A\0", 2)})
                   .has_value());
  EXPECT_FALSE(sasl_mechanisms(Authentication{.code = kAuthSasl, .data = std::string("\0x", 2)})
                   .has_value());
  EXPECT_EQ(
      sasl_mechanisms(Authentication{.code = kAuthSasl, .data = std::string("\0", 1)})->size(), 0u);
}

TEST(WireHelpers, SaslInitialResponseRoundTrips) {
  const SaslInitialResponse with_data{.mechanism = "SCRAM-SHA-256", .data = "n,,n=,r=abc"};
  const PasswordMessage m = make_sasl_initial_response(with_data);
  EXPECT_EQ(m.body, std::string("SCRAM-SHA-256\0\0\0\0\x0bn,,n=,r=abc", 29));
  EXPECT_EQ(*parse_sasl_initial_response(m), with_data);
  const SaslInitialResponse without{.mechanism = "SCRAM-SHA-256", .data = std::nullopt};
  EXPECT_EQ(*parse_sasl_initial_response(make_sasl_initial_response(without)), without);

  const PasswordMessage sample = std::get<PasswordMessage>(frontend_samples().back());
  const auto parsed = parse_sasl_initial_response(sample);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->mechanism, "SCRAM-SHA-256");
  EXPECT_EQ(parsed->data, "n,,n=,r=abcdefghijklmnop");

  // A cleartext/MD5 password is not a SASLInitialResponse.
  EXPECT_FALSE(
      parse_sasl_initial_response(PasswordMessage{.body = std::string("secret\0", 7)}).has_value());
  EXPECT_FALSE(
      parse_sasl_initial_response(PasswordMessage{.body = std::string("M\0\0\0\0\x09x", 7)})
          .has_value());
}

}  // namespace
}  // namespace tombstone::wire
