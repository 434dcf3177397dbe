// The SLA sweeper: a background thread that, every interval, finds cases whose next SLA check is
// due, records warnings and breaches, emits their events and escalates breached cases one level
// (see SweepCase). Any number of replicas may sweep at once: each pass locks its cases with
// FOR UPDATE SKIP LOCKED, and the primary key of sla_events admits each (case, target, kind,
// cycle) once, so nothing is warned, breached or escalated twice.
//
// The same pass closes RESOLVED cases nobody confirmed within `close_after` (CloseTimedOut),
// under the row lock, so a case closes once however many replicas sweep and a confirmation or
// reopen that got the lock first wins.
//
// After each pass it counts the open cases warned or breached (QualityRepository::
// CountSlaPending) into the gauge accord_quality_sla_breaches_pending{state="warning|breached"}.
// Every replica reports the same count of the shared database: alert on max() across them.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "absl/status/statusor.h"
#include "quality_logic.h"
#include "quality_repository.h"

namespace accord::quality {

class Sweeper {
 public:
  // `close_after` zero: resolved cases are never closed by time.
  Sweeper(QualityRepository& repository, int batch,
          std::chrono::hours close_after = std::chrono::hours(0), Clock clock = SystemNow);
  ~Sweeper();

  // One full pass at `now`: SLA checks, then the close timeout; batches until no due case is
  // left. Returns the cases changed.
  absl::StatusOr<int> SweepOnce(Instant now);
  // Counts the open cases warned and breached into the gauge.
  absl::Status UpdatePendingGauge();
  // Only the close timeout at `now`. Returns the cases closed.
  absl::StatusOr<int> CloseOnce(Instant now);
  // Sweeps every `interval` on a thread of its own until Stop().
  void Start(std::chrono::milliseconds interval);
  void Stop();

 private:
  QualityRepository& repository_;
  int batch_;
  std::chrono::hours close_after_;
  Clock clock_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace accord::quality
