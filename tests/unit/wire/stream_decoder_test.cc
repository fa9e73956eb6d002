// StreamDecoder: a message is yielded identically however its bytes are split; bad framing is a
// sticky WireError as soon as it can be seen, never a crash or a wait for bytes that cannot help.
#include "proxy/wire/stream_decoder.h"

#include <gtest/gtest.h>

#include <random>

#include "tests/unit/wire/samples.h"

namespace tombstone::wire {
namespace {

using testing::backend_samples;
using testing::encoded;
using testing::frontend_samples;
using testing::is_startup_packet;

constexpr std::size_t kMax = 1 << 20;

std::string bytes(std::initializer_list<int> values) {
  std::string s;
  for (const int v : values) s.push_back(static_cast<char>(v));
  return s;
}

// Feeds `chunks` one after another, collecting every message; fails the test on a WireError.
std::vector<RawMessage> drain(StreamDecoder& decoder, const std::vector<std::string_view>& chunks) {
  std::vector<RawMessage> out;
  for (const std::string_view chunk : chunks) {
    decoder.feed(chunk);
    while (true) {
      auto next = decoder.next();
      EXPECT_TRUE(next.has_value()) << describe(next.error());
      if (!next || !*next) break;
      out.push_back(std::move(**next));
    }
  }
  return out;
}

struct Encoded {
  Side side;
  bool startup;
  std::string wire;
};

std::vector<Encoded> all_encoded_samples() {
  std::vector<Encoded> all;
  for (const auto& m : frontend_samples()) {
    all.push_back({Side::kFrontend, is_startup_packet(m), encoded(m)});
  }
  for (const auto& m : backend_samples()) all.push_back({Side::kBackend, false, encoded(m)});
  return all;
}

RawMessage expected_raw(const Encoded& e) {
  if (e.startup) return RawMessage{.type = '\0', .body = e.wire.substr(kStartupHeaderSize)};
  return RawMessage{.type = e.wire[0], .body = e.wire.substr(kHeaderSize)};
}

TEST(WireStreamDecoder, EveryMessageSplitAtEveryOffsetDecodesIdentically) {
  for (const Encoded& e : all_encoded_samples()) {
    const RawMessage expected = expected_raw(e);
    const std::string_view wire = e.wire;
    for (std::size_t cut = 0; cut <= wire.size(); ++cut) {
      StreamDecoder decoder(e.side, kMax, e.startup);
      const auto got = drain(decoder, {wire.substr(0, cut), wire.substr(cut)});
      ASSERT_EQ(got.size(), 1u) << "cut " << cut << " of " << message_name(e.side, wire[0]);
      EXPECT_EQ(got[0], expected);
      EXPECT_EQ(decoder.buffered_size(), 0u);
    }
  }
}

TEST(WireStreamDecoder, EveryMessageFedOneByteAtATimeDecodesIdentically) {
  for (const Encoded& e : all_encoded_samples()) {
    StreamDecoder decoder(e.side, kMax, e.startup);
    std::vector<std::string_view> singles;
    for (std::size_t i = 0; i < e.wire.size(); ++i)
      singles.push_back(std::string_view(e.wire).substr(i, 1));
    const auto got = drain(decoder, singles);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0], expected_raw(e));
  }
}

