#include "accord/common/queue_deadline.h"

#include <algorithm>

#include "accord/common/errors.h"

namespace accord::common {
namespace {

thread_local const QueueDeadline* t_current = nullptr;

}  // namespace

absl::Status QueueDeadline::Expired(const std::string& waiting_for) const {
  if (callers) {
    return absl::DeadlineExceededError("the call's deadline passed while it waited for " +
                                       waiting_for + "; it was not started");
  }
  const auto retry = std::min<std::chrono::milliseconds>(bound, std::chrono::seconds(1));
  return WithRetryDelay(
      Unavailable("WORKERS_BUSY", "waited " + std::to_string(bound.count()) + " ms for " +
                                      waiting_for +
                                      "; the call was not started: retry with backoff"),
      retry);
}

QueueDeadline QueueDeadlineFor(const grpc::ServerContextBase& context,
                               std::chrono::milliseconds bound) {
  QueueDeadline deadline;
  const auto now = QueueDeadline::Clock::now();
  deadline.bound = bound;
  deadline.at = now + bound;
  const auto call_deadline = context.deadline();
  if (call_deadline != std::chrono::system_clock::time_point::max()) {
    const auto left = call_deadline - std::chrono::system_clock::now();
    const auto by_caller = now + std::chrono::duration_cast<QueueDeadline::Clock::duration>(left);
    if (by_caller <= deadline.at) {
      deadline.at = by_caller;
      deadline.callers = true;
    }
  }
  return deadline;
}

ScopedQueueDeadline::ScopedQueueDeadline(const QueueDeadline& deadline) : previous_(t_current) {
  t_current = &deadline;
}

ScopedQueueDeadline::~ScopedQueueDeadline() { t_current = previous_; }

const QueueDeadline* CurrentQueueDeadline() { return t_current; }

}  // namespace accord::common
