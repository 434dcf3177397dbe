// A Redis client over hiredis: a small pool of blocking connections with connect and command
// timeouts, reconnect on the next call after a failure, and a circuit breaker, so that a dead
// Redis costs microseconds per call (the breaker answers UNAVAILABLE at once), not a timeout.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

struct redisContext;

namespace accord::common {

// Closed -> (failure_threshold consecutive failures) -> Open for open_duration -> HalfOpen: one
// probe call is let through; its success closes the breaker, its failure opens it again.
class CircuitBreaker {
 public:
  enum class State { kClosed, kOpen, kHalfOpen };
  using Clock = std::chrono::steady_clock;

  CircuitBreaker(int failure_threshold, std::chrono::milliseconds open_duration);
  // False while open: the caller must fail fast without touching the network.
  bool Allow(Clock::time_point now = Clock::now());
  void RecordSuccess();
  void RecordFailure(Clock::time_point now = Clock::now());
  State state() const;

 private:
  const int failure_threshold_;
  const std::chrono::milliseconds open_duration_;
  mutable std::mutex mutex_;
  State state_ = State::kClosed;
  int consecutive_failures_ = 0;
  Clock::time_point open_until_{};
  bool probe_in_flight_ = false;
};

struct RedisOptions {
  std::string host = "127.0.0.1";
  int port = 6379;
  std::chrono::milliseconds connect_timeout{200};
  std::chrono::milliseconds command_timeout{200};
  int pool_size = 4;
  int breaker_failure_threshold = 3;
  std::chrono::milliseconds breaker_open_duration{1000};
};

// "redis://host:port", "redis://host" (defaults.port) or "host:port"; INVALID_ARGUMENT otherwise.
absl::StatusOr<RedisOptions> ParseRedisUrl(std::string_view url, RedisOptions defaults = {});

// A Redis reply converted to plain values (so no hiredis type leaks out).
struct RedisValue {
  enum class Type { kNil, kString, kInteger, kArray, kStatus, kError };
  Type type = Type::kNil;
  std::string str;  // kString, kStatus, kError
  int64_t integer = 0;
  std::vector<RedisValue> elements;  // kArray
  bool is_nil() const { return type == Type::kNil; }
};

class RedisClient {
 public:
  explicit RedisClient(RedisOptions options);
  ~RedisClient();
  RedisClient(const RedisClient&) = delete;
  RedisClient& operator=(const RedisClient&) = delete;

  // Runs one command. UNAVAILABLE when the breaker is open, Redis cannot be reached or the
  // command timed out; a Redis error reply (e.g. NOGROUP) is returned as a kError value, not
  // as a failed status, because callers act on it.
  absl::StatusOr<RedisValue> Command(const std::vector<std::string>& args);
  // Several commands in one round trip on one connection. `blocking_timeout` (as for
  // BlockingCommand) when one of them blocks, e.g. XREAD BLOCK followed by what must run after it
  // on the same server.
  absl::StatusOr<std::vector<RedisValue>> Pipeline(
      const std::vector<std::vector<std::string>>& commands,
      std::optional<std::chrono::milliseconds> blocking_timeout = std::nullopt);
  // Like Command, but with its own timeout (for blocking reads such as XREAD BLOCK).
  absl::StatusOr<RedisValue> BlockingCommand(const std::vector<std::string>& args,
                                             std::chrono::milliseconds timeout);

  // PING past the circuit breaker, for a background thread that must learn as soon as Redis
  // answers again rather than when the breaker next lets a call through; its success closes the
  // breaker for every caller, its failure keeps it open.
  absl::Status Probe();

  CircuitBreaker::State breaker_state() const { return breaker_.state(); }
  const RedisOptions& options() const { return options_; }

 private:
  struct Connection;
  // Shared by Command and BlockingCommand; `extra_timeout` widens the socket timeout.
  absl::StatusOr<RedisValue> Run(const std::vector<std::string>& args,
                                 std::optional<std::chrono::milliseconds> extra_timeout);
  // Waits at most command_timeout for a free slot (REDIS_POOL_EXHAUSTED, not a Redis failure),
  // reusing an idle connection or opening a new one (REDIS_UNAVAILABLE on failure).
  absl::StatusOr<std::unique_ptr<Connection>> Acquire();
  void Release(std::unique_ptr<Connection> connection);
  absl::StatusOr<std::unique_ptr<Connection>> Connect() const;
  // Around a call that may block (`blocking` set): the socket timeout widened by the server-side
  // wait, then back to command_timeout (a connection that cannot be reset is dropped).
  bool WidenTimeout(Connection& connection,
                    std::optional<std::chrono::milliseconds> blocking) const;
  void RestoreTimeout(Connection& connection,
                      std::optional<std::chrono::milliseconds> blocking) const;

  RedisOptions options_;
  CircuitBreaker breaker_;
  std::mutex mutex_;
  std::condition_variable available_;
  std::vector<std::unique_ptr<Connection>> idle_;
  int outstanding_ = 0;
};

}  // namespace accord::common
