// Gathers concurrent point reads into batches, so that N callers asking for N keys at the same
// time cost one round trip instead of N (and one thread hop per batch instead of one per call).
//
// There is no timer: an idle loader fetches a lone key at once. Keys queue only while every
// loader thread is already fetching, and the next thread to come free takes all that wait (up to
// `max_batch`) in one fetch. So batching adds no latency at low load and saves round trips and
// wake-ups exactly when they are scarce.
//
// Callbacks run on a loader thread; they must be quick and must not block (finish an RPC, say).
//
// A key queued while serving a call (under a ScopedQueueDeadline, queue_deadline.h) waits no
// longer than that call's queue deadline: when every loader thread stays busy (say behind a lock
// in the database), it is answered with the deadline's status instead of being fetched.
#pragma once

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "accord/common/errors.h"
#include "accord/common/log.h"
#include "accord/common/metrics.h"
#include "accord/common/queue_deadline.h"
#include "accord/common/thread_name.h"

namespace accord::common {

template <typename Value>
class BatchLoader {
 public:
  using Result = absl::StatusOr<Value>;
  using Done = std::function<void(Result)>;
  // One result per key, in the order given (keys are distinct). A failed status fails every key
  // of the batch with it.
  using Fetch = std::function<absl::StatusOr<std::vector<Result>>(const std::vector<std::string>&)>;

  struct Options {
    std::string name;  // metric label, e.g. "account"
    int threads = 4;   // fetches in flight at once (each holds a pool connection)
    size_t max_batch = 128;
    size_t max_queue = 100000;
  };

  BatchLoader(Options options, Fetch fetch)
      : options_(std::move(options)),
        fetch_(std::move(fetch)),
        batches_(&MetricsRegistry::Global().GetCounter("accord_batch_loader_batches_total",
                                                       "Fetches made by a batch loader",
                                                       {{"loader", options_.name}})),
        keys_(&MetricsRegistry::Global().GetCounter("accord_batch_loader_keys_total",
                                                    "Distinct keys fetched by a batch loader",
                                                    {{"loader", options_.name}})) {
    if (options_.threads < 1) options_.threads = 1;
    if (options_.max_batch < 1) options_.max_batch = 1;
    threads_.reserve(options_.threads);
    for (int i = 0; i < options_.threads; ++i) threads_.emplace_back([this] { Run(); });
    sweeper_ = std::thread([this] { Sweep(); });
  }
  ~BatchLoader() { Shutdown(); }
  BatchLoader(const BatchLoader&) = delete;
  BatchLoader& operator=(const BatchLoader&) = delete;

  // Queues `key`; `done` runs exactly once: on a loader thread with the key's result, or at once
  // with RESOURCE_EXHAUSTED when the queue is full or UNAVAILABLE when shutting down.
  void Load(std::string key, Done done) {
    absl::Status refused;
    bool sooner = false;
    {
      std::lock_guard lock(mutex_);
      if (stopping_) {
        refused = absl::UnavailableError("the server is shutting down; retry elsewhere");
      } else if (waiting_.size() >= options_.max_queue) {
        refused = absl::ResourceExhaustedError("the server is overloaded; retry with backoff");
      } else {
        const QueueDeadline* deadline = CurrentQueueDeadline();
        waiting_.push_back(
            {std::move(key), std::move(done), deadline != nullptr ? *deadline : QueueDeadline{}});
        sooner = waiting_.back().deadline.at < next_sweep_;
        if (sooner) next_sweep_ = waiting_.back().deadline.at;
      }
    }
    if (!refused.ok()) {
      done(refused);
      return;
    }
    ready_.notify_one();
    if (sooner) sweep_wake_.notify_one();
  }

  // Fetches what is queued, then joins the threads.
  void Shutdown() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    ready_.notify_all();
    for (auto& thread : threads_) {
      if (thread.joinable()) thread.join();
    }
    threads_.clear();
    {
      std::lock_guard lock(mutex_);
      sweeper_stop_ = true;
    }
    sweep_wake_.notify_all();
    if (sweeper_.joinable()) sweeper_.join();
  }

 private:
  struct Waiting {
    std::string key;
    Done done;
    QueueDeadline deadline;
  };

  // Answers the keys whose queue deadline passed before a loader thread took them.
  void Sweep() {
    NameCurrentThread("sweep-" + options_.name);
    std::unique_lock lock(mutex_);
    while (!sweeper_stop_) {
      const auto now = QueueDeadline::Clock::now();
      std::vector<Waiting> late;
      auto next = QueueDeadline::Clock::time_point::max();
      for (auto it = waiting_.begin(); it != waiting_.end();) {
        if (it->deadline.at <= now) {
          late.push_back(std::move(*it));
          it = waiting_.erase(it);
        } else {
          next = std::min(next, it->deadline.at);
          ++it;
        }
      }
      next_sweep_ = next;
      if (!late.empty()) {
        lock.unlock();
        for (auto& waiting : late) {
          waiting.done(waiting.deadline.Expired("a read of the " + options_.name + " loader"));
        }
        lock.lock();
        continue;
      }
      if (next == QueueDeadline::Clock::time_point::max()) {
        sweep_wake_.wait(lock);
      } else {
        sweep_wake_.wait_until(lock, next);
      }
    }
  }

  void Run() {
    NameCurrentThread("load-" + options_.name);
    for (;;) {
      std::vector<Waiting> batch;
      {
        std::unique_lock lock(mutex_);
        ready_.wait(lock, [&] { return stopping_ || !waiting_.empty(); });
        if (waiting_.empty()) return;  // stopping and drained
        const size_t take = std::min(waiting_.size(), options_.max_batch);
        batch.reserve(take);
        for (size_t i = 0; i < take; ++i) {
          batch.push_back(std::move(waiting_.front()));
          waiting_.pop_front();
        }
      }
      FetchAndAnswer(batch);
    }
  }

  void FetchAndAnswer(std::vector<Waiting>& batch) {
    // The same key asked twice in one batch is fetched once.
    std::vector<std::string> keys;
    std::unordered_map<std::string, size_t> slot;
    keys.reserve(batch.size());
    for (const auto& waiting : batch) {
      if (slot.emplace(waiting.key, keys.size()).second) keys.push_back(waiting.key);
    }
    batches_->Increment();
    keys_->Increment(static_cast<double>(keys.size()));
    absl::StatusOr<std::vector<Result>> results;
    try {
      results = fetch_(keys);
      if (results.ok() && results->size() != keys.size()) {
        results = Internal("a batch fetch answered " + std::to_string(results->size()) +
                           " results for " + std::to_string(keys.size()) + " keys");
      }
    } catch (const std::exception& error) {
      log::Error("batch fetch failed", {{"loader", options_.name}, {"error", error.what()}});
      results = Internal("unexpected error");
    }
    for (auto& waiting : batch) {
      if (results.ok()) {
        waiting.done((*results)[slot[waiting.key]]);
      } else {
        waiting.done(results.status());
      }
    }
  }

  Options options_;
  Fetch fetch_;
  Counter* batches_;
  Counter* keys_;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<Waiting> waiting_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
  std::condition_variable sweep_wake_;
  QueueDeadline::Clock::time_point next_sweep_ = QueueDeadline::Clock::time_point::max();
  bool sweeper_stop_ = false;
  std::thread sweeper_;
};

}  // namespace accord::common
