// Every ErrorResponse that Tombstone itself sends (rather than forwarding the server's) is built
// here, so that each one has a real SQLSTATE, a message starting with "tombstone: " and a hint
// telling the user what to do (STYLE.md habit 2: one place, one ErrorResponse per error).
#pragma once

#include <string>
#include <string_view>

namespace tombstone::session {

enum class ProxyError {
  kProtocolViolation,    // 08P01: the client's bytes do not frame as protocol v3
  kMessageTooLarge,      // 08P01: a message Tombstone must buffer exceeds max_message_size
  kBytesBeforeTls,       // 08P01: bytes after SSLRequest, before the handshake (CVE-2021-23214)
  kTlsRequired,          // 28000: tls.client.mode require, plaintext StartupMessage
  kUpstreamUnreachable,  // 08001: connect to the server failed or timed out
  kUpstreamTls,          // 08001: the server refused TLS or the handshake/verification failed
  kUpstreamProtocol,     // 08006: the server's bytes do not frame as protocol v3
  kSettingNotAllowed,    // 42501: non-admin set tombstone.visibility/delete in the startup packet
  kShuttingDown,         // 57P01: SIGTERM drained this idle session
  kInternal,             // XX000: an unexpected failure inside Tombstone
};

// Appends the complete ErrorResponse message (header included) to `out`. `detail` completes the
// message (what failed and why); it may be empty.
void append_error(ProxyError error, std::string_view detail, std::string& out);

// The severity/SQLSTATE/message/hint the error would carry, for logs and tests.
struct ErrorText {
  std::string_view severity;
  std::string_view sqlstate;
  std::string message;
  std::string hint;
};
ErrorText error_text(ProxyError error, std::string_view detail);

}  // namespace tombstone::session
