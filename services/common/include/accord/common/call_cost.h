// How much of the server a call may take, decided for every call of every service from its
// method and request (no handler has to say):
//   point reads   Get*, BatchGet*, Lookup*: may use the workers kept for them (worker_pool.h)
//   expensive     Export*, and List* / Search* with a filter: at most
//                 ACCORD_MAX_EXPENSIVE_CALLS run at once in the process, and at most
//                 ACCORD_MAX_EXPENSIVE_CALLS_PER_CALLER per caller (RESOURCE_EXHAUSTED
//                 TOO_MANY_EXPENSIVE_CALLS beyond, at once, with a retry delay)
//   default       everything else
#pragma once

#include <google/protobuf/message.h>

#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "accord/common/worker_pool.h"

namespace accord::common {

using CallCost = WorkerPool::Lane;

// `method` is the method's name ("ListAccounts"); `request` may be null (raw methods).
CallCost ClassifyCall(std::string_view method, const google::protobuf::Message* request);

// Counts each caller's expensive calls in flight.
class CallerLimiter {
 public:
  explicit CallerLimiter(int per_caller) : per_caller_(per_caller) {}
  // False when `caller` already has per_caller calls in flight.
  bool TryAcquire(const std::string& caller);
  void Release(const std::string& caller);
  int per_caller() const { return per_caller_; }

 private:
  const int per_caller_;
  std::mutex mutex_;
  std::unordered_map<std::string, int> in_flight_;
};

}  // namespace accord::common
