// Prometheus metrics in text exposition format, served on their own HTTP port.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"

namespace accord::common {

using Labels = std::vector<std::pair<std::string, std::string>>;

class Counter {
 public:
  void Increment(double by = 1) { value_.fetch_add(static_cast<int64_t>(by * 1000)); }
  double value() const { return static_cast<double>(value_.load()) / 1000; }

 private:
  std::atomic<int64_t> value_{0};  // milli-units, so fractional increments stay exact enough
};

class Gauge {
 public:
  void Set(double value) { value_.store(value); }
  double value() const { return value_.load(); }

 private:
  std::atomic<double> value_{0};
};

class Histogram {
 public:
  explicit Histogram(std::vector<double> upper_bounds);
  void Observe(double value);
  // Cumulative counts per bound (last is +Inf), sum and count.
  std::vector<uint64_t> cumulative_counts() const;
  double sum() const;
  uint64_t count() const;
  const std::vector<double>& upper_bounds() const { return bounds_; }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;
  std::atomic<uint64_t> count_{0};
  std::atomic<int64_t> sum_micros_{0};
};

// Families are created on first use and live as long as the registry. Lookups take a mutex;
// hot paths should keep the returned reference.
class MetricsRegistry {
 public:
  MetricsRegistry();
  ~MetricsRegistry();  // out of line: Family is incomplete here
  MetricsRegistry(const MetricsRegistry&) = delete;
  MetricsRegistry& operator=(const MetricsRegistry&) = delete;

  static MetricsRegistry& Global();

  Counter& GetCounter(const std::string& name, const std::string& help, const Labels& labels = {});
  Gauge& GetGauge(const std::string& name, const std::string& help, const Labels& labels = {});
  Histogram& GetHistogram(const std::string& name, const std::string& help,
                          const Labels& labels = {},
                          std::vector<double> bounds = DefaultLatencyBounds());
  // Called before each scrape to refresh gauges that are cheaper to read than to maintain.
  void AddCollectHook(std::function<void()> hook);

  std::string RenderText();
  static std::vector<double> DefaultLatencyBounds();  // seconds, 100us .. 10s

 private:
  struct Family;
  enum class Kind : int;
  // Finds or creates a family under mutex_; a type clash throws std::logic_error.
  Family& FamilyLocked(const std::string& name, const std::string& help, Kind kind);
  std::mutex mutex_;
  std::map<std::string, std::unique_ptr<Family>> families_;
  std::vector<std::function<void()>> hooks_;
};

// process_cpu_seconds_total, process_resident_memory_bytes, process_virtual_memory_bytes,
// process_open_fds, process_max_fds, process_start_time_seconds (read from /proc at each scrape)
// and accord_build_info{version,commit}, once per registry. MetricsHttpServer::Start calls it.
void ExportProcessMetrics(MetricsRegistry& registry);

// A minimal HTTP/1.1 server answering GET /metrics (and GET /healthz with 200) on its own thread.
class MetricsHttpServer {
 public:
  explicit MetricsHttpServer(MetricsRegistry& registry);
  ~MetricsHttpServer();
  // "0.0.0.0:9090" or "127.0.0.1:0" (0 picks a free port; see port()).
  absl::Status Start(const std::string& address);
  void Stop();
  int port() const { return port_; }

 private:
  void Serve();
  MetricsRegistry& registry_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace accord::common
