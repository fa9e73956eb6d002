#include "proxy/wire/messages.h"

#include <algorithm>
#include <array>
#include <cstring>

namespace tombstone::wire {
namespace {

// Bounds-checked big-endian reader over a message body. A failed read latches `ok_ = false` and
// yields zero/empty values from then on, so decoders read straight through and check once at the
// end (finish()), which also rejects trailing bytes.
class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}

  std::uint8_t u8() {
    if (!need(1)) return 0;
    return static_cast<std::uint8_t>(data_[pos_++]);
  }
  std::int16_t i16() { return static_cast<std::int16_t>(uint(2)); }
  std::int32_t i32() { return static_cast<std::int32_t>(uint(4)); }
  std::uint32_t u32() { return static_cast<std::uint32_t>(uint(4)); }

  // A protocol String: bytes up to a NUL terminator (which is consumed, not returned).
  std::string cstring() {
    if (!ok_) return {};
    const std::size_t end = data_.find('\0', pos_);
    if (end == std::string_view::npos) {
      ok_ = false;
      return {};
    }
    std::string s(data_.substr(pos_, end - pos_));
    pos_ = end + 1;
    return s;
  }

  std::string bytes(std::size_t n) {
    if (!need(n)) return {};
    std::string s(data_.substr(pos_, n));
    pos_ += n;
    return s;
  }

  std::string rest() { return bytes(remaining()); }

  // Int32 length then that many bytes; -1 is SQL NULL; any other negative length is malformed.
  std::optional<std::string> nullable_value() {
    const std::int32_t len = i32();
    if (len == -1) return std::nullopt;
    if (len < 0) {
      ok_ = false;
      return std::string();
    }
    return bytes(static_cast<std::size_t>(len));
  }

  // An Int16 element count. The docs say Int16, but PostgreSQL and libpq read these counts as
  // unsigned (pq_getmsgint(msg, 2), pqGetInt(.., 2)): a statement may have up to 65535
  // parameters, so Bind/Parse/ParameterDescription counts above 32767 are real traffic that a
  // transparent proxy must pass. A count the body cannot hold still fails (bounds checks).
  std::size_t count() { return static_cast<std::size_t>(uint(2)); }
  // Caps a vector reservation by what the remaining bytes could hold, so a lying count cannot
  // make us allocate.
  std::size_t reserve_hint(std::size_t count, std::size_t min_element_size) const {
    return std::min(count, remaining() / min_element_size);
  }

  bool ok() const { return ok_; }
  void fail() { ok_ = false; }
  std::size_t remaining() const { return ok_ ? data_.size() - pos_ : 0; }
  bool finish() const { return ok_ && pos_ == data_.size(); }

 private:
  bool need(std::size_t n) {
    if (!ok_ || data_.size() - pos_ < n) {
      ok_ = false;
      return false;
    }
    return true;
  }
  std::uint64_t uint(std::size_t n) {
    if (!need(n)) return 0;
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < n; ++i) v = (v << 8) | static_cast<std::uint8_t>(data_[pos_ + i]);
    pos_ += n;
    return v;
  }

  std::string_view data_;
  std::size_t pos_ = 0;
  bool ok_ = true;
};

void put_u8(std::string& out, std::uint8_t v) { out.push_back(static_cast<char>(v)); }
void put_u16(std::string& out, std::uint16_t v) {
  const char b[2] = {static_cast<char>(v >> 8), static_cast<char>(v)};
  out.append(b, 2);
}
void put_u32(std::string& out, std::uint32_t v) {
  const char b[4] = {static_cast<char>(v >> 24), static_cast<char>(v >> 16),
                     static_cast<char>(v >> 8), static_cast<char>(v)};
  out.append(b, 4);
}
void put_i16(std::string& out, std::int16_t v) { put_u16(out, static_cast<std::uint16_t>(v)); }
void put_i32(std::string& out, std::int32_t v) { put_u32(out, static_cast<std::uint32_t>(v)); }
void put_cstring(std::string& out, std::string_view s) {
  out.append(s);
  out.push_back('\0');
}
// Counts are 16 bits on the wire (read unsigned, see Reader::count); PostgreSQL's own limits
// (65535 parameters, 1664 columns) keep real messages below that, and messages built from
// decoded ones cannot exceed it.
void put_count(std::string& out, std::size_t n) { put_u16(out, static_cast<std::uint16_t>(n)); }
void put_nullable(std::string& out, const std::optional<std::string>& v) {
  if (!v) {
    put_i32(out, -1);
    return;
  }
  put_i32(out, static_cast<std::int32_t>(v->size()));
  out.append(*v);
}
void put_formats(std::string& out, const std::vector<std::int16_t>& formats) {
  put_count(out, formats.size());
  for (const std::int16_t f : formats) put_i16(out, f);
}

