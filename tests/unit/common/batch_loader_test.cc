#include "accord/common/batch_loader.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

namespace accord::common {
namespace {

using namespace std::chrono_literals;
using Loader = BatchLoader<std::string>;

// Records every fetch; while `hold` is set, fetches wait until Release(), so that a test can
// make keys queue behind a fetch in flight.
class RecordingFetch {
 public:
  absl::StatusOr<std::vector<Loader::Result>> operator()(const std::vector<std::string>& keys) {
    std::unique_lock lock(mutex_);
    batches_.push_back(keys);
    changed_.notify_all();
    changed_.wait(lock, [&] { return !hold_; });
    std::vector<Loader::Result> results;
    for (const auto& key : keys) {
      if (key.rfind("missing", 0) == 0) {
        results.emplace_back(absl::NotFoundError(key));
      } else {
        results.emplace_back("value of " + key);
      }
    }
    return results;
  }

  void Hold() {
    std::lock_guard lock(mutex_);
    hold_ = true;
  }
  void Release() {
    std::lock_guard lock(mutex_);
    hold_ = false;
    changed_.notify_all();
  }
  // Waits until `count` fetches have started.
  bool WaitForBatches(size_t count) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, 5s, [&] { return batches_.size() >= count; });
  }
  std::vector<std::vector<std::string>> batches() {
    std::lock_guard lock(mutex_);
    return batches_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  bool hold_ = false;
  std::vector<std::vector<std::string>> batches_;
};

// Collects results by key; Wait() blocks until `expected` results arrived.
class Results {
 public:
  Loader::Done For(const std::string& key) {
    return [this, key](Loader::Result result) {
      std::lock_guard lock(mutex_);
      by_key_.emplace_back(key, std::move(result));
      arrived_.notify_all();
    };
  }
  bool Wait(size_t expected) {
    std::unique_lock lock(mutex_);
    return arrived_.wait_for(lock, 5s, [&] { return by_key_.size() >= expected; });
  }
  std::vector<std::pair<std::string, Loader::Result>> all() {
    std::lock_guard lock(mutex_);
    return by_key_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable arrived_;
  std::vector<std::pair<std::string, Loader::Result>> by_key_;
};

Loader::Options OneThread(size_t max_batch = 128, size_t max_queue = 1000) {
  return {.name = "test", .threads = 1, .max_batch = max_batch, .max_queue = max_queue};
}

// Starts a fetch of `key` that stays in flight until fetch.Release(), so later loads queue.
::testing::AssertionResult HoldAFetchInFlight(RecordingFetch& fetch, Loader& loader,
                                              Results& results, const std::string& key) {
  fetch.Hold();
  loader.Load(key, results.For(key));
  if (!fetch.WaitForBatches(1)) return ::testing::AssertionFailure() << "the fetch never started";
  return ::testing::AssertionSuccess();
}

TEST(BatchLoaderTest, AnIdleLoaderFetchesALoneKeyAtOnce) {
  RecordingFetch fetch;
  Loader loader(OneThread(), std::ref(fetch));
  Results results;
  loader.Load("a", results.For("a"));
  ASSERT_TRUE(results.Wait(1));
  const auto all = results.all();
  ASSERT_TRUE(all[0].second.ok()) << all[0].second.status();
  EXPECT_EQ(*all[0].second, "value of a");
  EXPECT_EQ(fetch.batches(), (std::vector<std::vector<std::string>>{{"a"}}));
}

TEST(BatchLoaderTest, KeysThatQueueBehindAFetchGoOutTogetherInTheNextOne) {
  RecordingFetch fetch;
  Loader loader(OneThread(), std::ref(fetch));
  Results results;
  ASSERT_TRUE(HoldAFetchInFlight(fetch, loader, results, "first"));
  // The only thread is busy: these wait, and the same key twice is fetched once.
  for (const char* key : {"b", "c", "missing-d", "b"}) loader.Load(key, results.For(key));
  fetch.Release();
  ASSERT_TRUE(results.Wait(5));

  const auto batches = fetch.batches();
  ASSERT_EQ(batches.size(), 2u);
  EXPECT_EQ(batches[1], (std::vector<std::string>{"b", "c", "missing-d"}));
  int found = 0;
  for (const auto& [key, result] : results.all()) {
    if (key == "missing-d") {
      EXPECT_EQ(result.status().code(), absl::StatusCode::kNotFound);
    } else {
      ASSERT_TRUE(result.ok()) << key << ": " << result.status();
      EXPECT_EQ(*result, "value of " + key);
      ++found;
    }
  }
  EXPECT_EQ(found, 4);  // first, b twice, c
}

TEST(BatchLoaderTest, ABatchTakesAtMostMaxBatchKeys) {
  RecordingFetch fetch;
  Loader loader(OneThread(/*max_batch=*/2), std::ref(fetch));
  Results results;
  ASSERT_TRUE(HoldAFetchInFlight(fetch, loader, results, "k0"));
  for (const char* key : {"k1", "k2", "k3"}) loader.Load(key, results.For(key));
  fetch.Release();
  ASSERT_TRUE(results.Wait(4));
  EXPECT_EQ(fetch.batches(), (std::vector<std::vector<std::string>>{{"k0"}, {"k1", "k2"}, {"k3"}}));
}

TEST(BatchLoaderTest, AFailedFetchFailsEveryKeyOfItsBatch) {
  Loader loader(OneThread(),
                [](const std::vector<std::string>&) -> absl::StatusOr<std::vector<Loader::Result>> {
                  return absl::UnavailableError("database down");
                });
  Results results;
  loader.Load("a", results.For("a"));
  ASSERT_TRUE(results.Wait(1));
  EXPECT_EQ(results.all()[0].second.status().code(), absl::StatusCode::kUnavailable);
}

TEST(BatchLoaderTest, AWrongResultCountOrAnExceptionBecomesInternalNotACrash) {
  Loader short_answer(
      OneThread(),
      [](const std::vector<std::string>&) -> absl::StatusOr<std::vector<Loader::Result>> {
        return std::vector<Loader::Result>{};
      });
  Loader throwing(
      OneThread(),
      [](const std::vector<std::string>&) -> absl::StatusOr<std::vector<Loader::Result>> {
        throw std::runtime_error("boom");
      });
  Results results;
  short_answer.Load("a", results.For("a"));
  throwing.Load("b", results.For("b"));
  ASSERT_TRUE(results.Wait(2));
  for (const auto& [key, result] : results.all()) {
    EXPECT_EQ(result.status().code(), absl::StatusCode::kInternal) << key;
  }
}

TEST(BatchLoaderTest, AFullQueueRefusesAtOnceWithResourceExhausted) {
  RecordingFetch fetch;
  Loader loader(OneThread(/*max_batch=*/128, /*max_queue=*/1), std::ref(fetch));
  Results results;
  ASSERT_TRUE(HoldAFetchInFlight(fetch, loader, results, "in-flight"));
  loader.Load("queued", results.For("queued"));
  loader.Load("refused", results.For("refused"));
  ASSERT_TRUE(results.Wait(1));
  EXPECT_EQ(results.all()[0].first, "refused");
  EXPECT_EQ(results.all()[0].second.status().code(), absl::StatusCode::kResourceExhausted);
  fetch.Release();
  ASSERT_TRUE(results.Wait(3));
}

TEST(BatchLoaderTest, ShutdownAnswersWhatIsQueuedAndRefusesLaterLoads) {
  RecordingFetch fetch;
  Loader loader(OneThread(), std::ref(fetch));
  Results results;
  ASSERT_TRUE(HoldAFetchInFlight(fetch, loader, results, "a"));
  loader.Load("b", results.For("b"));
  auto stopped = std::async(std::launch::async, [&] { loader.Shutdown(); });
  // Shutdown waits for the fetch in flight and the queued key.
  EXPECT_EQ(stopped.wait_for(100ms), std::future_status::timeout);
  fetch.Release();
  stopped.get();
  ASSERT_TRUE(results.Wait(2));
  for (const auto& [key, result] : results.all()) EXPECT_TRUE(result.ok()) << key;

  loader.Load("late", results.For("late"));
  ASSERT_TRUE(results.Wait(3));
  EXPECT_EQ(results.all()[2].second.status().code(), absl::StatusCode::kUnavailable);
}

TEST(BatchLoaderTest, ConcurrentCallersEachGetTheirOwnKeysResult) {
  std::atomic<int> fetches{0};
  Loader loader(
      {.name = "test", .threads = 2},
      [&](const std::vector<std::string>& keys) -> absl::StatusOr<std::vector<Loader::Result>> {
        fetches.fetch_add(1);
        std::this_thread::sleep_for(1ms);  // a round trip, during which keys queue
        std::vector<Loader::Result> out;
        for (const auto& key : keys) out.emplace_back("value of " + key);
        return out;
      });
  constexpr int kCallers = 8;
  constexpr int kEach = 200;
  Results results;
  std::vector<std::thread> callers;
  for (int c = 0; c < kCallers; ++c) {
    callers.emplace_back([&, c] {
      for (int i = 0; i < kEach; ++i) {
        const std::string key = std::to_string(c) + "/" + std::to_string(i);
        loader.Load(key, results.For(key));
      }
    });
  }
  for (auto& caller : callers) caller.join();
  ASSERT_TRUE(results.Wait(kCallers * kEach));
  for (const auto& [key, result] : results.all()) {
    ASSERT_TRUE(result.ok()) << key;
    EXPECT_EQ(*result, "value of " + key);
  }
  // 1600 keys arrived faster than 1 ms fetches could answer them one by one.
  EXPECT_LT(fetches.load(), kCallers * kEach);
}

}  // namespace
}  // namespace accord::common

