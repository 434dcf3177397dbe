// CircuitBreaker state machine, driven with explicit time points; plus ParseRedisUrl, the other
// part of redis.h that needs no server.
#include <gtest/gtest.h>

#include <chrono>

#include "accord/common/errors.h"
#include "accord/common/redis.h"

namespace accord::common {
namespace {

using namespace std::chrono_literals;
using State = CircuitBreaker::State;

constexpr auto kOpenFor = 1000ms;

class CircuitBreakerTest : public ::testing::Test {
 protected:
  // Trips the breaker at t0 (threshold 3).
  void Trip() {
    for (int i = 0; i < 3; ++i) {
      ASSERT_TRUE(breaker_.Allow(t0_));
      breaker_.RecordFailure(t0_);
    }
    ASSERT_EQ(breaker_.state(), State::kOpen);
  }

  CircuitBreaker breaker_{3, kOpenFor};
  const CircuitBreaker::Clock::time_point t0_ = CircuitBreaker::Clock::now();
};

TEST_F(CircuitBreakerTest, StartsClosedAndAllows) {
  EXPECT_EQ(breaker_.state(), State::kClosed);
  EXPECT_TRUE(breaker_.Allow(t0_));
}

TEST_F(CircuitBreakerTest, OpensAfterThresholdConsecutiveFailures) {
  breaker_.RecordFailure(t0_);
  breaker_.RecordFailure(t0_);
  EXPECT_EQ(breaker_.state(), State::kClosed);
  EXPECT_TRUE(breaker_.Allow(t0_));
  breaker_.RecordFailure(t0_);
  EXPECT_EQ(breaker_.state(), State::kOpen);
}

TEST_F(CircuitBreakerTest, SuccessResetsTheFailureCount) {
  breaker_.RecordFailure(t0_);
  breaker_.RecordFailure(t0_);
  breaker_.RecordSuccess();
  breaker_.RecordFailure(t0_);
  breaker_.RecordFailure(t0_);
  EXPECT_EQ(breaker_.state(), State::kClosed);
}

TEST_F(CircuitBreakerTest, OpenRejectsUntilOpenDurationPasses) {
  Trip();
  EXPECT_FALSE(breaker_.Allow(t0_));
  EXPECT_FALSE(breaker_.Allow(t0_ + kOpenFor / 2));
  EXPECT_FALSE(breaker_.Allow(t0_ + kOpenFor - 1ms));
  EXPECT_EQ(breaker_.state(), State::kOpen);
}

TEST_F(CircuitBreakerTest, HalfOpenAllowsExactlyOneProbe) {
  Trip();
  const auto t1 = t0_ + kOpenFor;
  EXPECT_TRUE(breaker_.Allow(t1));
  EXPECT_EQ(breaker_.state(), State::kHalfOpen);
  for (int i = 0; i < 10; ++i) EXPECT_FALSE(breaker_.Allow(t1 + std::chrono::milliseconds(i)));
}

TEST_F(CircuitBreakerTest, ProbeSuccessCloses) {
  Trip();
  ASSERT_TRUE(breaker_.Allow(t0_ + kOpenFor));
  breaker_.RecordSuccess();
  EXPECT_EQ(breaker_.state(), State::kClosed);
  EXPECT_TRUE(breaker_.Allow(t0_ + kOpenFor));
  EXPECT_TRUE(breaker_.Allow(t0_ + kOpenFor));
  // Closed again with a fresh count: it takes the full threshold to reopen.
  breaker_.RecordFailure(t0_ + kOpenFor);
  EXPECT_EQ(breaker_.state(), State::kClosed);
}

TEST_F(CircuitBreakerTest, ProbeFailureReopensForAnotherFullPeriod) {
  Trip();
  const auto t1 = t0_ + kOpenFor + 10ms;
  ASSERT_TRUE(breaker_.Allow(t1));
  breaker_.RecordFailure(t1);
  EXPECT_EQ(breaker_.state(), State::kOpen);
  EXPECT_FALSE(breaker_.Allow(t1));
  EXPECT_FALSE(breaker_.Allow(t1 + kOpenFor - 1ms));
  EXPECT_TRUE(breaker_.Allow(t1 + kOpenFor));
  EXPECT_EQ(breaker_.state(), State::kHalfOpen);
}

TEST_F(CircuitBreakerTest, ProbeThatNeverReportsIsReplacedAfterOpenDuration) {
  Trip();
  const auto t1 = t0_ + kOpenFor;
  ASSERT_TRUE(breaker_.Allow(t1));
  EXPECT_FALSE(breaker_.Allow(t1 + kOpenFor - 1ms));
  EXPECT_TRUE(breaker_.Allow(t1 + kOpenFor));
  EXPECT_FALSE(breaker_.Allow(t1 + kOpenFor));
}

TEST_F(CircuitBreakerTest, StragglerFailureWhileOpenDoesNotExtendTheWindow) {
  Trip();
  breaker_.RecordFailure(t0_ + kOpenFor / 2);
  EXPECT_TRUE(breaker_.Allow(t0_ + kOpenFor));
}

TEST(ParseRedisUrlTest, AcceptsUrlAndHostPortForms) {
  auto full = ParseRedisUrl("redis://cache.internal:6380");
  ASSERT_TRUE(full.ok()) << full.status();
  EXPECT_EQ(full->host, "cache.internal");
  EXPECT_EQ(full->port, 6380);

  auto no_port = ParseRedisUrl("redis://cache.internal");
  ASSERT_TRUE(no_port.ok()) << no_port.status();
  EXPECT_EQ(no_port->host, "cache.internal");
  EXPECT_EQ(no_port->port, 6379);

  auto bare = ParseRedisUrl("127.0.0.1:7000");
  ASSERT_TRUE(bare.ok()) << bare.status();
  EXPECT_EQ(bare->host, "127.0.0.1");
  EXPECT_EQ(bare->port, 7000);

  auto v6 = ParseRedisUrl("redis://[::1]:7001/0");
  ASSERT_TRUE(v6.ok()) << v6.status();
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 7001);
}

TEST(ParseRedisUrlTest, KeepsOtherDefaults) {
  RedisOptions defaults;
  defaults.pool_size = 9;
  defaults.command_timeout = 1234ms;
  auto parsed = ParseRedisUrl("redis://h:1", defaults);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->pool_size, 9);
  EXPECT_EQ(parsed->command_timeout, 1234ms);
}

TEST(ParseRedisUrlTest, RejectsBadInput) {
  for (const char* url : {"redis://host:", "redis://host:abc", "redis://host:0",
                          "redis://host:65536", "redis://host:12x", "host:-1", "redis://:6379", "",
                          "http://host:6379", "redis://host:6379/3"}) {
    auto parsed = ParseRedisUrl(url);
    ASSERT_FALSE(parsed.ok()) << url;
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument) << url;
  }
}

}  // namespace
}  // namespace accord::common
