// VersionedCache level 2 against a real Redis shared by two "replicas" (two cache instances with
// their own level 1), including the cache-aside race and a dead Redis.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>

#include "accord/common/cache.h"
#include "support/servers.h"

namespace accord::common {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// "prefix" + number, appended (GCC 12 warns falsely on `"literal" + std::to_string(n)`).
std::string Numbered(std::string prefix, long long number) {
  prefix += std::to_string(number);
  return prefix;
}

class CacheRedisTest : public ::testing::Test {
 protected:
  CacheRedisTest() : redis_(Options()) {}

  RedisOptions Options() const {
    auto options = ParseRedisUrl(server_.url());
    EXPECT_TRUE(options.ok()) << options.status();
    return options.ok() ? *options : RedisOptions{};
  }

  static VersionedCache::Options CacheOptions() {
    VersionedCache::Options options;
    options.name = "account";
    options.local_capacity = 1000;
    options.redis_ttl = std::chrono::seconds(30);
    return options;
  }

  // How often `command` ran since the last CONFIG RESETSTAT (INFO commandstats); -1 on error.
  long long Calls(const std::string& command) {
    auto info = redis_.Command({"INFO", "commandstats"});
    if (!info.ok() || info->type != RedisValue::Type::kString) return -1;
    const std::string field = "cmdstat_" + command + ":calls=";
    const size_t at = info->str.find(field);
    if (at == std::string::npos) return 0;
    return std::stoll(info->str.substr(at + field.size()));
  }

  accord::testing::ScopedRedisServer server_;
  RedisClient redis_;
};

TEST_F(CacheRedisTest, AReplicaReadsWhatAnotherOneStored) {
  VersionedCache a(CacheOptions(), &redis_, nullptr);
  VersionedCache b(CacheOptions(), &redis_, nullptr);
  a.Put("accounts/1", {4, "v4"});
  auto got = b.Get("accounts/1");
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->version, 4);
  EXPECT_EQ(got->bytes, "v4");
  // The level 2 hit filled b's level 1.
  EXPECT_TRUE(b.GetLocal("accounts/1").has_value());

  auto ttl = redis_.Command({"TTL", "accord:cache:account:accounts/1"});
  ASSERT_TRUE(ttl.ok()) << ttl.status();
  EXPECT_GT(ttl->integer, 0);
  EXPECT_LE(ttl->integer, 30);
}

TEST_F(CacheRedisTest, ASlowReaderOnAnotherReplicaCannotOverwriteANewerVersion) {
  VersionedCache a(CacheOptions(), &redis_, nullptr);
  VersionedCache b(CacheOptions(), &redis_, nullptr);
  // Replica A read and stored v2; replica B's reader had read v1 earlier and stores it now.
  a.Put("accounts/2", {2, "v2"});
  b.Put("accounts/2", {1, "v1"});  // b's level 1 accepts it (it knew nothing), Redis refuses

  VersionedCache c(CacheOptions(), &redis_, nullptr);  // a third replica, cold
  auto got = c.Get("accounts/2");
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->version, 2);
  EXPECT_EQ(got->bytes, "v2");

  // After B's level 1 entry is gone (restart, eviction), B reads v2 from Redis too.
  VersionedCache b_restarted(CacheOptions(), &redis_, nullptr);
  got = b_restarted.Get("accounts/2");
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->version, 2);
}

TEST_F(CacheRedisTest, AnInvalidationOnOneReplicaRefusesStaleWritesOnAll) {
  VersionedCache a(CacheOptions(), &redis_, nullptr);
  VersionedCache b(CacheOptions(), &redis_, nullptr);
  a.Put("accounts/3", {2, "v2"});
  a.Invalidate("accounts/3", 3);  // the event for v3, seen by A's tail
  b.Put("accounts/3", {2, "v2 late"});

  VersionedCache cold(CacheOptions(), &redis_, nullptr);
  EXPECT_FALSE(cold.Get("accounts/3").has_value());
  // The tombstone travelled to the cold replica's level 1 as well.
  cold.Put("accounts/3", {2, "v2 later"});
  EXPECT_FALSE(cold.GetLocal("accounts/3").has_value());

  b.Put("accounts/3", {3, "v3"});
  auto got = cold.Get("accounts/3");
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->bytes, "v3");
  // A newer tombstone replaces a value, a same-version one does not.
  a.Invalidate("accounts/3", 3);
  EXPECT_TRUE(VersionedCache(CacheOptions(), &redis_, nullptr).Get("accounts/3").has_value());
  a.Invalidate("accounts/3", 4);
  EXPECT_FALSE(VersionedCache(CacheOptions(), &redis_, nullptr).Get("accounts/3").has_value());
}

