// `tombstone serve`: load the config, listen, proxy; SIGHUP reloads, SIGTERM drains.
//
// Threads: one io_context per core, each run by one thread; the listener (on the first) hands
// accepted sockets out round-robin, and a connection lives on its io_context for its whole life,
// so a session's two pumps never run concurrently and need no locks.
#include "proxy/net/serve.h"

#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>  // before Asio: Boost 1.74 uses std::exchange without including it
#include <vector>

#include "config/loader.h"
#include "proxy/metrics/http_server.h"
#include "proxy/metrics/metrics.h"
#include "proxy/net/connection.h"
#include "proxy/net/logging.h"
#include "proxy/net/runtime.h"

namespace tombstone::net {

namespace asio = boost::asio;
using asio::awaitable;
using asio::ip::tcp;

namespace {

// Completion token: expected failures (EOF, reset, timeout) come back as a value, not a throw.
inline auto into(boost::system::error_code& ec) {
  return asio::redirect_error(asio::use_awaitable, ec);
}

void print_usage(std::FILE* to) {
  std::fprintf(to,
               "usage: tombstone serve --config FILE [--threads N]\n\n"
               "Runs the proxy: clients connect to `listen`, statements go to `upstream` with\n"
               "DELETE made recoverable per the `tables` policies.\n\n"
               "options:\n"
               "  -c, --config FILE  the YAML config (default: $TOMBSTONE_CONFIG, else\n"
               "                     ./tombstone.yaml)\n"
               "  --threads N        io threads (default: one per core)\n"
               "  -h, --help         this text\n\n"
               "signals: SIGHUP reloads the config (a bad file is logged and the old one kept);\n"
               "SIGTERM/SIGINT stop accepting, let sessions finish their transactions for up to\n"
               "limits.drain_timeout, then close.\n");
}

class Server {
 public:
  Server(std::string config_path, std::shared_ptr<const Runtime> runtime, unsigned threads)
      : config_path_(std::move(config_path)), holder_(std::move(runtime)) {
    for (unsigned i = 0; i < threads; ++i) {
      workers_.push_back(std::make_unique<Worker>(holder_, catalogs_, live_total_));
    }
  }

  int run() {
    auto& main_io = workers_.front()->io;
    const auto config = holder_.get()->config;
    try {
      tcp::resolver resolver(main_io);
      const auto endpoints =
          resolver.resolve(config->listen.host, std::to_string(config->listen.port));
      const tcp::endpoint ep = *endpoints.begin();
      acceptor_.emplace(main_io);
      acceptor_->open(ep.protocol());
      acceptor_->set_option(tcp::acceptor::reuse_address(true));
      acceptor_->bind(ep);
      acceptor_->listen(asio::socket_base::max_listen_connections);
    } catch (const boost::system::system_error& e) {
      spdlog::critical("tombstone: cannot listen on {}:{}: {}", config->listen.host,
                       config->listen.port, e.code().message());
      return 1;
    }
    if (config->metrics) {
      try {
        metrics_.emplace(metrics::start_metrics_server(main_io, *config->metrics));
      } catch (const boost::system::system_error& e) {
        spdlog::critical("tombstone: cannot serve metrics on {}:{}: {}", config->metrics->host,
                         config->metrics->port, e.code().message());
        return 1;
      }
    }
    spdlog::info("tombstone listening on {}:{}, upstream {}:{}, {} io threads, {} managed tables",
                 config->listen.host, config->listen.port, config->upstream.host,
                 config->upstream.port, workers_.size(), config->tables.size());

    signals_.emplace(main_io, SIGTERM, SIGINT, SIGHUP);
    wait_signal();
    asio::co_spawn(main_io, accept_loop(), asio::detached);

    std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards;
    for (auto& w : workers_) guards.push_back(asio::make_work_guard(w->io));
    std::vector<std::thread> threads;
    for (std::size_t i = 1; i < workers_.size(); ++i) {
      threads.emplace_back([w = workers_[i].get()] { w->io.run(); });
    }
    main_io.run();
    for (auto& w : workers_) w->io.stop();
    for (auto& t : threads) t.join();
    spdlog::info("tombstone stopped");
    return 0;
  }

 private:
  awaitable<void> accept_loop() {
    std::size_t next = 0;
    while (acceptor_ && acceptor_->is_open()) {
      Worker& worker = *workers_[next];
      next = (next + 1) % workers_.size();
      boost::system::error_code ec;
      auto socket = co_await acceptor_->async_accept(worker.io, into(ec));
      if (ec == asio::error::operation_aborted || !acceptor_->is_open()) co_return;
      if (ec) {
        // EMFILE and friends: log, pause a little, keep serving the sessions we have.
        spdlog::error("accept failed: {}", ec.message());
        asio::steady_timer pause(acceptor_->get_executor(), std::chrono::milliseconds(100));
        {
          boost::system::error_code ignored;
          co_await pause.async_wait(into(ignored));
        }
        continue;
      }
      asio::post(worker.io, [s = std::make_shared<tcp::socket>(std::move(socket)), &worker] {
        start_connection(std::move(*s), worker);
      });
    }
  }