std::vector<std::int16_t> read_formats(Reader& r) {
  const std::size_t n = r.count();
  std::vector<std::int16_t> formats;
  formats.reserve(r.reserve_hint(n, 2));
  for (std::size_t i = 0; i < n && r.ok(); ++i) formats.push_back(r.i16());
  return formats;
}
std::vector<std::optional<std::string>> read_values(Reader& r) {
  const std::size_t n = r.count();
  std::vector<std::optional<std::string>> values;
  values.reserve(r.reserve_hint(n, 4));
  for (std::size_t i = 0; i < n && r.ok(); ++i) values.push_back(r.nullable_value());
  return values;
}
// ErrorResponse/NoticeResponse: (Byte1 code, String value)* then a zero byte.
NoticeFields read_notice_fields(Reader& r) {
  NoticeFields fields;
  while (r.ok()) {
    const char code = static_cast<char>(r.u8());
    if (code == '\0') break;
    fields.emplace_back(code, r.cstring());
  }
  return fields;
}
void put_notice_fields(std::string& out, const NoticeFields& fields) {
  for (const auto& [code, value] : fields) {
    put_u8(out, static_cast<std::uint8_t>(code));
    put_cstring(out, value);
  }
  put_u8(out, 0);
}
std::string_view find_field(const NoticeFields& fields, char code) {
  for (const auto& [c, value] : fields) {
    if (c == code) return value;
  }
  return {};
}

template <typename Variant, typename M>
std::expected<Variant, WireError> finished(const Reader& r, M&& message) {
  if (!r.finish()) return std::unexpected(WireError::kMalformed);
  return Variant(std::forward<M>(message));
}

// ---- Frontend bodies --------------------------------------------------------------------------
using FrontendResult = std::expected<FrontendMessage, WireError>;

template <typename M>
FrontendResult decode_empty_frontend(std::string_view body) {
  if (!body.empty()) return std::unexpected(WireError::kMalformed);
  return M{};
}
FrontendResult decode_query(std::string_view body) {
  Reader r(body);
  Query m{.sql = r.cstring()};
  return finished<FrontendMessage>(r, std::move(m));
}
FrontendResult decode_parse(std::string_view body) {
  Reader r(body);
  Parse m;
  m.name = r.cstring();
  m.query = r.cstring();
  const std::size_t n = r.count();
  m.param_types.reserve(r.reserve_hint(n, 4));
  for (std::size_t i = 0; i < n && r.ok(); ++i) m.param_types.push_back(r.u32());
  return finished<FrontendMessage>(r, std::move(m));
}
FrontendResult decode_bind(std::string_view body) {
  Reader r(body);
  Bind m;
  m.portal = r.cstring();
  m.statement = r.cstring();
  m.param_formats = read_formats(r);
  m.params = read_values(r);
  m.result_formats = read_formats(r);
  return finished<FrontendMessage>(r, std::move(m));
}
// Describe and Close: Byte1 'S' or 'P', then the name.
template <typename M>
FrontendResult decode_kind_and_name(std::string_view body) {
  Reader r(body);
  M m;
  m.kind = static_cast<char>(r.u8());
  if (m.kind != 'S' && m.kind != 'P') r.fail();
  m.name = r.cstring();
  return finished<FrontendMessage>(r, std::move(m));
}
FrontendResult decode_execute(std::string_view body) {
  Reader r(body);
  Execute m;
  m.portal = r.cstring();
  m.max_rows = r.i32();
  return finished<FrontendMessage>(r, std::move(m));
}
FrontendResult decode_copy_data_frontend(std::string_view body) {
  return CopyData{.data = std::string(body)};
}
FrontendResult decode_copy_fail(std::string_view body) {
  Reader r(body);
  CopyFail m{.message = r.cstring()};
  return finished<FrontendMessage>(r, std::move(m));
}
FrontendResult decode_function_call(std::string_view body) {
  Reader r(body);
  FunctionCall m;
  m.oid = r.u32();
  m.arg_formats = read_formats(r);
  m.args = read_values(r);
  m.result_format = r.i16();
  return finished<FrontendMessage>(r, std::move(m));
}
FrontendResult decode_password(std::string_view body) {
  return PasswordMessage{.body = std::string(body)};
}

