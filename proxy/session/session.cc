#include "proxy/session/session.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstring>
#include <limits>
#include <utility>
#include <variant>

#include "proxy/metrics/metrics.h"
#include "proxy/wire/messages.h"

namespace tombstone::session {
namespace {

// Buffers that grew past this for one big message are released afterwards, so that an idle
// session stays small (DESIGN §8: ≤ 64 KiB per idle client+server pair).
constexpr std::size_t kKeepBufferBytes = 16 * 1024;
// Bind's portal and statement names are NAMEDATALEN-bounded; a prefix this long without both
// terminators is not a Bind PostgreSQL would accept, so peeking stops there.
constexpr std::size_t kMaxPeekBytes = 4096;

constexpr char kTerminate[] = {'X', 0, 0, 0, 4};

void append_u32(std::string& out, std::uint32_t v) {
  out.push_back(static_cast<char>(v >> 24));
  out.push_back(static_cast<char>(v >> 16));
  out.push_back(static_cast<char>(v >> 8));
  out.push_back(static_cast<char>(v));
}

void patch_u32(std::string& out, std::size_t at, std::uint32_t v) {
  out[at] = static_cast<char>(v >> 24);
  out[at + 1] = static_cast<char>(v >> 16);
  out[at + 2] = static_cast<char>(v >> 8);
  out[at + 3] = static_cast<char>(v);
}

// A NUL-terminated string at body[pos]; advances pos past the terminator.
std::optional<std::string_view> read_cstring(std::string_view body, std::size_t& pos) {
  const auto end = body.find('\0', pos);
  if (end == std::string_view::npos) return std::nullopt;
  std::string_view s = body.substr(pos, end - pos);
  pos = end + 1;
  return s;
}

// The body of a message that is one String (Query, CommandComplete) without its terminator.
std::optional<std::string_view> single_string(std::string_view body) {
  if (body.empty() || body.back() != '\0') return std::nullopt;
  body.remove_suffix(1);
  if (body.find('\0') != std::string_view::npos) return std::nullopt;
  return body;
}

// A Parse message (name, text, raw parameter type section) appended to out.
void append_parse(std::string_view name, std::string_view sql, std::string_view param_types,
                  std::string& out) {
  out.push_back('P');
  const std::size_t length_at = out.size();
  append_u32(out, 0);
  out.append(name);
  out.push_back('\0');
  out.append(sql);
  out.push_back('\0');
  out.append(param_types);
  patch_u32(out, length_at, static_cast<std::uint32_t>(out.size() - length_at));
}

// The parameter types a refused statement (a DO block, which uses no parameters) is prepared with:
// as many as declared, all text, a type PostgreSQL accepts unused; its Binds are sent with NULLs
// (forward_bind). `count` is set to that number.
std::string refused_param_types(std::string_view param_types, std::uint32_t& count) {
  const std::uint32_t declared = param_types.size() >= 2
                                     ? (static_cast<unsigned char>(param_types[0]) << 8) |
                                           static_cast<unsigned char>(param_types[1])
                                     : 0;
  count = param_types.size() == 2 + 4 * declared ? declared : 0;
  std::string out;
  out.push_back(static_cast<char>(count >> 8));
  out.push_back(static_cast<char>(count));
  for (std::uint32_t i = 0; i < count; ++i) append_u32(out, 25);
  return out;
}

void release_if_big(std::string& s) {
  if (s.capacity() > kKeepBufferBytes) {
    std::string().swap(s);
  } else {
    s.clear();
  }
}

// "UPDATE 3" / "INSERT 0 3" / "SELECT 3" -> "DELETE 3" (the row count is the last word).
std::string delete_tag(std::string_view tag) {
  const auto space = tag.rfind(' ');
  std::string out = "DELETE ";
  out += space == std::string_view::npos ? std::string_view("0") : tag.substr(space + 1);
  return out;
}

std::string_view row_count(std::string_view tag) {
  const auto space = tag.rfind(' ');
  return space == std::string_view::npos ? std::string_view{} : tag.substr(space + 1);
}

// What a statement does to the transaction, from its first keywords: 'C' COMMIT/END, 'L'
// RELEASE, 'P' SAVEPOINT, 'R' ROLLBACK/ABORT, 'T' ROLLBACK TO, 'D' DISCARD/RESET; 0 otherwise.
// A cheap look at the text, because the rewriter's fast path does not parse such statements.
char tx_control_of(std::string_view sql) {
  std::size_t i = 0;
  for (;;) {
    while (i < sql.size() && std::isspace(static_cast<unsigned char>(sql[i]))) ++i;
    if (sql.substr(i, 2) == "--") {
      const auto eol = sql.find('\n', i);
      if (eol == std::string_view::npos) return 0;
      i = eol + 1;
    } else if (sql.substr(i, 2) == "/*") {
      const auto end = sql.find("*/", i + 2);
      if (end == std::string_view::npos) return 0;
      i = end + 2;
    } else {
      break;
    }
  }
  std::size_t j = i;
  while (j < sql.size() && std::isalpha(static_cast<unsigned char>(sql[j]))) ++j;
  std::string word(sql.substr(i, j - i));
  for (char& c : word) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (word == "commit" || word == "end") return 'C';
  if (word == "release") return 'L';
  if (word == "savepoint") return 'P';
  if (word == "rollback" || word == "abort") {
    // ROLLBACK [WORK | TRANSACTION] TO [SAVEPOINT] name
    for (int k = 0; k < 2; ++k) {
      while (j < sql.size() && std::isspace(static_cast<unsigned char>(sql[j]))) ++j;
      std::size_t e = j;
      while (e < sql.size() && std::isalpha(static_cast<unsigned char>(sql[e]))) ++e;
      std::string next(sql.substr(j, e - j));
      for (char& c : next) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (next == "to") return 'T';
      if (next != "work" && next != "transaction") break;
      j = e;
    }
    return 'R';
  }
  if (word == "discard" || word == "reset") return 'D';
  return 0;
}

// A word of SQL text for temp_effects_of(): a keyword or identifier (unquoted ones folded to
// lower case, as PostgreSQL does), a double-quoted identifier (exact), or one other character.
struct Token {
  std::string text;
  bool quoted = false;
  bool word = false;
};

class Tokens {
 public:
  explicit Tokens(std::string_view sql) : sql_(sql) {}
  Token next() {
    skip_space();
    Token t;
    if (i_ >= sql_.size()) return t;
    const char c = sql_[i_];
    if (c == '"') {
      t.quoted = true;
      t.word = true;
      for (++i_; i_ < sql_.size(); ++i_) {
        if (sql_[i_] == '"') {
          if (i_ + 1 < sql_.size() && sql_[i_ + 1] == '"') {
            t.text.push_back('"');
            ++i_;
            continue;
          }
          ++i_;
          return t;
        }
        t.text.push_back(sql_[i_]);
      }
      return Token{};  // unterminated
    }
    auto ident = [](char ch, bool first) {
      const auto u = static_cast<unsigned char>(ch);
      return std::isalpha(u) || ch == '_' || u >= 0x80 ||
             (!first && (std::isdigit(u) || ch == '$'));
    };
    if (!ident(c, true)) {
      t.text.push_back(c);
      ++i_;
      return t;
    }
    t.word = true;
    while (i_ < sql_.size() && ident(sql_[i_], t.text.empty())) {
      t.text.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(sql_[i_]))));
      ++i_;
    }
    return t;
  }

 private:
  void skip_space() {
    for (;;) {
      while (i_ < sql_.size() && std::isspace(static_cast<unsigned char>(sql_[i_]))) ++i_;
      if (sql_.substr(i_, 2) == "--") {
        const auto eol = sql_.find('\n', i_);
        i_ = eol == std::string_view::npos ? sql_.size() : eol + 1;
      } else if (sql_.substr(i_, 2) == "/*") {
        const auto end = sql_.find("*/", i_ + 2);
        i_ = end == std::string_view::npos ? sql_.size() : end + 2;
      } else {
        return;
      }
    }
  }
  std::string_view sql_;
  std::size_t i_ = 0;
};

std::string quote_literal(std::string_view s) {
  // E'' works whatever standard_conforming_strings is: escape both quote and backslash.
  std::string out = "E'";
  for (char c : s) {
    if (c == '\'' || c == '\\') out += c;
    out += c;
  }
  out += '\'';
  return out;
}

}  // namespace

constexpr std::string_view kChannelBindingHint =
    "tombstone: the client's TLS ends at Tombstone, so SCRAM channel binding cannot work through "
    "it; connect with channel_binding=disable, or set tls.upstream.mode: disable";

// The last statement of the startup invisible query.
constexpr std::string_view kSessionQuery =
    "SELECT pg_catalog.current_setting('search_path'), session_user::pg_catalog.text";

