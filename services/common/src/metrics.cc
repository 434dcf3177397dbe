#include "accord/common/metrics.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <string_view>
#include <utility>

#include "accord/common/errors.h"
#include "accord/common/thread_name.h"

namespace accord::common {

// ---------------------------------------------------------------------------------------------
// Histogram

Histogram::Histogram(std::vector<double> upper_bounds) : bounds_(std::move(upper_bounds)) {
  // +Inf is always implicit; NaN bounds would make bucket selection meaningless.
  std::erase_if(bounds_, [](double b) { return std::isnan(b) || std::isinf(b); });
  std::sort(bounds_.begin(), bounds_.end());
  bounds_.erase(std::unique(bounds_.begin(), bounds_.end()), bounds_.end());
  buckets_ = std::make_unique<std::atomic<uint64_t>[]>(bounds_.size() + 1);
  for (size_t i = 0; i <= bounds_.size(); ++i) buckets_[i].store(0, std::memory_order_relaxed);
}

void Histogram::Observe(double value) {
  // Prometheus buckets are "less than or equal": the first bound >= value.
  size_t index = static_cast<size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), value) -
                                     bounds_.begin());
  if (std::isnan(value)) index = bounds_.size();
  buckets_[index].fetch_add(1, std::memory_order_relaxed);
  if (std::isfinite(value)) {
    sum_micros_.fetch_add(static_cast<int64_t>(std::llround(value * 1e6)),
                          std::memory_order_relaxed);
  }
  count_.fetch_add(1, std::memory_order_relaxed);
}

std::vector<uint64_t> Histogram::cumulative_counts() const {
  std::vector<uint64_t> counts(bounds_.size() + 1);
  uint64_t running = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    running += buckets_[i].load(std::memory_order_relaxed);
    counts[i] = running;
  }
  return counts;
}

double Histogram::sum() const {
  return static_cast<double>(sum_micros_.load(std::memory_order_relaxed)) / 1e6;
}

uint64_t Histogram::count() const { return count_.load(std::memory_order_relaxed); }

// ---------------------------------------------------------------------------------------------
// Registry

enum class MetricsRegistry::Kind : int { kCounter, kGauge, kHistogram };

namespace {

bool ValidName(std::string_view name, bool allow_colon) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
              (allow_colon && c == ':') || (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

std::string FormatValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  char buffer[64];
  // Shortest round-trip form: 0.1 stays "0.1", 3 stays "3".
  auto result = std::to_chars(buffer, buffer + sizeof(buffer), value);
  return std::string(buffer, result.ptr);
}

void AppendEscaped(std::string& out, std::string_view text, bool escape_quote) {
  for (char c : text) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '"':
        out += escape_quote ? "\\\"" : "\"";
        break;
      default:
        out += c;
    }
  }
}

// `k1="v1",k2="v2"` with keys sorted, so label order at the call site does not create a second
// series; also the map key of the series.
std::string RenderLabels(Labels labels, bool histogram) {
  std::sort(labels.begin(), labels.end());
  std::string out;
  for (size_t i = 0; i < labels.size(); ++i) {
    const auto& [key, value] = labels[i];
    if (!ValidName(key, false) || key.starts_with("__")) {
      throw std::invalid_argument("invalid metric label name: " + key);
    }
    if (histogram && key == "le") throw std::invalid_argument("label `le` is reserved");
    if (i > 0 && labels[i - 1].first == key) {
      throw std::invalid_argument("duplicate metric label: " + key);
    }
    if (!out.empty()) out += ',';
    out += key;
    out += "=\"";
    AppendEscaped(out, value, true);
    out += '"';
  }
  return out;
}

void AppendSample(std::string& out, const std::string& name, std::string_view labels,
                  std::string_view extra_label, const std::string& value) {
  out += name;
  if (!labels.empty() || !extra_label.empty()) {
    out += '{';
    out += labels;
    if (!labels.empty() && !extra_label.empty()) out += ',';
    out += extra_label;
    out += '}';
  }
  out += ' ';
  out += value;
  out += '\n';
}

}  // namespace

