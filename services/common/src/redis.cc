#include "accord/common/redis.h"

#include <hiredis/hiredis.h>
#include <poll.h>
#include <sys/time.h>

#include <cctype>
#include <charconv>
#include <utility>

#include "accord/common/errors.h"
#include "accord/common/metrics.h"

namespace accord::common {

// ---------------------------------------------------------------------------------------------
// CircuitBreaker

CircuitBreaker::CircuitBreaker(int failure_threshold, std::chrono::milliseconds open_duration)
    : failure_threshold_(failure_threshold < 1 ? 1 : failure_threshold),
      open_duration_(open_duration) {}

bool CircuitBreaker::Allow(Clock::time_point now) {
  std::lock_guard lock(mutex_);
  switch (state_) {
    case State::kClosed:
      return true;
    case State::kOpen:
      if (now < open_until_) return false;
      state_ = State::kHalfOpen;
      break;
    case State::kHalfOpen:
      // A probe whose caller never reported back (e.g. it gave up waiting for a pooled
      // connection) must not wedge the breaker: after open_duration another probe may go.
      if (probe_in_flight_ && now < open_until_) return false;
      break;
  }
  probe_in_flight_ = true;
  open_until_ = now + open_duration_;  // in half-open: the probe's deadline
  return true;
}

void CircuitBreaker::RecordSuccess() {
  std::lock_guard lock(mutex_);
  state_ = State::kClosed;
  consecutive_failures_ = 0;
  probe_in_flight_ = false;
}

void CircuitBreaker::RecordFailure(Clock::time_point now) {
  std::lock_guard lock(mutex_);
  switch (state_) {
    case State::kClosed:
      if (++consecutive_failures_ < failure_threshold_) return;
      break;
    case State::kHalfOpen:
      break;
    case State::kOpen:
      // A straggler allowed before the breaker opened: already open, keep the original window.
      return;
  }
  state_ = State::kOpen;
  open_until_ = now + open_duration_;
  probe_in_flight_ = false;
  consecutive_failures_ = 0;
}

CircuitBreaker::State CircuitBreaker::state() const {
  std::lock_guard lock(mutex_);
  return state_;
}

// ---------------------------------------------------------------------------------------------
// ParseRedisUrl

namespace {

absl::Status BadUrl(std::string_view url, std::string_view why) {
  // Appended piecewise: `"\"" + std::string(...)` trips a GCC 12 -Wrestrict false positive.
  std::string message = "\"";
  message.append(url).append("\": ").append(why);
  return InvalidArgument("redis_url", std::move(message));
}

}  // namespace

absl::StatusOr<RedisOptions> ParseRedisUrl(std::string_view url, RedisOptions defaults) {
  std::string_view rest = url;
  constexpr std::string_view kScheme = "redis://";
  if (rest.substr(0, kScheme.size()) == kScheme) {
    rest.remove_prefix(kScheme.size());
  } else if (rest.find("://") != std::string_view::npos) {
    return BadUrl(url, "only the redis:// scheme is supported");
  }
  // A trailing "/" or "/0" (the default database) is harmless; other databases are not
  // supported because the pool never sends SELECT.
  if (auto slash = rest.find('/'); slash != std::string_view::npos) {
    std::string_view path = rest.substr(slash);
    if (path != "/" && path != "/0") return BadUrl(url, "database selection is not supported");
    rest = rest.substr(0, slash);
  }
  if (rest.find('@') != std::string_view::npos) {
    return BadUrl(url, "credentials are not supported");
  }

  std::string_view host = rest;
  std::string_view port;
  if (!rest.empty() && rest.front() == '[') {  // [v6-address]:port
    auto close = rest.find(']');
    if (close == std::string_view::npos) return BadUrl(url, "unterminated '['");
    host = rest.substr(1, close - 1);
    std::string_view after = rest.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return BadUrl(url, "expected ':' after ']'");
      port = after.substr(1);
      if (port.empty()) return BadUrl(url, "empty port");
    }
  } else if (auto colon = rest.rfind(':'); colon != std::string_view::npos) {
    host = rest.substr(0, colon);
    port = rest.substr(colon + 1);
    if (port.empty()) return BadUrl(url, "empty port");
  }
  if (host.empty()) return BadUrl(url, "empty host");