std::string admin_query(const std::vector<std::string>& roles) {
  // Only roles that exist are considered (via pg_roles), so a role missing from this database
  // cluster makes nobody admin instead of raising an error. It runs under the client's
  // search_path: every function, operator and type is pg_catalog's, so that no object the
  // client created (an aggregate bool_or, an operator =) can answer "admin".
  std::string sql =
      "SELECT COALESCE(pg_catalog.bool_or(pg_catalog.pg_has_role(session_user, r.oid, 'MEMBER')), "
      "false) FROM pg_catalog.pg_roles r WHERE r.rolname OPERATOR(pg_catalog.=) ANY (ARRAY[";
  for (std::size_t i = 0; i < roles.size(); ++i) {
    if (i > 0) sql += ", ";
    sql += quote_literal(roles[i]);
  }
  sql += "]::pg_catalog.name[])";
  return sql;
}

namespace {

// `[schema.]name` at the tokens' position; nullopt when the text is not a name.
std::optional<config::QualifiedName> read_name(Tokens& tokens, Token& t) {
  if (!t.word) return std::nullopt;
  config::QualifiedName name{"", std::move(t.text)};
  t = tokens.next();
  if (!t.quoted && t.text == ".") {
    Token second = tokens.next();
    if (!second.word) return std::nullopt;
    name.schema = std::move(name.name);
    name.name = std::move(second.text);
    t = tokens.next();
  }
  return name;
}

bool listed(const config::Config& config, const std::string& name) {
  return std::ranges::any_of(config.tables, [&](const config::TablePolicy& p) {
    return p.table.name == name ||
           (p.strategy == config::Strategy::kArchive && p.archive.name == name);
  });
}

}  // namespace

// Recognized:
//   CREATE [GLOBAL | LOCAL] {TEMP | TEMPORARY} TABLE [IF NOT EXISTS] [pg_temp.]name ... (AS too)
//   CREATE [UNLOGGED] TABLE [IF NOT EXISTS] pg_temp.name ...
//   DROP {TABLE | VIEW} [IF EXISTS] name [, ...]  (unqualified names drop a temp one first)
//   DISCARD {TEMP | TEMPORARY | ALL}
// Temp views are not created provisionally on purpose: unknown, the name keeps resolving to the
// managed table, which can only fail closed. Dropping one is an effect (the name no longer
// resolves to it).
std::vector<TempEffect> temp_effects_of(std::string_view sql, const config::Config& config) {
  std::vector<TempEffect> out;
  Tokens tokens(sql);
  Token t = tokens.next();
  if (t.quoted) return out;
  if (t.text == "discard") {
    t = tokens.next();
    if (!t.quoted && (t.text == "temp" || t.text == "temporary" || t.text == "all")) {
      out.push_back(TempEffect{});
    }
    return out;
  }
  if (t.text == "drop") {
    t = tokens.next();
    if (t.quoted || (t.text != "table" && t.text != "view")) return out;
    t = tokens.next();
    if (!t.quoted && t.text == "if") {
      if (tokens.next().text != "exists") return out;
      t = tokens.next();
    }
    for (;;) {
      auto name = read_name(tokens, t);
      if (!name) return out;
      if ((name->schema.empty() || name->schema == "pg_temp") && listed(config, name->name)) {
        TempEffect drop;
        drop.relation.name = {"pg_temp", std::move(name->name)};
        out.push_back(std::move(drop));
      }
      if (t.quoted || t.text != ",") return out;
      t = tokens.next();
    }
  }
  if (t.text != "create") return out;
  t = tokens.next();
  bool temp = false;
  if (!t.quoted && (t.text == "global" || t.text == "local")) t = tokens.next();
  if (!t.quoted && (t.text == "temp" || t.text == "temporary")) {
    temp = true;
    t = tokens.next();
  } else if (!t.quoted && t.text == "unlogged") {
    t = tokens.next();
  }
  if (t.quoted || t.text != "table") return out;
  t = tokens.next();
  if (!t.quoted && t.text == "if") {
    if (tokens.next().text != "not" || tokens.next().text != "exists") return out;
    t = tokens.next();
  }
  auto name = read_name(tokens, t);
  if (!name) return out;
  if (!name->schema.empty()) {
    if (name->schema != "pg_temp") return out;  // a permanent schema (or the server's error)
    temp = true;
  }
  if (!temp || !listed(config, name->name)) return out;
  TempEffect create;
  create.create = true;
  create.relation.name = {"pg_temp", std::move(name->name)};
  create.relation.relkind = 'r';
  out.push_back(std::move(create));
  return out;
}

// A growable ring of Slots: steady-state push/pop never allocates.
class Session::SlotQueue {
 public:
  bool empty() const { return size_ == 0; }
  std::size_t size() const { return size_; }
  Slot& front() { return ring_[head_]; }
  void push(Slot slot) {
    if (size_ == ring_.size()) grow();
    slot.barrier = slot.barrier || slot.info.barrier();
    if (slot.barrier) ++barriers_;
    if (!slot.info.settings.empty()) ++with_settings_;
    if (!slot.info.temp_effects.empty()) ++with_temp_;
    ring_[(head_ + size_) & (ring_.size() - 1)] = std::move(slot);
    ++size_;
  }
  Slot pop() {
    Slot out = std::move(ring_[head_]);
    head_ = (head_ + 1) & (ring_.size() - 1);
    --size_;
    if (!out.info.settings.empty()) --with_settings_;
    if (!out.info.temp_effects.empty()) --with_temp_;
    if (out.barrier) --barriers_;
    return out;
  }
  bool barrier_in_flight() const { return barriers_ > 0; }
  // Statements sent whose SET/RESET effects have not been confirmed yet.
  bool settings_in_flight() const { return with_settings_ > 0; }
  // Statements sent that create a temp table and have not completed yet.
  bool temp_in_flight() const { return with_temp_ > 0; }
  template <typename F>
  void for_each(F&& f) const {
    for (std::size_t i = 0; i < size_; ++i) f(ring_[(head_ + i) & (ring_.size() - 1)]);
  }
  // ErrorResponse: the server skips the rest of the batch, so its statements get no responses.
  void drop_until_sync() {
    while (!empty() && !front().sync_point) pop();
  }
  // ReadyForQuery: the batch is over.
  void pop_through_sync() {
    while (!empty()) {
      if (pop().sync_point) return;
    }
  }

 private:
  void grow() {
    std::vector<Slot> bigger(ring_.empty() ? 8 : ring_.size() * 2);
    for (std::size_t i = 0; i < size_; ++i)
      bigger[i] = std::move(ring_[(head_ + i) & (ring_.size() - 1)]);
    ring_ = std::move(bigger);
    head_ = 0;
  }
  std::vector<Slot> ring_;
  std::size_t head_ = 0;
  std::size_t size_ = 0;
  std::size_t with_settings_ = 0;
  std::size_t with_temp_ = 0;
  std::size_t barriers_ = 0;
};

Session::Session(Environment& env)
    : env_(env), config_(env.config()), queue_(std::make_unique<SlotQueue>()) {
  client_.startup = true;
}

Session::~Session() = default;

Next Session::from_client(std::string_view bytes, Outputs out) { return run(true, bytes, out); }
Next Session::from_server(std::string_view bytes, Outputs out) { return run(false, bytes, out); }

void Session::client_tls_established() {
  client_tls_ = true;
  startup_.client_tls = true;
}

Next Session::upstream_failed(ProxyError error, std::string_view detail, Outputs out) {
  phase_ = Phase::kStartup;  // nothing was sent to the server: no Terminate
  return close_with(error, detail, out);
}

Next Session::drain(Outputs out) {
  draining_ = true;
  if (phase_ == Phase::kClosed) return Next::kClose;
  if (phase_ == Phase::kStartup || idle()) {
    return close_with(ProxyError::kShuttingDown, "", out);
  }
  return Next::kContinue;
}

bool Session::idle() const {
  return phase_ == Phase::kReady && !hidden_.active && !deferring_ && !unsynced_ &&
         queue_->empty() && tx_status_ == 'I' && client_.state == Framer::State::kHeader &&
         client_.header_len == 0;
}

Next Session::close_with(ProxyError error, std::string_view detail, Outputs out) {
  append_error(error, detail, out.to_client);
  if (phase_ == Phase::kAuthenticating || phase_ == Phase::kReady) {
    out.to_server.append(kTerminate, sizeof kTerminate);
  }
  close_reason_ = error_text(error, detail).message;
  phase_ = Phase::kClosed;
  return Next::kClose;
}

// ---------------------------------------------------------------------------------------------
// Framing, both directions.

