// The per-connection state machine: bytes in, bytes and a Next action out. No sockets: the net
// layer reads, calls from_client()/from_server(), writes what was appended to Outputs, and does
// what Next says (TLS handshake, connect, cancel, close). Everything protocol-related is here,
// so it is unit-tested by feeding byte sequences (tests/unit/session).
//
// Framing (PgBouncer's lesson): for every message the 5-byte header is read first and the session
// decides whether it must see the whole message (Query, Parse, Bind, CommandComplete,
// ReadyForQuery, ...: buffered up to limits.max_message_size) or not (DataRow, CopyData, ...:
// forwarded chunk by chunk as bytes arrive, whatever their size).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "config/config.h"
#include "parser/catalog.h"
#include "parser/rewriter.h"
#include "proxy/session/catalog_cache.h"
#include "proxy/session/errors.h"
#include "proxy/session/settings.h"

namespace tombstone::session {

// What the network layer must do once it has written the outputs of a call.
enum class Next : std::uint8_t {
  kContinue,         // keep reading
  kStartClientTls,   // write to_client ('S'), then run the TLS handshake with the client
  kConnectUpstream,  // connect to the server, then send to_server (it holds the startup packet)
  kForwardCancel,    // send to_server (a CancelRequest) on a new server connection; close
  kClose,            // write both outputs, then close both connections
};

// Where a call appends the bytes to send; the net layer writes them in order.
struct Outputs {
  std::string& to_client;
  std::string& to_server;
};

// The process-wide things a session uses, provided by the net layer (and by tests).
class Environment {
 public:
  virtual ~Environment() = default;
  // The config new statements use; a new generation after each successful SIGHUP reload.
  // Called per statement: return a reference to a copy the caller's thread keeps, not a fresh
  // shared_ptr (no atomic reference-count traffic on the hot path).
  virtual const std::shared_ptr<const config::Config>& config() = 0;
  // This thread's cache (sessions of one io thread share it; it is not thread-safe).
  virtual parser::RewriteCache& rewrite_cache() = 0;
  virtual CatalogCache& catalogs() = 0;
};

struct StartupInfo {
  std::string user;
  std::string database;
  std::string application_name;
  bool client_tls = false;
};

// What a statement does to the session's temporary schema, as far as the catalog snapshot is
// concerned: creates `relation` (create), or drops pg_temp.<relation.name.name> (every temp
// relation when that name is empty: DISCARD TEMP/ALL).
struct TempEffect {
  parser::Relation relation;
  bool create = false;
};

// The temp effects of one statement, from its first words (a cheap look at the text, no parse),
// for the names `config` manages (the only ones the snapshot lists).
std::vector<TempEffect> temp_effects_of(std::string_view sql, const config::Config& config);

class Session {
 public:
  explicit Session(Environment& env);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  Next from_client(std::string_view bytes, Outputs out);
  Next from_server(std::string_view bytes, Outputs out);

  // The TLS handshake asked for by kStartClientTls succeeded.
  void client_tls_established();
  // The server could not be reached (or TLS to it failed): tells the client; returns kClose.
  Next upstream_failed(ProxyError error, std::string_view detail, Outputs out);
  // SIGTERM: an idle session is closed now (kClose), a busy one at its next idle point.
  Next drain(Outputs out);

  const StartupInfo& startup() const { return startup_; }
  bool admin() const { return state_.admin; }
  // The rewriter's view of the session (search_path, visibility, ...), for tests and logs.
  const parser::SessionState& state() const { return state_; }
  std::string_view close_reason() const { return close_reason_; }
  // The client said goodbye (Terminate): its EOF is the normal end, not a disconnect.
  bool client_terminated() const { return client_terminated_; }

  // Marks the next ReadyForQuery (idle or in a block) for an invisible catalog refresh.
  void request_catalog_refresh() { refresh_wanted_ = true; }

  // Bookkeeping of one direction's framing (see the file comment).
  struct Framer {
    enum class State : std::uint8_t { kHeader, kStreaming, kBuffering };
    State state = State::kHeader;
    bool startup = false;  // startup-phase packets: 4-byte length, no type byte
    char header[5] = {};
    std::uint8_t header_len = 0;
    std::uint32_t remaining = 0;  // body bytes still to come
    std::string body;             // buffered body
    bool peeking = false;         // streaming, but body also collected until peek_done
    // Nothing of a half-forwarded message is in flight: bytes injected now cannot split one.
    bool at_boundary() const { return state != State::kStreaming; }
  };

 private:
  enum class Phase : std::uint8_t {
    kStartup,         // waiting for the client's startup packet (SSLRequest etc. may come first)
    kAuthenticating,  // startup forwarded; auth messages pass through until the first RFQ
    kReady,           // normal traffic
    kClosed,          // a close was decided; further input is ignored
  };

