// VersionedCache level 1 (and level 2 pointed at a closed port: every call fails fast).
#include "accord/common/cache.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>

namespace accord::common {
namespace {

using namespace std::chrono_literals;

// "prefix" + number, appended (GCC 12 warns falsely on `"literal" + std::to_string(n)`).
std::string Numbered(std::string prefix, long long number) {
  prefix += std::to_string(number);
  return prefix;
}

VersionedCache::Options Small(const std::string& name, size_t capacity = 100,
                              std::chrono::milliseconds ttl = 60s) {
  VersionedCache::Options options;
  options.name = name;
  options.local_capacity = capacity;
  options.local_ttl = ttl;
  return options;
}

CachedValue Value(int64_t version, std::string bytes) { return {version, std::move(bytes)}; }

double Requests(const std::string& cache, const std::string& level, const std::string& result) {
  return MetricsRegistry::Global()
      .GetCounter("accord_cache_requests_total", "",
                  {{"cache", cache}, {"level", level}, {"result", result}})
      .value();
}

// A loopback port that refuses connections: bound, never listened on, closed.
int ClosedPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  socklen_t length = sizeof(address);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  ::close(fd);
  return ntohs(address.sin_port);
}

TEST(VersionedCacheTest, GetReturnsWhatWasPut) {
  VersionedCache cache(Small("unit_basic"), nullptr, nullptr);
  EXPECT_FALSE(cache.Get("a").has_value());
  cache.Put("a", Value(1, "one"));
  auto got = cache.Get("a");
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->version, 1);
  EXPECT_EQ(got->bytes, "one");
  EXPECT_FALSE(cache.Get("b").has_value());
}

TEST(VersionedCacheTest, EvictsLeastRecentlyUsedBeyondCapacity) {
  VersionedCache cache(Small("unit_lru", 3), nullptr, nullptr);
  cache.Put("a", Value(1, "a"));
  cache.Put("b", Value(1, "b"));
  cache.Put("c", Value(1, "c"));
  ASSERT_TRUE(cache.Get("a").has_value());  // a is now the most recently used
  cache.Put("d", Value(1, "d"));            // evicts b
  EXPECT_TRUE(cache.Get("a").has_value());
  EXPECT_FALSE(cache.Get("b").has_value());
  EXPECT_TRUE(cache.Get("c").has_value());
  EXPECT_TRUE(cache.Get("d").has_value());
  cache.Put("e", Value(1, "e"));  // evicts a (c, d, a were touched in that order)
  EXPECT_FALSE(cache.Get("a").has_value());
  EXPECT_TRUE(cache.Get("e").has_value());
}

TEST(VersionedCacheTest, TombstonesTakeCapacityToo) {
  VersionedCache cache(Small("unit_lru_tomb", 2), nullptr, nullptr);
  cache.Put("a", Value(1, "a"));
  cache.Invalidate("x", 5);
  cache.Invalidate("y", 5);  // evicts a
  EXPECT_FALSE(cache.Get("a").has_value());
}

TEST(VersionedCacheTest, EntriesExpireAfterTheLocalTtl) {
  VersionedCache cache(Small("unit_ttl", 100, 50ms), nullptr, nullptr);
  cache.Put("a", Value(1, "one"));
  EXPECT_TRUE(cache.Get("a").has_value());
  std::this_thread::sleep_for(80ms);
  EXPECT_FALSE(cache.Get("a").has_value());
  EXPECT_FALSE(cache.GetLocal("a").has_value());
  // An expired entry may be refreshed with the same version (a new read of the same state) ...
  cache.Put("a", Value(1, "one again"));
  ASSERT_TRUE(cache.Get("a").has_value());
  EXPECT_EQ(cache.Get("a")->bytes, "one again");
  // ... but its version still refuses an older one after expiry.
  std::this_thread::sleep_for(80ms);
  cache.Put("a", Value(0, "zero"));
  EXPECT_FALSE(cache.Get("a").has_value());
}