Next Session::run(bool from_client, std::string_view data, Outputs out) {
  Framer& f = from_client ? client_ : server_;
  std::string& stream_out = from_client ? out.to_server : out.to_client;
  Next next = Next::kContinue;
  if (from_client && deferring_) {
    deferred_client_.append(data);
    return next;
  }

  auto complete_buffered = [&]() -> Next {
    f.state = Framer::State::kHeader;
    Next r;
    if (f.startup) {
      r = handle_startup_packet(f.body, data, out);
    } else if (from_client) {
      r = handle_client(f.header[0], f.body, out);
    } else {
      r = hidden_.active ? handle_hidden_response(f.header[0], f.body, out)
                         : handle_server(f.header[0], f.body, out);
    }
    release_if_big(f.body);
    return r;
  };

  while (!data.empty()) {
    if (phase_ == Phase::kClosed) return Next::kClose;
    if (from_client && deferring_) {  // a message started a catalog refresh: keep the rest
      deferred_client_.append(data);
      return next;
    }
    switch (f.state) {
      case Framer::State::kStreaming: {
        const std::size_t n = std::min<std::size_t>(f.remaining, data.size());
        stream_out.append(data.data(), n);
        if (f.peeking) {
          f.body.append(data.data(), n);
          if (peek_bind(f.body, f.remaining == n) || f.body.size() >= kMaxPeekBytes) {
            f.peeking = false;
            release_if_big(f.body);
          }
        }
        data.remove_prefix(n);
        f.remaining -= static_cast<std::uint32_t>(n);
        if (f.remaining == 0) f.state = Framer::State::kHeader;
        break;
      }
      case Framer::State::kBuffering: {
        const std::size_t n = std::min<std::size_t>(f.remaining, data.size());
        f.body.append(data.data(), n);
        data.remove_prefix(n);
        f.remaining -= static_cast<std::uint32_t>(n);
        if (f.remaining == 0) {
          const Next r = complete_buffered();
          if (r == Next::kClose || r == Next::kStartClientTls || r == Next::kForwardCancel) {
            return r;
          }
          if (r != Next::kContinue) next = r;
        }
        break;
      }
      case Framer::State::kHeader: {
        const std::size_t header_size = f.startup ? wire::kStartupHeaderSize : wire::kHeaderSize;
        const std::size_t n = std::min<std::size_t>(header_size - f.header_len, data.size());
        std::memcpy(f.header + f.header_len, data.data(), n);
        f.header_len = static_cast<std::uint8_t>(f.header_len + n);
        data.remove_prefix(n);
        if (f.header_len < header_size) break;
        f.header_len = 0;

        if (f.startup) {
          const auto length = wire::parse_startup_length(std::string_view(f.header, 4),
                                                         wire::kMaxStartupPacketSize);
          if (!length) {
            return close_with(ProxyError::kProtocolViolation, wire::describe(length.error()), out);
          }
          f.body.clear();
          f.remaining = *length - 4;
          f.state = Framer::State::kBuffering;
          break;  // a startup packet always has a body (its code)
        }

        const auto header = wire::parse_header(std::string_view(f.header, 5),
                                               std::numeric_limits<std::int32_t>::max());
        if (!header) {
          return close_with(
              from_client ? ProxyError::kProtocolViolation : ProxyError::kUpstreamProtocol,
              wire::describe(header.error()), out);
        }
        const Decision decision =
            from_client ? decide_client(header->type) : decide_server(header->type);
        f.remaining = static_cast<std::uint32_t>(header->body_size());
        if (decision == Decision::kBuffer) {
          const std::size_t max = config_->limits.max_message_size;
          if (header->body_size() > max) {
            const std::string detail =
                std::string(wire::message_name(
                    from_client ? wire::Side::kFrontend : wire::Side::kBackend, header->type)) +
                " of " + std::to_string(header->length + 1) +
                " bytes exceeds limits.max_message_size (" + std::to_string(max) + " bytes)";
            return close_with(
                from_client ? ProxyError::kMessageTooLarge : ProxyError::kUpstreamProtocol, detail,
                out);
          }
          f.body.clear();
          f.state = Framer::State::kBuffering;
          if (f.remaining == 0) {
            const Next r = complete_buffered();
            if (r == Next::kClose || r == Next::kStartClientTls || r == Next::kForwardCancel) {
              return r;
            }
            if (r != Next::kContinue) next = r;
          }
        } else {
          stream_out.append(f.header, 5);
          f.peeking = decision == Decision::kPeek;
          f.body.clear();
          if (f.peeking && f.remaining == 0) {
            peek_bind({}, true);
            f.peeking = false;
          }
          f.state = f.remaining == 0 ? Framer::State::kHeader : Framer::State::kStreaming;
        }
        break;
      }
    }
  }
  if (phase_ == Phase::kClosed) return Next::kClose;
  return next;
}

Session::Decision Session::decide_client(char type) {
  switch (type) {
    case 'Q':  // Query: rewritten
    case 'P':  // Parse: rewritten
    case 'E':  // Execute: its response gets the statement's fix-up
    case 'C':  // Close: forgets a statement/portal
      return Decision::kBuffer;
    case 'B':  // Bind: maps portal -> statement; parameters may be huge
      if (phase_ != Phase::kReady) return Decision::kStream;
      if (wait_before_named()) return Decision::kBuffer;  // handle_client decides
      unsynced_ = true;
      return any_refused_ || bind_needs_check() ? Decision::kBuffer : Decision::kPeek;
    case 'D':  // Describe: a stale named statement is re-prepared first (refresh_statement)
      if (phase_ != Phase::kReady) return Decision::kStream;
      if (wait_before_named()) return Decision::kBuffer;
      unsynced_ = true;
      return bind_needs_check() ? Decision::kBuffer : Decision::kStream;
    case 'H':  // Flush: part of an extended batch
      if (phase_ == Phase::kReady) unsynced_ = true;
      return Decision::kStream;
    case 'S':  // Sync: ReadyForQuery ends the batch
      unsynced_ = false;
      [[fallthrough]];
    case 'F':  // FunctionCall: answered by FunctionCallResponse + ReadyForQuery
      if (type == 'F') metrics::metrics().count_statement(metrics::StatementKind::kFunctionCall);
      if (phase_ == Phase::kReady) {
        queue_->push(Slot{.sync_point = true});
        expect('S');
      }
      return Decision::kStream;
    case 'X':
      client_terminated_ = true;
      return Decision::kStream;
    default:  // CopyData/CopyDone/CopyFail, Describe, Flush, Terminate, password messages
      return Decision::kStream;
  }
}

Session::Decision Session::decide_server(char type) {
  if (hidden_.active) return Decision::kBuffer;  // consumed, never forwarded as is
  switch (type) {
    case 'R':  // Authentication: SASL mechanism list
    case 'Z':  // ReadyForQuery
    case 'C':  // CommandComplete: tag fix-ups
    case 'E':  // ErrorResponse: drops pending fix-ups
    case 'I':  // EmptyQueryResponse: consumes a slot
    case 's':  // PortalSuspended: consumes a slot
    case 'S':  // ParameterStatus: standard_conforming_strings
    case '1':  // ParseComplete, CloseComplete: swallowed when refresh_statement() sent the
    case '3':  // message (no body: buffering costs nothing)
      return Decision::kBuffer;
    default:  // DataRow, RowDescription, CopyData, notices, ...: streamed
      return Decision::kStream;
  }
}

void Session::forward_raw(char type, std::string_view body, std::string& out) {
  out.push_back(type);
  append_u32(out, static_cast<std::uint32_t>(body.size() + 4));
  out.append(body);
}

// ---------------------------------------------------------------------------------------------
// Startup.

Next Session::handle_startup_packet(std::string_view packet, std::string_view rest, Outputs out) {
  auto message = wire::decode_startup(packet);
  if (!message) {
    return close_with(ProxyError::kProtocolViolation, wire::describe(message.error()), out);
  }
  const config::Config& cfg = *config_;
  if (std::holds_alternative<wire::SslRequest>(*message)) {
    if (client_tls_ || cfg.tls_client.mode == config::TlsMode::kDisable) {
      out.to_client.push_back('N');
      return Next::kContinue;
    }
    if (!rest.empty()) return close_with(ProxyError::kBytesBeforeTls, "", out);
    out.to_client.push_back('S');
    return Next::kStartClientTls;
  }
  if (std::holds_alternative<wire::GssEncRequest>(*message)) {
    out.to_client.push_back('N');  // DESIGN §5: no GSS encryption
    return Next::kContinue;
  }
  if (std::holds_alternative<wire::CancelRequest>(*message)) {
    // Forwarded as is: BackendKeyData passed through unchanged, so the key names the backend.
    append_u32(out.to_server, static_cast<std::uint32_t>(packet.size() + 4));
    out.to_server.append(packet);
    phase_ = Phase::kClosed;
    close_reason_ = "cancel request forwarded";
    return Next::kForwardCancel;
  }
  const auto& startup = std::get<wire::StartupMessage>(*message);
  if (cfg.tls_client.mode == config::TlsMode::kRequire && !client_tls_) {
    return close_with(ProxyError::kTlsRequired, "", out);
  }

  TrackedSettings values;
  const TrackedSettings defaults;
  std::string_view options;
  for (const auto& [name, value] : startup.params) {
    if (name == "user") startup_.user = value;
    if (name == "database") startup_.database = value;
    if (name == "application_name") startup_.application_name = value;
    if (name == "options") options = value;
  }
  if (startup_.database.empty()) startup_.database = startup_.user;
  // PostgreSQL applies the `options` switches first, then the other parameters (postinit.c).
  auto note = [&](std::string_view name, std::string_view value) {
    if (name == "tombstone.visibility" || name == "tombstone.delete") {
      startup_sets_tombstone_ = true;
    }
    SettingsTracker::apply_value(values, name, value, defaults);
  };
  for (const auto& [name, value] : parse_startup_options(options)) note(name, value);
  for (const auto& [name, value] : startup.params) {
    if (name != "user" && name != "database" && name != "options") note(name, value);
  }
  settings_.set_startup(std::move(values));
  state_.session_user = startup_.user;

  append_u32(out.to_server, static_cast<std::uint32_t>(packet.size() + 4));
  out.to_server.append(packet);
  client_.startup = false;
  phase_ = Phase::kAuthenticating;
  return Next::kConnectUpstream;
}