  // What an Execute (or a statement of a Query) needs when its response arrives.
  struct StatementInfo {
    parser::TagFixup fixup = parser::TagFixup::kNone;
    bool ddl = false;
    bool refused = false;              // sent as error_statement(): its Binds carry no parameters
    std::uint32_t refused_params = 0;  // parameters the refused statement was declared with
    std::vector<parser::SettingChange> settings;
    std::vector<parser::DeleteTarget> deletes;  // for the DELETE log line
    // See tx_control_of(): COMMIT, RELEASE, SAVEPOINT, ROLLBACK [TO], DISCARD/RESET.
    char tx_control = 0;
    std::vector<TempEffect> temp_effects;  // see provisional_effects_
    // Until this statement has completed, the settings/catalog a later statement must be
    // rewritten with are not known for sure.
    bool barrier() const { return ddl || tx_control != 0 || !settings.empty(); }
  };
  struct Slot {
    bool sync_point = false;  // ReadyForQuery ends the batch (Sync, Query, FunctionCall)
    StatementInfo info;
    bool barrier = false;  // see StatementInfo::barrier()
  };
  class SlotQueue;  // ring buffer of Slot

  // kPeek: stream the message but also collect its body until the names at its start are in
  // (Bind: a huge parameter must not be buffered just to learn the portal/statement names).
  enum class Decision : std::uint8_t { kStream, kBuffer, kPeek };
  Next run(bool from_client, std::string_view data, Outputs out);
  Decision decide_client(char type);
  Decision decide_server(char type);
  Next handle_startup_packet(std::string_view packet, std::string_view rest, Outputs out);
  Next handle_client(char type, std::string_view body, Outputs out);
  Next handle_server(char type, std::string_view body, Outputs out);
  Next handle_hidden_response(char type, std::string_view body, Outputs out);

  bool defer_for_refresh(char type, std::string_view body, Outputs out);
  bool defer_for_reload(char type, std::string_view body, Outputs out);
  bool reload_pending_for_named() const;
  bool wait_before_named() const;
  void forward_query(std::string_view body, Outputs out);
  void forward_parse(std::string_view body, Outputs out);
  bool peek_bind(std::string_view body_prefix, bool complete);
  void forward_bind(std::string_view body, Outputs out);
  void on_execute(std::string_view body);
  void on_close(std::string_view body);
  void forward_raw(char type, std::string_view body, std::string& out);
  const parser::Rewrite* rewrite(std::string_view sql);
  StatementInfo info_for(const parser::StatementRewrite& statement);
  void forward_auth_error(std::string_view body, Outputs out);
  void on_command_complete(std::string_view tag, Outputs out);
  Next on_ready_for_query(char status, std::string_view body, Outputs out);
  void log_deletes(const StatementInfo& info, std::string_view tag);

  bool rewriting() const;
  bool needs_catalog(const config::Config& config) const;
  const parser::Catalog& catalog_with(const std::vector<const TempEffect*>& effects);
  void adopt_latest_config();
  void rebuild_state();
  bool start_hidden_query(bool startup, bool with_admin, bool force_catalog, Outputs out);
  Next finish_hidden_query(Outputs out);
  Next close_with(ProxyError error, std::string_view detail, Outputs out);
  bool idle() const;

  Environment& env_;
  std::shared_ptr<const config::Config> config_;
  std::shared_ptr<const parser::Catalog> catalog_;
  // A reloaded config waiting for its catalog snapshot (taken at the next ReadyForQuery).
  std::shared_ptr<const config::Config> pending_config_;
  bool client_tls_ = false;
  Phase phase_ = Phase::kStartup;
  Framer client_;
  Framer server_;
  StartupInfo startup_;
  std::string close_reason_;

  // Rewriter inputs.
  parser::SessionState state_;
  SettingsTracker settings_;
  std::uint64_t settings_version_ = 0;
  bool startup_sets_tombstone_ = false;  // -c tombstone.visibility/delete in the startup packet

  // Responses still expected, in order (DESIGN §5: fix-ups in order, reset at ReadyForQuery).
  std::unique_ptr<SlotQueue> queue_;
  char tx_status_ = 'I';

  // Extended protocol: statement and portal names -> what their Execute needs.
  struct NameHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using NameMap = std::unordered_map<std::string, StatementInfo, NameHash, std::equal_to<>>;
  StatementInfo unnamed_statement_;
  StatementInfo unnamed_portal_;
  NameMap statements_;
  NameMap portals_;
  // SQL-level PREPARE name -> fix-up of its body, for EXECUTE name.
  std::unordered_map<std::string, parser::TagFixup, NameHash, std::equal_to<>> prepared_;

