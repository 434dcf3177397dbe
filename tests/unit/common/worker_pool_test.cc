#include "accord/common/worker_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>

namespace accord::common {
namespace {

using namespace std::chrono_literals;

// Item 11 of issue 18: a queued task is bounded by its deadline even when every worker is stuck.
TEST(WorkerPoolTest, TaskStillQueuedAtItsDeadlineExpiresInsteadOfRunning) {
  WorkerPool pool(1, 100);
  std::promise<void> release;
  auto released = release.get_future().share();
  std::promise<void> started;
  ASSERT_TRUE(pool.Submit([released, &started] {
    started.set_value();
    released.wait();
  }));
  started.get_future().wait();  // the only worker is now stuck

  std::atomic<bool> ran{false};
  std::promise<std::chrono::steady_clock::time_point> expired;
  const auto queued_at = std::chrono::steady_clock::now();
  ASSERT_TRUE(pool.Submit([&] { ran = true; }, queued_at + 100ms,
                          [&] { expired.set_value(std::chrono::steady_clock::now()); }));
  EXPECT_EQ(pool.queued(), 1u);
  auto future = expired.get_future();
  ASSERT_EQ(future.wait_for(2s), std::future_status::ready);
  EXPECT_LT(future.get() - queued_at, 1s);
  EXPECT_EQ(pool.queued(), 0u);

  release.set_value();
  pool.Shutdown();
  EXPECT_FALSE(ran.load());
}

TEST(WorkerPoolTest, TaskStartedInTimeRunsAndNeverExpires) {
  WorkerPool pool(2, 100);
  std::atomic<int> ran{0};
  std::atomic<int> expired{0};
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(
        pool.Submit([&] { ++ran; }, std::chrono::steady_clock::now() + 5s, [&] { ++expired; }));
  }
  pool.Shutdown();
  EXPECT_EQ(ran.load(), 50);
  EXPECT_EQ(expired.load(), 0);
}

TEST(WorkerPoolTest, DeadlineAlreadyPassedIsNeverStarted) {
  WorkerPool pool(1, 100);
  std::atomic<bool> ran{false};
  std::promise<void> expired;
  ASSERT_TRUE(pool.Submit([&] { ran = true; }, std::chrono::steady_clock::now() - 1ms,
                          [&] { expired.set_value(); }));
  EXPECT_EQ(expired.get_future().wait_for(2s), std::future_status::ready);
  pool.Shutdown();
  EXPECT_FALSE(ran.load());
}

}  // namespace
}  // namespace accord::common
