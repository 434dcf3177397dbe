// RedisClient against a real Redis: a private server per test (ScopedRedisServer), since several
// tests kill and restart it.
#include "accord/common/redis.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "accord/common/errors.h"
#include "support/black_hole.h"
#include "support/servers.h"

namespace accord::common {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using Type = RedisValue::Type;

RedisOptions OptionsFor(const std::string& url) {
  auto options = ParseRedisUrl(url);
  EXPECT_TRUE(options.ok()) << options.status();
  return options.ok() ? *options : RedisOptions{};
}

class RedisClientTest : public ::testing::Test {
 protected:
  RedisOptions Options() const { return OptionsFor(server_.url()); }
  // A 100 ms command timeout and one connection, so the next command reuses the same connection.
  RedisOptions ShortTimeoutOneConnection() const {
    RedisOptions options = Options();
    options.command_timeout = 100ms;
    options.pool_size = 1;
    return options;
  }

  accord::testing::ScopedRedisServer server_;
};

TEST_F(RedisClientTest, SetGetRoundTrip) {
  RedisClient client(Options());
  auto set = client.Command({"SET", "greeting", "hello"});
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ(set->type, Type::kStatus);
  EXPECT_EQ(set->str, "OK");

  auto get = client.Command({"GET", "greeting"});
  ASSERT_TRUE(get.ok()) << get.status();
  EXPECT_EQ(get->type, Type::kString);
  EXPECT_EQ(get->str, "hello");

  auto missing = client.Command({"GET", "nothing-here"});
  ASSERT_TRUE(missing.ok()) << missing.status();
  EXPECT_TRUE(missing->is_nil());

  auto incr = client.Command({"INCRBY", "counter", "41"});
  ASSERT_TRUE(incr.ok()) << incr.status();
  EXPECT_EQ(incr->type, Type::kInteger);
  EXPECT_EQ(incr->integer, 41);
}

TEST_F(RedisClientTest, PipelineRoundTrip) {
  RedisClient client(Options());
  auto replies = client.Pipeline({{"DEL", "list"},
                                  {"RPUSH", "list", "a", "b", "c"},
                                  {"LRANGE", "list", "0", "-1"},
                                  {"GET", "absent"},
                                  {"PING"}});
  ASSERT_TRUE(replies.ok()) << replies.status();
  ASSERT_EQ(replies->size(), 5u);
  EXPECT_EQ((*replies)[0].type, Type::kInteger);
  EXPECT_EQ((*replies)[1].integer, 3);
  const RedisValue& range = (*replies)[2];
  ASSERT_EQ(range.type, Type::kArray);
  ASSERT_EQ(range.elements.size(), 3u);
  EXPECT_EQ(range.elements[0].str, "a");
  EXPECT_EQ(range.elements[2].str, "c");
  EXPECT_TRUE((*replies)[3].is_nil());
  EXPECT_EQ((*replies)[4].type, Type::kStatus);
  EXPECT_EQ((*replies)[4].str, "PONG");

  auto empty = client.Pipeline({});
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
  // An empty command is refused locally instead of hanging until the timeout.
  EXPECT_EQ(client.Command({}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(client.Pipeline({{"PING"}, {}}).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(RedisClientTest, ValuesAndKeysAreBinarySafe) {
  RedisClient client(Options());
  const std::string key("bin\0key", 7);
  std::string value("a\0b\r\n$3\r\nc\0", 11);
  for (int i = 0; i < 256; ++i) value.push_back(static_cast<char>(i));

  ASSERT_TRUE(client.Command({"SET", key, value}).ok());
  auto get = client.Command({"GET", key});
  ASSERT_TRUE(get.ok()) << get.status();
  ASSERT_EQ(get->type, Type::kString);
  EXPECT_EQ(get->str.size(), value.size());
  EXPECT_EQ(get->str, value);

  // The NUL really is part of the key: the prefix before it is another (absent) key.
  auto prefix = client.Command({"EXISTS", "bin"});
  ASSERT_TRUE(prefix.ok());
  EXPECT_EQ(prefix->integer, 0);
}

TEST_F(RedisClientTest, ErrorReplyIsAValueNotAFailure) {
  RedisClient client(Options());
  ASSERT_TRUE(client.Command({"SET", "scalar", "x"}).ok());
  // More error replies than the breaker threshold: none of them may count as a failure.
  for (int i = 0; i < 5; ++i) {
    auto wrong = client.Command({"LPUSH", "scalar", "y"});
    ASSERT_TRUE(wrong.ok()) << wrong.status();
    EXPECT_EQ(wrong->type, Type::kError);
    EXPECT_EQ(wrong->str.rfind("WRONGTYPE", 0), 0u) << wrong->str;
  }
  EXPECT_EQ(client.breaker_state(), CircuitBreaker::State::kClosed);

  auto replies = client.Pipeline({{"INCR", "scalar"}, {"GET", "scalar"}});
  ASSERT_TRUE(replies.ok()) << replies.status();
  EXPECT_EQ((*replies)[0].type, Type::kError);
  EXPECT_EQ((*replies)[1].str, "x");
}

TEST_F(RedisClientTest, BlockingCommandOutlivesCommandTimeoutAndRestoresIt) {
  RedisClient client(ShortTimeoutOneConnection());

  auto start = Clock::now();
  auto popped = client.BlockingCommand({"BLPOP", "empty-list", "0.3"}, 300ms);
  ASSERT_TRUE(popped.ok()) << popped.status();
  EXPECT_TRUE(popped->is_nil());
  EXPECT_GE(Clock::now() - start, 250ms);
  EXPECT_EQ(client.breaker_state(), CircuitBreaker::State::kClosed);

  // The plain command timeout is back: a server-side wait longer than it fails as UNAVAILABLE.
  start = Clock::now();
  auto timed_out = client.Command({"BLPOP", "empty-list", "2"});
  ASSERT_FALSE(timed_out.ok());
  EXPECT_EQ(timed_out.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_LT(Clock::now() - start, 1500ms);

  // The timed-out connection was dropped; a fresh one works.
  auto ping = client.Command({"PING"});
  ASSERT_TRUE(ping.ok()) << ping.status();
  EXPECT_EQ(ping->str, "PONG");
}

TEST_F(RedisClientTest, BlockingPipelineRunsTheNextCommandAfterTheWaitAndRestoresTheTimeout) {
  RedisClient client(ShortTimeoutOneConnection());

  auto start = Clock::now();
  auto replies =
      client.Pipeline({{"BLPOP", "empty-list", "0.3"}, {"RPUSH", "after-wait", "x"}}, 300ms);
  ASSERT_TRUE(replies.ok()) << replies.status();
  ASSERT_EQ(replies->size(), 2u);
  EXPECT_TRUE((*replies)[0].is_nil());
  EXPECT_EQ((*replies)[1].integer, 1);
  EXPECT_GE(Clock::now() - start, 250ms);

  // The plain command timeout is back on the reused connection.
  start = Clock::now();
  auto timed_out = client.Pipeline({{"BLPOP", "empty-list", "2"}});
  ASSERT_FALSE(timed_out.ok());
  EXPECT_EQ(timed_out.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_LT(Clock::now() - start, 1500ms);
}

TEST_F(RedisClientTest, PoolExhaustionIsUnavailableButNotARedisFailure) {
  RedisOptions options = Options();
  options.command_timeout = 100ms;
  options.pool_size = 1;
  options.breaker_failure_threshold = 1;
  RedisClient client(options);
  ASSERT_TRUE(client.Command({"PING"}).ok());

  std::atomic<bool> started{false};
  std::thread blocker([&] {
    started = true;
    auto reply = client.BlockingCommand({"BLPOP", "never", "0.6"}, 600ms);
    EXPECT_TRUE(reply.ok()) << reply.status();
  });
  while (!started) std::this_thread::yield();
  std::this_thread::sleep_for(100ms);  // let the blocker take the only connection

  auto result = client.Command({"PING"});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(ReasonOf(result.status()), "REDIS_POOL_EXHAUSTED");
  EXPECT_EQ(client.breaker_state(), CircuitBreaker::State::kClosed);
  blocker.join();
  EXPECT_TRUE(client.Command({"PING"}).ok());
}

TEST_F(RedisClientTest, ConcurrentCallersShareThePool) {
  RedisOptions options = Options();
  options.pool_size = 2;
  options.command_timeout = 2000ms;  // waiting for a free connection is part of the test
  RedisClient client(options);
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 100; ++i) {
        auto reply = client.Command({"INCR", "shared"});
        if (!reply.ok() || reply->type != Type::kInteger) ++failures;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  auto total = client.Command({"GET", "shared"});
  ASSERT_TRUE(total.ok());
  EXPECT_EQ(total->str, "600");
}

TEST_F(RedisClientTest, StaleIdleConnectionIsReplacedAfterRestart) {
  RedisClient client(Options());
  ASSERT_TRUE(client.Command({"SET", "k", "v"}).ok());
  server_.Kill();
  server_.Start();
  // The pooled connection died with the old server; the first call must not pay for that.
  auto get = client.Command({"GET", "k"});
  ASSERT_TRUE(get.ok()) << get.status();
  EXPECT_TRUE(get->is_nil());  // a killed non-persistent Redis lost its data
}

TEST_F(RedisClientTest, ReconnectsAfterRedisComesBack) {
  RedisOptions options = Options();
  options.breaker_failure_threshold = 100;  // this test is about reconnecting, not the breaker
  RedisClient client(options);
  ASSERT_TRUE(client.Command({"PING"}).ok());

  server_.Kill();
  for (int i = 0; i < 3; ++i) {
    auto down = client.Command({"PING"});
    ASSERT_FALSE(down.ok());
    EXPECT_EQ(down.status().code(), absl::StatusCode::kUnavailable);
    EXPECT_EQ(ReasonOf(down.status()), "REDIS_UNAVAILABLE");
  }
  auto pipeline_down = client.Pipeline({{"PING"}});
  EXPECT_FALSE(pipeline_down.ok());

  server_.Start();
  auto up = client.Command({"SET", "after", "restart"});
  ASSERT_TRUE(up.ok()) << up.status();
  auto pipeline_up = client.Pipeline({{"GET", "after"}});
  ASSERT_TRUE(pipeline_up.ok()) << pipeline_up.status();
  EXPECT_EQ((*pipeline_up)[0].str, "restart");
}

// Runs `calls` PINGs and returns how long they took and how many the breaker refused.
struct Burst {
  Clock::duration elapsed;
  int circuit_open = 0;
  int ok = 0;
};
Burst RunBurst(RedisClient& client, int calls) {
  Burst burst;
  auto start = Clock::now();
  for (int i = 0; i < calls; ++i) {
    auto reply = client.Command({"PING"});
    if (reply.ok()) {
      ++burst.ok;
    } else if (ReasonOf(reply.status()) == "REDIS_CIRCUIT_OPEN") {
      ++burst.circuit_open;
    }
  }
  burst.elapsed = Clock::now() - start;
  return burst;
}

TEST_F(RedisClientTest, BreakerFailsFastWhileRedisIsDownAndRecovers) {
  RedisOptions options = Options();
  options.connect_timeout = 200ms;
  options.command_timeout = 200ms;
  options.breaker_failure_threshold = 3;
  options.breaker_open_duration = 2000ms;
  RedisClient client(options);
  ASSERT_TRUE(client.Command({"PING"}).ok());

  server_.Kill();
  for (int i = 0; i < options.breaker_failure_threshold; ++i) {
    EXPECT_FALSE(client.Command({"PING"}).ok());
  }
  ASSERT_EQ(client.breaker_state(), CircuitBreaker::State::kOpen);
  const auto opened_at = Clock::now();

  Burst burst = RunBurst(client, 1000);
  EXPECT_EQ(burst.ok, 0);
  // Each refused call is answered without touching the network. (A scheduling stall longer
  // than open_duration would let one probe through, hence the small slack.)
  EXPECT_GE(burst.circuit_open, 998);
  EXPECT_LT(burst.elapsed, 1000 * options.command_timeout / 20)
      << "1000 calls took "
      << std::chrono::duration_cast<std::chrono::milliseconds>(burst.elapsed).count() << " ms";

  server_.Start();
  // Still open until open_duration has passed, even though Redis is back.
  if (Clock::now() < opened_at + options.breaker_open_duration - 200ms) {
    auto early = client.Command({"PING"});
    ASSERT_FALSE(early.ok());
    EXPECT_EQ(ReasonOf(early.status()), "REDIS_CIRCUIT_OPEN");
  }
  std::this_thread::sleep_until(opened_at + options.breaker_open_duration + 50ms);
  auto probe = client.Command({"SET", "back", "1"});
  ASSERT_TRUE(probe.ok()) << probe.status();
  EXPECT_EQ(client.breaker_state(), CircuitBreaker::State::kClosed);
  EXPECT_TRUE(client.Command({"GET", "back"}).ok());
}

// A TCP listener that never accepts: connects complete (the kernel queues them) but no reply
// ever comes, so every call costs the full command timeout -- the case the breaker is for.
TEST(RedisClientBlackHoleTest, BreakerSavesTheTimeoutOfAHungRedis) {
  testing::BlackHole hole;
  ASSERT_TRUE(hole.listening());
  RedisOptions options = OptionsFor("redis://127.0.0.1:" + std::to_string(hole.port()));
  options.command_timeout = 100ms;
  options.breaker_failure_threshold = 3;
  options.breaker_open_duration = 5000ms;
  RedisClient client(options);

  auto start = Clock::now();
  for (int i = 0; i < options.breaker_failure_threshold; ++i) {
    auto reply = client.Command({"PING"});
    ASSERT_FALSE(reply.ok());
    EXPECT_EQ(ReasonOf(reply.status()), "REDIS_UNAVAILABLE");
  }
  // The failures really did wait for the timeout...
  EXPECT_GE(Clock::now() - start, options.breaker_failure_threshold * options.command_timeout);
  ASSERT_EQ(client.breaker_state(), CircuitBreaker::State::kOpen);

  // ...and once open, 1000 calls cost a small fraction of one timeout each.
  Burst burst = RunBurst(client, 1000);
  EXPECT_EQ(burst.circuit_open, 1000);
  EXPECT_LT(burst.elapsed, 1000 * options.command_timeout / 20);
}

}  // namespace
}  // namespace accord::common
