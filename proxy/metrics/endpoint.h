// The HTTP semantics of the metrics endpoint as a pure request -> response function, so that
// routing, status codes and headers are unit-tested without sockets (http_server.h does the I/O).
#pragma once

#include <string>
#include <string_view>

#include "proxy/metrics/metrics.h"

namespace tombstone::metrics {

struct HttpReply {
  int status = 200;
  std::string content_type;
  std::string body;  // for HEAD: empty, with content_length still the GET body's size
  std::size_t content_length = 0;
  bool allow_header = false;  // 405 must say which methods are allowed (RFC 9110 §15.5.6)
};

// GET|HEAD /metrics -> 200 Prometheus text (the registry, then `process` when given);
// GET|HEAD /healthz -> 200 "ok", or 503 "draining"
// after SIGTERM so that load balancers and Kubernetes readiness move traffic away while
// sessions finish; other paths -> 404; other methods -> 405. A query string is ignored.
HttpReply respond(std::string_view method, std::string_view target, const Metrics& registry,
                  const ProcessStats* process = nullptr);

}  // namespace tombstone::metrics
