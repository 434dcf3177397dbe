#include "accord/common/thread_name.h"

#include <gtest/gtest.h>

#include <future>
#include <string>
#include <thread>
#include <vector>

#include "accord/common/batch_loader.h"
#include "accord/common/worker_pool.h"

namespace accord::common {
namespace {

std::string NameOnNewThread(const std::string& name) {
  std::string seen;
  std::thread([&] {
    NameCurrentThread(name);
    seen = CurrentThreadName();
  }).join();
  return seen;
}

TEST(ThreadNameTest, AThreadReadsBackItsName) {
  EXPECT_EQ(NameOnNewThread("stream-tail"), "stream-tail");
}

TEST(ThreadNameTest, ANameLongerThanLinuxKeepsIsCutToFifteenCharacters) {
  EXPECT_EQ(NameOnNewThread("load-pricing-terms"), "load-pricing-te");
}

TEST(ThreadNameTest, PoolAndLoaderThreadsCarryTheirNames) {
  WorkerPool pool(1, 10);
  std::promise<std::string> worker;
  ASSERT_TRUE(pool.Submit([&] { worker.set_value(CurrentThreadName()); }));
  EXPECT_EQ(worker.get_future().get(), "worker");

  std::string fetched_on;
  BatchLoader<std::string> loader({.name = "account"}, [&](const std::vector<std::string>& keys) {
    fetched_on = CurrentThreadName();
    return absl::StatusOr<std::vector<absl::StatusOr<std::string>>>(
        std::vector<absl::StatusOr<std::string>>(keys.size(), std::string("value")));
  });
  std::promise<void> done;
  loader.Load("a", [&](absl::StatusOr<std::string>) { done.set_value(); });
  done.get_future().get();
  EXPECT_EQ(fetched_on, "load-account");
}

}  // namespace
}  // namespace accord::common