struct MetricsRegistry::Family {
  struct Series {
    std::unique_ptr<Counter> counter;
    std::unique_ptr<Gauge> gauge;
    std::unique_ptr<Histogram> histogram;
  };
  Kind kind;
  std::string help;
  std::map<std::string, Series> series;  // keyed by rendered labels
};

MetricsRegistry::MetricsRegistry() = default;
MetricsRegistry::~MetricsRegistry() = default;

MetricsRegistry& MetricsRegistry::Global() {
  // Leaked on purpose: threads still running during static teardown may touch their metrics.
  static MetricsRegistry* registry = new MetricsRegistry();
  return *registry;
}

MetricsRegistry::Family& MetricsRegistry::FamilyLocked(const std::string& name,
                                                       const std::string& help, Kind kind) {
  if (!ValidName(name, true)) throw std::invalid_argument("invalid metric name: " + name);
  auto [it, inserted] = families_.try_emplace(name);
  if (inserted) {
    it->second = std::make_unique<Family>();
    it->second->kind = kind;
    it->second->help = help;
  } else if (it->second->kind != kind) {
    throw std::logic_error("metric " + name + " already registered with another type");
  }
  return *it->second;
}

Counter& MetricsRegistry::GetCounter(const std::string& name, const std::string& help,
                                     const Labels& labels) {
  std::string key = RenderLabels(labels, false);
  std::lock_guard lock(mutex_);
  auto& series = FamilyLocked(name, help, Kind::kCounter).series[key];
  if (!series.counter) series.counter = std::make_unique<Counter>();
  return *series.counter;
}

Gauge& MetricsRegistry::GetGauge(const std::string& name, const std::string& help,
                                 const Labels& labels) {
  std::string key = RenderLabels(labels, false);
  std::lock_guard lock(mutex_);
  auto& series = FamilyLocked(name, help, Kind::kGauge).series[key];
  if (!series.gauge) series.gauge = std::make_unique<Gauge>();
  return *series.gauge;
}

Histogram& MetricsRegistry::GetHistogram(const std::string& name, const std::string& help,
                                         const Labels& labels, std::vector<double> bounds) {
  std::string key = RenderLabels(labels, true);
  std::lock_guard lock(mutex_);
  auto& series = FamilyLocked(name, help, Kind::kHistogram).series[key];
  // An existing series keeps the bounds it was created with.
  if (!series.histogram) series.histogram = std::make_unique<Histogram>(std::move(bounds));
  return *series.histogram;
}

void MetricsRegistry::AddCollectHook(std::function<void()> hook) {
  std::lock_guard lock(mutex_);
  hooks_.push_back(std::move(hook));
}

std::vector<double> MetricsRegistry::DefaultLatencyBounds() {
  // 2 ms and 20 ms are the suite's own targets (a lookup, a List page), so a p99 read from the
  // buckets can say on which side of them it falls.
  return {0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.0025, 0.005, 0.01, 0.02,
          0.025,  0.05,    0.1,    0.25,  0.5,   1,      2.5,   5,    10};
}

