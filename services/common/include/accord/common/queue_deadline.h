// How long a call may wait in a queue before it starts: the database acquire timeout
// (ACCORD_PG_ACQUIRE_TIMEOUT_MS) from the moment it was queued, or the caller's own deadline when
// that comes first. A call still queued then is answered without being started: DEADLINE_EXCEEDED
// for the caller's deadline, UNAVAILABLE WORKERS_BUSY with a retry delay otherwise. The worker
// pool, the batch loader (cache misses of point reads) and the events service's subscription
// set-up all apply it.
#pragma once

#include <grpcpp/server_context.h>

#include <chrono>
#include <string>

#include "absl/status/status.h"

namespace accord::common {

struct QueueDeadline {
  using Clock = std::chrono::steady_clock;
  Clock::time_point at = Clock::time_point::max();
  bool callers = false;  // `at` is the caller's deadline
  std::chrono::milliseconds bound{0};

  // The answer for a call that reached `at` while queued; `waiting_for` says what it waited for
  // ("a worker").
  absl::Status Expired(const std::string& waiting_for) const;
};

// From now, for the call `context`.
QueueDeadline QueueDeadlineFor(const grpc::ServerContextBase& context,
                               std::chrono::milliseconds bound);

// The queue deadline of the call being started on this thread, for queues that the start hands
// the call to without knowing the call (a repository's batch loader): set by Runtime around a
// deferred start.
class ScopedQueueDeadline {
 public:
  explicit ScopedQueueDeadline(const QueueDeadline& deadline);
  ~ScopedQueueDeadline();
  ScopedQueueDeadline(const ScopedQueueDeadline&) = delete;
  ScopedQueueDeadline& operator=(const ScopedQueueDeadline&) = delete;

 private:
  const QueueDeadline* previous_;
};
// Null outside a ScopedQueueDeadline.
const QueueDeadline* CurrentQueueDeadline();

}  // namespace accord::common
