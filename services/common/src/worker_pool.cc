#include "accord/common/worker_pool.h"

#include <algorithm>

#include "accord/common/thread_name.h"

namespace accord::common {

WorkerPool::WorkerPool(int threads, size_t max_queue, Limits limits)
    : max_queue_(max_queue), threads_count_(std::max(threads, 1)) {
  const int reserved = std::clamp(limits.reserved_for_point_reads, 0, threads_count_ - 1);
  max_others_ = threads_count_ - reserved;
  max_expensive_ =
      limits.max_expensive > 0 ? std::min(limits.max_expensive, max_others_) : max_others_;
  threads = threads_count_;
  threads_.reserve(threads);
  for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { Run(); });
  timer_ = std::thread([this] { RunTimer(); });
}

WorkerPool::~WorkerPool() { Shutdown(); }

bool WorkerPool::Submit(std::function<void()> task) {
  return Submit(std::move(task), Clock::time_point::max(), nullptr);
}

bool WorkerPool::Submit(std::function<void()> task, Clock::time_point deadline,
                        std::function<void()> expired, Lane lane) {
  auto entry = std::make_shared<Entry>();
  entry->task = std::move(task);
  entry->expired = std::move(expired);
  entry->lane = lane;
  entry->deadline = entry->expired ? deadline : Clock::time_point::max();
  bool earliest = false;
  {
    std::lock_guard lock(mutex_);
    if (stopping_ || waiting_ >= max_queue_) return false;
    LaneQueue(lane).push_back(entry);
    ++waiting_;
    if (entry->deadline != Clock::time_point::max()) {
      earliest = deadlines_.empty() || entry->deadline < deadlines_.front()->deadline;
      deadlines_.push_back(std::move(entry));
      std::push_heap(deadlines_.begin(), deadlines_.end(), Later{});
    }
  }
  ready_.notify_one();
  if (earliest) timer_wake_.notify_one();
  return true;
}

void WorkerPool::Shutdown() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ && threads_.empty()) return;
    stopping_ = true;
  }
  ready_.notify_all();
  timer_wake_.notify_all();
  for (auto& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
  threads_.clear();
  // The workers drained the queue; the timer sees that once woken.
  { std::lock_guard lock(mutex_); }
  timer_wake_.notify_all();
  if (timer_.joinable()) timer_.join();
}

size_t WorkerPool::queued() const {
  std::lock_guard lock(mutex_);
  return waiting_;
}

std::shared_ptr<WorkerPool::Entry> WorkerPool::TakeLocked() {
  // Entries the timer expired stay in their deque until a worker passes them.
  for (auto& queue : tasks_) {
    while (!queue.empty() && queue.front()->taken) queue.pop_front();
  }
  std::deque<std::shared_ptr<Entry>>* from = nullptr;
  auto& points = LaneQueue(Lane::kPointRead);
  auto& defaults = LaneQueue(Lane::kDefault);
  auto& expensive = LaneQueue(Lane::kExpensive);
  if (!points.empty()) {
    from = &points;
  } else if (running_others_ < max_others_) {
    // The older of the two heads first, so neither lane starves the other.
    const bool expensive_ok = !expensive.empty() && running_expensive_ < max_expensive_;
    if (!defaults.empty() &&
        (!expensive_ok || defaults.front()->deadline <= expensive.front()->deadline)) {
      from = &defaults;
    } else if (expensive_ok) {
      from = &expensive;
    } else if (!defaults.empty()) {
      from = &defaults;
    }
  }
  if (from == nullptr) return nullptr;
  std::shared_ptr<Entry> entry = std::move(from->front());
  from->pop_front();
  entry->taken = true;
  --waiting_;
  if (entry->lane != Lane::kPointRead) ++running_others_;
  if (entry->lane == Lane::kExpensive) ++running_expensive_;
  return entry;
}

void WorkerPool::Run() {
  NameCurrentThread("worker");
  Lane finished = Lane::kPointRead;  // the lane of the task this worker ran last (none yet)
  for (;;) {
    std::shared_ptr<Entry> entry;
    {
      std::unique_lock lock(mutex_);
      // The slot of the task just run is given back here, in the lock that looks for the next:
      // freeing one slot lets one more task start, and this worker is the one that takes it
      // (the wait checks before it sleeps). Waking the idle workers for it as well cost a
      // futex wake, and often a task moved to another thread, per task.
      if (finished != Lane::kPointRead) --running_others_;
      if (finished == Lane::kExpensive) --running_expensive_;
      ready_.wait(lock, [&] {
        if (waiting_ == 0) return stopping_;
        entry = TakeLocked();
        return entry != nullptr || (stopping_ && waiting_ == 0);
      });
      if (entry == nullptr) return;  // stopping and drained
      // In a shutdown, idle workers wait for the queue to drain before they stop: the last entry
      // taken is their signal.
      if (stopping_ && waiting_ == 0) ready_.notify_all();
    }
    // A task found after its deadline is not started.
    if (entry->expired && Clock::now() >= entry->deadline) {
      entry->expired();
    } else {
      entry->task();
    }
    finished = entry->lane;
  }
}

void WorkerPool::RunTimer() {
  NameCurrentThread("worker-timer");
  std::unique_lock lock(mutex_);
  for (;;) {
    // Drop what workers already took; expire what is late.
    std::vector<std::shared_ptr<Entry>> late;
    const auto now = Clock::now();
    while (!deadlines_.empty() &&
           (deadlines_.front()->taken || deadlines_.front()->deadline <= now)) {
      std::pop_heap(deadlines_.begin(), deadlines_.end(), Later{});
      std::shared_ptr<Entry> entry = std::move(deadlines_.back());
      deadlines_.pop_back();
      if (entry->taken) continue;
      entry->taken = true;
      --waiting_;
      late.push_back(std::move(entry));
    }
    if (!late.empty()) {
      lock.unlock();
      for (auto& entry : late) {
        entry->expired();
        // The deque may hold the entry until a worker passes it; keep no captures alive.
        entry->task = nullptr;
        entry->expired = nullptr;
      }
      late.clear();
      lock.lock();
      if (stopping_ && waiting_ == 0) ready_.notify_all();  // as in Run
      continue;
    }
    if (stopping_ && waiting_ == 0) return;
    if (deadlines_.empty()) {
      timer_wake_.wait(lock);
    } else {
      timer_wake_.wait_until(lock, deadlines_.front()->deadline);
    }
  }
}

}  // namespace accord::common
