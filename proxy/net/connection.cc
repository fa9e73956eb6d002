#include "proxy/net/connection.h"

#include <malloc.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <spdlog/spdlog.h>

#include <array>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <exception>
#include <memory>
#include <optional>
#include <string>

#include "proxy/metrics/metrics.h"

namespace tombstone::net {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using asio::awaitable;
using asio::ip::tcp;
using session::Next;
using session::ProxyError;

namespace {

// Completion token: expected failures (EOF, reset, timeout) come back as a value, not a throw.
inline auto into(boost::system::error_code& ec) {
  return asio::redirect_error(asio::use_awaitable, ec);
}

// Read granularity of each pump: small enough that an idle pair stays small, big enough that
// a result set moves in few system calls.
constexpr std::size_t kReadSize = 8 * 1024;
constexpr std::size_t kKeepWriteBuffer = 64 * 1024;
constexpr char kSslRequest[] = {0, 0, 0, 8, 0x04, static_cast<char>(0xd2), 0x16, 0x2f};
constexpr char kTerminate[] = {'X', 0, 0, 0, 4};

using TlsStream = ssl::stream<tcp::socket>;

template <typename Stream>
tcp::socket& lowest(Stream& s) {
  if constexpr (std::is_same_v<Stream, tcp::socket>) {
    return s;
  } else {
    return s.next_layer();
  }
}

// Ordered, backpressured writes to one stream from either pump. Bytes are appended to `pending`
// (by the session, synchronously, in the order it decided them); flush() returns once everything
// appended so far is written. Whoever flushes first becomes the writer; others wait for it.
class OutboxBase {
 public:
  virtual ~OutboxBase() = default;
  virtual awaitable<bool> flush() = 0;
};

template <typename Stream>
class Outbox final : public OutboxBase {
 public:
  Outbox(Stream& stream, std::string& pending)
      : stream_(stream), pending_(pending), wake_(lowest(stream).get_executor()) {}

  awaitable<bool> flush() override {
    const std::uint64_t mark = written_ + inflight_.size() + pending_.size();
    while (written_ < mark && !failed_) {
      if (!writing_) {
        writing_ = true;
        while (!pending_.empty() && !failed_) {
          inflight_.swap(pending_);
          boost::system::error_code ec;
          co_await asio::async_write(stream_, asio::buffer(inflight_), into(ec));
          if (ec) failed_ = true;
          written_ += inflight_.size();
          if (inflight_.capacity() > kKeepWriteBuffer) {
            std::string().swap(inflight_);
          } else {
            inflight_.clear();
          }
        }
        writing_ = false;
        wake_.cancel();
      } else {
        wake_.expires_at(asio::steady_timer::time_point::max());
        {
          boost::system::error_code ignored;
          co_await wake_.async_wait(into(ignored));
        }
      }
    }
    co_return !failed_;
  }

 private:
  Stream& stream_;
  std::string& pending_;
  std::string inflight_;
  bool writing_ = false;
  bool failed_ = false;
  std::uint64_t written_ = 0;
  asio::steady_timer wake_;
};

std::string peer_text(const tcp::socket& s) {
  boost::system::error_code ec;
  const auto ep = s.remote_endpoint(ec);
  if (ec) return "?";
  return ep.address().to_string() + ":" + std::to_string(ep.port());
}

std::string tls_error_text(const boost::system::error_code& ec) {
  std::string text = ec.message();
  if (ec.category() == asio::error::get_ssl_category()) {
    char buf[256];
    ERR_error_string_n(static_cast<unsigned long>(ec.value()), buf, sizeof buf);
    text = buf;
  }
  return text;
}

}  // namespace

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(tcp::socket socket, Worker& worker)
      : worker_(worker),
        runtime_(worker.env.runtime_ptr()),
        session_(worker.env),
        client_tcp_(std::move(socket)),
        server_tcp_(client_tcp_.get_executor()),
        startup_timer_(client_tcp_.get_executor()),
        opened_(std::chrono::steady_clock::now()),
        peer_(peer_text(client_tcp_)) {
    worker_.live.insert(this);
    worker_.live_total.fetch_add(1, std::memory_order_relaxed);
    metrics::metrics().connections_open.add();
    metrics::metrics().connections_total.add();
    boost::system::error_code ec;
    client_tcp_.set_option(tcp::no_delay(true), ec);
  }