  void wait_signal() {
    signals_->async_wait([this](boost::system::error_code ec, int signo) {
      if (ec) return;
      if (signo == SIGHUP) {
        reload();
      } else if (!draining_) {
        begin_drain();
      } else {
        spdlog::warn("second stop signal: closing every session now");
        stop_all();
        return;
      }
      wait_signal();
    });
  }

  void reload() {
    auto loaded = config::load_config_file(config_path_);
    if (!loaded) {
      metrics::metrics().count_reload(false);
      spdlog::error("config reload failed, keeping the previous config: {}", loaded.error());
      return;
    }
    const auto previous = holder_.get()->config;
    loaded->generation = previous->generation + 1;
    if (loaded->listen != previous->listen) {
      spdlog::warn("config reload: `listen` changed to {}:{}; it takes effect on restart",
                   loaded->listen.host, loaded->listen.port);
    }
    if (auto error = configure_logging(loaded->log); !error.empty()) {
      metrics::metrics().count_reload(false);
      spdlog::error("config reload failed, keeping the previous config: {}", error);
      return;
    }
    auto runtime = make_runtime(std::move(*loaded));
    if (!runtime) {
      metrics::metrics().count_reload(false);
      spdlog::error("config reload failed, keeping the previous config: {}", runtime.error());
      return;
    }
    metrics::metrics().register_tables(*(*runtime)->config);
    metrics::metrics().count_reload(true);
    holder_.publish(*runtime);
    spdlog::info("config reloaded from {} (generation {}, {} managed tables)", config_path_,
                 (*runtime)->config->generation, (*runtime)->config->tables.size());
  }

  void begin_drain() {
    draining_ = true;
    metrics::metrics().draining.set(1);
    boost::system::error_code ec;
    if (acceptor_) acceptor_->close(ec);
    const auto timeout = holder_.get()->config->limits.drain_timeout;
    spdlog::info("draining: no new connections; {} open sessions get up to {} ms to finish",
                 live_total_.load(), timeout.count());
    for (auto& w : workers_) {
      asio::post(w->io, [w = w.get()] { drain_connections(*w); });
    }
    asio::co_spawn(workers_.front()->io, wait_drained(timeout), asio::detached);
  }

  awaitable<void> wait_drained(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    asio::steady_timer timer(co_await asio::this_coro::executor);
    while (live_total_.load() > 0 && std::chrono::steady_clock::now() < deadline) {
      timer.expires_after(std::chrono::milliseconds(20));
      {
        boost::system::error_code ignored;
        co_await timer.async_wait(into(ignored));
      }
    }
    if (live_total_.load() > 0) {
      spdlog::warn("drain timeout: closing {} sessions still open", live_total_.load());
    }
    stop_all();
  }

  void stop_all() {
    boost::system::error_code ec;
    if (acceptor_) acceptor_->close(ec);
    if (metrics_) metrics_->stop();
    if (signals_) signals_->cancel(ec);
    for (auto& w : workers_) w->io.stop();
  }

  std::string config_path_;
  RuntimeHolder holder_;
  session::CatalogCache catalogs_;
  std::atomic<std::size_t> live_total_{0};
  std::vector<std::unique_ptr<Worker>> workers_;
  std::optional<tcp::acceptor> acceptor_;
  std::optional<asio::signal_set> signals_;
  std::optional<metrics::MetricsServer> metrics_;
  bool draining_ = false;
};

}  // namespace

int serve_command(int argc, char** argv) {
  std::string config_path;
  if (const char* env = std::getenv("TOMBSTONE_CONFIG")) config_path = env;
  unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      print_usage(stdout);
      return 0;
    }
    if ((arg == "-c" || arg == "--config") && i + 1 < argc) {
      config_path = argv[++i];
    } else if (arg.starts_with("--config=")) {
      config_path = std::string(arg.substr(9));
    } else if (arg == "--threads" && i + 1 < argc) {
      threads = static_cast<unsigned>(std::max(1, std::atoi(argv[++i])));
    } else {
      std::fprintf(stderr, "tombstone serve: unknown argument '%s'\n\n", argv[i]);
      print_usage(stderr);
      return 2;
    }
  }
  if (config_path.empty()) config_path = "tombstone.yaml";

  auto loaded = config::load_config_file(config_path);
  if (!loaded) {
    std::fprintf(stderr, "tombstone: %s\n", loaded.error().c_str());
    return 1;
  }
  loaded->generation = 1;
  if (auto error = configure_logging(loaded->log); !error.empty()) {
    std::fprintf(stderr, "tombstone: %s: log.level: %s\n", config_path.c_str(), error.c_str());
    return 1;
  }
  auto runtime = make_runtime(std::move(*loaded));
  if (!runtime) {
    std::fprintf(stderr, "tombstone: %s\n", runtime.error().c_str());
    return 1;
  }
  metrics::metrics().register_tables(*(*runtime)->config);
  Server server(config_path, std::move(*runtime), threads);
  return server.run();
}

}  // namespace tombstone::net