// ---------------------------------------------------------------------------------------------
// Client messages.

Next Session::handle_client(char type, std::string_view body, Outputs out) {
  if (phase_ != Phase::kReady) {
    forward_raw(type, body, out.to_server);
    return Next::kContinue;
  }
  if ((type == 'Q' || type == 'P') && defer_for_refresh(type, body, out)) return Next::kContinue;
  // A Bind or Describe at the start of a batch, of a statement prepared before a reload: the new
  // policy (and its catalog snapshot) first; the message then comes back through decide_client.
  if ((type == 'B' || type == 'D') && wait_before_named()) {
    if (defer_for_refresh(type, body, out)) return Next::kContinue;
    unsynced_ = true;
  }
  switch (type) {
    case 'Q':
      forward_query(body, out);
      break;
    case 'P':
      unsynced_ = true;
      expect('P');
      forward_parse(body, out);
      break;
    case 'B':
      forward_bind(body, out);
      break;
    case 'E':
      unsynced_ = true;
      on_execute(body);
      forward_raw(type, body, out.to_server);
      break;
    case 'C':
      unsynced_ = true;
      expect('C');
      on_close(body);
      forward_raw(type, body, out.to_server);
      break;
    case 'D':
      if (body.size() > 2 && body[0] == 'S') {
        std::size_t pos = 1;
        if (const auto name = read_cstring(body, pos)) refresh_statement(*name, out);
      }
      forward_raw(type, body, out.to_server);
      break;
    default:
      forward_raw(type, body, out.to_server);
      break;
  }
  return Next::kContinue;
}

bool Session::needs_catalog(const config::Config& config) const {
  return !config.tables.empty() && config.applies_to_database(startup_.database);
}

bool Session::rewriting() const { return catalog_ != nullptr && needs_catalog(*config_); }

// A reloaded config is adopted as soon as a catalog snapshot for it is at hand (another session
// of this database took it); otherwise at this session's next ReadyForQuery (pending_config_).
void Session::adopt_latest_config() {
  const auto& latest = env_.config();
  if (latest->generation == config_->generation) return;
  if (pending_config_ && pending_config_->generation == latest->generation) return;
  if (latest->admin_roles != config_->admin_roles) {
    pending_config_ = latest;  // membership must be asked again
    return;
  }
  if (!needs_catalog(*latest)) {
    config_ = latest;
    pending_config_.reset();
    return;
  }
  if (auto cached =
          env_.catalogs().find(startup_.database, state_.session_user, latest->generation)) {
    // The shared snapshot lists no temp tables: this session's own ones stay known.
    if (catalog_) {
      for (const auto& r : catalog_->relations) {
        if (r.name.schema == "pg_temp") provisional_effects_.push_back({r, true});
      }
    }
    config_ = latest;
    catalog_ = std::move(cached);
    snapshot_in_tx_ = false;
    snapshot_taken_ = std::chrono::steady_clock::now();
    pending_config_.reset();
    return;
  }
  pending_config_ = latest;
}

namespace {

void fill_state(const TrackedSettings& current, parser::SessionState& state) {
  state.search_path = current.search_path;
  if (state.admin) {
    state.visibility = current.visibility.value_or(parser::Visibility::kAll);
    state.delete_mode = current.delete_mode.value_or(parser::DeleteMode::kSoft);
  } else {
    // Fail closed: whatever a non-admin managed to set, it reads active rows and soft-deletes.
    state.visibility = parser::Visibility::kActive;
    state.delete_mode = parser::DeleteMode::kSoft;
  }
}

}  // namespace

void Session::rebuild_state() {
  settings_version_ = settings_.version();
  fill_state(settings_.current(), state_);
}

const parser::Rewrite* Session::rewrite(std::string_view sql) {
  adopt_latest_config();
  if (!rewriting()) return nullptr;
  if (settings_.version() != settings_version_) rebuild_state();
  // Pipelining: statements sent but not yet answered may change settings (SET search_path and
  // then a SELECT in one pipeline). The server runs this statement after them, so it is
  // rewritten as if they had succeeded; if one fails, the server skips this one too (until
  // Sync) — so the assumption never reaches a statement that runs.
  const parser::SessionState* state = &state_;
  parser::SessionState speculative;
  if (queue_->settings_in_flight()) {
    SettingsTracker ahead = settings_;
    queue_->for_each([&](const Slot& slot) {
      for (const auto& change : slot.info.settings) ahead.apply(change);
      switch (slot.info.tx_control) {
        case 'C':
          ahead.on_command_tag("COMMIT");
          break;
        case 'L':
          ahead.on_command_tag("RELEASE");
          break;
        case 'P':
          ahead.on_command_tag("SAVEPOINT");
          break;
        case 'R':
          ahead.on_command_tag("ROLLBACK");
          break;
        case 'T':
          ahead.rollback_to_savepoint();
          break;
        default:
          break;
      }
    });
    speculative = state_;
    fill_state(ahead.current(), speculative);
    state = &speculative;
  }
  // Temp tables created earlier (this pipeline included) but not in the snapshot yet.
  const parser::Catalog* catalog = catalog_.get();
  if (snapshot_in_tx_ || !provisional_effects_.empty() || queue_->temp_in_flight()) {
    static const TempEffect kForgetTemp{};  // like DISCARD TEMP: no pg_temp relation is known
    std::vector<const TempEffect*> effects;
    for (const auto& e : provisional_effects_) effects.push_back(&e);
    queue_->for_each([&](const Slot& slot) {
      if (slot.info.tx_control == 'R' || slot.info.tx_control == 'T') {
        effects.clear();
        // The snapshot's temp tables may be this transaction's: filtering a surviving one
        // errors, trusting a rolled-back one would read the managed table unfiltered.
        if (snapshot_in_tx_) effects.push_back(&kForgetTemp);
      }
      for (const auto& e : slot.info.temp_effects) effects.push_back(&e);
    });
    catalog = &catalog_with(effects);
  }
  auto& cache = env_.rewrite_cache();
  const auto hits = cache.hits();
  const auto misses = cache.misses();
  const auto started = std::chrono::steady_clock::now();
  const parser::Rewrite& rw = cache.get(sql, *config_, *catalog, *state);
  auto& m = metrics::metrics();
  m.observe_rewrite(std::chrono::steady_clock::now() - started);
  // Statements the fast path passes (nothing managed named) are neither.
  if (cache.hits() != hits) {
    m.cache_hits.add();
  } else if (cache.misses() != misses) {
    m.cache_misses.add();
  }
  for (const auto& statement : rw.statements) {
    if (statement.error) {
      const auto& e = *statement.error;
      m.count_refusal(e.sqlstate == "42501" ? metrics::RefusalReason::kPermission
                      : e.sqlstate == "0A000" && e.message.find("pars") != std::string::npos
                          ? metrics::RefusalReason::kUnparsable
                          : metrics::RefusalReason::kUnsupported);
    } else if (statement.changed) {
      m.statements_rewritten.add();
      for (const auto& target : statement.deletes) m.count_rewrite(target.table, target.strategy);
    }
  }
  return &rw;
}

// catalog_ with temp effects applied, as a snapshot of its own version (rewrites are cached by
// catalog version). Built again only when the base snapshot or the outcome changes.
const parser::Catalog& Session::catalog_with(const std::vector<const TempEffect*>& effects) {
  std::vector<const parser::Relation*> added;
  std::vector<std::string> removed;  // pg_temp relations of catalog_ dropped since
  auto in_base = [&](const std::string& name) {
    return catalog_->find({"pg_temp", name}) != nullptr &&
           std::ranges::find(removed, name) == removed.end();
  };
  for (const TempEffect* e : effects) {
    const std::string& name = e->relation.name.name;
    if (e->create) {
      const bool known = in_base(name) || std::ranges::any_of(added, [&](const auto* r) {
                           return r->name.name == name;
                         });
      if (!known) added.push_back(&e->relation);
    } else if (name.empty()) {
      added.clear();
      for (const auto& r : catalog_->relations) {
        if (r.name.schema == "pg_temp" && in_base(r.name.name)) removed.push_back(r.name.name);
      }
    } else {
      std::erase_if(added, [&](const auto* r) { return r->name.name == name; });
      if (in_base(name)) removed.push_back(name);
    }
  }
  std::string key;
  for (const auto* r : added) key += "+" + r->name.name + '\0';
  for (const auto& name : removed) key += "-" + name + '\0';
  if (key.empty()) return *catalog_;
  if (provisional_catalog_ && provisional_base_ == catalog_->version && provisional_key_ == key) {
    return *provisional_catalog_;
  }
  // Through catalog_from_rows(): it hands out the process-unique versions.
  std::vector<std::vector<std::string>> rows;
  auto add = [&](const parser::Relation& r) {
    const std::string kind(1, r.relkind);
    if (r.columns.empty()) rows.push_back({r.name.schema, r.name.name, kind, "", "", "", "f"});
    for (std::size_t i = 0; i < r.columns.size(); ++i) {
      const auto& c = r.columns[i];
      rows.push_back({r.name.schema, r.name.name, kind, std::to_string(i + 1), c.name, c.type,
                      c.primary_key ? "t" : "f"});
    }
  };
  for (const auto& r : catalog_->relations) {
    if (r.name.schema == "pg_temp" && std::ranges::find(removed, r.name.name) != removed.end()) {
      continue;
    }
    add(r);
  }
  for (const auto* r : added) add(*r);
  provisional_catalog_ = std::make_shared<const parser::Catalog>(parser::catalog_from_rows(rows));
  provisional_base_ = catalog_->version;
  provisional_key_ = std::move(key);
  return *provisional_catalog_;
}