  ~Connection() {
    const auto seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - opened_).count();
    const auto& s = session_.startup();
    std::string reason(session_.close_reason());
    if (reason.empty()) reason = end_reason_;
    spdlog::info(
        "connection closed peer={} user={} database={} duration={:.3f}s bytes_from_client={} "
        "bytes_to_client={} reason=\"{}\"",
        peer_, s.user, s.database, seconds, bytes_from_client_, bytes_from_server_, reason);
    metrics::metrics().connections_open.sub();
    worker_.live.erase(this);
    worker_.live_total.fetch_sub(1, std::memory_order_relaxed);
    // glibc keeps freed memory in each thread's arena; once this worker has no sessions left,
    // hand it back so RSS returns near its idle level after a burst of sessions (issue 7).
    if (worker_.live.empty()) ::malloc_trim(0);
  }

  awaitable<void> run();
  void drain();

 private:
  session::Outputs outputs() { return {to_client_, to_server_}; }

  template <typename Stream>
  awaitable<Next> read_startup(Stream& client);
  template <typename Stream>
  awaitable<bool> write_direct(Stream& stream, std::string& bytes);
  template <typename ClientStream>
  awaitable<void> after_startup(ClientStream& client, Next next);
  awaitable<std::optional<std::pair<ProxyError, std::string>>> connect_upstream();
  awaitable<std::optional<std::pair<ProxyError, std::string>>> negotiate_upstream_tls(
      bool& use_tls);
  template <typename ClientStream, typename ServerStream>
  void start_pumps(ClientStream& client, ServerStream& server);
  template <typename From>
  awaitable<void> pump(bool from_client, From& from);
  awaitable<void> linger_client();
  tcp::socket& client_tcp_lowest() { return client_tls_ ? client_tls_->next_layer() : client_tcp_; }
  void close_both();

  Worker& worker_;
  // The config and TLS contexts this connection started with (upstream, limits, TLS); its
  // statements follow reloads through the session's Environment.
  std::shared_ptr<const Runtime> runtime_;
  session::Session session_;
  tcp::socket client_tcp_;
  std::optional<TlsStream> client_tls_;
  tcp::socket server_tcp_;
  std::optional<TlsStream> server_tls_;
  std::string to_client_;
  std::string to_server_;
  std::unique_ptr<OutboxBase> client_box_;
  std::unique_ptr<OutboxBase> server_box_;
  asio::steady_timer startup_timer_;
  std::chrono::steady_clock::time_point opened_;
  std::string peer_;
  std::string end_reason_ = "closed";
  std::uint64_t bytes_from_client_ = 0;
  std::uint64_t bytes_from_server_ = 0;
  bool closed_ = false;
  bool pumping_ = false;
};

void Connection::close_both() {
  if (closed_) return;
  closed_ = true;
  boost::system::error_code ec;
  startup_timer_.cancel();
  auto& c = client_tls_ ? client_tls_->next_layer() : client_tcp_;
  c.shutdown(tcp::socket::shutdown_both, ec);
  c.close(ec);
  auto& s = server_tls_ ? server_tls_->next_layer() : server_tcp_;
  s.close(ec);
}

template <typename Stream>
awaitable<bool> Connection::write_direct(Stream& stream, std::string& bytes) {
  if (bytes.empty()) co_return true;
  boost::system::error_code ec;
  co_await asio::async_write(stream, asio::buffer(bytes), into(ec));
  bytes.clear();
  co_return !ec;
}

template <typename Stream>
awaitable<Next> Connection::read_startup(Stream& client) {
  std::array<char, 1024> buf;
  for (;;) {
    boost::system::error_code ec;
    auto n = co_await client.async_read_some(asio::buffer(buf), into(ec));
    if (ec) {
      if (end_reason_ == "closed") end_reason_ = "client closed before startup";
      co_return Next::kClose;
    }
    bytes_from_client_ += n;
    const Next next = session_.from_client(std::string_view(buf.data(), n), outputs());
    if (next == Next::kConnectUpstream || next == Next::kForwardCancel) co_return next;
    if (!co_await write_direct(client, to_client_)) co_return Next::kClose;
    if (next != Next::kContinue) co_return next;
  }
}

