#include "proxy/wire/stream_decoder.h"

#include <algorithm>

namespace tombstone::wire {
namespace {

constexpr std::size_t kRetainedCapacity = 16 * 1024;

// The Int32 code that opens every startup packet (parse_startup_length guarantees 4 bytes).
std::uint32_t read_code(std::string_view body) {
  std::uint32_t code = 0;
  for (std::size_t i = 0; i < 4; ++i) code = (code << 8) | static_cast<unsigned char>(body[i]);
  return code;
}

}  // namespace

StreamDecoder::StreamDecoder(Side side, std::size_t max_message_size, bool startup_phase)
    : side_(side), max_message_size_(max_message_size), startup_phase_(startup_phase) {}

void StreamDecoder::feed(std::string_view bytes) {
  // Drop the consumed prefix only once it dominates the buffer, so a stream of small messages
  // costs amortized O(1) per byte instead of a memmove per message.
  if (read_offset_ > 0 && read_offset_ >= buffer_.size() / 2) {
    buffer_.erase(0, read_offset_);
    read_offset_ = 0;
  }
  buffer_.append(bytes);
}

std::expected<std::optional<RawMessage>, WireError> StreamDecoder::next() {
  if (error_) return std::unexpected(*error_);
  if (startup_phase_) {
    return side_ == Side::kFrontend ? next_startup_packet() : next_backend_answer();
  }
  return next_typed_message();
}

std::expected<std::optional<RawMessage>, WireError> StreamDecoder::fail(WireError error) {
  error_ = error;
  return std::unexpected(error);
}

RawMessage StreamDecoder::take(char type, std::size_t header_size, std::size_t body_size) {
  RawMessage message{.type = type, .body = buffer_.substr(read_offset_ + header_size, body_size)};
  read_offset_ += header_size + body_size;
  if (read_offset_ == buffer_.size()) {
    // An idle connection keeps at most a small buffer: one large message must not pin its
    // memory for the connection's lifetime (DESIGN §8: <= 64 KiB per idle connection pair).
    if (buffer_.capacity() > kRetainedCapacity) {
      std::string().swap(buffer_);
    } else {
      buffer_.clear();
    }
    read_offset_ = 0;
  }
  return message;
}

std::expected<std::optional<RawMessage>, WireError> StreamDecoder::next_startup_packet() {
  const std::string_view pending = std::string_view(buffer_).substr(read_offset_);
  if (pending.size() < kStartupHeaderSize) return std::nullopt;
  const auto length =
      parse_startup_length(pending, std::min(max_message_size_, kMaxStartupPacketSize));
  // Every framing error of a startup packet is reported as a bad startup packet except size:
  // the caller answers "too large" differently from "garbage".
  if (!length) {
    return fail(length.error() == WireError::kTooLarge ? WireError::kTooLarge
                                                       : WireError::kBadStartup);
  }
  if (pending.size() < *length) return std::nullopt;
  RawMessage packet = take('\0', kStartupHeaderSize, *length - kStartupHeaderSize);
  // A StartupMessage (any code other than the three requests) is the last startup packet; what
  // follows is typed messages. Its version is judged by decode_startup, not here.
  const std::uint32_t code = read_code(packet.body);
  if (code != kSslRequestCode && code != kGssEncRequestCode && code != kCancelRequestCode) {
    startup_phase_ = false;
  }
  return packet;
}

std::expected<std::optional<RawMessage>, WireError> StreamDecoder::next_backend_answer() {
  if (read_offset_ == buffer_.size()) return std::nullopt;
  const char answer = buffer_[read_offset_];
  startup_phase_ = false;
  if (answer == 'E') return next_typed_message();
  if (answer != 'S' && answer != 'N' && answer != 'G') return fail(WireError::kUnknownType);
  return take(answer, 1, 0);
}

std::expected<std::optional<RawMessage>, WireError> StreamDecoder::next_typed_message() {
  const std::string_view pending = std::string_view(buffer_).substr(read_offset_);
  if (pending.empty()) return std::nullopt;
  if (!is_known_type(side_, pending[0])) return fail(WireError::kUnknownType);
  if (pending.size() < kHeaderSize) return std::nullopt;
  const auto header = parse_header(pending, max_message_size_);
  if (!header) return fail(header.error());
  if (pending.size() - kHeaderSize < header->body_size()) return std::nullopt;
  return take(header->type, kHeaderSize, header->body_size());
}

}  // namespace tombstone::wire