// ---- Backend bodies ---------------------------------------------------------------------------
using BackendResult = std::expected<BackendMessage, WireError>;

template <typename M>
BackendResult decode_empty_backend(std::string_view body) {
  if (!body.empty()) return std::unexpected(WireError::kMalformed);
  return M{};
}
// The data after an Authentication code has a fixed shape for most codes; SASL mechanism lists
// are checked too so that sasl_mechanisms() cannot fail on a decoded message. Codes PostgreSQL
// may add later keep their data as sent.
bool authentication_data_ok(std::uint32_t code, std::string_view data) {
  switch (code) {
    case kAuthOk:
    case kAuthKerberosV5:
    case kAuthCleartextPassword:
    case kAuthGss:
    case kAuthSspi:
      return data.empty();
    case kAuthMd5Password:
      return data.size() == 4;  // salt
    case kAuthSasl:
      return sasl_mechanisms(Authentication{.code = code, .data = std::string(data)}).has_value();
    default:
      return true;
  }
}
BackendResult decode_authentication(std::string_view body) {
  Reader r(body);
  Authentication m;
  m.code = r.u32();
  m.data = r.rest();
  if (!r.finish() || !authentication_data_ok(m.code, m.data)) {
    return std::unexpected(WireError::kMalformed);
  }
  return m;
}
BackendResult decode_backend_key_data(std::string_view body) {
  Reader r(body);
  BackendKeyData m;
  m.pid = r.i32();
  m.secret = r.i32();
  return finished<BackendMessage>(r, m);
}
BackendResult decode_parameter_status(std::string_view body) {
  Reader r(body);
  ParameterStatus m;
  m.name = r.cstring();
  m.value = r.cstring();
  return finished<BackendMessage>(r, std::move(m));
}
BackendResult decode_ready_for_query(std::string_view body) {
  Reader r(body);
  ReadyForQuery m{.status = static_cast<char>(r.u8())};
  if (m.status != 'I' && m.status != 'T' && m.status != 'E') r.fail();
  return finished<BackendMessage>(r, m);
}
BackendResult decode_row_description(std::string_view body) {
  Reader r(body);
  RowDescription m;
  const std::size_t n = r.count();
  m.fields.reserve(r.reserve_hint(n, 19));  // "" + 18 bytes of fixed fields
  for (std::size_t i = 0; i < n && r.ok(); ++i) {
    FieldDescription f;
    f.name = r.cstring();
    f.table_oid = r.u32();
    f.column_attr = r.i16();
    f.type_oid = r.u32();
    f.type_size = r.i16();
    f.type_modifier = r.i32();
    f.format = r.i16();
    m.fields.push_back(std::move(f));
  }
  return finished<BackendMessage>(r, std::move(m));
}
BackendResult decode_data_row(std::string_view body) {
  Reader r(body);
  DataRow m{.columns = read_values(r)};
  return finished<BackendMessage>(r, std::move(m));
}
BackendResult decode_command_complete(std::string_view body) {
  Reader r(body);
  CommandComplete m{.tag = r.cstring()};
  return finished<BackendMessage>(r, std::move(m));
}
template <typename M>
BackendResult decode_notice_fields(std::string_view body) {
  Reader r(body);
  M m{.fields = read_notice_fields(r)};
  return finished<BackendMessage>(r, std::move(m));
}
BackendResult decode_parameter_description(std::string_view body) {
  Reader r(body);
  ParameterDescription m;
  const std::size_t n = r.count();
  m.oids.reserve(r.reserve_hint(n, 4));
  for (std::size_t i = 0; i < n && r.ok(); ++i) m.oids.push_back(r.u32());
  return finished<BackendMessage>(r, std::move(m));
}
template <typename M>
BackendResult decode_copy_response(std::string_view body) {
  Reader r(body);
  M m;
  m.format = static_cast<std::int8_t>(r.u8());
  m.column_formats = read_formats(r);
  return finished<BackendMessage>(r, std::move(m));
}
BackendResult decode_copy_data_backend(std::string_view body) {
  return CopyData{.data = std::string(body)};
}
BackendResult decode_notification(std::string_view body) {
  Reader r(body);
  NotificationResponse m;
  m.pid = r.i32();
  m.channel = r.cstring();
  m.payload = r.cstring();
  return finished<BackendMessage>(r, std::move(m));
}
BackendResult decode_function_call_response(std::string_view body) {
  Reader r(body);
  FunctionCallResponse m{.result = r.nullable_value()};
  return finished<BackendMessage>(r, std::move(m));
}
BackendResult decode_negotiate_protocol_version(std::string_view body) {
  Reader r(body);
  NegotiateProtocolVersion m;
  m.minor = r.u32();
  const std::int32_t n = r.i32();
  if (n < 0) r.fail();
  m.unrecognized.reserve(r.reserve_hint(static_cast<std::size_t>(std::max(n, 0)), 1));
  for (std::int32_t i = 0; i < n && r.ok(); ++i) m.unrecognized.push_back(r.cstring());
  return finished<BackendMessage>(r, std::move(m));
}

