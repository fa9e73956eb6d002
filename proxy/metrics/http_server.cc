#include "proxy/metrics/http_server.h"

#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "proxy/metrics/endpoint.h"

namespace tombstone::metrics {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Strand = asio::strand<asio::io_context::executor_type>;

// Everything below runs on `strand`, so the acceptor and the set of open streams need no lock.
struct MetricsServer::State {
  explicit State(asio::io_context& io) : strand(asio::make_strand(io)), acceptor(strand) {}
  Strand strand;
  tcp::acceptor acceptor;
  std::set<beast::tcp_stream*> open;
  bool stopped = false;
};

namespace {

// /proc/self/stat fields (proc(5)), counted from 1: 14 utime, 15 stime, 22 starttime (clock
// ticks since boot), 23 vsize (bytes), 24 rss (pages). Missing files leave zeros: the scrape
// still succeeds.
ProcessStats read_process_stats() {
  ProcessStats p;
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  std::ifstream stat("/proc/self/stat");
  std::string line;
  if (std::getline(stat, line)) {
    // The command name (field 2) may contain spaces: fields start after its closing ')'.
    std::istringstream fields(line.substr(line.rfind(')') + 2));
    std::vector<std::string> f{std::istream_iterator<std::string>(fields), {}};
    if (f.size() >= 22) {  // f[0] is field 3
      p.cpu_seconds = (std::stod(f[11]) + std::stod(f[12])) / ticks;
      const double start_ticks = std::stod(f[19]);
      p.virtual_bytes = std::stoull(f[20]);
      p.resident_bytes = std::stoull(f[21]) * static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE));
      std::ifstream proc_stat("/proc/stat");
      std::string key;
      double boot = 0;
      while (proc_stat >> key) {
        if (key == "btime") {
          proc_stat >> boot;
          break;
        }
      }
      p.start_time_seconds = boot + start_ticks / ticks;
    }
  }
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    ++p.open_fds;
  }
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0) p.max_fds = limit.rlim_cur;
  return p;
}

http::response<http::string_body> to_beast(const HttpReply& reply, unsigned version,
                                           bool keep_alive) {
  http::response<http::string_body> res{static_cast<http::status>(reply.status), version};
  res.set(http::field::server, "tombstone");
  res.set(http::field::content_type, reply.content_type);
  res.set(http::field::cache_control, "no-store");
  if (reply.allow_header) res.set(http::field::allow, "GET, HEAD");
  res.body() = reply.body;
  res.content_length(reply.content_length);  // for HEAD: the size a GET would have sent
  res.keep_alive(keep_alive);
  return res;
}

// A bare error reply for requests that never parsed (too large, malformed, with a body).
http::response<http::string_body> error_reply(http::status status) {
  http::response<http::string_body> res{status, 11};
  res.set(http::field::server, "tombstone");
  res.set(http::field::content_type, "text/plain; charset=utf-8");
  const auto reason = http::obsolete_reason(status);
  res.body() = std::string(reason.data(), reason.size()) + "\n";
  res.prepare_payload();
  res.keep_alive(false);
  return res;
}

asio::awaitable<void> serve_connection(std::shared_ptr<MetricsServer::State> state,
                                       tcp::socket socket) {
  beast::tcp_stream stream(std::move(socket));
  state->open.insert(&stream);
  beast::flat_buffer buffer(kMaxRequestHeaderBytes);
  for (;;) {
    http::request_parser<http::empty_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(kMaxRequestHeaderBytes));
    parser.body_limit(0);  // scrapes carry no body; anything else is not for us
    stream.expires_after(std::chrono::seconds(kRequestTimeoutSeconds));
    beast::error_code read_error;
    co_await http::async_read(stream, buffer, parser,
                              asio::redirect_error(asio::use_awaitable, read_error));
    if (read_error) {
      // Silence for an end of stream or a timeout; a short answer for a request we refuse.
      http::status status = http::status::unknown;
      if (read_error == http::error::header_limit || read_error == http::error::buffer_overflow) {
        status = http::status::request_header_fields_too_large;
      } else if (read_error == http::error::body_limit ||
                 read_error == http::error::unexpected_body) {
        status = http::status::payload_too_large;
      } else if (read_error.category() ==
                     beast::error_code(http::error::end_of_stream).category() &&
                 read_error != http::error::end_of_stream &&
                 read_error != http::error::partial_message) {
        status = http::status::bad_request;
      }
      if (status != http::status::unknown && !state->stopped) {
        stream.expires_after(std::chrono::seconds(kRequestTimeoutSeconds));
        beast::error_code ignored;
        co_await http::async_write(stream, error_reply(status),
                                   asio::redirect_error(asio::use_awaitable, ignored));
      }
      break;
    }
    const auto& request = parser.get();
    const auto method = request.method_string();
    const auto target = request.target();
    const ProcessStats process = read_process_stats();
    const HttpReply reply =
        respond(std::string_view(method.data(), method.size()),
                std::string_view(target.data(), target.size()), metrics(), &process);
    auto response = to_beast(reply, request.version(), request.keep_alive() && !state->stopped);
    stream.expires_after(std::chrono::seconds(kRequestTimeoutSeconds));
    beast::error_code write_error;
    co_await http::async_write(stream, response,
                               asio::redirect_error(asio::use_awaitable, write_error));
    if (write_error || !response.keep_alive()) break;
  }
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  state->open.erase(&stream);
}

asio::awaitable<void> accept_loop(std::shared_ptr<MetricsServer::State> state) {
  while (!state->stopped) {
    beast::error_code error;
    tcp::socket socket = co_await state->acceptor.async_accept(
        state->strand, asio::redirect_error(asio::use_awaitable, error));
    if (error) {
      if (error == asio::error::operation_aborted || state->stopped) break;
      continue;  // e.g. EMFILE: the proxy's sessions matter more than one scrape
    }
    if (state->open.size() >= kMaxConcurrentScrapes) continue;  // closes the socket
    asio::co_spawn(state->strand, serve_connection(state, std::move(socket)), asio::detached);
  }
}

}  // namespace

config::Endpoint MetricsServer::endpoint() const {
  // The acceptor is only touched on the strand, but its bound address never changes after
  // start_metrics_server returned, so reading it here is safe.
  beast::error_code ec;
  const auto local = state_->acceptor.local_endpoint(ec);
  return config::Endpoint{local.address().to_string(), local.port()};
}

void MetricsServer::stop() {
  asio::post(state_->strand, [state = state_] {
    if (state->stopped) return;
    state->stopped = true;
    beast::error_code ignored;
    state->acceptor.close(ignored);
    for (beast::tcp_stream* stream : state->open) stream->socket().close(ignored);
  });
}

MetricsServer start_metrics_server(asio::io_context& io, const config::Endpoint& where) {
  auto state = std::make_shared<MetricsServer::State>(io);
  // The config allows host names ("localhost"); resolving once at startup is fine.
  tcp::resolver resolver(io);
  const tcp::endpoint endpoint =
      resolver.resolve(where.host, std::to_string(where.port), tcp::resolver::passive)
          .begin()
          ->endpoint();
  state->acceptor.open(endpoint.protocol());
  state->acceptor.set_option(tcp::acceptor::reuse_address(true));
  state->acceptor.bind(endpoint);
  state->acceptor.listen();
  asio::co_spawn(state->strand, accept_loop(state), asio::detached);
  return MetricsServer(state);
}

}  // namespace tombstone::metrics
