#include "sweeper.h"

#include "accord/common/log.h"
#include "accord/common/metrics.h"
#include "accord/common/thread_name.h"

namespace accord::quality {

Sweeper::Sweeper(QualityRepository& repository, int batch, std::chrono::hours close_after,
                 Clock clock)
    : repository_(repository), batch_(batch), close_after_(close_after), clock_(std::move(clock)) {}

Sweeper::~Sweeper() { Stop(); }

absl::StatusOr<int> Sweeper::SweepOnce(Instant now) {
  WriteMeta meta;
  meta.actor = "system/sweeper";
  meta.method = "Sweep";
  int total = 0;
  // Bounded, so that a pass ends even if cases kept falling due faster than it sweeps.
  for (int round = 0; round < 1000; ++round) {
    ACCORD_ASSIGN_OR_RETURN(int changed,
                            repository_.Sweep(
                                now, batch_,
                                [now](const CaseRecord& record, SweepContext& context) {
                                  return SweepCase(record, context, now);
                                },
                                meta));
    total += changed;
    if (changed < batch_) break;
  }
  ACCORD_ASSIGN_OR_RETURN(int closed, CloseOnce(now));
  return total + closed;
}

absl::StatusOr<int> Sweeper::CloseOnce(Instant now) {
  if (close_after_.count() <= 0) return 0;
  WriteMeta meta;
  meta.actor = "system/sweeper";
  meta.method = "CloseResolved";
  int total = 0;
  for (int round = 0; round < 1000; ++round) {
    ACCORD_ASSIGN_OR_RETURN(int changed, repository_.SweepResolved(
                                             now - close_after_, batch_,
                                             [now](const CaseRecord& record, SweepContext&) {
                                               return CloseTimedOut(record, now);
                                             },
                                             meta));
    total += changed;
    if (changed < batch_) break;
  }
  return total;
}

absl::Status Sweeper::UpdatePendingGauge() {
  static constexpr char kName[] = "accord_quality_sla_breaches_pending";
  static constexpr char kHelp[] =
      "Open cases (not resolved or closed) whose SLA the sweepers breached, and those warned "
      "and not breached, as of the last sweep";
  static common::Gauge& warning =
      common::MetricsRegistry::Global().GetGauge(kName, kHelp, {{"state", "warning"}});
  static common::Gauge& breached =
      common::MetricsRegistry::Global().GetGauge(kName, kHelp, {{"state", "breached"}});
  ACCORD_ASSIGN_OR_RETURN(auto pending, repository_.CountSlaPending());
  warning.Set(static_cast<double>(pending.warning));
  breached.Set(static_cast<double>(pending.breached));
  return absl::OkStatus();
}

void Sweeper::Start(std::chrono::milliseconds interval) {
  if (thread_.joinable() || interval.count() <= 0) return;
  thread_ = std::thread([this, interval] {
    common::NameCurrentThread("sla-sweeper");
    std::unique_lock lock(mutex_);
    while (!stopping_) {
      lock.unlock();
      auto swept = SweepOnce(clock_());
      if (!swept.ok()) {
        common::log::Warn("SLA sweep failed", {{"error", std::string(swept.status().message())}});
      } else if (*swept > 0) {
        common::log::Info("SLA sweep", {{"cases", *swept}});
      }
      if (auto counted = UpdatePendingGauge(); !counted.ok()) {
        common::log::Warn("SLA pending count failed", {{"error", std::string(counted.message())}});
      }
      lock.lock();
      wake_.wait_for(lock, interval, [this] { return stopping_; });
    }
  });
}

void Sweeper::Stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

}  // namespace accord::quality