// A realistic client stream: startup, then an extended-protocol batch, a simple query, COPY.
TEST(WireStreamDecoder, ManyMessagesSplitArbitrarilyKeepTheirOrderAndContent) {
  std::vector<RawMessage> expected;
  std::string stream;
  bool first = true;
  for (const auto& m : frontend_samples()) {
    // Only the first startup packet may open the stream (a StartupMessage ends the phase).
    if (is_startup_packet(m) && !first) continue;
    const Encoded e{Side::kFrontend, is_startup_packet(m), encoded(m)};
    first = false;
    stream += e.wire;
    expected.push_back(expected_raw(e));
  }
  std::mt19937 rng(7);
  for (int round = 0; round < 400; ++round) {
    std::vector<std::string_view> chunks;
    std::size_t pos = 0;
    while (pos < stream.size()) {
      const std::size_t n = std::uniform_int_distribution<std::size_t>(0, 40)(rng);
      chunks.push_back(std::string_view(stream).substr(pos, n));
      pos += n;
    }
    StreamDecoder decoder(Side::kFrontend, kMax, /*startup_phase=*/true);
    ASSERT_EQ(drain(decoder, chunks), expected) << "round " << round;
    EXPECT_FALSE(decoder.startup_phase());
  }

  std::string backend_stream;
  std::vector<RawMessage> backend_expected;
  for (const auto& m : backend_samples()) {
    const Encoded e{Side::kBackend, false, encoded(m)};
    backend_stream += e.wire;
    backend_expected.push_back(expected_raw(e));
  }
  for (int round = 0; round < 400; ++round) {
    std::vector<std::string_view> chunks;
    std::size_t pos = 0;
    while (pos < backend_stream.size()) {
      const std::size_t n = std::uniform_int_distribution<std::size_t>(1, 64)(rng);
      chunks.push_back(std::string_view(backend_stream).substr(pos, n));
      pos += n;
    }
    StreamDecoder decoder(Side::kBackend, kMax, false);
    ASSERT_EQ(drain(decoder, chunks), backend_expected) << "round " << round;
  }
}

TEST(WireStreamDecoder, LargeMessageArrivesInManyChunks) {
  std::string wire;
  const std::string payload(300000, 'x');
  encode(CopyData{.data = payload}, wire);
  encode(CopyDone{}, wire);
  StreamDecoder decoder(Side::kFrontend, kMax, false);
  std::vector<std::string_view> chunks;
  for (std::size_t pos = 0; pos < wire.size(); pos += 4096) {
    chunks.push_back(std::string_view(wire).substr(pos, 4096));
  }
  const auto got = drain(decoder, chunks);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].body, payload);
  EXPECT_EQ(got[1], (RawMessage{.type = 'c', .body = ""}));
}

TEST(WireStreamDecoder, LargeMessageMemoryIsReleasedOnceTaken) {
  StreamDecoder decoder(Side::kBackend, kMax, false);
  std::string wire;
  encode(DataRow{.columns = {std::string(500000, 'v')}}, wire);
  decoder.feed(wire);
  EXPECT_GE(decoder.buffer_capacity(), wire.size());
  ASSERT_TRUE(decoder.next()->has_value());
  EXPECT_LE(decoder.buffer_capacity(), 16u * 1024);
}

TEST(WireStreamDecoder, NeedsMoreBytesIsNotAnError) {
  StreamDecoder decoder(Side::kBackend, kMax, false);
  EXPECT_EQ(decoder.next(), std::nullopt);
  decoder.feed(bytes({'Z', 0, 0}));
  EXPECT_EQ(decoder.next(), std::nullopt);
  decoder.feed(bytes({0, 5}));
  EXPECT_EQ(decoder.next(), std::nullopt);
  decoder.feed("T");
  EXPECT_EQ(decoder.next(), (RawMessage{.type = 'Z', .body = "T"}));
  EXPECT_EQ(decoder.next(), std::nullopt);
}

TEST(WireStreamDecoder, OversizedLengthFailsWithoutWaitingForTheBody) {
  StreamDecoder decoder(Side::kFrontend, 1000, false);
  decoder.feed(bytes({'Q', 0x10, 0, 0, 0}));  // 256 MiB announced, nothing sent
  EXPECT_EQ(decoder.next().error(), WireError::kTooLarge);

  StreamDecoder exact(Side::kFrontend, 10, false);
  exact.feed(bytes({'d', 0, 0, 0, 10}) + "123456");
  EXPECT_EQ(exact.next()->value().body, "123456");
  exact.feed(bytes({'d', 0, 0, 0, 11}));
  EXPECT_EQ(exact.next().error(), WireError::kTooLarge);
}