Session::StatementInfo Session::info_for(const parser::StatementRewrite& statement) {
  StatementInfo info;
  info.fixup = statement.fixup;
  info.ddl = statement.ddl;
  info.settings = statement.settings;
  info.deletes = statement.deletes;
  info.refused = statement.error.has_value();
  // SQL-level PREPARE/EXECUTE/DEALLOCATE: tracked as the statements are sent, in order, which is
  // the order the server runs them in.
  if (statement.prepared_name) prepared_[*statement.prepared_name] = statement.prepared_fixup;
  if (statement.execute_name) {
    auto it = prepared_.find(std::string_view(*statement.execute_name));
    if (it != prepared_.end() && info.fixup == parser::TagFixup::kNone) info.fixup = it->second;
  }
  if (statement.deallocate_name) {
    if (statement.deallocate_name->empty()) {
      prepared_.clear();
    } else {
      prepared_.erase(*statement.deallocate_name);
    }
  }
  return info;
}

// EXECUTEs of SQL-level prepared statements whose PREPARE, rewritten now, would differ from what
// the server holds (another search_path, a reloaded policy, another catalog): PostgreSQL would
// re-analyze the old text under the new inputs, with the wrong filter or none. Such an EXECUTE is
// refused (0A000); the client prepares the statement again. nullopt: nothing refused.
std::optional<parser::Rewrite> Session::refuse_stale_executes(std::string_view sql,
                                                              const parser::Rewrite& rw) {
  if (std::ranges::none_of(rw.statements, [&](const auto& st) {
        return st.execute_name && prepared_sql_.contains(*st.execute_name);
      })) {
    return std::nullopt;
  }
  parser::Rewrite copy = rw;  // rewrite() below may reuse the cache entry `rw` lives in
  bool settings_before = false;
  bool refused = false;
  for (auto& st : copy.statements) {
    auto it = st.execute_name && !st.error ? prepared_sql_.find(*st.execute_name)
                                           : prepared_sql_.end();
    if (it != prepared_sql_.end()) {
      NamedSql& entry = it->second;
      if (settings_before || inputs_ahead() || !(entry.stamp == current_stamp())) {
        const parser::Rewrite* fresh = rewrite(entry.original);
        const bool parsed = fresh != nullptr && fresh->parsed;
        const std::string& now = fresh != nullptr && fresh->changed ? fresh->sql : entry.original;
        // A SET earlier in this very string: what it changes is not known here; refuse if the
        // statement names anything a policy could be about.
        if (now != entry.sent || (settings_before && parsed)) {
          st.error = parser::RewriteError{
              "0A000",
              "tombstone: prepared statement \"" + *st.execute_name +
                  "\" was prepared under another search_path or Tombstone policy; EXECUTE "
                  "would run it unfiltered",
              "DEALLOCATE it and PREPARE it again (or use protocol-level prepared statements, "
              "which Tombstone re-prepares itself)."};
          st.sql = parser::error_statement(*st.error);
          st.changed = true;
          st.fixup = parser::TagFixup::kNone;
          refused = true;
        } else if (!settings_before && !inputs_ahead()) {
          entry.stamp = current_stamp();
        }
      }
    }
    if (!st.settings.empty()) settings_before = true;
  }
  if (!refused) return std::nullopt;
  copy.sql = parser::assemble(sql, copy.statements);
  copy.changed = true;
  return copy;
}

void Session::forward_query(std::string_view body, Outputs out) {
  const auto sql = single_string(body);
  const parser::Rewrite* rw = sql ? rewrite(*sql) : nullptr;
  std::optional<parser::Rewrite> patched;
  if (rw != nullptr && !prepared_sql_.empty()) {
    patched = refuse_stale_executes(*sql, *rw);
    if (patched) rw = &*patched;
  }
  if (rw != nullptr && rw->changed) {
    out.to_server.push_back('Q');
    append_u32(out.to_server, static_cast<std::uint32_t>(rw->sql.size() + 5));
    out.to_server.append(rw->sql);
    out.to_server.push_back('\0');
  } else {
    forward_raw('Q', body, out.to_server);
  }
  metrics::metrics().count_statement(metrics::StatementKind::kQuery);
  if (rw != nullptr) {
    for (std::size_t i = 1; i < rw->statements.size(); ++i) {
      metrics::metrics().count_statement(metrics::StatementKind::kQuery);
    }
    bool settings_before = false;
    for (const auto& statement : rw->statements) {
      StatementInfo info = info_for(statement);
      const std::string_view text =
          sql->substr(std::min(statement.offset, sql->size()), statement.length);
      if (statement.prepared_name && !statement.error) {
        NamedSql& entry = prepared_sql_[*statement.prepared_name];
        entry.original = std::string(text);
        entry.sent = statement.changed ? statement.sql : std::string(text);
        entry.stamp = settings_before || inputs_ahead() ? Stamp{} : current_stamp();
      }
      if (statement.deallocate_name) {
        if (statement.deallocate_name->empty()) {
          prepared_sql_.clear();
        } else {
          prepared_sql_.erase(*statement.deallocate_name);
        }
      }
      if (!statement.settings.empty()) settings_before = true;
      info.tx_control = tx_control_of(text);
      info.temp_effects = temp_effects_of(text, *config_);
      queue_->push(Slot{.sync_point = false, .info = std::move(info)});
    }
  }
  if (rw == nullptr && sql) {
    // Not rewriting (no policy for this database yet): PREPAREs are still remembered, so that
    // after a reload that manages their tables an EXECUTE is checked (refuse_stale_executes).
    Tokens tokens(*sql);
    Token t = tokens.next();
    if (!t.quoted && (t.text == "prepare" || t.text == "deallocate")) {
      const bool prepare = t.text == "prepare";
      t = tokens.next();
      if (!prepare && !t.quoted && t.text == "prepare") t = tokens.next();
      if (prepare && t.word) {
        NamedSql& entry = prepared_sql_[t.text];
        entry.original = std::string(*sql);
        entry.sent = entry.original;
        entry.stamp = current_stamp();
      } else if (!prepare && !t.quoted && t.text == "all") {
        prepared_sql_.clear();
      } else if (!prepare && t.word) {
        prepared_sql_.erase(t.text);
      }
    }
  }
  // A string the rewriter did not split is judged by its first statement.
  Slot end{.sync_point = true};
  if (sql && (rw == nullptr || rw->statements.empty())) {
    end.info.tx_control = tx_control_of(*sql);
    end.barrier = end.info.tx_control != 0;
  }
  queue_->push(std::move(end));
  expect('S');
}

void Session::forward_parse(std::string_view body, Outputs out) {
  metrics::metrics().count_statement(metrics::StatementKind::kParse);
  std::size_t pos = 0;
  const auto name = read_cstring(body, pos);
  const auto query = name ? read_cstring(body, pos) : std::nullopt;
  if (!query) {  // malformed: the server answers with its own protocol error
    forward_raw('P', body, out.to_server);
    return;
  }
  const parser::Rewrite* rw = rewrite(*query);
  StatementInfo info;
  if (rw != nullptr && !rw->statements.empty()) info = info_for(rw->statements.front());
  info.tx_control = tx_control_of(*query);
  if (rw != nullptr) info.temp_effects = temp_effects_of(*query, *config_);
  if (rw != nullptr && rw->changed) {
    // Same name and parameter types, rewritten text. A refused statement's text is already
    // error_statement(): the server raises the error when it runs, keeping its state exact.
    std::string_view param_types = body.substr(pos);
    std::string declared;
    if (info.refused) {
      any_refused_ = true;
      declared = refused_param_types(param_types, info.refused_params);
      param_types = declared;
    }
    append_parse(*name, rw->sql, param_types, out.to_server);
  } else {
    forward_raw('P', body, out.to_server);
  }
  if (name->empty()) {
    unnamed_statement_ = std::move(info);
    return;
  }
  // Every named statement is remembered, also those that name nothing managed today: after a
  // SIGHUP that manages one of their tables, their next Bind re-prepares them (refresh_statement).
  if (!info.refused) {
    NamedSql& entry = named_sql_[std::string(*name)];
    entry.original = std::string(*query);
    entry.sent = rw != nullptr && rw->changed ? rw->sql : std::string(*query);
    entry.param_types = std::string(body.substr(pos));
    // Rewritten ahead of unconfirmed settings (pipelining): check again at its first Bind.
    entry.stamp = queue_->settings_in_flight() ? Stamp{} : current_stamp();
  } else if (auto it = named_sql_.find(*name); it != named_sql_.end()) {
    named_sql_.erase(it);
  }
  statements_.insert_or_assign(std::string(*name), std::move(info));
}