TEST(VersionedCacheTest, VersionsOnlyMoveForward) {
  VersionedCache cache(Small("unit_monotonic"), nullptr, nullptr);
  cache.Put("a", Value(3, "three"));
  cache.Put("a", Value(2, "two"));
  EXPECT_EQ(cache.Get("a")->version, 3);
  cache.Put("a", Value(3, "three, other bytes"));  // same version: the held copy stays
  EXPECT_EQ(cache.Get("a")->bytes, "three");
  cache.Put("a", Value(4, "four"));
  EXPECT_EQ(cache.Get("a")->version, 4);
  EXPECT_EQ(cache.Get("a")->bytes, "four");
}

TEST(VersionedCacheTest, StaleCacheWriteLosesToANewerVersion) {
  VersionedCache cache(Small("unit_race"), nullptr, nullptr);
  // A slow reader that read v1 finishes after a fast one stored v2.
  cache.Put("acct", Value(2, "v2"));
  cache.Put("acct", Value(1, "v1"));
  ASSERT_TRUE(cache.Get("acct").has_value());
  EXPECT_EQ(cache.Get("acct")->version, 2);
  EXPECT_EQ(cache.Get("acct")->bytes, "v2");

  // The event for v3 invalidates; a read of v2 that finishes afterwards is refused ...
  cache.Invalidate("acct", 3);
  EXPECT_FALSE(cache.Get("acct").has_value());
  cache.Put("acct", Value(2, "v2 late"));
  EXPECT_FALSE(cache.Get("acct").has_value());
  // ... while v3 itself is the current version and is accepted.
  cache.Put("acct", Value(3, "v3"));
  ASSERT_TRUE(cache.Get("acct").has_value());
  EXPECT_EQ(cache.Get("acct")->bytes, "v3");
}

TEST(VersionedCacheTest, InvalidateWithoutAnEntryStillRefusesOlderWrites) {
  VersionedCache cache(Small("unit_tomb_only"), nullptr, nullptr);
  cache.Invalidate("k", 7);
  cache.Put("k", Value(6, "six"));
  EXPECT_FALSE(cache.Get("k").has_value());
  cache.Put("k", Value(8, "eight"));
  EXPECT_EQ(cache.Get("k")->version, 8);
}

TEST(VersionedCacheTest, AnOutdatedInvalidationKeepsTheNewerValue) {
  VersionedCache cache(Small("unit_old_event"), nullptr, nullptr);
  cache.Put("k", Value(5, "five"));
  cache.Invalidate("k", 4);  // a late event about an older version
  cache.Invalidate("k", 5);  // the event of the version we hold
  ASSERT_TRUE(cache.Get("k").has_value());
  EXPECT_EQ(cache.Get("k")->version, 5);
  cache.Invalidate("k", 6);
  EXPECT_FALSE(cache.Get("k").has_value());
  cache.Invalidate("k", 5);  // an older tombstone does not lower the floor
  cache.Put("k", Value(5, "five"));
  EXPECT_FALSE(cache.Get("k").has_value());
}

TEST(VersionedCacheTest, GetLocalServesOnlyWhileTheSourceIsFresh) {
  std::atomic<bool> fresh{true};
  VersionedCache cache(Small("unit_fresh"), nullptr, [&] { return fresh.load(); });
  cache.Put("a", Value(1, "one"));
  const double hits = Requests("unit_fresh", "local", "hit");
  const double misses = Requests("unit_fresh", "local", "miss");
  EXPECT_TRUE(cache.GetLocal("a").has_value());
  fresh = false;
  EXPECT_FALSE(cache.GetLocal("a").has_value());
  EXPECT_FALSE(cache.Get("a").has_value());  // no Redis: nothing else to ask
  fresh = true;
  EXPECT_TRUE(cache.GetLocal("a").has_value());
  EXPECT_EQ(Requests("unit_fresh", "local", "hit"), hits + 2);
  EXPECT_EQ(Requests("unit_fresh", "local", "miss"), misses + 2);
}