TEST(WireStreamDecoder, NegativeAndTooSmallLengthsFail) {
  for (const std::string& header :
       {bytes({'Q', 0xff, 0xff, 0xff, 0xff}), bytes({'Q', 0x80, 0, 0, 0}), bytes({'Q', 0, 0, 0, 3}),
        bytes({'Q', 0, 0, 0, 0})}) {
    StreamDecoder decoder(Side::kFrontend, SIZE_MAX, false);
    decoder.feed(header);
    EXPECT_EQ(decoder.next().error(), WireError::kBadLength);
  }
}

TEST(WireStreamDecoder, UnknownTypeFailsOnItsFirstByte) {
  StreamDecoder frontend(Side::kFrontend, kMax, false);
  frontend.feed("G");  // a backend-only type byte
  EXPECT_EQ(frontend.next().error(), WireError::kUnknownType);

  StreamDecoder backend(Side::kBackend, kMax, false);
  backend.feed(encoded(BackendMessage(NoData{})) + "Q");
  EXPECT_EQ(backend.next()->value().type, 'n');
  EXPECT_EQ(backend.next().error(), WireError::kUnknownType);
}

TEST(WireStreamDecoder, ErrorsAreStickyEvenWhenValidBytesFollow) {
  StreamDecoder decoder(Side::kFrontend, kMax, false);
  decoder.feed(bytes({'Q', 0, 0, 0, 1}));
  EXPECT_EQ(decoder.next().error(), WireError::kBadLength);
  decoder.feed(encoded(FrontendMessage(Sync{})));
  EXPECT_EQ(decoder.next().error(), WireError::kBadLength);
  EXPECT_EQ(decoder.next().error(), WireError::kBadLength);
}

// Random frames: mostly a real type byte with a small length and random body, sometimes a huge or
// negative length, sometimes raw random bytes.
std::string plausible_garbage(std::mt19937& rng) {
  std::uniform_int_distribution<int> byte(0, 255);
  const std::string known_types = "BCcdDEfFHpPQSX123AGIKnNRstTvVWZ";
  std::string out;
  const int segments = 1 + byte(rng) % 8;
  for (int s = 0; s < segments; ++s) {
    const int kind = byte(rng) % 10;
    if (kind < 7) {
      const std::uint32_t length = kind == 0 ? static_cast<std::uint32_t>(rng())
                                             : static_cast<std::uint32_t>(byte(rng) % 72);
      out.push_back(known_types[byte(rng) % known_types.size()]);
      for (int shift = 24; shift >= 0; shift -= 8)
        out.push_back(static_cast<char>(length >> shift));
      const std::size_t body = length >= 4 && length < 80 ? length - 4 : byte(rng) % 16;
      for (std::size_t i = 0; i < body; ++i) out.push_back(static_cast<char>(byte(rng)));
    } else {
      for (int i = byte(rng) % 16; i > 0; --i) out.push_back(static_cast<char>(byte(rng)));
    }
  }
  return out;
}

// Random bytes in random chunks, either phase and direction: the decoder only ever yields
// messages within the size bound or a clean error, and stops making progress after an error.
TEST(WireStreamDecoder, RandomGarbageNeverCrashesAndRespectsTheBound) {
  std::mt19937 rng(424242);
  std::uniform_int_distribution<int> byte(0, 255);
  constexpr std::size_t kSmallMax = 64;
  int errors = 0, messages = 0;
  for (int i = 0; i < 5000; ++i) {
    const Side side = i % 2 ? Side::kFrontend : Side::kBackend;
    StreamDecoder decoder(side, kSmallMax, i % 3 == 0);
    const std::string garbage = plausible_garbage(rng);
    std::size_t pos = 0;
    bool failed = false;
    while (pos < garbage.size() && !failed) {
      const std::size_t n = 1 + byte(rng) % 16;
      decoder.feed(std::string_view(garbage).substr(pos, n));
      pos += n;
      while (true) {
        auto next = decoder.next();
        if (!next) {
          failed = true;
          ++errors;
          EXPECT_EQ(decoder.next().error(), next.error());
          break;
        }
        if (!*next) break;
        ++messages;
        EXPECT_LE((*next)->body.size(), kSmallMax);
      }
    }
  }
  EXPECT_GT(errors, 1000);
  EXPECT_GT(messages, 100);
}

}  // namespace
}  // namespace tombstone::wire