// ---- The message tables -----------------------------------------------------------------------
// Formats as data, one table per direction keyed by type byte (protocol-message-formats).

template <typename Result>
struct MessageFormat {
  char type;
  std::string_view name;
  Result (*decode)(std::string_view body);
};

constexpr MessageFormat<FrontendResult> kFrontendFormats[] = {
    {'B', "Bind", decode_bind},
    {'C', "Close", decode_kind_and_name<Close>},
    {'c', "CopyDone", decode_empty_frontend<CopyDone>},
    {'d', "CopyData", decode_copy_data_frontend},
    {'D', "Describe", decode_kind_and_name<Describe>},
    {'E', "Execute", decode_execute},
    {'f', "CopyFail", decode_copy_fail},
    {'F', "FunctionCall", decode_function_call},
    {'H', "Flush", decode_empty_frontend<Flush>},
    {'p', "PasswordMessage", decode_password},
    {'P', "Parse", decode_parse},
    {'Q', "Query", decode_query},
    {'S', "Sync", decode_empty_frontend<Sync>},
    {'X', "Terminate", decode_empty_frontend<Terminate>},
};

constexpr MessageFormat<BackendResult> kBackendFormats[] = {
    {'1', "ParseComplete", decode_empty_backend<ParseComplete>},
    {'2', "BindComplete", decode_empty_backend<BindComplete>},
    {'3', "CloseComplete", decode_empty_backend<CloseComplete>},
    {'A', "NotificationResponse", decode_notification},
    {'c', "CopyDone", decode_empty_backend<CopyDone>},
    {'C', "CommandComplete", decode_command_complete},
    {'d', "CopyData", decode_copy_data_backend},
    {'D', "DataRow", decode_data_row},
    {'E', "ErrorResponse", decode_notice_fields<ErrorResponse>},
    {'G', "CopyInResponse", decode_copy_response<CopyInResponse>},
    {'H', "CopyOutResponse", decode_copy_response<CopyOutResponse>},
    {'I', "EmptyQueryResponse", decode_empty_backend<EmptyQueryResponse>},
    {'K', "BackendKeyData", decode_backend_key_data},
    {'n', "NoData", decode_empty_backend<NoData>},
    {'N', "NoticeResponse", decode_notice_fields<NoticeResponse>},
    {'R', "Authentication", decode_authentication},
    {'s', "PortalSuspended", decode_empty_backend<PortalSuspended>},
    {'S', "ParameterStatus", decode_parameter_status},
    {'t', "ParameterDescription", decode_parameter_description},
    {'T', "RowDescription", decode_row_description},
    {'v', "NegotiateProtocolVersion", decode_negotiate_protocol_version},
    {'V', "FunctionCallResponse", decode_function_call_response},
    {'W', "CopyBothResponse", decode_copy_response<CopyBothResponse>},
    {'Z', "ReadyForQuery", decode_ready_for_query},
};