TEST_F(CacheRedisTest, AFlushedScriptCacheFallsBackToEvalOnceThenUsesEvalshaAgain) {
  VersionedCache a(CacheOptions(), &redis_, nullptr);
  VersionedCache b(CacheOptions(), &redis_, nullptr);
  a.Put("accounts/6", {1, "v1"});
  // What a Redis restart or failover does to the script cache.
  auto flushed = redis_.Command({"SCRIPT", "FLUSH"});
  ASSERT_TRUE(flushed.ok()) << flushed.status();
  ASSERT_NE(flushed->type, RedisValue::Type::kError) << flushed->str;
  auto reset = redis_.Command({"CONFIG", "RESETSTAT"});
  ASSERT_TRUE(reset.ok()) << reset.status();

  // EVALSHA answers NOSCRIPT; the same call goes out once more as EVAL and is stored.
  a.Put("accounts/6", {2, "v2"});
  EXPECT_EQ(Calls("evalsha"), 1);
  EXPECT_EQ(Calls("eval"), 1);
  auto raw = redis_.Command({"GET", "accord:cache:account:accounts/6"});
  ASSERT_TRUE(raw.ok()) << raw.status();
  ASSERT_EQ(raw->type, RedisValue::Type::kString);
  EXPECT_EQ(raw->str, std::string("\0\0\0\0\0\0\0\x02V", 9) + "v2");
  auto got = VersionedCache(CacheOptions(), &redis_, nullptr).Get("accounts/6");
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->version, 2);
  EXPECT_EQ(got->bytes, "v2");

  // EVAL cached the script again: the next writes are EVALSHA alone and still compare-and-set.
  b.Put("accounts/6", {1, "v1 late"});
  EXPECT_EQ(Calls("evalsha"), 2);
  EXPECT_EQ(Calls("eval"), 1);
  got = VersionedCache(CacheOptions(), &redis_, nullptr).Get("accounts/6");
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->version, 2);
  EXPECT_EQ(got->bytes, "v2");

  // A tombstone goes through the same path.
  b.Invalidate("accounts/6", 3);
  EXPECT_EQ(Calls("evalsha"), 3);
  EXPECT_EQ(Calls("eval"), 1);
  EXPECT_FALSE(VersionedCache(CacheOptions(), &redis_, nullptr).Get("accounts/6").has_value());
}

TEST_F(CacheRedisTest, GetManyAnswersEachKeyFromTheLevelThatHoldsItInOneRedisCall) {
  VersionedCache writer(CacheOptions(), &redis_, nullptr);
  writer.Put("accounts/m1", {1, "m1"});  // Redis only (for the reader below)
  writer.Invalidate("accounts/m3", 5);   // a tombstone in Redis
  VersionedCache reader(CacheOptions(), &redis_, nullptr);
  reader.PutLocalOnly("accounts/m2", {2, "m2"});  // level 1 only
  auto reset = redis_.Command({"CONFIG", "RESETSTAT"});
  ASSERT_TRUE(reset.ok()) << reset.status();

  const auto got = reader.GetMany({"accounts/m1", "accounts/m2", "accounts/m3", "accounts/m4"});
  ASSERT_EQ(got.size(), 4u);
  ASSERT_TRUE(got[0].has_value());
  EXPECT_EQ(got[0]->version, 1);
  EXPECT_EQ(got[0]->bytes, "m1");
  ASSERT_TRUE(got[1].has_value());
  EXPECT_EQ(got[1]->bytes, "m2");
  EXPECT_FALSE(got[2].has_value());  // tombstone
  EXPECT_FALSE(got[3].has_value());  // never stored
  // The level-1 hit stayed local; the other three went out as one MGET.
  EXPECT_EQ(Calls("mget"), 1);
  EXPECT_EQ(Calls("get"), 0);
  // The Redis hit filled level 1, and the tombstone there refuses an older local write.
  EXPECT_TRUE(reader.GetLocal("accounts/m1").has_value());
  reader.PutLocalOnly("accounts/m3", {4, "stale"});
  EXPECT_FALSE(reader.GetLocal("accounts/m3").has_value());
}

