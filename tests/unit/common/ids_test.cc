#include "accord/common/ids.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace accord::common {
namespace {

int HexValue(char c) { return c <= '9' ? c - '0' : c - 'a' + 10; }

uint64_t TimestampMs(const std::string& id) {
  const std::string hex = id.substr(0, 8) + id.substr(9, 4);
  uint64_t ms = 0;
  for (char c : hex) ms = (ms << 4) | static_cast<uint64_t>(HexValue(c));
  return ms;
}

TEST(IdsTest, NewUuidV7HasCanonicalLowerCaseForm) {
  const std::string id = NewUuidV7();
  ASSERT_EQ(id.size(), 36u);
  for (size_t i = 0; i < id.size(); ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      EXPECT_EQ(id[i], '-') << id;
    } else {
      EXPECT_TRUE((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f')) << id;
    }
  }
  EXPECT_TRUE(IsUuid(id));
}

TEST(IdsTest, VersionAndVariantBits) {
  for (int i = 0; i < 1000; ++i) {
    const std::string id = NewUuidV7();
    EXPECT_EQ(id[14], '7') << id;  // version nibble
    const int variant = HexValue(id[19]);
    EXPECT_EQ(variant & 0xC, 0x8) << id;  // 10xx
  }
}

TEST(IdsTest, TimestampIsCurrentUnixMillis) {
  const auto before = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  const std::string id = NewUuidV7();
  const auto after = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
  const uint64_t ms = TimestampMs(id);
  // The generator may run a millisecond ahead when earlier calls exhausted a millisecond.
  EXPECT_GE(ms, static_cast<uint64_t>(before));
  EXPECT_LE(ms, static_cast<uint64_t>(after) + 1000);
}

TEST(IdsTest, IdsFromOneThreadSortInCreationOrderAndAreUnique) {
  constexpr int kCount = 100000;
  std::vector<std::string> ids;
  ids.reserve(kCount);
  for (int i = 0; i < kCount; ++i) ids.push_back(NewUuidV7());
  for (int i = 1; i < kCount; ++i) {
    ASSERT_LT(ids[i - 1], ids[i]) << "at " << i;
  }
  const std::set<std::string> unique(ids.begin(), ids.end());
  EXPECT_EQ(unique.size(), ids.size());
}

TEST(IdsTest, UniqueAcrossThreads) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 20000;
  std::vector<std::vector<std::string>> per_thread(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&per_thread, t] {
      for (int i = 0; i < kPerThread; ++i) per_thread[t].push_back(NewUuidV7());
    });
  }
  for (auto& thread : threads) thread.join();
  std::set<std::string> all;
  for (const auto& ids : per_thread) {
    for (size_t i = 1; i < ids.size(); ++i) ASSERT_LT(ids[i - 1], ids[i]);
    all.insert(ids.begin(), ids.end());
  }
  EXPECT_EQ(all.size(), static_cast<size_t>(kThreads * kPerThread));
}

TEST(IdsTest, IsUuidAcceptsCanonicalFormOfAnyVersion) {
  EXPECT_TRUE(IsUuid("00000000-0000-0000-0000-000000000000"));
  EXPECT_TRUE(IsUuid("123e4567-e89b-12d3-a456-426614174000"));  // v1
  EXPECT_TRUE(IsUuid("9f3b8c2a-4d1e-4f6a-8b7c-0e1d2c3b4a59"));  // v4
  EXPECT_TRUE(IsUuid("01890a5d-ac96-774b-bcce-b302099a8057"));  // v7
}

TEST(IdsTest, IsUuidRejectsEverythingElse) {
  EXPECT_FALSE(IsUuid(""));
  EXPECT_FALSE(IsUuid("not-a-uuid"));
  EXPECT_FALSE(IsUuid("123e4567e89b12d3a456426614174000"));        // no hyphens
  EXPECT_FALSE(IsUuid("123e4567-e89b-12d3-a456-42661417400"));     // short
  EXPECT_FALSE(IsUuid("123e4567-e89b-12d3-a456-4266141740000"));   // long
  EXPECT_FALSE(IsUuid("123e4567-e89b-12d3-a456_426614174000"));    // wrong separator
  EXPECT_FALSE(IsUuid("123e4567-e89b-12d3-a45-6426614174000"));    // misplaced hyphen
  EXPECT_FALSE(IsUuid("123e4567-e89b-12d3-a456-42661417400g"));    // not hex
  EXPECT_FALSE(IsUuid("123E4567-E89B-12D3-A456-426614174000"));    // upper case
  EXPECT_FALSE(IsUuid("{123e4567-e89b-12d3-a456-426614174000}"));  // braces
  EXPECT_FALSE(IsUuid(" 123e4567-e89b-12d3-a456-426614174000"));
  EXPECT_FALSE(IsUuid(std::string("123e4567-e89b-12d3-a456-42661417400\0", 36)));
}

}  // namespace
}  // namespace accord::common