  // The invisible query (admin check + catalog snapshot) and what is held back meanwhile.
  struct Hidden {
    bool active = false;
    bool startup = false;  // the first one, right after authentication
    bool with_admin = false;
    bool with_catalog = false;
    bool publish = true;     // catalog taken outside a transaction block: share it
    int statement = 0;       // index of the statement whose responses arrive now
    int catalog_index = -1;  // index of the catalog statement, -1: none
    int session_index = -1;  // index of the startup statement reading search_path/session_user
    std::optional<std::pair<std::string, std::string>> server_session;  // (search_path, user)
    bool admin = false;
    bool failed = false;
    std::string held;  // the client's ReadyForQuery, released when done
    std::vector<std::vector<std::string>> rows;
  } hidden_;
  bool refresh_wanted_ = false;
  // Temp tables created or dropped (CommandComplete seen) since the catalog snapshot was taken:
  // PostgreSQL searches pg_temp first, so later statements must resolve names as they now do,
  // until the refresh the DDL asked for replaces the snapshot. Statements pipelined before the
  // DDL completed see its effects too (rewrite()), like unconfirmed SETs. ROLLBACK forgets them.
  std::vector<TempEffect> provisional_effects_;
  // catalog_ was taken inside a transaction block: its pg_temp tables may have been created by
  // that transaction, so a ROLLBACK (in flight or done) makes them all unknown until the refresh.
  bool snapshot_in_tx_ = false;
  // When catalog_ was taken or adopted: limits.catalog_max_age refreshes it at an idle point.
  std::chrono::steady_clock::time_point snapshot_taken_{};
  std::shared_ptr<const parser::Catalog> provisional_catalog_;  // catalog_ with some effects
  std::uint64_t provisional_base_ = 0;                          // catalog_->version it extends
  std::string provisional_key_;                                 // what it added and removed
  bool draining_ = false;
  bool client_terminated_ = false;
  bool any_refused_ = false;

  // Named statements whose text the rewriter had to parse: PostgreSQL re-analyzes a prepared
  // statement under the search_path of each execution, so when the rewrite inputs change
  // (search_path, visibility, catalog, config), a Bind or Describe of such a statement is preceded
  // by a Close + Parse of its fresh rewrite whose answers the client never sees
  // (refresh_statement).
  struct Stamp {
    std::uint64_t settings = 0;
    std::uint64_t catalog = 0;
    std::uint64_t generation = 0;
    bool admin = false;
    bool operator==(const Stamp&) const = default;
  };
  struct NamedSql {
    std::string original;     // as the client sent it
    std::string sent;         // what the server prepared
    std::string param_types;  // the Parse's parameter type section, raw
    Stamp stamp;              // inputs `sent` was rewritten with ({} = unknown)
    // A slipped-in Close + Parse failed or was skipped: what the server holds is unknown.
    bool server_unknown = false;
  };
  Stamp current_stamp() const;
  bool inputs_ahead() const;
  bool bind_needs_check();
  void refresh_statement(std::string_view name, Outputs out);
  void server_lost_statement(const std::string& name);
  std::unordered_map<std::string, NamedSql, NameHash, std::equal_to<>> named_sql_;
  // SQL-level PREPARE: the same staleness, but an EXECUTE cannot be preceded invisibly by a new
  // PREPARE (the client would see its tag), so a stale one is refused (refuse_stale_executes).
  std::unordered_map<std::string, NamedSql, NameHash, std::equal_to<>> prepared_sql_;
  std::optional<parser::Rewrite> refuse_stale_executes(std::string_view sql,
                                                       const parser::Rewrite& rw);
  Stamp checked_stamp_;  // no entry of named_sql_ was stale at this stamp

  // Server answers still to come for the messages whose answers the session must attribute, in
  // order: 'P'/'C' the client's Parse/Close, 'p'/'c' a Parse/Close slipped in by
  // refresh_statement (their ParseComplete/CloseComplete are swallowed), 'S' a message answered
  // by ReadyForQuery (Sync, Query, FunctionCall). An ErrorResponse skips to the next 'S'.
  void expect(char kind);
  char take_expected(char kind);  // the front entry, popped if it is kind or its upper case
  void drop_expected(bool through_sync);
  void compact_expected();
  std::string expected_;
  std::size_t expected_head_ = 0;
  std::vector<std::string> injected_names_;  // the statement of each pending 'p', in order

  // Extended-protocol messages were sent since the last Sync: the server is inside a batch, so
  // no invisible Query may be slipped in.
  bool unsynced_ = false;
  // A catalog refresh runs before the client's next message: its bytes wait here.
  bool deferring_ = false;
  std::string deferred_client_;  // a Parse was refused: Binds are buffered to be fixed up
};

// The invisible admin check: one boolean row, true when session_user is a member of any of
// `roles` that exist (a role that does not exist makes nobody admin and raises no error).
std::string admin_query(const std::vector<std::string>& roles);

}  // namespace tombstone::session
