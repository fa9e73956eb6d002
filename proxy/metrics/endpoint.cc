#include "proxy/metrics/endpoint.h"

namespace tombstone::metrics {

namespace {

HttpReply text(int status, std::string body) {
  HttpReply r;
  r.status = status;
  r.content_type = "text/plain; charset=utf-8";
  r.body = std::move(body);
  return r;
}

}  // namespace

HttpReply respond(std::string_view method, std::string_view target, const Metrics& registry,
                  const ProcessStats* process) {
  const std::string_view path = target.substr(0, target.find('?'));
  const bool head = method == "HEAD";
  HttpReply reply;
  if (method != "GET" && !head) {
    reply = text(405, "method not allowed\n");
    reply.allow_header = true;
  } else if (path == "/metrics") {
    reply.status = 200;
    reply.content_type = std::string(kPrometheusContentType);
    reply.body = render_prometheus(registry.snapshot());
    if (process != nullptr) reply.body += render_process(*process);
  } else if (path == "/healthz") {
    // Liveness and readiness share this path: while draining the process is alive but must
    // receive no new connections, and a 503 tells both Kubernetes and load balancers so.
    reply = registry.draining.get() != 0 ? text(503, "draining\n") : text(200, "ok\n");
  } else {
    reply = text(404, "not found: try /metrics or /healthz\n");
  }
  reply.content_length = reply.body.size();
  if (head) reply.body.clear();
  return reply;
}

}  // namespace tombstone::metrics