awaitable<void> Connection::run() {
  auto self = shared_from_this();
  // Startup timeout: a client that connects and sends nothing (or stalls in the handshake) is
  // closed (DESIGN §5; limits.startup_timeout).
  startup_timer_.expires_after(runtime_->config->limits.startup_timeout);
  startup_timer_.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
    if (ec) return;
    if (auto c = weak.lock(); c && !c->pumping_) {
      c->end_reason_ = "startup timeout";
      c->close_both();
    }
  });

  Next next = co_await read_startup(client_tcp_);
  if (next == Next::kStartClientTls && runtime_->client_tls) {
    client_tls_.emplace(std::move(client_tcp_), *runtime_->client_tls);
    boost::system::error_code ec;
    co_await client_tls_->async_handshake(ssl::stream_base::server, into(ec));
    if (ec) {
      end_reason_ = "client TLS handshake failed: " + tls_error_text(ec);
      close_both();
      co_return;
    }
    session_.client_tls_established();
    next = co_await read_startup(*client_tls_);
    co_await after_startup(*client_tls_, next);
  } else if (next == Next::kStartClientTls) {
    close_both();
  } else {
    co_await after_startup(client_tcp_, next);
  }
}

template <typename ClientStream>
awaitable<void> Connection::after_startup(ClientStream& client, Next next) {
  if (next == Next::kClose || next == Next::kStartClientTls) {
    co_await write_direct(client, to_client_);
    close_both();
    co_return;
  }
  startup_timer_.cancel();
  pumping_ = true;
  auto failure = co_await connect_upstream();
  bool use_tls = false;
  if (!failure) failure = co_await negotiate_upstream_tls(use_tls);
  if (failure) {
    metrics::metrics().upstream_connect_errors.add();
    spdlog::warn("upstream connect failed peer={} user={} database={}: {}", peer_,
                 session_.startup().user, session_.startup().database, failure->second);
    to_server_.clear();
    if (next == Next::kConnectUpstream) {
      session_.upstream_failed(failure->first, failure->second, outputs());
      co_await write_direct(client, to_client_);
    }
    close_both();
    co_return;
  }
  if (next == Next::kForwardCancel) {
    if (use_tls) {
      co_await write_direct(*server_tls_, to_server_);
    } else {
      co_await write_direct(server_tcp_, to_server_);
    }
    close_both();
    co_return;
  }
  const auto& s = session_.startup();
  spdlog::info("connection opened peer={} user={} database={} application_name={} tls={}", peer_,
               s.user, s.database, s.application_name, s.client_tls ? "on" : "off");
  if (use_tls) {
    start_pumps(client, *server_tls_);
  } else {
    start_pumps(client, server_tcp_);
  }
}

awaitable<std::optional<std::pair<ProxyError, std::string>>> Connection::connect_upstream() {
  const auto& upstream = runtime_->config->upstream;
  const std::string where = upstream.host + ":" + std::to_string(upstream.port);
  auto ex = co_await asio::this_coro::executor;
  tcp::resolver resolver(ex);
  asio::steady_timer timer(ex);
  auto timed_out = std::make_shared<bool>(false);
  timer.expires_after(runtime_->config->limits.connect_timeout);
  timer.async_wait([timed_out, &resolver, this](boost::system::error_code ec) {
    if (ec) return;
    *timed_out = true;
    resolver.cancel();
    boost::system::error_code ignored;
    server_tcp_.close(ignored);
  });
  boost::system::error_code rec;
  auto endpoints =
      co_await resolver.async_resolve(upstream.host, std::to_string(upstream.port), into(rec));
  if (rec) {
    timer.cancel();
    co_return std::pair{ProxyError::kUpstreamUnreachable,
                        where + ": " + (*timed_out ? "timed out" : rec.message())};
  }
  boost::system::error_code cec;
  co_await asio::async_connect(server_tcp_, endpoints, into(cec));
  timer.cancel();
  if (cec || *timed_out) {
    co_return std::pair{
        ProxyError::kUpstreamUnreachable,
        where + ": " +
            (*timed_out
                 ? std::string("connect timed out after ") +
                       std::to_string(runtime_->config->limits.connect_timeout.count()) + " ms"
                 : cec.message())};
  }
  boost::system::error_code ec;
  server_tcp_.set_option(tcp::no_delay(true), ec);
  server_tcp_.set_option(asio::socket_base::keep_alive(true), ec);
  co_return std::nullopt;
}