// 256-entry index over a table, built at compile time: lookup by type byte is one load.
template <typename Result, std::size_t N>
constexpr std::array<const MessageFormat<Result>*, 256> index_formats(
    const MessageFormat<Result> (&formats)[N]) {
  std::array<const MessageFormat<Result>*, 256> index{};
  for (const auto& f : formats) index[static_cast<unsigned char>(f.type)] = &f;
  return index;
}
constexpr auto kFrontendIndex = index_formats(kFrontendFormats);
constexpr auto kBackendIndex = index_formats(kBackendFormats);

}  // namespace

std::string_view describe(WireError error) {
  switch (error) {
    case WireError::kBadLength:
      return "invalid message length";
    case WireError::kTooLarge:
      return "message exceeds the maximum message size";
    case WireError::kMalformed:
      return "malformed message body";
    case WireError::kUnknownType:
      return "invalid message type";
    case WireError::kBadStartup:
      return "invalid startup packet";
  }
  return "unknown wire error";
}

std::expected<Header, WireError> parse_header(std::string_view five_bytes,
                                              std::size_t max_message_size) {
  if (five_bytes.size() < kHeaderSize) return std::unexpected(WireError::kBadLength);
  Reader r(five_bytes.substr(0, kHeaderSize));
  const char type = static_cast<char>(r.u8());
  const std::int32_t length = r.i32();
  if (length < 4) return std::unexpected(WireError::kBadLength);
  if (static_cast<std::size_t>(length) > max_message_size) {
    return std::unexpected(WireError::kTooLarge);
  }
  return Header{.type = type, .length = static_cast<std::uint32_t>(length)};
}

std::expected<std::uint32_t, WireError> parse_startup_length(std::string_view four_bytes,
                                                             std::size_t max) {
  if (four_bytes.size() < kStartupHeaderSize) return std::unexpected(WireError::kBadLength);
  Reader r(four_bytes.substr(0, kStartupHeaderSize));
  const std::int32_t length = r.i32();
  if (length < 8) return std::unexpected(WireError::kBadLength);
  if (static_cast<std::size_t>(length) > max) return std::unexpected(WireError::kTooLarge);
  return static_cast<std::uint32_t>(length);
}

bool is_known_type(Side side, char type) {
  const auto i = static_cast<unsigned char>(type);
  return side == Side::kFrontend ? kFrontendIndex[i] != nullptr : kBackendIndex[i] != nullptr;
}

std::string_view message_name(Side side, char type) {
  const auto i = static_cast<unsigned char>(type);
  if (side == Side::kFrontend) return kFrontendIndex[i] ? kFrontendIndex[i]->name : "";
  return kBackendIndex[i] ? kBackendIndex[i]->name : "";
}

std::expected<FrontendMessage, WireError> decode_frontend(char type, std::string_view body) {
  const auto* format = kFrontendIndex[static_cast<unsigned char>(type)];
  if (format == nullptr) return std::unexpected(WireError::kUnknownType);
  return format->decode(body);
}

std::expected<BackendMessage, WireError> decode_backend(char type, std::string_view body) {
  const auto* format = kBackendIndex[static_cast<unsigned char>(type)];
  if (format == nullptr) return std::unexpected(WireError::kUnknownType);
  return format->decode(body);
}

std::expected<FrontendMessage, WireError> decode_startup(std::string_view packet_after_length) {
  const auto bad = std::unexpected(WireError::kBadStartup);
  Reader r(packet_after_length);
  const std::uint32_t code = r.u32();
  if (!r.ok()) return bad;
  switch (code) {
    case kSslRequestCode:
      if (!r.finish()) return bad;
      return SslRequest{};
    case kGssEncRequestCode:
      if (!r.finish()) return bad;
      return GssEncRequest{};
    case kCancelRequestCode: {
      CancelRequest m;
      m.pid = r.i32();
      m.secret = r.i32();
      if (!r.finish()) return bad;
      return m;
    }
    default:
      break;
  }
  // StartupMessage: major version 3 (a newer minor is answered by the server with
  // NegotiateProtocolVersion), then name/value String pairs ended by one zero byte.
  if (code >> 16 != 3) return bad;
  StartupMessage m{.protocol = code};
  while (true) {
    std::string name = r.cstring();
    if (!r.ok()) return bad;  // no terminator: the final zero byte is missing
    if (name.empty()) break;
    std::string value = r.cstring();
    if (!r.ok()) return bad;
    m.params.emplace_back(std::move(name), std::move(value));
  }
  if (!r.finish()) return bad;
  return m;
}

