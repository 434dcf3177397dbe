// Business-hours arithmetic: weekends, holidays, time zones and daylight-saving changes, with
// the expected instants worked out by hand (UTC offsets: Berlin +1 in winter, +2 in summer;
// Taipei +8 all year).
#include "business_hours.h"

#include <date/date.h>
#include <gtest/gtest.h>

namespace accord::quality {
namespace {

using std::chrono::hours;
using std::chrono::minutes;

Instant Utc(int y, unsigned m, unsigned d, int h, int min = 0) {
  return Instant(date::sys_days(date::year(y) / m / d).time_since_epoch() + hours(h) +
                 minutes(min));
}

v1::Calendar Weekdays(const std::string& zone, const std::string& start, const std::string& end,
                      int last_weekday = 5) {
  v1::Calendar calendar;
  calendar.set_display_name("office");
  calendar.set_time_zone(zone);
  for (int day = 1; day <= last_weekday; ++day) {
    auto* hours = calendar.add_working_hours();
    hours->set_weekday(day);
    hours->set_start(start);
    hours->set_end(end);
  }
  return calendar;
}

BusinessCalendar Compile(const v1::Calendar& calendar) {
  auto compiled = CompileCalendar(calendar);
  EXPECT_TRUE(compiled.ok()) << compiled.status();
  return *compiled;
}

TEST(BusinessHoursTest, SkipsTheWeekend) {
  const auto berlin = Compile(Weekdays("Europe/Berlin", "09:00", "17:00"));
  // Friday 2026-12-04 16:00 Berlin = 15:00Z; one hour left on Friday, one on Monday.
  auto due = AddBusinessTime(berlin, Utc(2026, 12, 4, 15), hours(2));
  ASSERT_TRUE(due.ok());
  EXPECT_EQ(*due, Utc(2026, 12, 7, 9));  // Monday 10:00 Berlin
  EXPECT_EQ(BusinessTimeBetween(berlin, Utc(2026, 12, 4, 15), Utc(2026, 12, 7, 9)), hours(2));
  // Saturday counts nothing.
  EXPECT_EQ(BusinessTimeBetween(berlin, Utc(2026, 12, 5, 0), Utc(2026, 12, 6, 23)), hours(0));
}

TEST(BusinessHoursTest, StartsOutsideHoursAtTheNextOpening) {
  const auto berlin = Compile(Weekdays("Europe/Berlin", "09:00", "17:00"));
  // Monday 2026-12-07 06:00 Berlin: the clock starts at 09:00.
  auto due = AddBusinessTime(berlin, Utc(2026, 12, 7, 5), minutes(30));
  ASSERT_TRUE(due.ok());
  EXPECT_EQ(*due, Utc(2026, 12, 7, 8, 30));
}

TEST(BusinessHoursTest, SkipsHolidays) {
  v1::Calendar calendar = Weekdays("Europe/Berlin", "09:00", "17:00");
  calendar.add_holidays()->set_date("2026-12-25");
  const auto berlin = Compile(calendar);
  // Thursday 24th 16:00 Berlin; Friday 25th is a holiday, then the weekend.
  auto due = AddBusinessTime(berlin, Utc(2026, 12, 24, 15), hours(2));
  ASSERT_TRUE(due.ok());
  EXPECT_EQ(*due, Utc(2026, 12, 28, 9));  // Monday 28th 10:00 Berlin
}

TEST(BusinessHoursTest, CountsInTheCalendarsTimeZone) {
  const auto taipei = Compile(Weekdays("Asia/Taipei", "09:00", "18:00"));
  // 2026-12-04 09:00Z is Friday 17:00 in Taipei: one hour left, then Monday 09:00 Taipei.
  auto due = AddBusinessTime(taipei, Utc(2026, 12, 4, 9), hours(2));
  ASSERT_TRUE(due.ok());
  EXPECT_EQ(*due, Utc(2026, 12, 7, 2));  // Monday 10:00 Taipei
  // The same instant in Berlin (10:00 Friday) is two hours of Friday's work.
  const auto berlin = Compile(Weekdays("Europe/Berlin", "09:00", "17:00"));
  EXPECT_EQ(*AddBusinessTime(berlin, Utc(2026, 12, 4, 9), hours(2)), Utc(2026, 12, 4, 11));
}

TEST(BusinessHoursTest, SpringForwardDayHasTwentyThreeHours) {
  // Berlin moves from 02:00 CET to 03:00 CEST on Sunday 2026-03-29.
  const auto always = Compile(Weekdays("Europe/Berlin", "00:00", "24:00", 7));
  EXPECT_EQ(BusinessTimeBetween(always, Utc(2026, 3, 28, 23), Utc(2026, 3, 29, 22)), hours(23));
  // Two hours from 01:30 local (00:30Z) end at 04:30 CEST (02:30Z), not 03:30.
  EXPECT_EQ(*AddBusinessTime(always, Utc(2026, 3, 29, 0, 30), hours(2)), Utc(2026, 3, 29, 2, 30));
}

TEST(BusinessHoursTest, FallBackDayHasTwentyFiveHours) {
  // Berlin moves from 03:00 CEST back to 02:00 CET on Sunday 2026-10-25.
  const auto always = Compile(Weekdays("Europe/Berlin", "00:00", "24:00", 7));
  EXPECT_EQ(BusinessTimeBetween(always, Utc(2026, 10, 24, 22), Utc(2026, 10, 25, 23)), hours(25));
}

TEST(BusinessHoursTest, WeekdayHoursAcrossTheDaylightSavingChange) {
  const auto berlin = Compile(Weekdays("Europe/Berlin", "09:00", "17:00"));
  // Friday 2026-03-27 16:00 CET = 15:00Z; the clocks change on Sunday; Monday 10:00 CEST is
  // 08:00Z, an hour earlier in UTC than the same wall time the week before.
  EXPECT_EQ(*AddBusinessTime(berlin, Utc(2026, 3, 27, 15), hours(2)), Utc(2026, 3, 30, 8));
  EXPECT_EQ(BusinessTimeBetween(berlin, Utc(2026, 3, 27, 15), Utc(2026, 3, 30, 8)), hours(2));
}

TEST(BusinessHoursTest, RejectsBadCalendars) {
  v1::Calendar calendar = Weekdays("Mars/Olympus", "17:00", "09:00", 1);
  auto* twice = calendar.add_working_hours();
  twice->set_weekday(1);
  twice->set_start("08:00");
  twice->set_end("25:00");
  calendar.add_holidays()->set_date("2026-12-25");
  calendar.add_holidays()->set_date("2026-12-25");
  calendar.add_holidays()->set_date("2026-02-30");
  common::Violations violations;
  ValidateCalendar(calendar, "calendar.", violations);
  std::vector<std::string> fields;
  for (const auto& v : violations.items()) fields.push_back(v.field);
  EXPECT_EQ(fields, (std::vector<std::string>{
                        "calendar.time_zone", "calendar.working_hours[0].end",
                        "calendar.working_hours[1].weekday", "calendar.working_hours[1].end",
                        "calendar.holidays[1].date", "calendar.holidays[2].date"}));
  v1::Calendar empty;
  empty.set_time_zone("UTC");
  common::Violations none;
  ValidateCalendar(empty, "calendar.", none);
  ASSERT_EQ(none.items().size(), 1u);
  EXPECT_EQ(none.items()[0].field, "calendar.working_hours");
}

TEST(BusinessHoursTest, CalendarWithoutBusinessTimeIsAnError) {
  v1::Calendar calendar = Weekdays("UTC", "09:00", "17:00", 1);
  // Every Monday for eleven years is a holiday.
  date::sys_days day = date::year(2026) / 12 / 7;
  for (int i = 0; i < 400; ++i, day += date::days(7)) {
    calendar.add_holidays()->set_date(date::format("%F", day));
  }
  auto compiled = CompileCalendar(calendar);
  ASSERT_TRUE(compiled.ok());
  // 400 Mondays cover about 7.7 years; ask for more business time than the rest of ten years has.
  auto due = AddBusinessTime(*compiled, Utc(2026, 12, 7, 0), hours(8 * 200));
  EXPECT_EQ(due.status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST(BusinessHoursTest, ParsesClockTimes) {
  EXPECT_EQ(ParseClockTime("09:30"), 570);
  EXPECT_EQ(ParseClockTime("24:00"), 1440);
  EXPECT_EQ(ParseClockTime("24:01"), std::nullopt);
  EXPECT_EQ(ParseClockTime("9:30"), std::nullopt);
  EXPECT_EQ(ParseClockTime("12:60"), std::nullopt);
}

}  // namespace
}  // namespace accord::quality
