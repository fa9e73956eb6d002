#include "proxy/net/runtime.h"

#include <openssl/ssl.h>

#include <boost/system/system_error.hpp>

namespace tombstone::net {
namespace ssl = boost::asio::ssl;

namespace {

std::string describe_file_error(std::string_view what, const std::string& file,
                                const boost::system::system_error& e) {
  return std::string(what) + " '" + file + "': " + e.code().message();
}

constexpr auto kTlsOptions = ssl::context::default_workarounds | ssl::context::no_sslv2 |
                             ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                             ssl::context::no_tlsv1_1 | ssl::context::single_dh_use;

}  // namespace

std::expected<std::shared_ptr<const Runtime>, std::string> make_runtime(config::Config config) {
  auto runtime = std::make_shared<Runtime>();
  const std::string& source = config.source_file;
  if (config.tls_client.mode != config::TlsMode::kDisable) {
    auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
    ctx->set_options(kTlsOptions);
    try {
      ctx->use_certificate_chain_file(config.tls_client.cert);
    } catch (const boost::system::system_error& e) {
      return std::unexpected(
          source + ": tls.client.cert: " +
          describe_file_error("cannot load certificate", config.tls_client.cert, e));
    }
    try {
      ctx->use_private_key_file(config.tls_client.key, ssl::context::pem);
    } catch (const boost::system::system_error& e) {
      return std::unexpected(source + ": tls.client.key: " +
                             describe_file_error("cannot load key", config.tls_client.key, e));
    }
    if (!config.tls_client.ca.empty()) {
      try {
        ctx->load_verify_file(config.tls_client.ca);
      } catch (const boost::system::system_error& e) {
        return std::unexpected(source + ": tls.client.ca: " +
                               describe_file_error("cannot load CA", config.tls_client.ca, e));
      }
      // A client certificate is asked for and checked; with client_cert: require, also demanded.
      ctx->set_verify_mode(config.tls_client.require_client_cert
                               ? ssl::verify_peer | ssl::verify_fail_if_no_peer_cert
                               : ssl::verify_peer);
    }
    // Idle sessions keep no TLS read/write buffers (DESIGN §8: memory per idle session).
    SSL_CTX_set_mode(ctx->native_handle(), SSL_MODE_RELEASE_BUFFERS);
    runtime->client_tls = std::move(ctx);
  }
  if (config.tls_upstream.mode != config::TlsMode::kDisable) {
    auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
    ctx->set_options(kTlsOptions);
    try {
      if (!config.tls_upstream.ca.empty()) {
        ctx->load_verify_file(config.tls_upstream.ca);
      } else {
        ctx->set_default_verify_paths();
      }
    } catch (const boost::system::system_error& e) {
      return std::unexpected(source + ": tls.upstream.ca: " +
                             describe_file_error("cannot load CA", config.tls_upstream.ca, e));
    }
    if (!config.tls_upstream.cert.empty()) {
      try {
        ctx->use_certificate_chain_file(config.tls_upstream.cert);
        ctx->use_private_key_file(config.tls_upstream.key, ssl::context::pem);
      } catch (const boost::system::system_error& e) {
        return std::unexpected(source + ": tls.upstream.cert/key: " +
                               describe_file_error("cannot load", config.tls_upstream.cert, e));
      }
    }
    SSL_CTX_set_mode(ctx->native_handle(), SSL_MODE_RELEASE_BUFFERS);
    runtime->upstream_tls = std::move(ctx);
  }
  runtime->config = std::make_shared<const config::Config>(std::move(config));
  return runtime;
}

RuntimeHolder::RuntimeHolder(std::shared_ptr<const Runtime> initial)
    : current_(std::move(initial)), generation_(current_->config->generation) {}

std::shared_ptr<const Runtime> RuntimeHolder::get() const {
  std::lock_guard lock(mutex_);
  return current_;
}

void RuntimeHolder::publish(std::shared_ptr<const Runtime> runtime) {
  const auto generation = runtime->config->generation;
  {
    std::lock_guard lock(mutex_);
    current_ = std::move(runtime);
  }
  generation_.store(generation, std::memory_order_release);
}

ThreadEnvironment::ThreadEnvironment(RuntimeHolder& holder, session::CatalogCache& catalogs)
    : holder_(holder),
      catalogs_(catalogs),
      runtime_(holder.get()),
      seen_(runtime_->config->generation),
      cache_(runtime_->config->limits.rewrite_cache_entries) {}

void ThreadEnvironment::refresh() {
  if (holder_.generation() != seen_) {
    runtime_ = holder_.get();
    seen_ = runtime_->config->generation;
  }
}

const std::shared_ptr<const config::Config>& ThreadEnvironment::config() {
  refresh();
  return runtime_->config;
}

const Runtime& ThreadEnvironment::runtime() {
  refresh();
  return *runtime_;
}

}  // namespace tombstone::net

namespace tombstone::net {
std::shared_ptr<const Runtime> ThreadEnvironment::runtime_ptr() {
  refresh();
  return runtime_;
}
}  // namespace tombstone::net