std::string MetricsRegistry::RenderText() {
  std::vector<std::function<void()>> hooks;
  {
    std::lock_guard lock(mutex_);
    hooks = hooks_;
  }
  // Outside the lock: hooks typically call GetGauge().
  for (const auto& hook : hooks) hook();

  std::string out;
  std::lock_guard lock(mutex_);
  for (const auto& [name, family] : families_) {
    if (family->series.empty()) continue;
    out += "# HELP " + name + ' ';
    AppendEscaped(out, family->help, false);
    out += '\n';
    out += "# TYPE " + name + ' ';
    switch (family->kind) {
      case Kind::kCounter:
        out += "counter\n";
        break;
      case Kind::kGauge:
        out += "gauge\n";
        break;
      case Kind::kHistogram:
        out += "histogram\n";
        break;
    }
    for (const auto& [labels, series] : family->series) {
      switch (family->kind) {
        case Kind::kCounter:
          AppendSample(out, name, labels, "", FormatValue(series.counter->value()));
          break;
        case Kind::kGauge:
          AppendSample(out, name, labels, "", FormatValue(series.gauge->value()));
          break;
        case Kind::kHistogram: {
          const Histogram& histogram = *series.histogram;
          std::vector<uint64_t> counts = histogram.cumulative_counts();
          const std::string bucket = name + "_bucket";
          for (size_t i = 0; i < counts.size(); ++i) {
            std::string le = i < histogram.upper_bounds().size()
                                 ? FormatValue(histogram.upper_bounds()[i])
                                 : std::string("+Inf");
            AppendSample(out, bucket, labels, "le=\"" + le + "\"", std::to_string(counts[i]));
          }
          AppendSample(out, name + "_sum", labels, "", FormatValue(histogram.sum()));
          // From the buckets, not count(): an Observe racing this scrape must not make
          // _count disagree with the +Inf bucket.
          AppendSample(out, name + "_count", labels, "", std::to_string(counts.back()));
          break;
        }
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// MetricsHttpServer

namespace {

constexpr size_t kMaxRequestBytes = 8192;
constexpr auto kPollSlice = std::chrono::milliseconds(100);
constexpr auto kConnectionDeadline = std::chrono::seconds(5);
constexpr auto kLingerLimit = std::chrono::milliseconds(500);

// Splits "host:port" ("[v6]:port" too); an empty host means all interfaces.
bool SplitHostPort(const std::string& address, std::string& host, std::string& port) {
  auto colon = address.rfind(':');
  if (colon == std::string::npos) return false;
  host = address.substr(0, colon);
  port = address.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (port.empty() || port.size() > 5) return false;
  return std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }) &&
         std::stoi(port) <= 65535;
}

// Waits for `events` on fd in short slices so a stopping server or an expired deadline ends
// the wait promptly. False on timeout, stop or error.
bool WaitFor(int fd, short events, std::chrono::steady_clock::time_point deadline,
             const std::atomic<bool>& stopping) {
  for (;;) {
    if (stopping.load()) return false;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd pfd{};
    pfd.fd = fd;
    pfd.events = events;
    int rc = ::poll(&pfd, 1, static_cast<int>(std::min(left, kPollSlice).count()));
    if (rc > 0) return true;
    if (rc < 0 && errno != EINTR) return false;
  }
}

bool SendAll(int fd, std::string_view data, std::chrono::steady_clock::time_point deadline,
             const std::atomic<bool>& stopping) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n > 0) {
      data.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) &&
        WaitFor(fd, POLLOUT, deadline, stopping)) {
      continue;
    }
    return false;
  }
  return true;
}

std::string Response(std::string_view status, std::string_view content_type, std::string_view body,
                     bool head_only, std::string_view extra = "") {
  std::string out = "HTTP/1.1 ";
  out += status;
  out += "\r\nContent-Type: ";
  out += content_type;
  out += "\r\nContent-Length: " + std::to_string(body.size());
  out += "\r\nConnection: close\r\n";
  out += extra;
  out += "\r\n";
  if (!head_only) out += body;
  return out;
}

}  // namespace

MetricsHttpServer::MetricsHttpServer(MetricsRegistry& registry) : registry_(registry) {}

MetricsHttpServer::~MetricsHttpServer() { Stop(); }