Session::Stamp Session::current_stamp() const {
  return {settings_.version(), catalog_ ? catalog_->version : 0, config_->generation, state_.admin};
}

// A SET/RESET or temp-table DDL sent but not confirmed, or temp-table DDL not in the snapshot
// yet: the server will run the next message under inputs that current_stamp() does not show.
bool Session::inputs_ahead() const {
  return queue_->settings_in_flight() || queue_->temp_in_flight() || !provisional_effects_.empty();
}

// Whether a Bind or Describe must be looked at whole: a named statement may be stale.
bool Session::bind_needs_check() {
  if (named_sql_.empty()) return false;
  if (inputs_ahead()) return true;
  const Stamp now = current_stamp();
  if (now == checked_stamp_) return false;
  for (const auto& [name, entry] : named_sql_) {
    if (!(entry.stamp == now) || entry.server_unknown) return true;
  }
  checked_stamp_ = now;
  return false;
}

// Before a Bind or Describe of named statement `name`. PostgreSQL re-analyzes a prepared
// statement whose search_path (or objects) changed, so the server would run the text rewritten
// for the old inputs against other tables, with the wrong filter or none. When the statement's
// fresh rewrite — under the state the server will be in when it reaches this message, SETs of
// the pipeline not yet confirmed included — differs from what the server prepared, a Close and a
// Parse of the fresh text (same name, same parameter types) are slipped in right before the
// message, without a Sync, so this works anywhere in a pipeline. Their CloseComplete and
// ParseComplete are swallowed (expected_); if the Parse fails, the client gets its error in
// place of its Bind's answer, as PostgreSQL's own re-analysis would fail the Bind.
void Session::refresh_statement(std::string_view name, Outputs out) {
  auto it = named_sql_.find(name);
  if (it == named_sql_.end()) return;
  NamedSql& entry = it->second;
  const bool ahead = inputs_ahead();
  if (!ahead && !entry.server_unknown && entry.stamp == current_stamp()) return;
  // Nothing before this message in flight and the transaction failed: the server refuses the
  // message anyway (and would refuse the Parse); the check happens again after ROLLBACK.
  if (tx_status_ == 'E' && queue_->empty()) return;
  const parser::Rewrite* rw = rewrite(entry.original);
  if (rw != nullptr && rw->statements.size() != 1) return;
  const Stamp stamp = ahead ? Stamp{} : current_stamp();
  StatementInfo info = rw != nullptr ? info_for(rw->statements.front()) : StatementInfo{};
  info.tx_control = tx_control_of(entry.original);
  std::string fresh = rw != nullptr && rw->changed ? rw->sql : entry.original;
  if (fresh == entry.sent && !entry.server_unknown) {
    entry.stamp = stamp;
    return;
  }
  std::string declared;
  std::string_view param_types = entry.param_types;
  if (info.refused) {
    any_refused_ = true;
    declared = refused_param_types(param_types, info.refused_params);
    param_types = declared;
  }
  wire::encode(wire::Close{'S', std::string(name)}, out.to_server);
  append_parse(name, fresh, param_types, out.to_server);
  expect('c');
  expect('p');
  injected_names_.emplace_back(name);
  statements_.insert_or_assign(std::string(name), std::move(info));
  entry.sent = std::move(fresh);
  entry.stamp = stamp;
  entry.server_unknown = false;
}

// A slipped-in Close + Parse of `name` failed or was skipped after an error: the server holds
// the old statement or none. The next Bind or Describe of it prepares it again.
void Session::server_lost_statement(const std::string& name) {
  auto it = named_sql_.find(std::string_view(name));
  if (it == named_sql_.end()) return;
  it->second.server_unknown = true;
  it->second.stamp = Stamp{};
  checked_stamp_ = Stamp{};
}

void Session::expect(char kind) { expected_.push_back(kind); }

char Session::take_expected(char kind) {
  if (expected_head_ == expected_.size()) return 0;
  const char front = expected_[expected_head_];
  if (front != kind && front != kind - ('a' - 'A')) return 0;
  ++expected_head_;
  compact_expected();
  if (front == 'p') injected_names_.erase(injected_names_.begin());
  return front;
}

// Answered entries are cut off in bulk (amortized O(1)); a client that never lets the pipeline
// drain must not make the string grow without bound.
void Session::compact_expected() {
  if (expected_head_ == expected_.size()) {
    release_if_big(expected_);
    expected_head_ = 0;
  } else if (expected_head_ >= 4096 && expected_head_ * 2 >= expected_.size()) {
    expected_.erase(0, expected_head_);
    expected_head_ = 0;
  }
}

// ErrorResponse: the server skips everything up to the next Sync (through_sync false);
// ReadyForQuery: the batch is over (through_sync true).
void Session::drop_expected(bool through_sync) {
  while (expected_head_ < expected_.size()) {
    const char front = expected_[expected_head_];
    if (front == 'S' && !through_sync) break;
    ++expected_head_;
    if (front == 'p') {
      server_lost_statement(injected_names_.front());
      injected_names_.erase(injected_names_.begin());
    }
    if (front == 'S') break;
  }
  compact_expected();
}

bool Session::peek_bind(std::string_view body_prefix, bool complete) {
  std::size_t pos = 0;
  const auto portal = read_cstring(body_prefix, pos);
  const auto statement = portal ? read_cstring(body_prefix, pos) : std::nullopt;
  if (!statement) return complete;  // need more bytes (or a malformed Bind: nothing to learn)
  metrics::metrics().count_statement(metrics::StatementKind::kBind);
  const StatementInfo* info = &unnamed_statement_;
  if (!statement->empty()) {
    auto it = statements_.find(*statement);
    static const StatementInfo kUnknown;
    info = it == statements_.end() ? &kUnknown : &it->second;
  }
  if (portal->empty()) {
    unnamed_portal_ = *info;
  } else {
    portals_.insert_or_assign(std::string(*portal), *info);
  }
  return true;
}

// Only after a refused Parse are Binds buffered (and come here): a Bind of the refused statement
// must match its DO block, so its values become NULLs of the declared count and no result
// formats; other Binds pass unchanged.
void Session::forward_bind(std::string_view body, Outputs out) {
  std::size_t pos = 0;
  const auto portal = read_cstring(body, pos);
  const auto statement = portal ? read_cstring(body, pos) : std::nullopt;
  if (statement && !statement->empty()) refresh_statement(*statement, out);
  peek_bind(body, true);
  const StatementInfo* info = nullptr;
  if (statement && statement->empty()) {
    info = &unnamed_statement_;
  } else if (statement) {
    auto it = statements_.find(*statement);
    if (it != statements_.end()) info = &it->second;
  }
  if (info == nullptr || !info->refused) {
    forward_raw('B', body, out.to_server);
    return;
  }
  wire::Bind bind;
  bind.portal = std::string(*portal);
  bind.statement = std::string(*statement);
  bind.params.assign(info->refused_params, std::nullopt);
  wire::encode(bind, out.to_server);
}

void Session::on_execute(std::string_view body) {
  metrics::metrics().count_statement(metrics::StatementKind::kExecute);
  std::size_t pos = 0;
  const auto portal = read_cstring(body, pos);
  Slot slot;
  if (portal && portal->empty()) {
    slot.info = unnamed_portal_;
  } else if (portal) {
    auto it = portals_.find(*portal);
    if (it != portals_.end()) slot.info = it->second;
  }
  queue_->push(std::move(slot));
}

void Session::on_close(std::string_view body) {
  if (body.size() < 2) return;
  std::size_t pos = 1;
  const auto name = read_cstring(body, pos);
  if (!name) return;
  if (body[0] == 'S') named_sql_.erase(std::string(*name));
  NameMap& map = body[0] == 'S' ? statements_ : portals_;
  StatementInfo& unnamed = body[0] == 'S' ? unnamed_statement_ : unnamed_portal_;
  if (name->empty()) {
    unnamed = StatementInfo{};
  } else if (auto it = map.find(*name); it != map.end()) {
    map.erase(it);
  }
}

// ---------------------------------------------------------------------------------------------
// Server messages.