TEST_F(CacheRedisTest, FillManyStoresOnlyWhereRedisHoldsNothingInOneRoundTrip) {
  VersionedCache writer(CacheOptions(), &redis_, nullptr);
  writer.Put("accounts/f2", {9, "f2 v9"});  // a writer's newer version
  writer.Invalidate("accounts/f3", 4);      // a writer's tombstone
  auto reset = redis_.Command({"CONFIG", "RESETSTAT"});
  ASSERT_TRUE(reset.ok()) << reset.status();

  // A reader fills what it read from the source: f2 and f3 were read before those writes.
  VersionedCache reader(CacheOptions(), &redis_, nullptr);
  reader.FillMany({{"accounts/f1", {1, "f1 v1"}},
                   {"accounts/f2", {3, "f2 v3"}},
                   {"accounts/f3", {3, "f3 v3"}}});
  EXPECT_EQ(Calls("set"), 3);  // one pipeline, no script runs
  EXPECT_EQ(Calls("evalsha"), 0);
  EXPECT_TRUE(reader.GetLocal("accounts/f1").has_value());  // level 1 took them

  VersionedCache cold(CacheOptions(), &redis_, nullptr);
  const auto got = cold.GetMany({"accounts/f1", "accounts/f2", "accounts/f3"});
  ASSERT_EQ(got.size(), 3u);
  ASSERT_TRUE(got[0].has_value());
  EXPECT_EQ(got[0]->bytes, "f1 v1");
  ASSERT_TRUE(got[1].has_value());
  EXPECT_EQ(got[1]->version, 9);     // the fill did not replace the newer version
  EXPECT_FALSE(got[2].has_value());  // nor the tombstone

  auto ttl = redis_.Command({"TTL", "accord:cache:account:accounts/f1"});
  ASSERT_TRUE(ttl.ok()) << ttl.status();
  EXPECT_GT(ttl->integer, 0);
  EXPECT_LE(ttl->integer, 30);
}

TEST_F(CacheRedisTest, BackgroundFillsAnswerLevelOneAtOnceAndReachRedisSoonWithoutOverwriting) {
  VersionedCache writer(CacheOptions(), &redis_, nullptr);
  writer.Put("accounts/b2", {9, "b2 v9"});  // a writer's newer version
  VersionedCache reader(CacheOptions(), &redis_, nullptr);
  reader.FillManyInBackground({{"accounts/b1", {1, "b1 v1"}}, {"accounts/b2", {3, "b2 v3"}}});
  EXPECT_TRUE(reader.GetLocal("accounts/b1").has_value());  // level 1 took them at once

  const auto deadline = Clock::now() + 5s;
  std::optional<CachedValue> filled;
  while (Clock::now() < deadline && !filled) {
    VersionedCache cold(CacheOptions(), &redis_, nullptr);
    filled = cold.Get("accounts/b1");
    if (!filled) std::this_thread::sleep_for(10ms);
  }
  ASSERT_TRUE(filled.has_value()) << "the background fill never reached Redis";
  EXPECT_EQ(filled->bytes, "b1 v1");
  VersionedCache cold(CacheOptions(), &redis_, nullptr);
  auto newer = cold.Get("accounts/b2");
  ASSERT_TRUE(newer.has_value());
  EXPECT_EQ(newer->version, 9);  // the late fill did not replace the newer version
}

TEST_F(CacheRedisTest, BackgroundFillsOfABurstShareRoundTrips) {
  VersionedCache reader(CacheOptions(), &redis_, nullptr);
  auto& round_trips = MetricsRegistry::Global().GetCounter("accord_cache_fill_round_trips_total",
                                                           "", {{"cache", "account"}});
  const double round_trips_before = round_trips.value();
  // A burst of small batches half a millisecond apart, as a loader answering read after read
  // makes them. Without the linger each would be a round trip of its own (the thread wakes and
  // writes well within half a millisecond).
  constexpr int kBatches = 20;
  const auto burst_start = Clock::now();
  for (int n = 0; n < kBatches; ++n) {
    std::vector<std::pair<std::string, CachedValue>> batch;
    for (int i = 0; i < 10; ++i) {
      batch.push_back({Numbered(Numbered("accounts/g", n) + "-", i), {1, "g"}});
    }
    reader.FillManyInBackground(batch);
    std::this_thread::sleep_for(500us);
  }
  const auto burst = Clock::now() - burst_start;
  const std::string last = Numbered(Numbered("accounts/g", kBatches - 1) + "-", 9);
  const auto deadline = Clock::now() + 5s;
  std::optional<CachedValue> filled;
  while (Clock::now() < deadline && (!filled || round_trips.value() == round_trips_before)) {
    filled = VersionedCache(CacheOptions(), &redis_, nullptr).Get(last);
    std::this_thread::sleep_for(2ms);
  }
  ASSERT_TRUE(filled.has_value()) << "the burst's fills never reached Redis";
  for (int n = 0; n < kBatches; ++n) {
    EXPECT_TRUE(VersionedCache(CacheOptions(), &redis_, nullptr)
                    .Get(Numbered(Numbered("accounts/g", n) + "-", 0))
                    .has_value())
        << "batch " << n;
  }
  // One round trip per linger the burst lasted, and one more for its tail; a slow machine that
  // stretches the burst allows more.
  const double used = round_trips.value() - round_trips_before;
  const double allowed =
      std::min<double>(kBatches - 1, static_cast<double>(burst / VersionedCache::kFillLinger) + 2);
  EXPECT_GE(used, 1);
  EXPECT_LE(used, allowed) << "the burst lasted "
                           << std::chrono::duration<double, std::milli>(burst).count()
                           << " ms; its batches did not share round trips";
}