// ---- Encoding ---------------------------------------------------------------------------------
namespace detail {

void patch_length(std::string& out, std::size_t length_offset) {
  const auto length = static_cast<std::uint32_t>(out.size() - length_offset);
  out[length_offset] = static_cast<char>(length >> 24);
  out[length_offset + 1] = static_cast<char>(length >> 16);
  out[length_offset + 2] = static_cast<char>(length >> 8);
  out[length_offset + 3] = static_cast<char>(length);
}

void encode_body(const StartupMessage& m, std::string& out) {
  put_u32(out, m.protocol);
  for (const auto& [name, value] : m.params) {
    put_cstring(out, name);
    put_cstring(out, value);
  }
  put_u8(out, 0);
}
void encode_body(const SslRequest&, std::string& out) { put_u32(out, kSslRequestCode); }
void encode_body(const GssEncRequest&, std::string& out) { put_u32(out, kGssEncRequestCode); }
void encode_body(const CancelRequest& m, std::string& out) {
  put_u32(out, kCancelRequestCode);
  put_i32(out, m.pid);
  put_i32(out, m.secret);
}
void encode_body(const Query& m, std::string& out) { put_cstring(out, m.sql); }
void encode_body(const Parse& m, std::string& out) {
  put_cstring(out, m.name);
  put_cstring(out, m.query);
  put_count(out, m.param_types.size());
  for (const std::uint32_t oid : m.param_types) put_u32(out, oid);
}
void encode_body(const Bind& m, std::string& out) {
  put_cstring(out, m.portal);
  put_cstring(out, m.statement);
  put_formats(out, m.param_formats);
  put_count(out, m.params.size());
  for (const auto& p : m.params) put_nullable(out, p);
  put_formats(out, m.result_formats);
}
void encode_body(const Describe& m, std::string& out) {
  put_u8(out, static_cast<std::uint8_t>(m.kind));
  put_cstring(out, m.name);
}
void encode_body(const Execute& m, std::string& out) {
  put_cstring(out, m.portal);
  put_i32(out, m.max_rows);
}
void encode_body(const Close& m, std::string& out) {
  put_u8(out, static_cast<std::uint8_t>(m.kind));
  put_cstring(out, m.name);
}
void encode_body(const Sync&, std::string&) {}
void encode_body(const Flush&, std::string&) {}
void encode_body(const Terminate&, std::string&) {}
void encode_body(const CopyData& m, std::string& out) { out.append(m.data); }
void encode_body(const CopyDone&, std::string&) {}
void encode_body(const CopyFail& m, std::string& out) { put_cstring(out, m.message); }
void encode_body(const FunctionCall& m, std::string& out) {
  put_u32(out, m.oid);
  put_formats(out, m.arg_formats);
  put_count(out, m.args.size());
  for (const auto& a : m.args) put_nullable(out, a);
  put_i16(out, m.result_format);
}
void encode_body(const PasswordMessage& m, std::string& out) { out.append(m.body); }

void encode_body(const Authentication& m, std::string& out) {
  put_u32(out, m.code);
  out.append(m.data);
}
void encode_body(const BackendKeyData& m, std::string& out) {
  put_i32(out, m.pid);
  put_i32(out, m.secret);
}
void encode_body(const ParameterStatus& m, std::string& out) {
  put_cstring(out, m.name);
  put_cstring(out, m.value);
}
void encode_body(const ReadyForQuery& m, std::string& out) {
  put_u8(out, static_cast<std::uint8_t>(m.status));
}
void encode_body(const RowDescription& m, std::string& out) {
  put_count(out, m.fields.size());
  for (const FieldDescription& f : m.fields) {
    put_cstring(out, f.name);
    put_u32(out, f.table_oid);
    put_i16(out, f.column_attr);
    put_u32(out, f.type_oid);
    put_i16(out, f.type_size);
    put_i32(out, f.type_modifier);
    put_i16(out, f.format);
  }
}
void encode_body(const DataRow& m, std::string& out) {
  put_count(out, m.columns.size());
  for (const auto& c : m.columns) put_nullable(out, c);
}
void encode_body(const CommandComplete& m, std::string& out) { put_cstring(out, m.tag); }
void encode_body(const ErrorResponse& m, std::string& out) { put_notice_fields(out, m.fields); }
void encode_body(const NoticeResponse& m, std::string& out) { put_notice_fields(out, m.fields); }
void encode_body(const EmptyQueryResponse&, std::string&) {}
void encode_body(const ParseComplete&, std::string&) {}
void encode_body(const BindComplete&, std::string&) {}
void encode_body(const CloseComplete&, std::string&) {}
void encode_body(const NoData&, std::string&) {}
void encode_body(const ParameterDescription& m, std::string& out) {
  put_count(out, m.oids.size());
  for (const std::uint32_t oid : m.oids) put_u32(out, oid);
}
void encode_body(const PortalSuspended&, std::string&) {}
void encode_body(const CopyInResponse& m, std::string& out) {
  put_u8(out, static_cast<std::uint8_t>(m.format));
  put_formats(out, m.column_formats);
}
void encode_body(const CopyOutResponse& m, std::string& out) {
  put_u8(out, static_cast<std::uint8_t>(m.format));
  put_formats(out, m.column_formats);
}
void encode_body(const CopyBothResponse& m, std::string& out) {
  put_u8(out, static_cast<std::uint8_t>(m.format));
  put_formats(out, m.column_formats);
}
void encode_body(const NotificationResponse& m, std::string& out) {
  put_i32(out, m.pid);
  put_cstring(out, m.channel);
  put_cstring(out, m.payload);
}
void encode_body(const FunctionCallResponse& m, std::string& out) { put_nullable(out, m.result); }
void encode_body(const NegotiateProtocolVersion& m, std::string& out) {
  put_u32(out, m.minor);
  put_i32(out, static_cast<std::int32_t>(m.unrecognized.size()));
  for (const std::string& option : m.unrecognized) put_cstring(out, option);
}

}  // namespace detail