Next Session::handle_server(char type, std::string_view body, Outputs out) {
  switch (type) {
    case 'R': {
      auto decoded = wire::decode_backend(type, body);
      if (decoded) {
        auto& auth = std::get<wire::Authentication>(*decoded);
        if (auth.code == wire::kAuthSasl) {
          // The client's TLS ends here, so channel binding to it cannot work (DESIGN §5).
          auto mechanisms = wire::sasl_mechanisms(auth);
          if (mechanisms) {
            const auto before = mechanisms->size();
            std::erase(*mechanisms, std::string("SCRAM-SHA-256-PLUS"));
            if (mechanisms->size() != before) {
              wire::encode(wire::make_sasl_authentication(*mechanisms), out.to_client);
              return Next::kContinue;
            }
          }
        }
      }
      forward_raw(type, body, out.to_client);
      return Next::kContinue;
    }
    case 'S': {
      std::size_t pos = 0;
      const auto name = read_cstring(body, pos);
      const auto value = name ? read_cstring(body, pos) : std::nullopt;
      if (value && *name == "standard_conforming_strings") {
        state_.standard_conforming_strings = *value == "on";
      }
      forward_raw(type, body, out.to_client);
      return Next::kContinue;
    }
    case 'C': {
      const auto tag = single_string(body);
      if (tag) {
        on_command_complete(*tag, out);
      } else {
        forward_raw(type, body, out.to_client);
      }
      return Next::kContinue;
    }
    case 'I':
    case 's':
      if (!queue_->empty() && !queue_->front().sync_point) queue_->pop();
      forward_raw(type, body, out.to_client);
      return Next::kContinue;
    case 'E':
      if (phase_ == Phase::kAuthenticating) {
        forward_auth_error(body, out);
        return Next::kContinue;
      }
      queue_->drop_until_sync();
      drop_expected(false);
      settings_.on_error();
      forward_raw(type, body, out.to_client);
      return Next::kContinue;
    case 'Z':
      drop_expected(true);
      return on_ready_for_query(body.size() == 1 ? body[0] : 'I', body, out);
    case '1':
      if (take_expected('p') != 'p') forward_raw(type, body, out.to_client);
      return Next::kContinue;
    case '3':
      if (take_expected('c') != 'c') forward_raw(type, body, out.to_client);
      return Next::kContinue;
    default:
      forward_raw(type, body, out.to_client);
      return Next::kContinue;
  }
}

