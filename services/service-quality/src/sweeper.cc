#include "sweeper.h"

#include <algorithm>

#include "accord/common/log.h"
#include "accord/common/metrics.h"
#include "accord/common/thread_name.h"

namespace accord::quality {

Sweeper::Sweeper(QualityRepository& repository, int batch, std::chrono::hours close_after,
                 Clock clock, std::chrono::microseconds budget)
    : repository_(repository),
      batch_(batch),
      close_after_(close_after),
      clock_(std::move(clock)),
      budget_(budget) {}

Sweeper::~Sweeper() { Stop(); }

absl::Status Sweeper::Batches(const SelectBatch& select,
                              std::chrono::steady_clock::time_point start, SweepPass& pass) {
  // Bounded, so that a pass ends even if cases kept falling due faster than it sweeps.
  for (int round = 0; round < 1000; ++round) {
    const auto begun = std::chrono::steady_clock::now();
    int size = batch_;
    const auto per_case = std::chrono::nanoseconds(per_case_ns_.load());
    if (budget_.count() > 0 && per_case.count() > 0) {
      const auto left = budget_ - (begun - start);
      size = static_cast<int>(std::clamp<int64_t>(left / per_case, 0, batch_));
      if (size == 0 && round == 0) size = 1;  // each part moves on, however busy the database
      if (size == 0) {
        pass.complete = false;  // the next pass goes on
        return absl::OkStatus();
      }
    }
    ACCORD_ASSIGN_OR_RETURN(int changed, select(size));
    if (changed > 0) {
      per_case_ns_.store(std::chrono::duration_cast<std::chrono::nanoseconds>(
                             std::chrono::steady_clock::now() - begun)
                             .count() /
                         changed);
    }
    pass.changed += changed;
    if (changed < size) return absl::OkStatus();
  }
  pass.complete = false;
  return absl::OkStatus();
}

namespace {

WriteMeta SweeperMeta(const char* method) {
  WriteMeta meta;
  meta.actor = "system/sweeper";
  meta.method = method;
  return meta;
}

}  // namespace

Sweeper::SelectBatch Sweeper::Closing(Instant now) {
  return [this, now](int size) {
    return repository_.SweepResolved(
        now - close_after_, size,
        [now](const CaseRecord& record, SweepContext&) { return CloseTimedOut(record, now); },
        SweeperMeta("CloseResolved"));
  };
}

absl::StatusOr<SweepPass> Sweeper::Pass(Instant now) {
  const auto start = std::chrono::steady_clock::now();
  SweepPass pass;
  const WriteMeta meta = SweeperMeta("Sweep");
  const SelectBatch checks = [&](int size) {
    return repository_.Sweep(
        now, size,
        [now](const CaseRecord& record, SweepContext& context) {
          return SweepCase(record, context, now);
        },
        meta);
  };
  ACCORD_RETURN_IF_ERROR(Batches(checks, start, pass));
  if (close_after_.count() > 0) ACCORD_RETURN_IF_ERROR(Batches(Closing(now), start, pass));
  return pass;
}

absl::StatusOr<int> Sweeper::SweepOnce(Instant now) {
  ACCORD_ASSIGN_OR_RETURN(SweepPass pass, Pass(now));
  return pass.changed;
}

absl::StatusOr<int> Sweeper::CloseOnce(Instant now) {
  if (close_after_.count() <= 0) return 0;
  const SelectBatch close = Closing(now);
  int total = 0;
  for (int round = 0; round < 1000; ++round) {
    ACCORD_ASSIGN_OR_RETURN(int changed, close(batch_));
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
      auto swept = Pass(clock_());
      const bool more = swept.ok() && !swept->complete;
      if (!swept.ok()) {
        common::log::Warn("SLA sweep failed", {{"error", std::string(swept.status().message())}});
      } else if (swept->changed > 0) {
        common::log::Info("SLA sweep", {{"cases", swept->changed}, {"complete", swept->complete}});
      }
      if (auto counted = UpdatePendingGauge(); !counted.ok()) {
        common::log::Warn("SLA pending count failed", {{"error", std::string(counted.message())}});
      }
      lock.lock();
      // A pass that stopped on its budget is followed by the next at once: the backlog drains.
      if (!more) wake_.wait_for(lock, interval, [this] { return stopping_; });
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