void encode(const FrontendMessage& message, std::string& out) {
  std::visit([&out](const auto& m) { encode(m, out); }, message);
}

void encode(const BackendMessage& message, std::string& out) {
  std::visit([&out](const auto& m) { encode(m, out); }, message);
}

// ---- Helpers ----------------------------------------------------------------------------------

std::string_view ErrorResponse::field(char code) const { return find_field(fields, code); }
std::string_view NoticeResponse::field(char code) const { return find_field(fields, code); }

ErrorResponse make_error(std::string_view severity, std::string_view sqlstate,
                         std::string_view message, std::string_view hint) {
  ErrorResponse e;
  e.fields.emplace_back('S', severity);
  e.fields.emplace_back('V', severity);
  e.fields.emplace_back('C', sqlstate);
  e.fields.emplace_back('M', message);
  if (!hint.empty()) e.fields.emplace_back('H', hint);
  return e;
}

ErrorResponse make_protocol_error(WireError error) {
  return make_error("FATAL", kSqlStateProtocolViolation, describe(error));
}

std::expected<std::vector<std::string>, WireError> sasl_mechanisms(const Authentication& auth) {
  if (auth.code != kAuthSasl) return std::unexpected(WireError::kMalformed);
  Reader r(auth.data);
  std::vector<std::string> mechanisms;
  while (true) {
    std::string name = r.cstring();
    if (!r.ok()) return std::unexpected(WireError::kMalformed);
    if (name.empty()) break;
    mechanisms.push_back(std::move(name));
  }
  if (!r.finish()) return std::unexpected(WireError::kMalformed);
  return mechanisms;
}

Authentication make_sasl_authentication(const std::vector<std::string>& mechanisms) {
  Authentication auth{.code = kAuthSasl};
  for (const std::string& name : mechanisms) put_cstring(auth.data, name);
  put_u8(auth.data, 0);
  return auth;
}

std::expected<SaslInitialResponse, WireError> parse_sasl_initial_response(
    const PasswordMessage& message) {
  Reader r(message.body);
  SaslInitialResponse response;
  response.mechanism = r.cstring();
  response.data = r.nullable_value();
  if (!r.finish()) return std::unexpected(WireError::kMalformed);
  return response;
}

PasswordMessage make_sasl_initial_response(const SaslInitialResponse& response) {
  PasswordMessage message;
  put_cstring(message.body, response.mechanism);
  put_nullable(message.body, response.data);
  return message;
}

}  // namespace tombstone::wire
