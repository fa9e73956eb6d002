// PostgreSQL frontend/backend protocol v3: one plain struct per message, decode from a message
// body and encode to bytes. No I/O: callers hand in bytes and get values (or a WireError) back.
//
// Formats follow https://www.postgresql.org/docs/15/protocol-message-formats.html
// ("protocol-message-formats"); every integer on the wire is big-endian ("network order").
// A normal message is: type byte, Int32 length (counting itself, not the type byte), body.
// Startup-phase packets (StartupMessage, SSLRequest, GSSENCRequest, CancelRequest) have no type
// byte: Int32 length (counting itself), then an Int32 code, then the rest.
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace tombstone::wire {

inline constexpr std::size_t kHeaderSize = 5;         // type byte + Int32 length (incl. itself)
inline constexpr std::size_t kStartupHeaderSize = 4;  // Int32 length (incl. itself)

// Startup-phase codes (protocol-message-formats: StartupMessage, SSLRequest, GSSENCRequest,
// CancelRequest). The version is major << 16 | minor.
inline constexpr std::uint32_t kProtocolV3 = 196608;  // 3.0
inline constexpr std::uint32_t kSslRequestCode = 80877103;
inline constexpr std::uint32_t kGssEncRequestCode = 80877104;
inline constexpr std::uint32_t kCancelRequestCode = 80877102;
// PostgreSQL refuses startup packets longer than this (MAX_STARTUP_PACKET_LENGTH in
// src/include/libpq/pqcomm.h); StreamDecoder applies it in the startup phase.
inline constexpr std::size_t kMaxStartupPacketSize = 10000;

// Authentication request codes ('R', protocol-message-formats: AuthenticationOk ... SASLFinal).
inline constexpr std::uint32_t kAuthOk = 0;
inline constexpr std::uint32_t kAuthKerberosV5 = 2;
inline constexpr std::uint32_t kAuthCleartextPassword = 3;
inline constexpr std::uint32_t kAuthMd5Password = 5;
inline constexpr std::uint32_t kAuthGss = 7;
inline constexpr std::uint32_t kAuthGssContinue = 8;
inline constexpr std::uint32_t kAuthSspi = 9;
inline constexpr std::uint32_t kAuthSasl = 10;
inline constexpr std::uint32_t kAuthSaslContinue = 11;
inline constexpr std::uint32_t kAuthSaslFinal = 12;

// The SQLSTATE PostgreSQL itself uses for every framing error (ERRCODE_PROTOCOL_VIOLATION).
inline constexpr std::string_view kSqlStateProtocolViolation = "08P01";

enum class WireError {
  kBadLength,    // length field below its minimum, or negative as an Int32
  kTooLarge,     // length field above the configured maximum message size
  kMalformed,    // body does not match the message's format (truncated, trailing bytes, ...)
  kUnknownType,  // type byte not defined for this direction
  kBadStartup,   // startup packet with an unknown code/version or a malformed parameter list
};

std::string_view describe(WireError error);

// Which peer sent the bytes: the same type byte means different messages per direction.
enum class Side { kFrontend /* sent by the client */, kBackend /* sent by the server */ };

struct Header {
  char type;
  std::uint32_t length;  // as on the wire: counts itself, not the type byte
  std::size_t body_size() const { return length - 4; }
};

// Parses the first kHeaderSize bytes of `five_bytes`. Lengths below 4 or negative as Int32 are
// kBadLength; lengths above max_message_size are kTooLarge. The type byte is not checked here
// (is_known_type does that, given the direction).
std::expected<Header, WireError> parse_header(std::string_view five_bytes,
                                              std::size_t max_message_size);

// Parses the Int32 length of a startup-phase packet (counts itself; at least 8 because every
// startup packet carries a code). Returns that length.
std::expected<std::uint32_t, WireError> parse_startup_length(std::string_view four_bytes,
                                                             std::size_t max);

// ---------------------------------------------------------------------------------------------
// Frontend (client → server) messages. kType is the type byte; '\0' marks startup-phase packets.

struct StartupMessage {
  static constexpr char kType = '\0';
  std::uint32_t protocol = kProtocolV3;
  std::vector<std::pair<std::string, std::string>> params;  // in the order sent; user, database…
  bool operator==(const StartupMessage&) const = default;
};
struct SslRequest {
  static constexpr char kType = '\0';
  bool operator==(const SslRequest&) const = default;
};
struct GssEncRequest {
  static constexpr char kType = '\0';
  bool operator==(const GssEncRequest&) const = default;
};
struct CancelRequest {
  static constexpr char kType = '\0';
  std::int32_t pid = 0;
  std::int32_t secret = 0;
  bool operator==(const CancelRequest&) const = default;
};
struct Query {
  static constexpr char kType = 'Q';
  std::string sql;
  bool operator==(const Query&) const = default;
};
struct Parse {
  static constexpr char kType = 'P';
  std::string name;  // "" = unnamed statement
  std::string query;
  std::vector<std::uint32_t> param_types;  // 0 = unspecified
  bool operator==(const Parse&) const = default;
};
struct Bind {
  static constexpr char kType = 'B';
  std::string portal;
  std::string statement;
  std::vector<std::int16_t> param_formats;         // 0 text, 1 binary
  std::vector<std::optional<std::string>> params;  // nullopt = SQL NULL (length -1)
  std::vector<std::int16_t> result_formats;
  bool operator==(const Bind&) const = default;
};
struct Describe {
  static constexpr char kType = 'D';
  char kind = 'S';  // 'S' prepared statement, 'P' portal
  std::string name;
  bool operator==(const Describe&) const = default;
};
struct Execute {
  static constexpr char kType = 'E';
  std::string portal;
  std::int32_t max_rows = 0;  // 0 = no limit
  bool operator==(const Execute&) const = default;
};
struct Close {
  static constexpr char kType = 'C';
  char kind = 'S';  // 'S' prepared statement, 'P' portal
  std::string name;
  bool operator==(const Close&) const = default;
};
struct Sync {
  static constexpr char kType = 'S';
  bool operator==(const Sync&) const = default;
};
struct Flush {
  static constexpr char kType = 'H';
  bool operator==(const Flush&) const = default;
};
struct Terminate {
  static constexpr char kType = 'X';
  bool operator==(const Terminate&) const = default;
};
// CopyData and CopyDone are sent by both sides with the same layout.
struct CopyData {
  static constexpr char kType = 'd';
  std::string data;
  bool operator==(const CopyData&) const = default;
};
struct CopyDone {
  static constexpr char kType = 'c';
  bool operator==(const CopyDone&) const = default;
};
struct CopyFail {
  static constexpr char kType = 'f';
  std::string message;
  bool operator==(const CopyFail&) const = default;
};
struct FunctionCall {
  static constexpr char kType = 'F';
  std::uint32_t oid = 0;
  std::vector<std::int16_t> arg_formats;
  std::vector<std::optional<std::string>> args;  // nullopt = SQL NULL (length -1)
  std::int16_t result_format = 0;
  bool operator==(const FunctionCall&) const = default;
};
// 'p' is PasswordMessage, SASLInitialResponse, SASLResponse or GSSResponse: only the preceding
// Authentication request tells which, so the body stays raw (see parse_sasl_initial_response).
struct PasswordMessage {
  static constexpr char kType = 'p';
  std::string body;
  bool operator==(const PasswordMessage&) const = default;
};

// ---------------------------------------------------------------------------------------------
// Backend (server → client) messages.

struct Authentication {
  static constexpr char kType = 'R';
  std::uint32_t code = kAuthOk;  // kAuth*
  std::string data;              // what follows the code: MD5 salt, SASL mechanisms/data, ...
  bool operator==(const Authentication&) const = default;
};
struct BackendKeyData {
  static constexpr char kType = 'K';
  std::int32_t pid = 0;
  std::int32_t secret = 0;
  bool operator==(const BackendKeyData&) const = default;
};
struct ParameterStatus {
  static constexpr char kType = 'S';
  std::string name;
  std::string value;
  bool operator==(const ParameterStatus&) const = default;
};
struct ReadyForQuery {
  static constexpr char kType = 'Z';
  char status = 'I';  // 'I' idle, 'T' in a transaction block, 'E' in a failed transaction block
  bool operator==(const ReadyForQuery&) const = default;
};
struct FieldDescription {
  std::string name;
  std::uint32_t table_oid = 0;   // 0 if not a table column
  std::int16_t column_attr = 0;  // attribute number, 0 if not a table column
  std::uint32_t type_oid = 0;
  std::int16_t type_size = 0;  // pg_type.typlen; negative = variable width
  std::int32_t type_modifier = -1;
  std::int16_t format = 0;  // 0 text, 1 binary
  bool operator==(const FieldDescription&) const = default;
};
struct RowDescription {
  static constexpr char kType = 'T';
  std::vector<FieldDescription> fields;
  bool operator==(const RowDescription&) const = default;
};
struct DataRow {
  static constexpr char kType = 'D';
  std::vector<std::optional<std::string>> columns;  // nullopt = SQL NULL (length -1)
  bool operator==(const DataRow&) const = default;
};
struct CommandComplete {
  static constexpr char kType = 'C';
  std::string tag;  // "DELETE 3", "SELECT 1", "INSERT 0 1", ...
  bool operator==(const CommandComplete&) const = default;
};
// Field list of ErrorResponse/NoticeResponse (protocol-error-fields): 'S' severity (localized),
// 'V' severity, 'C' SQLSTATE, 'M' message, 'D' detail, 'H' hint, 'P' position, ... Order kept.
using NoticeFields = std::vector<std::pair<char, std::string>>;
struct ErrorResponse {
  static constexpr char kType = 'E';
  NoticeFields fields;
  std::string_view field(char code) const;  // "" if absent
  std::string_view code() const { return field('C'); }
  std::string_view message() const { return field('M'); }
  bool operator==(const ErrorResponse&) const = default;
};
struct NoticeResponse {
  static constexpr char kType = 'N';
  NoticeFields fields;
  std::string_view field(char code) const;  // "" if absent
  std::string_view code() const { return field('C'); }
  std::string_view message() const { return field('M'); }
  bool operator==(const NoticeResponse&) const = default;
};
struct EmptyQueryResponse {
  static constexpr char kType = 'I';
  bool operator==(const EmptyQueryResponse&) const = default;
};
struct ParseComplete {
  static constexpr char kType = '1';
  bool operator==(const ParseComplete&) const = default;
};
struct BindComplete {
  static constexpr char kType = '2';
  bool operator==(const BindComplete&) const = default;
};
struct CloseComplete {
  static constexpr char kType = '3';
  bool operator==(const CloseComplete&) const = default;
};
struct NoData {
  static constexpr char kType = 'n';
  bool operator==(const NoData&) const = default;
};
struct ParameterDescription {
  static constexpr char kType = 't';
  std::vector<std::uint32_t> oids;
  bool operator==(const ParameterDescription&) const = default;
};
struct PortalSuspended {
  static constexpr char kType = 's';
  bool operator==(const PortalSuspended&) const = default;
};
struct CopyInResponse {
  static constexpr char kType = 'G';
  std::int8_t format = 0;  // overall: 0 text, 1 binary
  std::vector<std::int16_t> column_formats;
  bool operator==(const CopyInResponse&) const = default;
};
struct CopyOutResponse {
  static constexpr char kType = 'H';
  std::int8_t format = 0;
  std::vector<std::int16_t> column_formats;
  bool operator==(const CopyOutResponse&) const = default;
};
struct CopyBothResponse {
  static constexpr char kType = 'W';
  std::int8_t format = 0;
  std::vector<std::int16_t> column_formats;
  bool operator==(const CopyBothResponse&) const = default;
};
struct NotificationResponse {
  static constexpr char kType = 'A';
  std::int32_t pid = 0;
  std::string channel;
  std::string payload;
  bool operator==(const NotificationResponse&) const = default;
};
struct FunctionCallResponse {
  static constexpr char kType = 'V';
  std::optional<std::string> result;  // nullopt = SQL NULL (length -1)
  bool operator==(const FunctionCallResponse&) const = default;
};
struct NegotiateProtocolVersion {
  static constexpr char kType = 'v';
  std::uint32_t minor = 0;                // newest minor version the server supports
  std::vector<std::string> unrecognized;  // protocol options ("_pq_.x") it did not recognize
  bool operator==(const NegotiateProtocolVersion&) const = default;
};

using FrontendMessage =
    std::variant<StartupMessage, SslRequest, GssEncRequest, CancelRequest, Query, Parse, Bind,
                 Describe, Execute, Close, Sync, Flush, Terminate, CopyData, CopyDone, CopyFail,
                 FunctionCall, PasswordMessage>;
using BackendMessage =
    std::variant<Authentication, BackendKeyData, ParameterStatus, ReadyForQuery, RowDescription,
                 DataRow, CommandComplete, ErrorResponse, NoticeResponse, EmptyQueryResponse,
                 ParseComplete, BindComplete, CloseComplete, NoData, ParameterDescription,
                 PortalSuspended, CopyInResponse, CopyOutResponse, CopyBothResponse, CopyData,
                 CopyDone, NotificationResponse, FunctionCallResponse, NegotiateProtocolVersion>;

// The message table (one per direction, keyed by type byte): is the byte a message of that
// direction, and its protocol name ("Parse", "DataRow", ...; "" if unknown).
bool is_known_type(Side side, char type);
std::string_view message_name(Side side, char type);

// Decodes a body (the bytes after the 5-byte header). Bodies must match their format exactly:
// a missing terminator, a count or length past the end, a negative length other than -1 (NULL),
// a negative Int32 count or trailing bytes is kMalformed. Int16 counts are read unsigned, as
// PostgreSQL reads them (up to 65535 parameters).
std::expected<FrontendMessage, WireError> decode_frontend(char type, std::string_view body);
std::expected<BackendMessage, WireError> decode_backend(char type, std::string_view body);
// Decodes a startup-phase packet given the bytes after its Int32 length: StartupMessage (major
// version 3, any minor), SslRequest, GssEncRequest or CancelRequest; anything else kBadStartup.
std::expected<FrontendMessage, WireError> decode_startup(std::string_view packet_after_length);

// ---------------------------------------------------------------------------------------------
// Encoding: appends the whole message (header included) to `out`.

namespace detail {
void encode_body(const StartupMessage& m, std::string& out);
void encode_body(const SslRequest& m, std::string& out);
void encode_body(const GssEncRequest& m, std::string& out);
void encode_body(const CancelRequest& m, std::string& out);
void encode_body(const Query& m, std::string& out);
void encode_body(const Parse& m, std::string& out);
void encode_body(const Bind& m, std::string& out);
void encode_body(const Describe& m, std::string& out);
void encode_body(const Execute& m, std::string& out);
void encode_body(const Close& m, std::string& out);
void encode_body(const Sync& m, std::string& out);
void encode_body(const Flush& m, std::string& out);
void encode_body(const Terminate& m, std::string& out);
void encode_body(const CopyData& m, std::string& out);
void encode_body(const CopyDone& m, std::string& out);
void encode_body(const CopyFail& m, std::string& out);
void encode_body(const FunctionCall& m, std::string& out);
void encode_body(const PasswordMessage& m, std::string& out);
void encode_body(const Authentication& m, std::string& out);
void encode_body(const BackendKeyData& m, std::string& out);
void encode_body(const ParameterStatus& m, std::string& out);
void encode_body(const ReadyForQuery& m, std::string& out);
void encode_body(const RowDescription& m, std::string& out);
void encode_body(const DataRow& m, std::string& out);
void encode_body(const CommandComplete& m, std::string& out);
void encode_body(const ErrorResponse& m, std::string& out);
void encode_body(const NoticeResponse& m, std::string& out);
void encode_body(const EmptyQueryResponse& m, std::string& out);
void encode_body(const ParseComplete& m, std::string& out);
void encode_body(const BindComplete& m, std::string& out);
void encode_body(const CloseComplete& m, std::string& out);
void encode_body(const NoData& m, std::string& out);
void encode_body(const ParameterDescription& m, std::string& out);
void encode_body(const PortalSuspended& m, std::string& out);
void encode_body(const CopyInResponse& m, std::string& out);
void encode_body(const CopyOutResponse& m, std::string& out);
void encode_body(const CopyBothResponse& m, std::string& out);
void encode_body(const NotificationResponse& m, std::string& out);
void encode_body(const FunctionCallResponse& m, std::string& out);
void encode_body(const NegotiateProtocolVersion& m, std::string& out);

// Writes the Int32 length of the message that starts at out[start] (its type byte, if any, is
// at out[start] and the length right after it).
void patch_length(std::string& out, std::size_t length_offset);
}  // namespace detail

template <typename M>
concept WireMessage = requires(const M& m, std::string& out) {
  { M::kType } -> std::convertible_to<char>;
  detail::encode_body(m, out);
};

// encode(Query{"SELECT 1"}, out), encode(make_error(...), out), ...
template <WireMessage M>
void encode(const M& message, std::string& out) {
  if constexpr (M::kType != '\0') out.push_back(M::kType);
  const std::size_t length_offset = out.size();
  out.append(4, '\0');
  detail::encode_body(message, out);
  detail::patch_length(out, length_offset);
}
void encode(const FrontendMessage& message, std::string& out);
void encode(const BackendMessage& message, std::string& out);

// ---------------------------------------------------------------------------------------------
// Helpers.

// An ErrorResponse as PostgreSQL builds one: S and V severity, C SQLSTATE, M message, H hint if
// given.
ErrorResponse make_error(std::string_view severity, std::string_view sqlstate,
                         std::string_view message, std::string_view hint = {});
// The FATAL 08P01 ErrorResponse to send before closing a connection whose bytes did not frame.
ErrorResponse make_protocol_error(WireError error);

// AuthenticationSASL: the mechanism list (Strings ended by an empty String).
std::expected<std::vector<std::string>, WireError> sasl_mechanisms(const Authentication& auth);
Authentication make_sasl_authentication(const std::vector<std::string>& mechanisms);

// SASLInitialResponse ('p' answering AuthenticationSASL): mechanism, Int32 length (-1 = none),
// initial client response.
struct SaslInitialResponse {
  std::string mechanism;
  std::optional<std::string> data;
  bool operator==(const SaslInitialResponse&) const = default;
};
std::expected<SaslInitialResponse, WireError> parse_sasl_initial_response(
    const PasswordMessage& message);
PasswordMessage make_sasl_initial_response(const SaslInitialResponse& response);

}  // namespace tombstone::wire
