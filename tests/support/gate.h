// Holds the threads that pass it until it is opened, and says how many it holds: for tests that
// need work stuck in flight (busy workers, slow calls) and then released.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>

namespace accord::testing {

class Gate {
 public:
  // Waits until Open(), or at most 20 s so that a failed test cannot hang.
  void Hold() {
    std::unique_lock lock(mutex_);
    ++held_;
    changed_.notify_all();
    changed_.wait_for(lock, std::chrono::seconds(20), [&] { return open_; });
    --held_;
    changed_.notify_all();
  }
  // True once `count` threads are held (at most 10 s).
  bool AwaitHeld(int count) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, std::chrono::seconds(10), [&] { return held_ >= count; });
  }
  int held() {
    std::lock_guard lock(mutex_);
    return held_;
  }
  void Open() {
    std::lock_guard lock(mutex_);
    open_ = true;
    changed_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  int held_ = 0;
  bool open_ = false;
};

}  // namespace accord::testing
