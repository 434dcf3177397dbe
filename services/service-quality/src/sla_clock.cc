#include "sla_clock.h"

#include <algorithm>

namespace accord::quality {
namespace {

Micros Share(Micros target, int percent) { return target * percent / 100; }

}  // namespace

Micros PausedTime(const BusinessCalendar& calendar, const std::vector<PauseSpan>& pauses,
                  Instant clock_start, Instant now) {
  Micros total{0};
  for (const auto& pause : pauses) {
    const Instant start = std::max(pause.start, clock_start);
    const Instant end = std::min(pause.end.value_or(now), now);
    total += BusinessTimeBetween(calendar, start, end);
  }
  return total;
}

absl::StatusOr<SlaDeadlines> ComputeDeadlines(const BusinessCalendar& calendar,
                                              const SlaTargets& targets, Instant clock_start,
                                              Micros paused, bool measure_first_response) {
  SlaDeadlines deadlines;
  const int percent = targets.warning_percent > 0 ? targets.warning_percent : 80;
  if (measure_first_response && targets.first_response > Micros{0}) {
    ACCORD_ASSIGN_OR_RETURN(
        deadlines.first_response_warn,
        AddBusinessTime(calendar, clock_start, Share(targets.first_response, percent) + paused));
    ACCORD_ASSIGN_OR_RETURN(
        deadlines.first_response_due,
        AddBusinessTime(calendar, clock_start, targets.first_response + paused));
  }
  if (targets.resolution > Micros{0}) {
    ACCORD_ASSIGN_OR_RETURN(
        deadlines.resolution_warn,
        AddBusinessTime(calendar, clock_start, Share(targets.resolution, percent) + paused));
    ACCORD_ASSIGN_OR_RETURN(deadlines.resolution_due,
                            AddBusinessTime(calendar, clock_start, targets.resolution + paused));
  }
  return deadlines;
}

std::vector<SlaEventDue> DueEvents(const SlaDeadlines& deadlines, int recorded, Instant now) {
  std::vector<SlaEventDue> due;
  auto consider = [&](const std::optional<Instant>& at, SlaEventBit bit, const char* target,
                      const char* kind) {
    if (at && *at <= now && (recorded & bit) == 0) due.push_back({bit, target, kind});
  };
  consider(deadlines.first_response_warn, kFirstResponseWarning, "first_response", "warning");
  consider(deadlines.first_response_due, kFirstResponseBreach, "first_response", "breach");
  consider(deadlines.resolution_warn, kResolutionWarning, "resolution", "warning");
  consider(deadlines.resolution_due, kResolutionBreach, "resolution", "breach");
  return due;
}

std::optional<Instant> NextCheck(const SlaDeadlines& deadlines, int recorded) {
  std::optional<Instant> next;
  auto consider = [&](const std::optional<Instant>& at, SlaEventBit bit) {
    if (at && (recorded & bit) == 0 && (!next || *at < *next)) next = *at;
  };
  consider(deadlines.first_response_warn, kFirstResponseWarning);
  consider(deadlines.first_response_due, kFirstResponseBreach);
  consider(deadlines.resolution_warn, kResolutionWarning);
  consider(deadlines.resolution_due, kResolutionBreach);
  return next;
}

SlaView ComputeView(const BusinessCalendar& calendar, const SlaTargets& targets,
                    Instant clock_start, const std::vector<PauseSpan>& pauses, Instant now) {
  SlaView view;
  view.paused = PausedTime(calendar, pauses, clock_start, now);
  view.elapsed = BusinessTimeBetween(calendar, clock_start, now) - view.paused;
  view.remaining = targets.resolution - view.elapsed;
  return view;
}

}  // namespace accord::quality
