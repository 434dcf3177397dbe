// Business-hours arithmetic over a calendar: working spans per ISO weekday in local wall-clock
// time of an IANA zone, minus holidays. Local times become instants through the zone's rules
// (Howard Hinnant's date/tz, reading the system tz database), so a day on which clocks change
// has as many business hours as actually pass: 00:00-24:00 on the spring-forward day is 23 hours.
// A span boundary that falls in a skipped hour starts at the change; in a repeated hour, the
// start takes the first occurrence and the end the second, so no business time is lost.
// Pure functions; no gRPC or database types.
#pragma once

#include <array>
#include <chrono>
#include <optional>
#include <set>
#include <string>

#include "absl/status/statusor.h"
#include "accord/common/errors.h"
#include "accord/quality/v1/sla.pb.h"

namespace date {
class time_zone;
}

namespace accord::quality {

using Micros = std::chrono::microseconds;
using Instant = std::chrono::time_point<std::chrono::system_clock, Micros>;

struct DaySpan {
  int start_minute = 0;  // from local midnight
  int end_minute = 0;    // > start_minute, at most 1440
};

struct BusinessCalendar {
  const date::time_zone* zone = nullptr;
  // Index 1 (Monday) .. 7 (Sunday); index 0 unused.
  std::array<std::optional<DaySpan>, 8> spans;
  // Local dates as days since 1970-01-01.
  std::set<int> holidays;
};

// "HH:MM" (00:00 .. 24:00) -> minutes, or nullopt.
std::optional<int> ParseClockTime(const std::string& text);

// Checks a calendar message and compiles it. Every problem is a field violation under `prefix`
// ("calendar."): unknown time zone, no working hours, a weekday twice, end not after start, a
// malformed or repeated holiday.
void ValidateCalendar(const v1::Calendar& calendar, const std::string& prefix,
                      common::Violations& violations);
absl::StatusOr<BusinessCalendar> CompileCalendar(const v1::Calendar& calendar);

// Business time in [from, to); zero when to <= from.
Micros BusinessTimeBetween(const BusinessCalendar& calendar, Instant from, Instant to);
// The instant at which `amount` of business time has passed since `from`. FAILED_PRECONDITION
// when the calendar has no business time within ten years (every working day a holiday).
absl::StatusOr<Instant> AddBusinessTime(const BusinessCalendar& calendar, Instant from,
                                        Micros amount);

}  // namespace accord::quality