awaitable<std::optional<std::pair<ProxyError, std::string>>> Connection::negotiate_upstream_tls(
    bool& use_tls) {
  const auto& tls = runtime_->config->tls_upstream;
  use_tls = false;
  if (tls.mode == config::TlsMode::kDisable || !runtime_->upstream_tls) co_return std::nullopt;
  const auto& host = runtime_->config->upstream.host;
  {
    boost::system::error_code ec;
    co_await asio::async_write(server_tcp_, asio::buffer(kSslRequest), into(ec));
    if (ec) co_return std::pair{ProxyError::kUpstreamUnreachable, "SSLRequest: " + ec.message()};
  }
  char answer = 0;
  {
    boost::system::error_code ec;
    co_await asio::async_read(server_tcp_, asio::buffer(&answer, 1), into(ec));
    if (ec) co_return std::pair{ProxyError::kUpstreamUnreachable, "SSLRequest: " + ec.message()};
  }
  if (answer == 'N') {
    if (tls.mode == config::TlsMode::kPrefer) co_return std::nullopt;
    co_return std::pair{ProxyError::kUpstreamTls,
                        "the server does not accept TLS connections (tls.upstream.mode is not "
                        "prefer/disable)"};
  }
  if (answer != 'S') {
    co_return std::pair{ProxyError::kUpstreamProtocol,
                        "unexpected answer to SSLRequest (is upstream a PostgreSQL server?)"};
  }
  server_tls_.emplace(std::move(server_tcp_), *runtime_->upstream_tls);
  boost::system::error_code addr_ec;
  asio::ip::make_address(host, addr_ec);
  if (addr_ec) {  // SNI only for names, never for IP literals (RFC 6066 §3)
    SSL_set_tlsext_host_name(server_tls_->native_handle(), host.c_str());
  }
  if (tls.mode == config::TlsMode::kVerifyCa || tls.mode == config::TlsMode::kVerifyFull) {
    server_tls_->set_verify_mode(ssl::verify_peer);
    if (tls.mode == config::TlsMode::kVerifyFull) {
      // OpenSSL's own name check (not asio's verify callback), so a mismatch is reported as
      // "hostname mismatch" / "IP address mismatch" instead of an unspecified failure.
      X509_VERIFY_PARAM* param = SSL_get0_param(server_tls_->native_handle());
      X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
      if (addr_ec) {
        X509_VERIFY_PARAM_set1_host(param, host.c_str(), host.size());
      } else {
        X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str());
      }
    }
  } else {
    server_tls_->set_verify_mode(ssl::verify_none);
  }
  boost::system::error_code ec;
  co_await server_tls_->async_handshake(ssl::stream_base::client, into(ec));
  if (ec) {
    std::string why = tls_error_text(ec);
    const long verify = SSL_get_verify_result(server_tls_->native_handle());
    if (verify != X509_V_OK) why += std::string(" (") + X509_verify_cert_error_string(verify) + ")";
    co_return std::pair{ProxyError::kUpstreamTls, why};
  }
  use_tls = true;
  co_return std::nullopt;
}

template <typename ClientStream, typename ServerStream>
void Connection::start_pumps(ClientStream& client, ServerStream& server) {
  client_box_ = std::make_unique<Outbox<ClientStream>>(client, to_client_);
  server_box_ = std::make_unique<Outbox<ServerStream>>(server, to_server_);
  auto self = shared_from_this();
  auto on_end = [self](std::exception_ptr e) {
    if (e) {
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        spdlog::error("connection peer={} failed: {}", self->peer_, ex.what());
        self->end_reason_ = std::string("internal error: ") + ex.what();
      }
    }
    self->close_both();
  };
  asio::co_spawn(client_tcp_.get_executor(), pump(true, client), on_end);
  asio::co_spawn(client_tcp_.get_executor(), pump(false, server), on_end);
}

