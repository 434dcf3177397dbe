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
// A pass is bounded by a time budget (ACCORD_QUALITY_SWEEP_BUDGET_MS): each batch takes at most
// as many cases as the time left holds at the cost per case of the last batch that changed any
// (at most `batch`, at least one for each of the pass's two parts: SLA checks, close timeout), and
// the pass stops when none fits. A pass that stops on the budget leaves the rest due, and the
// thread starts the next pass at once, so a backlog drains over consecutive passes of bounded
// length. Each batch is its own transaction as before, so the budget changes nothing of the
// exactly-once rules above.
//
// After each pass it counts the open cases warned or breached (QualityRepository::
// CountSlaPending) into the gauge accord_quality_sla_breaches_pending{state="warning|breached"}.
// Every replica reports the same count of the shared database: alert on max() across them.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>

#include "absl/status/statusor.h"
#include "quality_logic.h"
#include "quality_repository.h"

namespace accord::quality {

// What one pass did: the cases it changed, and whether it stopped on its budget with cases
// possibly still due (`complete` false) or found none left.
struct SweepPass {
  int changed = 0;
  bool complete = true;
};

class Sweeper {
 public:
  // `close_after` zero: resolved cases are never closed by time. `budget` zero: a pass takes
  // batches until nothing is due, however long that takes.
  Sweeper(QualityRepository& repository, int batch,
          std::chrono::hours close_after = std::chrono::hours(0), Clock clock = SystemNow,
          std::chrono::microseconds budget = std::chrono::microseconds(0));
  ~Sweeper();

  // One pass at `now`: SLA checks, then the close timeout, in batches, within the budget.
  absl::StatusOr<SweepPass> Pass(Instant now);
  // Pass(now).changed.
  absl::StatusOr<int> SweepOnce(Instant now);
  // Counts the open cases warned and breached into the gauge.
  absl::Status UpdatePendingGauge();
  // Only the close timeout at `now` (no budget). Returns the cases closed.
  absl::StatusOr<int> CloseOnce(Instant now);
  // Sweeps every `interval` on a thread of its own until Stop().
  void Start(std::chrono::milliseconds interval);
  void Stop();

 private:
  QualityRepository& repository_;
  int batch_;
  std::chrono::hours close_after_;
  // A repository sweep of at most `size` cases; the cases changed.
  using SelectBatch = std::function<absl::StatusOr<int>(int size)>;
  // Takes batches of `select` until one comes back short or the budget, counted from `start`,
  // has no room for another case; adds to `pass`.
  absl::Status Batches(const SelectBatch& select, std::chrono::steady_clock::time_point start,
                       SweepPass& pass);
  // The close timeout's batch at `now`.
  SelectBatch Closing(Instant now);

  Clock clock_;
  std::chrono::microseconds budget_;
  std::atomic<int64_t> per_case_ns_{0};  // the last batch's time per case changed; 0 unknown
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace accord::quality
