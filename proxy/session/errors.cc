#include "proxy/session/errors.h"

#include "proxy/wire/messages.h"

namespace tombstone::session {

ErrorText error_text(ProxyError error, std::string_view detail) {
  auto with_detail = [&](std::string_view head) {
    std::string message = "tombstone: ";
    message += head;
    if (!detail.empty()) {
      message += ": ";
      message += detail;
    }
    return message;
  };
  switch (error) {
    case ProxyError::kProtocolViolation:
      return {"FATAL", "08P01", with_detail("invalid message from the client"),
              "The client does not speak PostgreSQL protocol 3.0 correctly; connect with a "
              "PostgreSQL driver."};
    case ProxyError::kMessageTooLarge:
      return {"FATAL", "08P01", with_detail("message too large"),
              "Raise limits.max_message_size in the Tombstone config, or send smaller "
              "statements/parameters."};
    case ProxyError::kBytesBeforeTls:
      return {"FATAL", "08P01", with_detail("unencrypted data received after SSL request"),
              "The client sent bytes before the TLS handshake; this is refused for safety "
              "(CVE-2021-23214)."};
    case ProxyError::kTlsRequired:
      return {"FATAL", "28000", with_detail("TLS is required"),
              "Connect with sslmode=require (or verify-ca/verify-full)."};
    case ProxyError::kUpstreamUnreachable:
      return {"FATAL", "08001", with_detail("cannot connect to the PostgreSQL server"),
              "Check `upstream` in the Tombstone config and that PostgreSQL is running and "
              "accepting TCP connections there."};
    case ProxyError::kUpstreamTls:
      return {"FATAL", "08001", with_detail("TLS to the PostgreSQL server failed"),
              "Check tls.upstream (mode, ca) in the Tombstone config against the server's "
              "ssl settings and certificate."};
    case ProxyError::kUpstreamProtocol:
      return {"FATAL", "08006", with_detail("invalid data from the PostgreSQL server"),
              "Check that `upstream` points at a PostgreSQL server."};
    case ProxyError::kSettingNotAllowed:
      return {"FATAL", "42501", with_detail("permission denied to set this parameter"),
              "Only members of a role listed in admin_roles may set tombstone.visibility or "
              "tombstone.delete."};
    case ProxyError::kShuttingDown:
      return {"FATAL", "57P01",
              with_detail("terminating connection because the proxy is "
                          "shutting down"),
              "Reconnect; another Tombstone instance (or this one after restart) will serve "
              "you."};
    case ProxyError::kInternal:
      return {"FATAL", "XX000", with_detail("internal error"),
              "This is a bug in Tombstone; the proxy log has details."};
  }
  return {"FATAL", "XX000", with_detail("internal error"), ""};
}

void append_error(ProxyError error, std::string_view detail, std::string& out) {
  const ErrorText text = error_text(error, detail);
  wire::encode(wire::make_error(text.severity, text.sqlstate, text.message, text.hint), out);
}

}  // namespace tombstone::session
