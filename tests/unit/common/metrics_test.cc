#include "accord/common/metrics.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "support/http.h"

namespace accord::common {
namespace {

TEST(MetricsRenderTest, CounterAndGaugeWithLabels) {
  MetricsRegistry registry;
  registry.GetCounter("requests_total", "Requests served.", {{"method", "Get"}, {"code", "OK"}})
      .Increment();
  registry.GetCounter("requests_total", "Requests served.", {{"code", "OK"}, {"method", "Get"}})
      .Increment(2);
  registry.GetCounter("requests_total", "Requests served.", {{"method", "Put"}, {"code", "OK"}})
      .Increment(0.5);
  registry.GetGauge("in_flight", "Requests in flight.").Set(-3);

  EXPECT_EQ(registry.RenderText(),
            "# HELP in_flight Requests in flight.\n"
            "# TYPE in_flight gauge\n"
            "in_flight -3\n"
            "# HELP requests_total Requests served.\n"
            "# TYPE requests_total counter\n"
            "requests_total{code=\"OK\",method=\"Get\"} 3\n"
            "requests_total{code=\"OK\",method=\"Put\"} 0.5\n");
}

TEST(MetricsRenderTest, LabelOrderDoesNotMakeANewSeries) {
  MetricsRegistry registry;
  Counter& a = registry.GetCounter("c", "h", {{"x", "1"}, {"y", "2"}});
  Counter& b = registry.GetCounter("c", "h", {{"y", "2"}, {"x", "1"}});
  EXPECT_EQ(&a, &b);
}

TEST(MetricsRenderTest, EscapesLabelValuesAndHelp) {
  MetricsRegistry registry;
  registry.GetGauge("g", "line one\nback\\slash \"quoted\"", {{"path", "a\\b\"c\nd"}}).Set(1.25);
  EXPECT_EQ(registry.RenderText(),
            "# HELP g line one\\nback\\\\slash \"quoted\"\n"
            "# TYPE g gauge\n"
            "g{path=\"a\\\\b\\\"c\\nd\"} 1.25\n");
}

TEST(MetricsRenderTest, HistogramBucketsSumAndCount) {
  MetricsRegistry registry;
  Histogram& histogram =
      registry.GetHistogram("latency_seconds", "Latency.", {{"rpc", "Get"}}, {0.005, 0.1, 1});
  for (double v : {0.001, 0.005, 0.05, 0.5, 7.0}) histogram.Observe(v);

  EXPECT_EQ(registry.RenderText(),
            "# HELP latency_seconds Latency.\n"
            "# TYPE latency_seconds histogram\n"
            "latency_seconds_bucket{rpc=\"Get\",le=\"0.005\"} 2\n"
            "latency_seconds_bucket{rpc=\"Get\",le=\"0.1\"} 3\n"
            "latency_seconds_bucket{rpc=\"Get\",le=\"1\"} 4\n"
            "latency_seconds_bucket{rpc=\"Get\",le=\"+Inf\"} 5\n"
            "latency_seconds_sum{rpc=\"Get\"} 7.556\n"
            "latency_seconds_count{rpc=\"Get\"} 5\n");
}

TEST(MetricsRenderTest, HistogramWithoutLabels) {
  MetricsRegistry registry;
  registry.GetHistogram("h", "H.", {}, {1}).Observe(2);
  EXPECT_EQ(registry.RenderText(),
            "# HELP h H.\n"
            "# TYPE h histogram\n"
            "h_bucket{le=\"1\"} 0\n"
            "h_bucket{le=\"+Inf\"} 1\n"
            "h_sum 2\n"
            "h_count 1\n");
}

TEST(MetricsRegistryTest, SameNameWithAnotherTypeIsAProgrammingError) {
  MetricsRegistry registry;
  registry.GetCounter("x", "h");
  EXPECT_THROW(registry.GetGauge("x", "h"), std::logic_error);
  EXPECT_THROW(registry.GetHistogram("x", "h"), std::logic_error);
  EXPECT_NO_THROW(registry.GetCounter("x", "h", {{"k", "v"}}));
}

TEST(MetricsRegistryTest, InvalidNamesAreRejected) {
  MetricsRegistry registry;
  EXPECT_THROW(registry.GetCounter("1abc", "h"), std::logic_error);
  EXPECT_THROW(registry.GetCounter("a-b", "h"), std::logic_error);
  EXPECT_THROW(registry.GetCounter("ok", "h", {{"bad-label", "v"}}), std::logic_error);
  EXPECT_THROW(registry.GetHistogram("hist", "h", {{"le", "1"}}), std::logic_error);
}

TEST(MetricsRegistryTest, CollectHooksRunBeforeEachRender) {
  MetricsRegistry registry;
  int calls = 0;
  registry.AddCollectHook([&] { registry.GetGauge("scrapes", "Scrapes.").Set(++calls); });
  EXPECT_NE(registry.RenderText().find("scrapes 1\n"), std::string::npos);
  EXPECT_NE(registry.RenderText().find("scrapes 2\n"), std::string::npos);
}

TEST(HistogramTest, BucketMathIsCumulativeAndInclusive) {
  Histogram histogram({5, 1, 2, 2});  // unsorted, duplicated: normalised to {1, 2, 5}
  ASSERT_EQ(histogram.upper_bounds(), (std::vector<double>{1, 2, 5}));
  for (double v : {0.5, 1.0, 1.5, 2.0, 3.0, 10.0}) histogram.Observe(v);
  EXPECT_EQ(histogram.cumulative_counts(), (std::vector<uint64_t>{2, 4, 5, 6}));
  EXPECT_EQ(histogram.count(), 6u);
  EXPECT_DOUBLE_EQ(histogram.sum(), 18.0);
}

TEST(HistogramTest, ConcurrentObserveLosesNothing) {
  Histogram histogram(MetricsRegistry::DefaultLatencyBounds());
  constexpr int kThreads = 4;
  constexpr int kPerThread = 20000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kPerThread; ++i) histogram.Observe(0.001);
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(histogram.count(), uint64_t{kThreads * kPerThread});
  EXPECT_EQ(histogram.cumulative_counts().back(), uint64_t{kThreads * kPerThread});
  EXPECT_NEAR(histogram.sum(), kThreads * kPerThread * 0.001, 1e-6);
}

TEST(HistogramTest, DefaultBoundsSpan100MicrosTo10Seconds) {
  auto bounds = MetricsRegistry::DefaultLatencyBounds();
  ASSERT_FALSE(bounds.empty());
  EXPECT_DOUBLE_EQ(bounds.front(), 0.0001);
  EXPECT_DOUBLE_EQ(bounds.back(), 10);
  EXPECT_TRUE(std::is_sorted(bounds.begin(), bounds.end()));
  // The targets a p99 is judged against fall on a bucket's edge.
  for (double target : {0.002, 0.005, 0.02}) {
    EXPECT_NE(std::find(bounds.begin(), bounds.end(), target), bounds.end()) << target;
  }
}

std::string Exchange(int port, const std::string& request) {
  return testing::HttpExchange(port, request);
}

class MetricsHttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    registry_.GetCounter("http_test_total", "A test counter.", {{"k", "v"}}).Increment(7);
    ASSERT_TRUE(server_.Start("127.0.0.1:0").ok());
    ASSERT_GT(server_.port(), 0);
  }

  MetricsRegistry registry_;
  MetricsHttpServer server_{registry_};
};

