// A fixed set of threads for work that may block (database calls), so that gRPC's own callback
// threads are never held across I/O.
//
// A task may carry a deadline for its wait in the queue: when every worker is stuck (say behind
// a lock in the database), a queued call must not wait without bound. A timer thread hands a
// task whose deadline passed to its `expired` callback instead, and a worker never starts such a
// task; exactly one of the two runs.
//
// Tasks come in three lanes (call_cost.h). Point reads may run on any worker; a share of the
// workers (`reserved_for_point_reads`) runs nothing else, so that a burst of slow calls cannot take
// every worker (and, with one worker per database connection, every connection) from the cheap
// reads. Expensive tasks run on at most `max_expensive` workers at once; more of them wait.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace accord::common {

struct WorkerPoolLimits {
  int reserved_for_point_reads = 0;  // capped to threads - 1
  int max_expensive = 0;             // 0: no limit beyond the other lanes'
};

class WorkerPool {
 public:
  using Clock = std::chrono::steady_clock;

  enum class Lane { kDefault, kPointRead, kExpensive };
  using Limits = WorkerPoolLimits;

  WorkerPool(int threads, size_t max_queue, Limits limits = {});
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // False when the queue is full or the pool is shutting down; the caller must then answer the
  // request itself (RESOURCE_EXHAUSTED / UNAVAILABLE).
  bool Submit(std::function<void()> task);
  // As above, but if no worker has started `task` by `deadline`, `expired` runs instead (on the
  // pool's timer thread, or on the worker that found it too late). `expired` must not block.
  bool Submit(std::function<void()> task, Clock::time_point deadline, std::function<void()> expired,
              Lane lane = Lane::kDefault);
  // Runs what is queued (expiring what is late), then joins the threads.
  void Shutdown();
  // Tasks waiting for a worker.
  size_t queued() const;

 private:
  struct Entry {
    std::function<void()> task;
    std::function<void()> expired;
    Clock::time_point deadline = Clock::time_point::max();
    Lane lane = Lane::kDefault;
    bool taken = false;  // under mutex_: a worker or the timer claimed it
  };
  struct Later {
    bool operator()(const std::shared_ptr<Entry>& a, const std::shared_ptr<Entry>& b) const {
      return a->deadline > b->deadline;
    }
  };
  void Run();
  void RunTimer();
  // Under mutex_: the next entry a worker may start now (claimed), or null.
  std::shared_ptr<Entry> TakeLocked();
  std::deque<std::shared_ptr<Entry>>& LaneQueue(Lane lane) {
    return tasks_[static_cast<int>(lane)];
  }

  const size_t max_queue_;
  int threads_count_ = 0;
  int max_others_ = 0;  // workers that may run default and expensive tasks at once
  int max_expensive_ = 0;
  int running_others_ = 0;
  int running_expensive_ = 0;
  mutable std::mutex mutex_;
  std::condition_variable ready_;
  std::condition_variable timer_wake_;
  std::deque<std::shared_ptr<Entry>> tasks_[3];  // by Lane
  // Min-heap by deadline of the entries that have one (claimed ones are dropped lazily).
  std::vector<std::shared_ptr<Entry>> deadlines_;
  size_t waiting_ = 0;  // entries in tasks_ not yet claimed
  bool stopping_ = false;
  std::vector<std::thread> threads_;
  std::thread timer_;
};

}  // namespace accord::common
