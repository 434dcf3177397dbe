// A fixed set of threads for work that may block (database calls), so that gRPC's own callback
// threads are never held across I/O.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace accord::common {

class WorkerPool {
 public:
  WorkerPool(int threads, size_t max_queue);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // False when the queue is full or the pool is shutting down; the caller must then answer the
  // request itself (RESOURCE_EXHAUSTED / UNAVAILABLE).
  bool Submit(std::function<void()> task);
  // Runs what is queued, then joins the threads.
  void Shutdown();
  size_t queued() const;

 private:
  void Run();
  const size_t max_queue_;
  mutable std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> tasks_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace accord::common
