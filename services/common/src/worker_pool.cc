#include "accord/common/worker_pool.h"

#include <algorithm>

#include "accord/common/thread_name.h"

namespace accord::common {

WorkerPool::WorkerPool(int threads, size_t max_queue) : max_queue_(max_queue) {
  threads_.reserve(threads);
  for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { Run(); });
  timer_ = std::thread([this] { RunTimer(); });
}

WorkerPool::~WorkerPool() { Shutdown(); }

bool WorkerPool::Submit(std::function<void()> task) {
  return Submit(std::move(task), Clock::time_point::max(), nullptr);
}

bool WorkerPool::Submit(std::function<void()> task, Clock::time_point deadline,
                        std::function<void()> expired) {
  auto entry = std::make_shared<Entry>();
  entry->task = std::move(task);
  entry->expired = std::move(expired);
  entry->deadline = entry->expired ? deadline : Clock::time_point::max();
  bool earliest = false;
  {
    std::lock_guard lock(mutex_);
    if (stopping_ || waiting_ >= max_queue_) return false;
    tasks_.push_back(entry);
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

void WorkerPool::Run() {
  NameCurrentThread("worker");
  for (;;) {
    std::shared_ptr<Entry> entry;
    {
      std::unique_lock lock(mutex_);
      ready_.wait(lock, [&] { return stopping_ || waiting_ > 0; });
      // Entries the timer expired stay in the deque until a worker passes them.
      while (!tasks_.empty() && tasks_.front()->taken) tasks_.pop_front();
      if (tasks_.empty()) {
        if (stopping_) return;  // stopping and drained
        continue;
      }
      entry = std::move(tasks_.front());
      tasks_.pop_front();
      entry->taken = true;
      --waiting_;
    }
    // A task found after its deadline is not started.
    if (entry->expired && Clock::now() >= entry->deadline) {
      entry->expired();
    } else {
      entry->task();
    }
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
