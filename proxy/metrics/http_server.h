// The metrics endpoint's network side (Boost.Beast). It lives in proxy/metrics rather than
// proxy/net only so the module is self-contained; it is net-level code, the one file of this
// module that includes Asio, and it does nothing but move endpoint.h's replies onto sockets.
#pragma once

// clang-format off
#include <utility>  // before Asio: Boost 1.74 uses std::exchange without including it (DESIGN §9)
// clang-format on

#include <boost/asio/io_context.hpp>
#include <memory>

#include "config/config.h"

namespace tombstone::metrics {

// Limits that keep a misbehaving scraper from costing the proxy anything.
inline constexpr std::size_t kMaxRequestHeaderBytes = 8 * 1024;
inline constexpr std::size_t kMaxConcurrentScrapes = 16;
inline constexpr int kRequestTimeoutSeconds = 10;

// A running endpoint. Copies share one server; dropping every copy does NOT stop it (serve may
// ignore the handle), stop() does.
class MetricsServer {
 public:
  struct State;
  explicit MetricsServer(std::shared_ptr<State> state) : state_(std::move(state)) {}

  // The bound address; its port is the real one when the config asked for port 0.
  config::Endpoint endpoint() const;
  // Closes the listener and every open scrape connection, so that io_context::run() can return
  // once the proxy's own sessions have drained. Safe to call from any thread, more than once.
  void stop();

 private:
  std::shared_ptr<State> state_;
};

// Binds `where` (throws boost::system::system_error when it cannot: a startup error) and serves
// GET/HEAD /metrics and /healthz from the process-wide registry on `io` until stop() or until
// `io` stops. All of its work runs on one strand, so `io` may be run by several threads.
// Keep-alive is supported; a request with a body, headers over kMaxRequestHeaderBytes, or an
// idle connection past kRequestTimeoutSeconds is answered with an error or closed.
MetricsServer start_metrics_server(boost::asio::io_context& io, const config::Endpoint& where);

}  // namespace tombstone::metrics