template <typename From>
awaitable<void> Connection::pump(bool from_client, From& from) {
  auto self = shared_from_this();
  if (!from_client) {
    // Whatever the session produced during startup (the startup packet) goes first.
    if (!co_await server_box_->flush()) co_return;
  }
  std::array<char, kReadSize> buf;
  auto& m = metrics::metrics();
  for (;;) {
    boost::system::error_code ec;
    auto n = co_await from.async_read_some(asio::buffer(buf), into(ec));
    if (closed_) co_return;
    if (ec) {
      if (from_client && session_.client_terminated()) {
        if (end_reason_ == "closed") end_reason_ = "client terminated";
      } else if (from_client) {
        // The client went away without Terminate: tell the server politely.
        if (end_reason_ == "closed") end_reason_ = "client disconnected";
        to_server_.append(kTerminate, sizeof kTerminate);
        co_await server_box_->flush();
      } else if (end_reason_ == "closed") {
        end_reason_ = "server closed the connection";
      }
      co_return;
    }
    const std::size_t client_before = to_client_.size();
    const std::size_t server_before = to_server_.size();
    const std::string_view bytes(buf.data(), n);
    Next next;
    if (from_client) {
      bytes_from_client_ += n;
      next = session_.from_client(bytes, outputs());
    } else {
      bytes_from_server_ += n;
      next = session_.from_server(bytes, outputs());
    }
    const std::size_t to_server = to_server_.size() - server_before;
    const std::size_t to_client = to_client_.size() - client_before;
    // Bytes forwarded on behalf of the peer; the invisible catalog query is not counted.
    if (from_client) {
      m.bytes_client_to_server.add(to_server);
    } else {
      m.bytes_server_to_client.add(to_client);
    }
    if (to_server > 0 && !co_await server_box_->flush()) co_return;
    if (to_client > 0 && !co_await client_box_->flush()) co_return;
    if (next != Next::kContinue) {
      if (from_client && next == Next::kClose) co_await linger_client();
      co_return;
    }
  }
}

// Tombstone ends the session itself (a fatal protocol error it just reported): the client may
// still be sending, e.g. the rest of an oversized message. Closing a socket with unread input
// makes the kernel send a reset, which can destroy the ErrorResponse before the client reads it.
// So: send FIN, then read and discard until the client closes, 2 s or 16 MiB, whichever is first.
awaitable<void> Connection::linger_client() {
  boost::system::error_code ec;
  client_tcp_lowest().shutdown(tcp::socket::shutdown_send, ec);
  if (ec) co_return;
  asio::steady_timer deadline(co_await asio::this_coro::executor);
  deadline.expires_after(std::chrono::seconds(2));
  deadline.async_wait([this](boost::system::error_code wec) {
    if (wec) return;
    boost::system::error_code ignored;
    client_tcp_lowest().cancel(ignored);
  });
  std::array<char, kReadSize> buf;
  std::size_t discarded = 0;
  while (!closed_ && discarded < 16 * 1024 * 1024) {
    auto n = co_await client_tcp_lowest().async_read_some(asio::buffer(buf), into(ec));
    if (ec) break;
    discarded += n;
  }
  deadline.cancel();
}

void Connection::drain() {
  const std::size_t client_before = to_client_.size();
  const std::size_t server_before = to_server_.size();
  const Next next = session_.drain(outputs());
  if (!client_box_ || !server_box_) {
    if (next == Next::kClose) {
      end_reason_ = "shutting down";
      close_both();
    }
    return;
  }
  const bool wrote = to_client_.size() != client_before || to_server_.size() != server_before;
  if (!wrote && next != Next::kClose) return;
  asio::co_spawn(
      client_tcp_.get_executor(),
      [self = shared_from_this(), next]() -> awaitable<void> {
        co_await self->server_box_->flush();
        co_await self->client_box_->flush();
        if (next == Next::kClose) self->close_both();
      },
      asio::detached);
}

void start_connection(tcp::socket socket, Worker& worker) {
  auto connection = std::make_shared<Connection>(std::move(socket), worker);
  if (worker.draining) {
    connection->drain();
    return;
  }
  asio::co_spawn(worker.io, connection->run(), [connection](std::exception_ptr e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      spdlog::error("connection failed during startup: {}", ex.what());
    }
  });
}

void drain_connections(Worker& worker) {
  worker.draining = true;
  // drain() may close a connection, which erases it from `live`: iterate over a copy.
  std::vector<Connection*> live(worker.live.begin(), worker.live.end());
  for (Connection* c : live) {
    if (worker.live.contains(c)) c->drain();
  }
}

}  // namespace tombstone::net
