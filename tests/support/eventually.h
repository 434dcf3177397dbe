// Waiting in integration tests for what happens in the background (event feeds, relays).
#pragma once

#include <chrono>
#include <functional>
#include <thread>

namespace accord::testing {

// Polls `done` every 50 ms until it holds (true) or `limit` passed (false).
inline bool Eventually(const std::function<bool()>& done,
                       std::chrono::milliseconds limit = std::chrono::seconds(20)) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return true;
}

}  // namespace accord::testing