  RedisOptions options = std::move(defaults);
  options.host = std::string(host);
  if (!port.empty()) {
    int value = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc() || end != port.data() + port.size() || value < 1 || value > 65535) {
      return BadUrl(url, "port must be a number in 1..65535");
    }
    options.port = value;
  }
  return options;
}

// ---------------------------------------------------------------------------------------------
// RedisClient

struct RedisClient::Connection {
  explicit Connection(redisContext* c) : ctx(c) {}
  ~Connection() {
    if (ctx != nullptr) redisFree(ctx);
  }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  bool broken() const { return ctx == nullptr || ctx->err != 0; }

  redisContext* ctx;
};

namespace {

timeval ToTimeval(std::chrono::milliseconds ms) {
  if (ms.count() < 0) ms = std::chrono::milliseconds(0);
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(ms.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((ms.count() % 1000) * 1000);
  return tv;
}

RedisValue Convert(const redisReply* reply) {
  RedisValue value;
  switch (reply->type) {
    case REDIS_REPLY_STRING:
      value.type = RedisValue::Type::kString;
      value.str.assign(reply->str, reply->len);
      break;
    case REDIS_REPLY_STATUS:
      value.type = RedisValue::Type::kStatus;
      value.str.assign(reply->str, reply->len);
      break;
    case REDIS_REPLY_ERROR:
      value.type = RedisValue::Type::kError;
      value.str.assign(reply->str, reply->len);
      break;
    case REDIS_REPLY_INTEGER:
      value.type = RedisValue::Type::kInteger;
      value.integer = reply->integer;
      break;
    case REDIS_REPLY_ARRAY:
      value.type = RedisValue::Type::kArray;
      value.elements.reserve(reply->elements);
      for (size_t i = 0; i < reply->elements; ++i)
        value.elements.push_back(Convert(reply->element[i]));
      break;
    case REDIS_REPLY_NIL:
    default:
      value.type = RedisValue::Type::kNil;
      break;
  }
  return value;
}

// Owns a reply from redisCommandArgv / redisGetReply.
struct ReplyDeleter {
  void operator()(redisReply* reply) const { freeReplyObject(reply); }
};
using ReplyPtr = std::unique_ptr<redisReply, ReplyDeleter>;

// hiredis wants parallel arrays of pointers and lengths; lengths keep binary values intact.
struct ArgvView {
  explicit ArgvView(const std::vector<std::string>& args) {
    argv.reserve(args.size());
    argvlen.reserve(args.size());
    for (const auto& arg : args) {
      argv.push_back(arg.data());
      argvlen.push_back(arg.size());
    }
  }
  int argc() const { return static_cast<int>(argv.size()); }
  std::vector<const char*> argv;
  std::vector<size_t> argvlen;
};

// An idle connection must have nothing to read; readability means the server closed it (e.g.
// Redis restarted), which we find out here without sending anything.
bool LooksAlive(const redisContext* ctx) {
  pollfd pfd{};
  pfd.fd = ctx->fd;
  pfd.events = POLLIN;
  return ::poll(&pfd, 1, 0) == 0;
}

absl::Status CircuitOpen() {
  return Unavailable("REDIS_CIRCUIT_OPEN", "redis circuit breaker is open; failing fast");
}

}  // namespace

RedisClient::RedisClient(RedisOptions options)
    : options_(std::move(options)),
      breaker_(options_.breaker_failure_threshold, options_.breaker_open_duration) {
  if (options_.pool_size < 1) options_.pool_size = 1;
}

RedisClient::~RedisClient() = default;

absl::StatusOr<std::unique_ptr<RedisClient::Connection>> RedisClient::Connect() const {
  redisContext* raw = redisConnectWithTimeout(options_.host.c_str(), options_.port,
                                              ToTimeval(options_.connect_timeout));
  auto connection = std::make_unique<Connection>(raw);
  if (raw == nullptr) {
    return Unavailable("REDIS_UNAVAILABLE", "cannot allocate redis context");
  }
  if (raw->err != 0) {
    return Unavailable("REDIS_UNAVAILABLE", "connect to redis " + options_.host + ":" +
                                                std::to_string(options_.port) + ": " + raw->errstr);
  }
  if (redisSetTimeout(raw, ToTimeval(options_.command_timeout)) != REDIS_OK) {
    return Unavailable("REDIS_UNAVAILABLE", std::string("set redis timeout: ") + raw->errstr);
  }
  redisEnableKeepAlive(raw);
  return connection;
}

absl::StatusOr<std::unique_ptr<RedisClient::Connection>> RedisClient::Acquire() {
  const auto deadline = std::chrono::steady_clock::now() + options_.command_timeout;
  std::unique_lock lock(mutex_);
  for (;;) {
    while (!idle_.empty()) {
      std::unique_ptr<Connection> connection = std::move(idle_.back());
      idle_.pop_back();
      if (LooksAlive(connection->ctx)) {
        ++outstanding_;
        return connection;
      }
      // Dropped: its slot is free again, so a fresh connection may be opened below.
    }
    if (outstanding_ < options_.pool_size) break;
    if (available_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty() &&
        outstanding_ >= options_.pool_size) {
      return Unavailable("REDIS_POOL_EXHAUSTED",
                         "no free redis connection within the command timeout");
    }
  }
  ++outstanding_;
  lock.unlock();  // connecting may take up to connect_timeout; don't hold up Release()
  auto connection = Connect();
  if (!connection.ok()) {
    lock.lock();
    --outstanding_;
    lock.unlock();
    available_.notify_one();
  }
  return connection;
}

void RedisClient::Release(std::unique_ptr<Connection> connection) {
  {
    std::lock_guard lock(mutex_);
    --outstanding_;
    // After an I/O error or timeout the protocol state is unknown: drop the connection.
    if (connection != nullptr && !connection->broken()) idle_.push_back(std::move(connection));
  }
  available_.notify_one();
  // A broken connection (if any) is freed here, outside the lock.
}

namespace {

absl::Status IoError(const redisContext* ctx, std::string_view what) {
  std::string message = "redis " + std::string(what) + " failed: ";
  message += ctx->errstr[0] != '\0' ? ctx->errstr : "unknown error";
  return Unavailable("REDIS_UNAVAILABLE", message);
}

}  // namespace

absl::StatusOr<RedisValue> RedisClient::Command(const std::vector<std::string>& args) {
  return Run(args, std::nullopt);
}

bool RedisClient::WidenTimeout(Connection& connection,
                               std::optional<std::chrono::milliseconds> blocking) const {
  // For a blocking command the server answers (nil) when its own block timeout ends, so the
  // socket only times out if Redis is unresponsive for a whole command_timeout beyond that:
  // a genuine failure, not one caused by the long wait.
  return !blocking.has_value() ||
         redisSetTimeout(connection.ctx, ToTimeval(options_.command_timeout + *blocking)) ==
             REDIS_OK;
}

void RedisClient::RestoreTimeout(Connection& connection,
                                 std::optional<std::chrono::milliseconds> blocking) const {
  if (blocking.has_value() &&
      redisSetTimeout(connection.ctx, ToTimeval(options_.command_timeout)) != REDIS_OK) {
    connection.ctx->err = REDIS_ERR_OTHER;  // would keep the long timeout: drop it instead
  }
}

absl::StatusOr<RedisValue> RedisClient::BlockingCommand(const std::vector<std::string>& args,
                                                        std::chrono::milliseconds timeout) {
  return Run(args, timeout);
}

namespace {

// From sending a command (or a pipeline) to its last reply, on a leased connection.
Histogram& RedisCallLatency(std::string_view kind) {
  return MetricsRegistry::Global().GetHistogram(
      "accord_redis_call_seconds",
      "time from sending a Redis command or pipeline to its reply, by kind (command, pipeline, "
      "blocking)",
      {{"kind", std::string(kind)}});
}

void ObserveSince(Histogram& histogram, std::chrono::steady_clock::time_point start) {
  histogram.Observe(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
}

}  // namespace

absl::StatusOr<RedisValue> RedisClient::Run(
    const std::vector<std::string>& args, std::optional<std::chrono::milliseconds> extra_timeout) {
  // Redis silently ignores an empty multibulk, so it would only ever end in a timeout.
  if (args.empty()) return InvalidArgument("args", "a redis command needs at least a name");
  if (!breaker_.Allow()) return CircuitOpen();
  auto acquired = Acquire();
  if (!acquired.ok()) {
    // Pool exhaustion says nothing about Redis' health; a failed connect does.
    if (ReasonOf(acquired.status()) != "REDIS_POOL_EXHAUSTED") breaker_.RecordFailure();
    return acquired.status();
  }
  std::unique_ptr<Connection> connection = *std::move(acquired);
  auto fail = [&](std::string_view what) {
    absl::Status status = IoError(connection->ctx, what);
    breaker_.RecordFailure();
    Release(std::move(connection));
    return status;
  };
  if (!WidenTimeout(*connection, extra_timeout)) return fail("set timeout");
  static Histogram& command_latency = RedisCallLatency("command");
  static Histogram& blocking_latency = RedisCallLatency("blocking");
  ArgvView argv(args);
  const auto sent = std::chrono::steady_clock::now();
  ReplyPtr reply(static_cast<redisReply*>(
      redisCommandArgv(connection->ctx, argv.argc(), argv.argv.data(), argv.argvlen.data())));
  ObserveSince(extra_timeout ? blocking_latency : command_latency, sent);
  if (reply == nullptr) return fail("command");
  breaker_.RecordSuccess();
  RestoreTimeout(*connection, extra_timeout);
  Release(std::move(connection));
  return Convert(reply.get());
}

absl::Status RedisClient::Probe() {
  auto acquired = Acquire();
  if (!acquired.ok()) {
    if (ReasonOf(acquired.status()) != "REDIS_POOL_EXHAUSTED") breaker_.RecordFailure();
    return acquired.status();
  }
  std::unique_ptr<Connection> connection = *std::move(acquired);
  ReplyPtr reply(static_cast<redisReply*>(redisCommand(connection->ctx, "PING")));
  if (reply == nullptr) {
    absl::Status status = IoError(connection->ctx, "ping");
    breaker_.RecordFailure();
    Release(std::move(connection));
    return status;
  }
  breaker_.RecordSuccess();
  Release(std::move(connection));
  return absl::OkStatus();
}

absl::StatusOr<std::vector<RedisValue>> RedisClient::Pipeline(
    const std::vector<std::vector<std::string>>& commands,
    std::optional<std::chrono::milliseconds> blocking_timeout) {
  if (commands.empty()) return std::vector<RedisValue>{};
  for (const auto& command : commands) {
    if (command.empty())
      return InvalidArgument("commands", "a redis command needs at least a name");
  }
  if (!breaker_.Allow()) return CircuitOpen();
  auto acquired = Acquire();
  if (!acquired.ok()) {
    if (ReasonOf(acquired.status()) != "REDIS_POOL_EXHAUSTED") breaker_.RecordFailure();
    return acquired.status();
  }
  std::unique_ptr<Connection> connection = *std::move(acquired);
  if (!WidenTimeout(*connection, blocking_timeout)) {
    absl::Status status = IoError(connection->ctx, "set timeout");
    breaker_.RecordFailure();
    Release(std::move(connection));
    return status;
  }
  static Histogram& pipeline_latency = RedisCallLatency("pipeline");
  static Histogram& blocking_latency = RedisCallLatency("blocking");
  const auto sent = std::chrono::steady_clock::now();
  for (const auto& command : commands) {
    ArgvView argv(command);
    // Only buffers locally; the first redisGetReply flushes everything in one write.
    if (redisAppendCommandArgv(connection->ctx, argv.argc(), argv.argv.data(),
                               argv.argvlen.data()) != REDIS_OK) {
      absl::Status status = IoError(connection->ctx, "pipeline append");
      breaker_.RecordFailure();
      Release(std::move(connection));
      return status;
    }
  }
  std::vector<RedisValue> values;
  values.reserve(commands.size());
  for (size_t i = 0; i < commands.size(); ++i) {
    void* raw = nullptr;
    if (redisGetReply(connection->ctx, &raw) != REDIS_OK || raw == nullptr) {
      absl::Status status = IoError(connection->ctx, "pipeline");
      if (connection->ctx->err == 0) connection->ctx->err = REDIS_ERR_OTHER;  // never reuse
      breaker_.RecordFailure();
      Release(std::move(connection));
      return status;
    }
    ReplyPtr reply(static_cast<redisReply*>(raw));
    values.push_back(Convert(reply.get()));
  }
  ObserveSince(blocking_timeout ? blocking_latency : pipeline_latency, sent);
  breaker_.RecordSuccess();
  RestoreTimeout(*connection, blocking_timeout);
  Release(std::move(connection));
  return values;
}

}  // namespace accord::common
