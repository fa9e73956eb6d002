// libFuzzer target for the wire codec: StreamDecoder framing plus decode_* and re-encode, both
// directions, startup phase included.
//
// Input layout (the seed corpus in corpus/wire/ follows it):
//   byte 0: bit 0 = direction (0 frontend, 1 backend); bit 1 = start in the startup phase
//   byte 1: chunk size for feeding (0 means the whole stream at once)
//   rest:   the byte stream as one peer sent it
//
// Properties checked (a violation aborts, which libFuzzer reports as a crash):
//   - framing is independent of how the bytes are split: chunked feeding yields exactly the
//     messages (and the error) of feeding everything at once;
//   - every framed message within the size bound;
//   - a body that decodes re-encodes to exactly the bytes it came from (decode is canonical),
//     and the SASL helpers agree with the codec.
// Sanitizers (address, undefined) catch out-of-bounds reads and UB in the decoders.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/wire/messages.h"
#include "proxy/wire/stream_decoder.h"

namespace {

using tombstone::wire::Authentication;
using tombstone::wire::BackendMessage;
using tombstone::wire::FrontendMessage;
using tombstone::wire::PasswordMessage;
using tombstone::wire::RawMessage;
using tombstone::wire::Side;
using tombstone::wire::StreamDecoder;
using tombstone::wire::WireError;

constexpr std::size_t kMaxMessageSize = 1 << 16;

void check(bool condition) {
  if (!condition) std::abort();
}

struct Framed {
  RawMessage message;
  bool in_startup_phase;  // the decoder's phase when it produced the message
};

struct Outcome {
  std::vector<Framed> messages;
  bool failed = false;
  WireError error = WireError::kMalformed;
};

Outcome frame(Side side, bool startup, std::string_view stream, std::size_t chunk) {
  Outcome outcome;
  StreamDecoder decoder(side, kMaxMessageSize, startup);
  std::size_t pos = 0;
  while (pos < stream.size() && !outcome.failed) {
    const std::size_t n = chunk == 0 ? stream.size() : chunk;
    decoder.feed(stream.substr(pos, n));
    pos += n;
    while (true) {
      const bool phase = decoder.startup_phase();
      auto next = decoder.next();
      if (!next) {
        outcome.failed = true;
        outcome.error = next.error();
        check(!decoder.next().has_value());  // errors are sticky
        break;
      }
      if (!*next) break;
      check((*next)->body.size() <= kMaxMessageSize);
      outcome.messages.push_back({std::move(**next), phase});
    }
  }
  return outcome;
}

std::string header_of(char type, std::size_t body_size, bool startup_packet) {
  std::string h;
  if (!startup_packet) h.push_back(type);
  const auto length = static_cast<std::uint32_t>(body_size + 4);
  for (int shift = 24; shift >= 0; shift -= 8) h.push_back(static_cast<char>(length >> shift));
  return h;
}

void check_reencode(const Framed& f, Side side) {
  const RawMessage& m = f.message;
  std::string again;
  if (side == Side::kFrontend) {
    const bool startup_packet = f.in_startup_phase;
    const auto decoded = startup_packet ? tombstone::wire::decode_startup(m.body)
                                        : tombstone::wire::decode_frontend(m.type, m.body);
    if (!decoded) return;
    tombstone::wire::encode(*decoded, again);
    check(again == header_of(m.type, m.body.size(), startup_packet) + m.body);
    if (const auto* p = std::get_if<PasswordMessage>(&*decoded)) {
      // 'p' may be a SASLInitialResponse: if it parses as one, rebuilding gives the same body.
      if (const auto sasl = tombstone::wire::parse_sasl_initial_response(*p)) {
        check(tombstone::wire::make_sasl_initial_response(*sasl).body == p->body);
      }
    }
    return;
  }
  if (f.in_startup_phase && m.type != 'E') {
    check(m.body.empty());  // the one-byte 'S'/'N'/'G' answer
    return;
  }
  const auto decoded = tombstone::wire::decode_backend(m.type, m.body);
  if (!decoded) return;
  tombstone::wire::encode(*decoded, again);
  check(again == header_of(m.type, m.body.size(), false) + m.body);
  if (const auto* auth = std::get_if<Authentication>(&*decoded)) {
    if (auth->code == tombstone::wire::kAuthSasl) {
      const auto mechanisms = tombstone::wire::sasl_mechanisms(*auth);
      check(mechanisms.has_value());
      check(tombstone::wire::make_sasl_authentication(*mechanisms) == *auth);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const Side side = (data[0] & 1) ? Side::kBackend : Side::kFrontend;
  const bool startup = (data[0] & 2) != 0;
  const std::size_t chunk = data[1];
  const std::string_view stream(reinterpret_cast<const char*>(data + 2), size - 2);

  const Outcome whole = frame(side, startup, stream, 0);
  const Outcome split = frame(side, startup, stream, chunk);
  check(whole.failed == split.failed);
  if (whole.failed) check(whole.error == split.error);
  check(whole.messages.size() == split.messages.size());
  for (std::size_t i = 0; i < whole.messages.size(); ++i) {
    check(whole.messages[i].message == split.messages[i].message);
    // (The phase seen before next() may differ for a backend 'E' answering SSLRequest: the
    // decoder leaves the phase on seeing its type byte, possibly before the body is complete.)
    check_reencode(whole.messages[i], side);
  }
  return 0;
}
