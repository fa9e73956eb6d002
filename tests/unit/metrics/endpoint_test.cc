// The metrics endpoint's HTTP answers, as a scraper or a Kubernetes probe receives them.
#include "proxy/metrics/endpoint.h"

#include <gtest/gtest.h>

namespace tombstone::metrics {
namespace {

TEST(Endpoint, MetricsServesPrometheusText) {
  Metrics m;
  m.connections_total.add(5);
  const HttpReply r = respond("GET", "/metrics", m);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(r.body.find("\ntombstone_connections_total 5\n"), std::string::npos);
  EXPECT_EQ(r.content_length, r.body.size());
}

TEST(Endpoint, ProcessSeriesFollowTheRegistry) {
  Metrics m;
  ProcessStats p;
  p.resident_bytes = 4096 * 1000;
  p.open_fds = 12;
  p.max_fds = 65536;
  p.cpu_seconds = 1.25;
  p.start_time_seconds = 1.7e9;
  const HttpReply r = respond("GET", "/metrics", m, &p);
  EXPECT_NE(r.body.find("\nprocess_resident_memory_bytes 4096000\n"), std::string::npos);
  EXPECT_NE(r.body.find("\nprocess_open_fds 12\n"), std::string::npos);
  EXPECT_NE(r.body.find("\nprocess_max_fds 65536\n"), std::string::npos);
  EXPECT_NE(r.body.find("\nprocess_cpu_seconds_total 1.25\n"), std::string::npos);
  EXPECT_NE(r.body.find("\nprocess_start_time_seconds 1700000000\n"), std::string::npos);
  EXPECT_NE(r.body.find("# TYPE process_cpu_seconds_total counter\n"), std::string::npos);
  EXPECT_LT(r.body.find("tombstone_connections_open"), r.body.find("process_open_fds"));
  // Health checks do not carry metrics.
  EXPECT_EQ(respond("GET", "/healthz", m, &p).body, "ok\n");
}

TEST(Endpoint, HeadAnnouncesTheLengthWithoutABody) {
  Metrics m;
  const HttpReply get = respond("GET", "/metrics", m);
  const HttpReply head = respond("HEAD", "/metrics", m);
  EXPECT_EQ(head.status, 200);
  EXPECT_TRUE(head.body.empty());
  EXPECT_EQ(head.content_length, get.body.size());
  EXPECT_EQ(respond("HEAD", "/healthz", m).status, 200);
}

TEST(Endpoint, HealthzIsOkUntilDraining) {
  Metrics m;
  HttpReply r = respond("GET", "/healthz", m);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "ok\n");
  m.draining.set(1);
  r = respond("GET", "/healthz", m);
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.body, "draining\n");
  EXPECT_EQ(respond("GET", "/metrics", m).status, 200);  // still scrapeable while draining
}

TEST(Endpoint, QueryStringIsIgnored) {
  Metrics m;
  EXPECT_EQ(respond("GET", "/healthz?probe=liveness", m).status, 200);
  EXPECT_EQ(respond("GET", "/metrics?x=1", m).status, 200);
}

TEST(Endpoint, UnknownPathsAre404) {
  Metrics m;
  for (const char* target : {"/", "/metric", "/metrics/", "/healthz/x", "metrics", ""}) {
    EXPECT_EQ(respond("GET", target, m).status, 404) << target;
  }
}

TEST(Endpoint, OtherMethodsAre405WithAllow) {
  Metrics m;
  for (const char* method : {"POST", "PUT", "DELETE", "OPTIONS", "get"}) {
    const HttpReply r = respond(method, "/metrics", m);
    EXPECT_EQ(r.status, 405) << method;
    EXPECT_TRUE(r.allow_header);
  }
}

}  // namespace
}  // namespace tombstone::metrics