TEST(VersionedCacheTest, ZeroCapacityDisablesTheLocalLevel) {
  VersionedCache cache(Small("unit_zero", 0), nullptr, nullptr);
  cache.Put("a", Value(1, "one"));
  EXPECT_FALSE(cache.Get("a").has_value());
}

TEST(VersionedCacheTest, UnreachableRedisIsAFastMiss) {
  RedisOptions options;
  options.port = ClosedPort();
  RedisClient redis(options);
  VersionedCache cache(Small("unit_redis_down"), &redis, nullptr);
  const double redis_misses = Requests("unit_redis_down", "redis", "miss");
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 50; ++i) {
    cache.Put(Numbered("k", i), Value(1, "x"));
    EXPECT_FALSE(cache.Get(Numbered("absent", i)).has_value());
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
  EXPECT_EQ(Requests("unit_redis_down", "redis", "miss"), redis_misses + 50);
  // Level 1 still works.
  ASSERT_TRUE(cache.Get("k7").has_value());
  EXPECT_EQ(cache.Get("k7")->bytes, "x");
}

// A decoder that counts its calls and decodes bytes into a string of their own.
struct CountingDecoder {
  int calls = 0;
  VersionedCache::Decoder decoder() {
    return [this](const std::string& bytes) -> std::shared_ptr<const void> {
      ++calls;
      if (bytes == "corrupt") return nullptr;
      return std::make_shared<const std::string>("decoded:" + bytes);
    };
  }
};

std::string AsText(const std::shared_ptr<const void>& decoded) {
  return decoded ? *static_cast<const std::string*>(decoded.get()) : "<miss>";
}

TEST(VersionedCacheTest, GetLocalDecodedDecodesEachVersionOnce) {
  VersionedCache cache(Small("unit_decoded"), nullptr, nullptr);
  CountingDecoder counting;
  const auto decode = counting.decoder();
  EXPECT_EQ(AsText(cache.GetLocalDecoded("k", decode)), "<miss>");
  EXPECT_EQ(counting.calls, 0);

  cache.Put("k", Value(1, "v1"));
  EXPECT_EQ(AsText(cache.GetLocalDecoded("k", decode)), "decoded:v1");
  EXPECT_EQ(AsText(cache.GetLocalDecoded("k", decode)), "decoded:v1");
  EXPECT_EQ(counting.calls, 1);

  // A newer version replaces the bytes, so the next read decodes again.
  cache.Put("k", Value(2, "v2"));
  EXPECT_EQ(AsText(cache.GetLocalDecoded("k", decode)), "decoded:v2");
  EXPECT_EQ(counting.calls, 2);
  EXPECT_EQ(Requests("unit_decoded", "local", "hit"), 3);
  EXPECT_EQ(Requests("unit_decoded", "local", "miss"), 1);
}

TEST(VersionedCacheTest, GetLocalDecodedMissesOnTombstonesStaleFeedsAndUndecodableBytes) {
  std::atomic<bool> fresh{true};
  VersionedCache cache(Small("unit_decoded_miss"), nullptr, [&] { return fresh.load(); });
  CountingDecoder counting;
  const auto decode = counting.decoder();
  cache.Put("k", Value(1, "v1"));
  cache.InvalidateLocal("k", 2);
  EXPECT_EQ(AsText(cache.GetLocalDecoded("k", decode)), "<miss>");

  cache.Put("j", Value(1, "v1"));
  fresh = false;  // no invalidations arriving: level 1 must not answer
  EXPECT_EQ(AsText(cache.GetLocalDecoded("j", decode)), "<miss>");
  fresh = true;
  EXPECT_EQ(AsText(cache.GetLocalDecoded("j", decode)), "decoded:v1");

  cache.Put("c", Value(1, "corrupt"));
  EXPECT_EQ(AsText(cache.GetLocalDecoded("c", decode, /*count_miss=*/false)), "<miss>");
  EXPECT_EQ(Requests("unit_decoded_miss", "local", "miss"), 2);
  EXPECT_EQ(Requests("unit_decoded_miss", "local", "hit"), 1);
}

}  // namespace
}  // namespace accord::common