namespace accord::common {
namespace {

// Issue 18 item 11, for cache misses: a key queued while serving a call waits no longer than the
// call's queue deadline when the loader stays busy, and is then answered without being fetched.
TEST(BatchLoaderTest, AKeyQueuedPastItsCallsQueueDeadlineIsAnsweredUnfetched) {
  RecordingFetch fetch;
  Loader loader(OneThread(), std::ref(fetch));
  Results results;
  ASSERT_TRUE(HoldAFetchInFlight(fetch, loader, results, "in-flight"));
  QueueDeadline bounded;
  bounded.at = QueueDeadline::Clock::now() + 100ms;
  bounded.bound = 100ms;
  QueueDeadline callers = bounded;
  callers.callers = true;
  {
    ScopedQueueDeadline scope(bounded);
    loader.Load("late", results.For("late"));
  }
  {
    ScopedQueueDeadline scope(callers);
    loader.Load("late-caller", results.For("late-caller"));
  }
  loader.Load("unbounded", results.For("unbounded"));  // no call's deadline: waits its turn
  ASSERT_TRUE(results.Wait(2));                        // while the fetch is still held
  std::map<std::string, absl::Status> answered;
  for (const auto& [key, result] : results.all()) answered[key] = result.status();
  EXPECT_EQ(answered["late"].code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(ReasonOf(answered["late"]), "WORKERS_BUSY");
  EXPECT_EQ(answered["late-caller"].code(), absl::StatusCode::kDeadlineExceeded);
  fetch.Release();
  ASSERT_TRUE(results.Wait(4));
  for (const auto& [key, result] : results.all()) {
    if (key == "unbounded" || key == "in-flight") EXPECT_TRUE(result.ok()) << key;
  }
  // The late keys were never fetched.
  for (const auto& batch : fetch.batches()) {
    for (const auto& key : batch) EXPECT_EQ(key.rfind("late", 0), std::string::npos) << key;
  }
}

}  // namespace
}  // namespace accord::common
