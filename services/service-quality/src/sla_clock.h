// A case's SLA clock in business time: deadlines when it starts, the pause ledger while waiting
// on the customer, what has elapsed and remains, and the next moment the sweeper must look at
// it. Pure; unit-tested.
//
// Rules:
// - The clock starts when the case opens (and again when it reopens: a new cycle with the full
//   resolution target). Targets are business time of the policy's calendar.
// - While the case waits on the customer the clock is paused: each pause is a ledger entry; the
//   deadlines move by the business time paused.
// - Warning at `warning_percent` of a target (default 80%), breach at the target. First
//   response is measured once (first move out of NEW or customer-visible comment).
#pragma once

#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "business_hours.h"

namespace accord::quality {

struct SlaTargets {
  Micros first_response{0};
  Micros resolution{0};
  int warning_percent = 80;
};

struct PauseSpan {
  Instant start;
  std::optional<Instant> end;  // nullopt while paused
};

// What the sweeper looks at; kept in columns of the case row.
struct SlaDeadlines {
  std::optional<Instant> first_response_warn;
  std::optional<Instant> first_response_due;
  std::optional<Instant> resolution_warn;
  std::optional<Instant> resolution_due;
};

// SLA events recorded in the current cycle, as bits.
enum SlaEventBit : int {
  kFirstResponseWarning = 1,
  kFirstResponseBreach = 2,
  kResolutionWarning = 4,
  kResolutionBreach = 8,
};

struct SlaEventDue {
  SlaEventBit bit;
  const char* target;  // "first_response" | "resolution"
  const char* kind;    // "warning" | "breach"
};

// Business time paused in [clock_start, now) by the ledger.
Micros PausedTime(const BusinessCalendar& calendar, const std::vector<PauseSpan>& pauses,
                  Instant clock_start, Instant now);

// Deadlines for a clock started at `clock_start`, after `paused` of business time in pauses.
// `measure_first_response` is false once the first response happened (or in a reopened cycle).
absl::StatusOr<SlaDeadlines> ComputeDeadlines(const BusinessCalendar& calendar,
                                              const SlaTargets& targets, Instant clock_start,
                                              Micros paused, bool measure_first_response);

// Events due at `now` and not yet in `recorded` (bits), in the order they fall due.
std::vector<SlaEventDue> DueEvents(const SlaDeadlines& deadlines, int recorded, Instant now);

// The earliest deadline whose event is not recorded; nullopt when nothing is left.
std::optional<Instant> NextCheck(const SlaDeadlines& deadlines, int recorded);

struct SlaView {
  Micros elapsed{0};
  Micros paused{0};
  Micros remaining{0};
};
// Elapsed (business time since clock_start without pauses), paused and remaining of the
// resolution target, as of `now` (or the stop time when the case is resolved).
SlaView ComputeView(const BusinessCalendar& calendar, const SlaTargets& targets,
                    Instant clock_start, const std::vector<PauseSpan>& pauses, Instant now);

}  // namespace accord::quality
