// Incremental framing of a byte stream into whole protocol messages: bytes may arrive split at
// any offset; next() yields each complete message once all of its bytes are in. No I/O.
#pragma once

#include <cstddef>
#include <expected>
#include <optional>
#include <string>
#include <string_view>

#include "proxy/wire/messages.h"

namespace tombstone::wire {

struct RawMessage {
  char type;  // '\0' for startup-phase packets (and see StreamDecoder for the backend's answer)
  std::string body;  // after the header: for startup packets, the bytes after the Int32 length
  bool operator==(const RawMessage&) const = default;
};

class StreamDecoder {
 public:
  // max_message_size bounds every length field (startup packets are further bounded by
  // kMaxStartupPacketSize, as PostgreSQL does).
  //
  // startup_phase, frontend side: packets have no type byte (StartupMessage, SSLRequest,
  //   GSSENCRequest, CancelRequest). A StartupMessage ends the phase by itself; after SSLRequest
  //   or GSSENCRequest the phase goes on (the client sends another startup packet next).
  // startup_phase, backend side: the next byte is the server's one-byte answer to SSLRequest or
  //   GSSENCRequest ('S', 'G' or 'N'), yielded as RawMessage{that byte, ""}; it ends the phase.
  //   An 'E' there is a normal ErrorResponse (servers before TLS support answer that way) and
  //   also ends the phase.
  StreamDecoder(Side side, std::size_t max_message_size, bool startup_phase);

  void feed(std::string_view bytes);

  // A complete message, nullopt when more bytes are needed, or the framing error. Errors are
  // sticky: once the stream is out of step nothing after it can be trusted, so every later call
  // returns the same error. The type byte is checked against the direction's message table as
  // soon as it arrives, so garbage fails before its (possibly huge) length is waited for.
  std::expected<std::optional<RawMessage>, WireError> next();

  void set_startup_phase(bool startup_phase) { startup_phase_ = startup_phase; }
  bool startup_phase() const { return startup_phase_; }

  // Bytes fed but not yet returned. After an SSLRequest is answered 'S' this must be 0: bytes
  // sent before the TLS handshake were not encrypted (CVE-2021-23214), and the caller refuses
  // the connection.
  std::size_t buffered_size() const { return buffer_.size() - read_offset_; }
  // Memory held by the decoder; returns to a few KiB once a large message has been taken.
  std::size_t buffer_capacity() const { return buffer_.capacity(); }

 private:
  std::expected<std::optional<RawMessage>, WireError> next_startup_packet();
  std::expected<std::optional<RawMessage>, WireError> next_backend_answer();
  std::expected<std::optional<RawMessage>, WireError> next_typed_message();
  std::expected<std::optional<RawMessage>, WireError> fail(WireError error);
  RawMessage take(char type, std::size_t header_size, std::size_t body_size);

  Side side_;
  std::size_t max_message_size_;
  bool startup_phase_;
  std::optional<WireError> error_;
  std::string buffer_;
  std::size_t read_offset_ = 0;  // consumed prefix of buffer_, dropped lazily to avoid O(n^2)
};

}  // namespace tombstone::wire