TEST_F(CacheRedisTest, BackgroundFillsBeyondTheQueueAreDroppedAndCounted) {
  // Redis holds writes (CLIENT PAUSE) until the test lifts it, so the fill thread waits in its
  // first pipeline while the queue fills up behind it, however long filling the queue takes (a
  // sanitizer build on a busy machine took longer than a fixed 3 s pause); its client waits
  // longer than that.
  RedisOptions patient = Options();
  patient.command_timeout = 120s;
  RedisClient reader_redis(patient);
  VersionedCache reader(CacheOptions(), &reader_redis, nullptr);
  auto& dropped = MetricsRegistry::Global().GetCounter("accord_cache_fills_dropped_total", "",
                                                       {{"cache", "account"}});
  const double dropped_before = dropped.value();
  auto batch_of = [](int n) {
    std::vector<std::pair<std::string, CachedValue>> batch;
    for (int i = 0; i < 1000; ++i)
      batch.push_back({Numbered(Numbered("accounts/q", n) + "-", i), {1, "q"}});
    return batch;
  };
  auto pause = redis_.Command({"CLIENT", "PAUSE", "100000", "WRITE"});
  ASSERT_TRUE(pause.ok()) << pause.status();
  // The fill thread takes what is queued when it wakes (this batch, or more if it wakes late)
  // and then waits for Redis; the queue behind it fills up and later batches are dropped. Batches
  // go in until two were dropped, within a bound that only a queue without a limit reaches.
  reader.FillManyInBackground(batch_of(0));
  const int queued = static_cast<int>(VersionedCache::kMaxQueuedFills / 1000);
  int last = 0;
  while (dropped.value() - dropped_before < 2000 && last < 3 * queued) {
    reader.FillManyInBackground(batch_of(++last));
  }
  EXPECT_GE(dropped.value() - dropped_before, 2000);
  EXPECT_TRUE(reader.GetLocal(Numbered("accounts/q", last) + "-999").has_value())
      << "level 1 takes a fill even when level 2 drops it";
  ASSERT_TRUE(redis_.Command({"CLIENT", "UNPAUSE"}).ok());
}

TEST_F(CacheRedisTest, RacingWritersLeaveTheNewestVersion) {
  constexpr int kThreads = 4;
  constexpr int kVersions = 200;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([this, t] {
      VersionedCache replica(CacheOptions(), &redis_, nullptr);
      // Each replica writes the versions in a different order.
      for (int i = 0; i < kVersions; ++i) {
        int version = (t % 2 == 0) ? i + 1 : kVersions - i;
        replica.Put("accounts/race", {version, Numbered("v", version)});
      }
    });
  }
  for (auto& thread : threads) thread.join();
  auto got = VersionedCache(CacheOptions(), &redis_, nullptr).Get("accounts/race");
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->version, kVersions);
  EXPECT_EQ(got->bytes, Numbered("v", kVersions));
}

TEST_F(CacheRedisTest, ADeadRedisMeansFastMisses) {
  VersionedCache a(CacheOptions(), &redis_, nullptr);
  a.Put("accounts/4", {1, "v1"});
  server_.Kill();

  VersionedCache cold(CacheOptions(), &redis_, nullptr);
  const auto start = Clock::now();
  Clock::duration slowest{};
  for (int i = 0; i < 100; ++i) {
    const auto call = Clock::now();
    EXPECT_FALSE(cold.Get("accounts/4").has_value());
    cold.Put(Numbered("accounts/other", i), {1, "x"});
    slowest = std::max(slowest, Clock::now() - call);
  }
  // No call waits longer than one connect/command timeout; the breaker makes the rest free.
  const auto limit = redis_.options().connect_timeout + redis_.options().command_timeout;
  EXPECT_LT(slowest, limit);
  EXPECT_LT(Clock::now() - start, 2 * limit + 500ms);
  // Level 1 keeps working without Redis, for one key or many.
  EXPECT_TRUE(a.Get("accounts/4").has_value());
  const auto many = a.GetMany({"accounts/4", "accounts/missing"});
  ASSERT_EQ(many.size(), 2u);
  EXPECT_TRUE(many[0].has_value());
  EXPECT_FALSE(many[1].has_value());

  // Once Redis is back (empty), the cache fills again after the breaker's open window.
  server_.Start();
  std::this_thread::sleep_for(redis_.options().breaker_open_duration + 100ms);
  bool stored = false;
  for (int attempt = 0; attempt < 20 && !stored; ++attempt) {
    cold.Put("accounts/5", {1, "v1"});
    stored = VersionedCache(CacheOptions(), &redis_, nullptr).Get("accounts/5").has_value();
    if (!stored) std::this_thread::sleep_for(100ms);
  }
  EXPECT_TRUE(stored);
}

}  // namespace
}  // namespace accord::common