absl::Status MetricsHttpServer::Start(const std::string& address) {
  if (thread_.joinable()) {
    return FailedPrecondition("METRICS_SERVER_RUNNING", "metrics server already started");
  }
  ExportProcessMetrics(registry_);
  std::string host;
  std::string port;
  if (!SplitHostPort(address, host, port)) {
    return InvalidArgument("metrics_address", "expected host:port, got \"" + address + "\"");
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  if (int rc = ::getaddrinfo(host.empty() ? nullptr : host.c_str(), port.c_str(), &hints, &found);
      rc != 0) {
    return InvalidArgument("metrics_address",
                           "cannot resolve \"" + address + "\": " + ::gai_strerror(rc));
  }
  std::string last_error = "no usable address";
  int fd = -1;
  for (addrinfo* ai = found; ai != nullptr && fd < 0; ai = ai->ai_next) {
    fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
    if (fd < 0) {
      last_error = std::strerror(errno);
      continue;
    }
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (::bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || ::listen(fd, 64) != 0) {
      last_error = std::strerror(errno);
      ::close(fd);
      fd = -1;
    }
  }
  ::freeaddrinfo(found);
  if (fd < 0) {
    return Unavailable("METRICS_BIND_FAILED", "cannot listen on " + address + ": " + last_error);
  }
  sockaddr_storage bound{};
  socklen_t length = sizeof(bound);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &length);
  port_ = bound.ss_family == AF_INET6 ? ntohs(reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port)
                                      : ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  listen_fd_ = fd;
  stopping_.store(false);
  thread_ = std::thread([this] { Serve(); });
  return absl::OkStatus();
}

void MetricsHttpServer::Stop() {
  stopping_.store(true);
  if (thread_.joinable()) thread_.join();
  if (listen_fd_ >= 0) {
    ::close(listen_fd_);
    listen_fd_ = -1;
  }
}

void MetricsHttpServer::Serve() {
  NameCurrentThread("metrics-http");
  while (!stopping_.load()) {
    pollfd pfd{};
    pfd.fd = listen_fd_;
    pfd.events = POLLIN;
    if (::poll(&pfd, 1, static_cast<int>(kPollSlice.count())) <= 0) continue;
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) continue;  // EAGAIN (client gone), EMFILE, ...: try again on the next poll

    // One request per connection, served inline: scrapes are rare and rendering is fast. The
    // deadline keeps a slow or silent client from holding the server.
    const auto deadline = std::chrono::steady_clock::now() + kConnectionDeadline;
    std::string request;
    bool complete = false;
    while (request.size() <= kMaxRequestBytes && WaitFor(fd, POLLIN, deadline, stopping_)) {
      char buffer[2048];
      ssize_t n = ::recv(fd, buffer, sizeof(buffer), 0);
      if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) continue;
      if (n <= 0) break;
      request.append(buffer, static_cast<size_t>(n));
      if (request.find("\r\n\r\n") != std::string::npos) {
        complete = true;
        break;
      }
    }

    std::string response;
    if (!complete) {
      if (request.size() > kMaxRequestBytes) {
        response = Response("431 Request Header Fields Too Large", "text/plain; charset=utf-8",
                            "request too large\n", false);
      }
    } else {
      std::string_view line(request.data(), request.find("\r\n"));
      auto sp1 = line.find(' ');
      auto sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
      if (sp2 == std::string_view::npos) {
        response = Response("400 Bad Request", "text/plain; charset=utf-8", "bad request\n", false);
      } else {
        std::string_view method = line.substr(0, sp1);
        std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
        target = target.substr(0, target.find('?'));
        bool head = method == "HEAD";
        if (method != "GET" && !head) {
          response = Response("405 Method Not Allowed", "text/plain; charset=utf-8",
                              "method not allowed\n", false, "Allow: GET, HEAD\r\n");
        } else if (target == "/metrics") {
          response = Response("200 OK", "text/plain; version=0.0.4; charset=utf-8",
                              registry_.RenderText(), head);
        } else if (target == "/healthz") {
          response = Response("200 OK", "text/plain; charset=utf-8", "ok", head);
        } else {
          response = Response("404 Not Found", "text/plain; charset=utf-8", "not found\n", head);
        }
      }
    }
    if (!response.empty() && SendAll(fd, response, deadline, stopping_)) {
      // Lingering close: closing with unread input would send RST, which can destroy the
      // response before the client reads it (e.g. after a refused oversized request).
      ::shutdown(fd, SHUT_WR);
      const auto linger_until = std::min(deadline, std::chrono::steady_clock::now() + kLingerLimit);
      char sink[4096];
      while (WaitFor(fd, POLLIN, linger_until, stopping_)) {
        ssize_t n = ::recv(fd, sink, sizeof(sink), 0);
        if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK)) break;
      }
    }
    ::close(fd);
  }
}

}  // namespace accord::common
