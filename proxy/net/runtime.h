// What `tombstone serve` runs with: the config and the TLS contexts built from it. A SIGHUP
// reload builds a new Runtime and publishes it; sessions pick it up at their next statement
// (through ThreadEnvironment) and new connections use it at once.
#pragma once

#include <atomic>
#include <boost/asio/ssl/context.hpp>
#include <cstdint>
#include <expected>
#include <memory>
#include <mutex>
#include <string>
#include <utility>  // before Asio: Boost 1.74 uses std::exchange without including it

#include "config/config.h"
#include "parser/rewriter.h"
#include "proxy/session/catalog_cache.h"
#include "proxy/session/session.h"

namespace tombstone::net {

struct Runtime {
  std::shared_ptr<const config::Config> config;
  std::shared_ptr<boost::asio::ssl::context> client_tls;    // null: tls.client.mode disable
  std::shared_ptr<boost::asio::ssl::context> upstream_tls;  // null: tls.upstream.mode disable
};

// Builds the TLS contexts (reads the certificate, key and CA files): an error names the file.
std::expected<std::shared_ptr<const Runtime>, std::string> make_runtime(config::Config config);

// The published Runtime, shared by every thread.
class RuntimeHolder {
 public:
  explicit RuntimeHolder(std::shared_ptr<const Runtime> initial);
  std::shared_ptr<const Runtime> get() const;
  std::uint64_t generation() const { return generation_.load(std::memory_order_acquire); }
  void publish(std::shared_ptr<const Runtime> runtime);

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const Runtime> current_;
  std::atomic<std::uint64_t> generation_;
};

// One per io thread: the sessions of that thread share its rewrite cache and its copy of the
// Runtime, refreshed only when the published generation moves (one atomic load per statement).
class ThreadEnvironment final : public session::Environment {
 public:
  ThreadEnvironment(RuntimeHolder& holder, session::CatalogCache& catalogs);
  const std::shared_ptr<const config::Config>& config() override;
  parser::RewriteCache& rewrite_cache() override { return cache_; }
  session::CatalogCache& catalogs() override { return catalogs_; }
  const Runtime& runtime();
  std::shared_ptr<const Runtime> runtime_ptr();

 private:
  void refresh();
  RuntimeHolder& holder_;
  session::CatalogCache& catalogs_;
  std::shared_ptr<const Runtime> runtime_;
  std::uint64_t seen_ = 0;
  parser::RewriteCache cache_;
};

}  // namespace tombstone::net