TEST_F(MetricsHttpServerTest, ServesMetrics) {
  std::string response =
      Exchange(server_.port(), "GET /metrics HTTP/1.1\r\nHost: localhost\r\nAccept: */*\r\n\r\n");
  EXPECT_EQ(response.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << response;
  EXPECT_NE(response.find("Content-Type: text/plain; version=0.0.4"), std::string::npos);
  EXPECT_NE(response.find("Connection: close\r\n"), std::string::npos);
  // The process metrics (ExportProcessMetrics) change between scrapes: the body is checked
  // against its own length.
  const size_t head_end = response.find("\r\n\r\n");
  ASSERT_NE(head_end, std::string::npos) << response;
  const std::string body = response.substr(head_end + 4);
  EXPECT_NE(response.find("Content-Length: " + std::to_string(body.size()) + "\r\n"),
            std::string::npos);
  EXPECT_NE(body.find("# TYPE process_cpu_seconds_total counter\n"), std::string::npos) << body;
  EXPECT_NE(response.find("http_test_total{k=\"v\"} 7\n"), std::string::npos);
}

TEST_F(MetricsHttpServerTest, ServesHealthz) {
  std::string response = Exchange(server_.port(), "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(response.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << response;
  EXPECT_TRUE(response.ends_with("\r\n\r\nok")) << response;
}

TEST_F(MetricsHttpServerTest, UnknownPathIs404) {
  std::string response = Exchange(server_.port(), "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(response.rfind("HTTP/1.1 404", 0), 0u) << response;
}

TEST_F(MetricsHttpServerTest, ServesSeveralConnectionsInTurn) {
  for (int i = 0; i < 5; ++i) {
    std::string response = Exchange(server_.port(), "GET /metrics?x=1 HTTP/1.0\r\n\r\n");
    EXPECT_EQ(response.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << response;
  }
}

TEST_F(MetricsHttpServerTest, OversizedRequestIsRefused) {
  std::string request = "GET /metrics HTTP/1.1\r\nX-Padding: " + std::string(20000, 'a');
  std::string response = Exchange(server_.port(), request);
  EXPECT_EQ(response.rfind("HTTP/1.1 431", 0), 0u) << response.substr(0, 100);
}

TEST_F(MetricsHttpServerTest, StopReturnsPromptly) {
  auto start = std::chrono::steady_clock::now();
  server_.Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
}

TEST(MetricsHttpServerStartTest, RejectsBadAddress) {
  MetricsRegistry registry;
  MetricsHttpServer server(registry);
  EXPECT_FALSE(server.Start("no-port").ok());
  EXPECT_FALSE(server.Start("127.0.0.1:99999").ok());
}

}  // namespace
}  // namespace accord::common
