#include "business_hours.h"

#include <date/date.h>
#include <date/tz.h>

#include <algorithm>

namespace accord::quality {
namespace {

// Searching further than this for business time means the calendar has none.
constexpr int kMaxDays = 3660;

bool IsDate(const std::string& text, date::year_month_day* out) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return false;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (text[i] < '0' || text[i] > '9') return false;
  }
  const date::year_month_day ymd{date::year(std::stoi(text.substr(0, 4))),
                                 date::month(static_cast<unsigned>(std::stoi(text.substr(5, 2)))),
                                 date::day(static_cast<unsigned>(std::stoi(text.substr(8, 2))))};
  if (!ymd.ok()) return false;
  *out = ymd;
  return true;
}

const date::time_zone* FindZone(const std::string& name) {
  if (name.empty()) return nullptr;
  try {
    return date::locate_zone(name);
  } catch (const std::exception&) {
    return nullptr;
  }
}

// The business span of local day `day` as instants, or nullopt on a non-working day.
std::optional<std::pair<Instant, Instant>> SpanOn(const BusinessCalendar& calendar,
                                                  date::local_days day) {
  if (calendar.holidays.count(day.time_since_epoch().count())) return std::nullopt;
  const unsigned weekday = date::weekday(day).iso_encoding();
  const auto& span = calendar.spans[weekday];
  if (!span) return std::nullopt;
  const auto start = day + std::chrono::minutes(span->start_minute);
  const auto end = day + std::chrono::minutes(span->end_minute);
  return std::make_pair(
      std::chrono::time_point_cast<Micros>(calendar.zone->to_sys(start, date::choose::earliest)),
      std::chrono::time_point_cast<Micros>(calendar.zone->to_sys(end, date::choose::latest)));
}

date::local_days LocalDay(const BusinessCalendar& calendar, Instant at) {
  return date::floor<date::days>(calendar.zone->to_local(at));
}

}  // namespace

std::optional<int> ParseClockTime(const std::string& text) {
  if (text.size() != 5 || text[2] != ':') return std::nullopt;
  for (size_t i : {0, 1, 3, 4}) {
    if (text[i] < '0' || text[i] > '9') return std::nullopt;
  }
  const int hours = (text[0] - '0') * 10 + (text[1] - '0');
  const int minutes = (text[3] - '0') * 10 + (text[4] - '0');
  if (minutes > 59 || hours > 24 || (hours == 24 && minutes != 0)) return std::nullopt;
  return hours * 60 + minutes;
}

void ValidateCalendar(const v1::Calendar& calendar, const std::string& prefix,
                      common::Violations& violations) {
  if (FindZone(calendar.time_zone()) == nullptr) {
    violations.Add(prefix + "time_zone",
                   "`" + calendar.time_zone() + "` is not an IANA time zone, e.g. Europe/Berlin");
  }
  if (calendar.working_hours_size() == 0) {
    violations.Add(prefix + "working_hours", "required: at least one working day");
  }
  std::set<int> weekdays;
  for (int i = 0; i < calendar.working_hours_size(); ++i) {
    const auto& hours = calendar.working_hours(i);
    const std::string field = prefix + "working_hours[" + std::to_string(i) + "]";
    if (hours.weekday() < 1 || hours.weekday() > 7) {
      violations.Add(field + ".weekday", "must be 1 (Monday) to 7 (Sunday)");
    } else if (!weekdays.insert(hours.weekday()).second) {
      violations.Add(field + ".weekday", "weekday " + std::to_string(hours.weekday()) +
                                             " is listed twice; give one span per day");
    }
    auto start = ParseClockTime(hours.start());
    auto end = ParseClockTime(hours.end());
    if (!start) violations.Add(field + ".start", "must be HH:MM, 00:00 to 24:00");
    if (!end) violations.Add(field + ".end", "must be HH:MM, 00:00 to 24:00");
    if (start && end && *end <= *start) {
      violations.Add(field + ".end", "must be after start; a day without work is left out");
    }
  }
  std::set<std::string> dates;
  for (int i = 0; i < calendar.holidays_size(); ++i) {
    const auto& holiday = calendar.holidays(i);
    const std::string field = prefix + "holidays[" + std::to_string(i) + "]";
    date::year_month_day ymd;
    if (!IsDate(holiday.date(), &ymd)) {
      violations.Add(field + ".date", "must be a date written YYYY-MM-DD");
    } else if (!dates.insert(holiday.date()).second) {
      violations.Add(field + ".date", holiday.date() + " is listed twice");
    }
    if (holiday.description().size() > 200) {
      violations.Add(field + ".description", "at most 200 characters");
    }
  }
}

absl::StatusOr<BusinessCalendar> CompileCalendar(const v1::Calendar& calendar) {
  common::Violations violations;
  ValidateCalendar(calendar, "calendar.", violations);
  ACCORD_RETURN_IF_ERROR(violations.ToStatus());
  BusinessCalendar compiled;
  compiled.zone = FindZone(calendar.time_zone());
  for (const auto& hours : calendar.working_hours()) {
    compiled.spans[hours.weekday()] =
        DaySpan{*ParseClockTime(hours.start()), *ParseClockTime(hours.end())};
  }
  for (const auto& holiday : calendar.holidays()) {
    date::year_month_day ymd;
    IsDate(holiday.date(), &ymd);
    compiled.holidays.insert(date::local_days(ymd).time_since_epoch().count());
  }
  return compiled;
}

Micros BusinessTimeBetween(const BusinessCalendar& calendar, Instant from, Instant to) {
  Micros total{0};
  if (to <= from) return total;
  const date::local_days last = LocalDay(calendar, to);
  for (date::local_days day = LocalDay(calendar, from); day <= last; day += date::days(1)) {
    auto span = SpanOn(calendar, day);
    if (!span) continue;
    const Instant start = std::max(span->first, from);
    const Instant end = std::min(span->second, to);
    if (end > start) total += end - start;
  }
  return total;
}

absl::StatusOr<Instant> AddBusinessTime(const BusinessCalendar& calendar, Instant from,
                                        Micros amount) {
  if (amount <= Micros{0}) return from;
  date::local_days day = LocalDay(calendar, from);
  for (int i = 0; i < kMaxDays; ++i, day += date::days(1)) {
    auto span = SpanOn(calendar, day);
    if (!span) continue;
    const Instant start = std::max(span->first, from);
    if (span->second <= start) continue;
    const Micros available = span->second - start;
    if (amount <= available) return start + amount;
    amount -= available;
  }
  return common::FailedPrecondition("CALENDAR_WITHOUT_BUSINESS_TIME",
                                    "the calendar has no business hours within ten years");
}

}  // namespace accord::quality