// An ErrorResponse during authentication. SCRAM with TLS on both sides and the client's default
// channel_binding=prefer fails in the server (DESIGN §5): the client cannot guess why, so the
// error gets a hint naming the fix; every field the server sent is kept.
void Session::forward_auth_error(std::string_view body, Outputs out) {
  auto decoded = wire::decode_backend('E', body);
  if (decoded) {
    auto& error = std::get<wire::ErrorResponse>(*decoded);
    std::string message(error.message());
    std::ranges::transform(message, message.begin(),
                           [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (message.find("channel binding") != std::string::npos) {
      spdlog::warn(
          "tombstone: SCRAM channel binding failed for user={} database={} ({}): the client's "
          "TLS ends at Tombstone; the client must use channel_binding=disable, or set "
          "tls.upstream.mode: disable",
          startup_.user, startup_.database, error.message());
      auto hint = std::ranges::find_if(error.fields, [](const auto& f) { return f.first == 'H'; });
      if (hint == error.fields.end()) {
        error.fields.emplace_back('H', std::string(kChannelBindingHint));
      } else {
        hint->second = std::string(kChannelBindingHint) + "\n" + hint->second;
      }
      wire::encode(error, out.to_client);
      return;
    }
  }
  forward_raw('E', body, out.to_client);
}

void Session::on_command_complete(std::string_view tag, Outputs out) {
  StatementInfo info;
  char tx_control = 0;
  if (!queue_->empty() && !queue_->front().sync_point) {
    info = std::move(queue_->pop().info);
    tx_control = info.tx_control;
  } else if (!queue_->empty()) {
    tx_control = queue_->front().info.tx_control;  // a string the rewriter did not split
  }
  for (const auto& change : info.settings) settings_.apply(change);
  if (tag == "ROLLBACK" && tx_control == 'T') {
    settings_.rollback_to_savepoint();
  } else {
    settings_.on_command_tag(tag);
  }
  if (tag == "DISCARD ALL" || tag == "DEALLOCATE ALL") {
    prepared_.clear();
    prepared_sql_.clear();
    if (tag == "DISCARD ALL") {
      statements_.clear();
      named_sql_.clear();
      unnamed_statement_ = {};
    }
  }
  if (info.ddl) refresh_wanted_ = true;
  for (auto& e : info.temp_effects) provisional_effects_.push_back(std::move(e));
  if (tag == "ROLLBACK") {
    // Temp tables of the rolled-back transaction are gone, drops undone: back to the snapshot —
    // unless the snapshot itself was taken inside the transaction: then none of its temp tables
    // is trusted until the refresh.
    provisional_effects_.clear();
    provisional_catalog_.reset();
    if (snapshot_in_tx_) {
      provisional_effects_.push_back(TempEffect{});
      refresh_wanted_ = true;
    }
  }
  if (!info.deletes.empty()) log_deletes(info, tag);

  switch (info.fixup) {
    case parser::TagFixup::kNone:
      forward_raw('C', std::string_view(tag.data(), tag.size() + 1), out.to_client);
      return;
    case parser::TagFixup::kDelete:
      wire::encode(wire::CommandComplete{delete_tag(tag)}, out.to_client);
      return;
    case parser::TagFixup::kTruncate:
      wire::encode(wire::CommandComplete{"TRUNCATE TABLE"}, out.to_client);
      return;
  }
}

void Session::log_deletes(const StatementInfo& info, std::string_view tag) {
  static constexpr std::string_view kStrategy[] = {"soft", "archive", "hard"};
  const auto& actor = settings_.current().actor;
  for (const auto& target : info.deletes) {
    spdlog::info("tombstone: DELETE table={} strategy={} rows={} actor={} user={} database={}",
                 target.table.to_sql(), kStrategy[static_cast<int>(target.strategy)],
                 row_count(tag), actor && !actor->empty() ? *actor : startup_.user, startup_.user,
                 startup_.database);
  }
}

Next Session::on_ready_for_query(char status, std::string_view body, Outputs out) {
  if (phase_ == Phase::kAuthenticating) {
    // The first ReadyForQuery: authentication is done. Before the client may send anything,
    // ask the server (invisibly) whether this login is an admin, and for the catalog.
    phase_ = Phase::kReady;
    tx_status_ = status;
    if (start_hidden_query(true, true, false, out)) {
      forward_raw('Z', body, hidden_.held);
      return Next::kContinue;
    }
    rebuild_state();
    if (startup_sets_tombstone_ && !state_.admin) {
      return close_with(ProxyError::kSettingNotAllowed,
                        "tombstone.visibility/tombstone.delete set in the startup packet", out);
    }
    forward_raw('Z', body, out.to_client);
    if (draining_) return close_with(ProxyError::kShuttingDown, "", out);
    return Next::kContinue;
  }

  queue_->pop_through_sync();
  settings_.on_ready(status);
  if (settings_.version() != settings_version_) rebuild_state();
  tx_status_ = status;
  if (status == 'I') {
    portals_.clear();  // portals live until the end of their transaction
    unnamed_portal_ = {};
  }
  if (draining_ && idle()) {
    forward_raw('Z', body, out.to_client);
    return close_with(ProxyError::kShuttingDown, "", out);
  }
  if (status != 'E' && queue_->empty() && !unsynced_ && client_.at_boundary()) {
    adopt_latest_config();
    const auto max_age = config_->limits.catalog_max_age;
    if (status == 'I' && max_age.count() > 0 && rewriting() &&
        std::chrono::steady_clock::now() - snapshot_taken_ > max_age) {
      refresh_wanted_ = true;  // DDL from elsewhere (migrations) reaches long-lived sessions
    }
    if (refresh_wanted_ || pending_config_) {
      const bool admin_again =
          pending_config_ && pending_config_->admin_roles != config_->admin_roles;
      if (start_hidden_query(false, admin_again, true, out)) {
        forward_raw('Z', body, hidden_.held);
        return Next::kContinue;
      }
    }
  }
  forward_raw('Z', body, out.to_client);
  if (deferring_ && !hidden_.active && queue_->empty()) {
    deferring_ = false;
    const std::string deferred = std::move(deferred_client_);
    deferred_client_.clear();
    return run(true, deferred, out);
  }
  return Next::kContinue;
}

// ---------------------------------------------------------------------------------------------
// The invisible query.

bool Session::start_hidden_query(bool startup, bool with_admin, bool force_catalog, Outputs out) {
  const config::Config& cfg = pending_config_ ? *pending_config_ : *config_;
  with_admin = with_admin && !cfg.admin_roles.empty();
  bool with_catalog = needs_catalog(cfg);
  if (with_catalog && !force_catalog) {
    if (auto cached =
            env_.catalogs().find(startup_.database, state_.session_user, cfg.generation)) {
      catalog_ = std::move(cached);
      snapshot_in_tx_ = false;
      snapshot_taken_ = std::chrono::steady_clock::now();
      with_catalog = false;
    }
  }
  if (!needs_catalog(cfg)) {
    refresh_wanted_ = false;
    if (pending_config_ && !with_admin) config_ = std::move(pending_config_);
  }
  // The startup query also reads the session's real search_path whenever this session rewrites.
  const bool with_session = startup && needs_catalog(cfg);
  if (!with_admin && !with_catalog && !with_session) {
    if (pending_config_) config_ = std::move(pending_config_);
    if (startup) state_.admin = false;
    return false;
  }
  std::string sql;
  int statements = 0;
  hidden_.catalog_index = -1;
  hidden_.session_index = -1;
  hidden_.server_session.reset();
  if (with_admin) {
    sql = admin_query(cfg.admin_roles);
    ++statements;
  }
  if (with_catalog) {
    if (!sql.empty()) sql += ";\n";
    sql += parser::catalog_query(cfg);
    hidden_.catalog_index = statements++;
  }
  if (with_session) {
    // The session's real search_path: role/database defaults (ALTER ROLE ... SET search_path)
    // are applied by the server and never appear in the startup packet.
    if (!sql.empty()) sql += ";\n";
    sql += kSessionQuery;
    hidden_.session_index = statements++;
  }
  wire::encode(wire::Query{std::move(sql)}, out.to_server);
  hidden_.active = true;
  hidden_.startup = startup;
  hidden_.with_admin = with_admin;
  hidden_.with_catalog = with_catalog;
  // A snapshot taken inside a transaction block may see uncommitted DDL: keep it private, and
  // take a shareable one at the next idle point.
  hidden_.publish = tx_status_ == 'I';
  hidden_.statement = 0;
  hidden_.admin = false;
  hidden_.failed = false;
  hidden_.rows.clear();
  refresh_wanted_ = false;
  return true;
}

Next Session::handle_hidden_response(char type, std::string_view body, Outputs out) {
  switch (type) {
    case 'D': {
      auto decoded = wire::decode_backend(type, body);
      if (!decoded) break;
      auto& row = std::get<wire::DataRow>(*decoded);
      if (hidden_.with_admin && hidden_.statement == 0) {
        hidden_.admin = !row.columns.empty() && row.columns[0] && *row.columns[0] == "t";
      } else if (hidden_.statement == hidden_.session_index) {
        if (row.columns.size() == 2 && row.columns[0] && row.columns[1]) {
          hidden_.server_session.emplace(std::move(*row.columns[0]), std::move(*row.columns[1]));
        }
      } else if (hidden_.statement == hidden_.catalog_index) {
        std::vector<std::string> values;
        values.reserve(row.columns.size());
        for (auto& c : row.columns) values.push_back(c ? std::move(*c) : std::string());
        hidden_.rows.push_back(std::move(values));
      }
      break;
    }
    case 'C':
      ++hidden_.statement;
      break;
    case 'E': {
      hidden_.failed = true;
      auto decoded = wire::decode_backend(type, body);
      if (decoded && std::get<wire::ErrorResponse>(*decoded).field('V') == "FATAL") {
        forward_raw(type, body, out.to_client);  // the server is ending the session
      }
      const std::string message =
          decoded ? std::string(std::get<wire::ErrorResponse>(*decoded).message()) : "?";
      spdlog::error(
          "tombstone: an invisible query (admin check or catalog) failed for user={} "
          "database={}: {}",
          startup_.user, startup_.database, message);
      break;
    }
    case 'S':  // asynchronous messages belong to the client
    case 'A':
      forward_raw(type, body, out.to_client);
      break;
    case 'Z':
      return finish_hidden_query(out);
    default:  // RowDescription, notices, EmptyQueryResponse: part of the invisible answer
      break;
  }
  return Next::kContinue;
}

Next Session::finish_hidden_query(Outputs out) {
  hidden_.active = false;
  const config::Config& cfg = pending_config_ ? *pending_config_ : *config_;
  if (hidden_.with_admin) {
    // The admin result is the first statement; if it failed, nobody is admin.
    state_.admin = hidden_.admin && !(hidden_.failed && hidden_.statement == 0);
  }
  if (hidden_.server_session) {
    // Only the startup query reads these: no statement of the client has run yet, so the
    // server's values are also what RESET returns to.
    TrackedSettings values = settings_.current();
    values.search_path = parser::parse_search_path(hidden_.server_session->first);
    state_.default_search_path = values.search_path;
    state_.session_user = std::move(hidden_.server_session->second);
    settings_.set_startup(std::move(values));
    hidden_.server_session.reset();
  }
  if (hidden_.with_catalog) {
    // Every statement of the invisible query ran (an error skips the rest of a simple Query).
    const bool catalog_ok = !hidden_.failed && hidden_.statement > hidden_.catalog_index;
    provisional_effects_.clear();  // the snapshot has them now (or, failing, fails closed)
    provisional_catalog_.reset();
    if (catalog_ok) {
      bool first = false;
      // This session's temp tables are its own: other sessions of the role that take the shared
      // snapshot must not resolve those names to a pg_temp of theirs that does not have them.
      const bool has_temp = std::ranges::any_of(
          hidden_.rows, [](const auto& row) { return !row.empty() && row[0] == "pg_temp"; });
      if (has_temp && hidden_.publish) {
        std::vector<std::vector<std::string>> shared;
        for (const auto& row : hidden_.rows) {
          if (row.empty() || row[0] != "pg_temp") shared.push_back(row);
        }
        env_.catalogs().store(startup_.database, state_.session_user, cfg.generation,
                              parser::catalog_from_rows(shared), true, &first);
        catalog_ = std::make_shared<const parser::Catalog>(parser::catalog_from_rows(hidden_.rows));
      } else {
        catalog_ =
            env_.catalogs().store(startup_.database, state_.session_user, cfg.generation,
                                  parser::catalog_from_rows(hidden_.rows), hidden_.publish, &first);
      }
      if (first && hidden_.publish) {
        for (const auto& missing : missing_tables(cfg, *catalog_)) {
          spdlog::error(
              "tombstone: configured table {} does not exist in database {}: statements that "
              "use it are refused until it is created",
              missing.to_sql(), startup_.database);
        }
      }
      if (!hidden_.publish) refresh_wanted_ = true;
      snapshot_in_tx_ = !hidden_.publish;
      snapshot_taken_ = std::chrono::steady_clock::now();
    } else {
      catalog_ = env_.catalogs().empty();  // fail closed: managed tables look missing
      snapshot_in_tx_ = false;
      snapshot_taken_ = std::chrono::steady_clock::now();  // tried again after catalog_max_age
    }
  }
  if (pending_config_) config_ = std::move(pending_config_);
  hidden_.rows.clear();
  hidden_.rows.shrink_to_fit();
  rebuild_state();

  if (hidden_.startup && startup_sets_tombstone_ && !state_.admin) {
    hidden_.held.clear();
    return close_with(ProxyError::kSettingNotAllowed,
                      "tombstone.visibility/tombstone.delete set in the startup packet", out);
  }
  out.to_client.append(hidden_.held);
  release_if_big(hidden_.held);
  if (deferring_) {
    // The client's messages that waited for the snapshot now go, in the order they came.
    deferring_ = false;
    const std::string deferred = std::move(deferred_client_);
    deferred_client_.clear();
    return run(true, deferred, out);
  }
  if (draining_ && idle()) return close_with(ProxyError::kShuttingDown, "", out);
  return Next::kContinue;
}

// A reloaded config whose catalog snapshot nobody has taken yet: when the server is idle for
// this session, take it now and hold the client's statement (and whatever follows) until it is
// in, so that the first statement after SIGHUP already runs under the new policy.
bool Session::defer_for_refresh(char type, std::string_view body, Outputs out) {
  if (!unsynced_ && !hidden_.active && queue_->barrier_in_flight()) {
    // Pipelined after a SET, DDL or COMMIT/ROLLBACK that has not completed: what this statement
    // must be rewritten with is known only then. The earlier batches end with Sync, so waiting
    // for their ReadyForQuery cannot deadlock.
    deferring_ = true;
    deferred_client_.clear();
    forward_raw(type, body, deferred_client_);
    return true;
  }
  return defer_for_reload(type, body, out);
}

// A reloaded config not adopted yet, named statements that may have to follow it, and the start
// of a batch (where the invisible catalog query can still run).
bool Session::reload_pending_for_named() const {
  return !unsynced_ && !named_sql_.empty() && env_.config()->generation != config_->generation;
}

// A Bind or Describe that starts a batch while an EARLIER batch's SET, DDL or transaction end
// is unanswered: whether that succeeds decides what a stale named statement must be re-prepared
// as, and its failure would not skip this batch (found by review: re-prepared under a SET that
// then rolled back, the statement read the managed table unfiltered). It waits for the answer.
bool Session::wait_before_named() const {
  if (unsynced_ || named_sql_.empty()) return false;
  return reload_pending_for_named() || queue_->barrier_in_flight();
}

bool Session::defer_for_reload(char type, std::string_view body, Outputs out) {
  if (!queue_->empty() || unsynced_ || hidden_.active || tx_status_ == 'E') return false;
  adopt_latest_config();
  if (!pending_config_) return false;
  const bool admin_again = pending_config_->admin_roles != config_->admin_roles;
  if (!start_hidden_query(false, admin_again, true, out)) return false;
  deferring_ = true;
  deferred_client_.clear();
  forward_raw(type, body, deferred_client_);
  return true;
}

}  // namespace tombstone::session
