#include "accord/common/worker_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <future>
#include <mutex>
#include <thread>

#include "support/gate.h"

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

namespace accord::common {
namespace {

constexpr auto kNoDeadline = WorkerPool::Clock::time_point::max();

TEST(WorkerPoolLanesTest, PointReadsRunOnTheReservedWorkersWhileOthersHoldTheRest) {
  WorkerPool pool(3, 100, {.reserved_for_point_reads = 1, .max_expensive = 0});
  testing::Gate gate;
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(
        pool.Submit([&gate] { gate.Hold(); }, kNoDeadline, nullptr, WorkerPool::Lane::kDefault));
  }
  ASSERT_TRUE(gate.AwaitHeld(2));  // the third waits: one worker is kept for point reads
  std::promise<void> read;
  ASSERT_TRUE(
      pool.Submit([&] { read.set_value(); }, kNoDeadline, nullptr, WorkerPool::Lane::kPointRead));
  EXPECT_EQ(read.get_future().wait_for(5s), std::future_status::ready);
  EXPECT_EQ(gate.held(), 2);
  EXPECT_EQ(pool.queued(), 1u);
  gate.Open();
  pool.Shutdown();
  EXPECT_EQ(pool.queued(), 0u);
}

// A worker that finishes takes the next queued task itself, so tasks queued behind a full lane all
// run, without a shutdown to drain them, and never more at once than the lane allows.
TEST(WorkerPoolLanesTest, QueuedTasksStartAsSlotsFreeUpAndNeverExceedTheLane) {
  WorkerPool pool(3, 100, {.reserved_for_point_reads = 1, .max_expensive = 0});
  constexpr int kTasks = 40;
  std::atomic<int> running{0}, most{0}, done{0};
  for (int i = 0; i < kTasks; ++i) {
    ASSERT_TRUE(pool.Submit(
        [&] {
          const int now = ++running;
          for (int seen = most.load(); now > seen && !most.compare_exchange_weak(seen, now);) {
          }
          std::this_thread::sleep_for(1ms);
          --running;
          ++done;
        },
        kNoDeadline, nullptr, WorkerPool::Lane::kDefault));
  }
  for (int i = 0; i < 500 && done < kTasks; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_EQ(done, kTasks);
  EXPECT_LE(most, 2);  // one of the three workers is kept for point reads
  EXPECT_EQ(pool.queued(), 0u);
}

TEST(WorkerPoolLanesTest, ExpensiveTasksRunAtMostMaxExpensiveAtOnceAndOthersPassThem) {
  WorkerPool pool(4, 100, {.reserved_for_point_reads = 0, .max_expensive = 2});
  testing::Gate gate;
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(
        pool.Submit([&gate] { gate.Hold(); }, kNoDeadline, nullptr, WorkerPool::Lane::kExpensive));
  }
  ASSERT_TRUE(gate.AwaitHeld(2));
  std::promise<void> ordinary;
  ASSERT_TRUE(
      pool.Submit([&] { ordinary.set_value(); }, kNoDeadline, nullptr, WorkerPool::Lane::kDefault));
  EXPECT_EQ(ordinary.get_future().wait_for(5s), std::future_status::ready);
  EXPECT_EQ(gate.held(), 2);
  EXPECT_EQ(pool.queued(), 1u);  // the third expensive task
  gate.Open();
  pool.Shutdown();
}

TEST(WorkerPoolLanesTest, AnExpensiveTaskWaitingForItsLaneStillExpiresAtItsDeadline) {
  WorkerPool pool(2, 100, {.reserved_for_point_reads = 0, .max_expensive = 1});
  testing::Gate gate;
  ASSERT_TRUE(
      pool.Submit([&gate] { gate.Hold(); }, kNoDeadline, nullptr, WorkerPool::Lane::kExpensive));
  ASSERT_TRUE(gate.AwaitHeld(1));
  std::promise<void> expired;
  std::atomic<bool> ran{false};
  ASSERT_TRUE(pool.Submit([&] { ran = true; }, WorkerPool::Clock::now() + 50ms,
                          [&] { expired.set_value(); }, WorkerPool::Lane::kExpensive));
  EXPECT_EQ(expired.get_future().wait_for(5s), std::future_status::ready);
  gate.Open();
  pool.Shutdown();
  EXPECT_FALSE(ran.load());
}

}  // namespace
}  // namespace accord::common
