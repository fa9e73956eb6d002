// One client connection: startup (SSL/GSSENC negotiation, TLS handshake, startup timeout),
// upstream connect (timeout, upstream TLS), then two pumps (client->server, server->client) that
// feed bytes to the session state machine and write what it returns. Templated on the stream
// types so TCP and TLS share every line.
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <cstddef>
#include <unordered_set>
#include <utility>  // before Asio: Boost 1.74 uses std::exchange without including it

#include "proxy/net/runtime.h"

namespace tombstone::net {

class Connection;

// One io thread: its io_context, its sessions' shared environment, and its live connections
// (for SIGTERM's drain). Touched only from its own thread, except `live_total` (all threads).
struct Worker {
  Worker(RuntimeHolder& holder, session::CatalogCache& catalogs, std::atomic<std::size_t>& live)
      : env(holder, catalogs), live_total(live) {}
  boost::asio::io_context io{1};
  ThreadEnvironment env;
  std::unordered_set<Connection*> live;
  std::atomic<std::size_t>& live_total;
  bool draining = false;
};

// Runs a connection accepted on `worker`'s io_context to its end (detached).
void start_connection(boost::asio::ip::tcp::socket socket, Worker& worker);

// SIGTERM: closes the worker's idle sessions now and the others at their next idle point. Must
// run on the worker's thread.
void drain_connections(Worker& worker);

}  // namespace tombstone::net
