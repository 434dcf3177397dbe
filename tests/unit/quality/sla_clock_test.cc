// The SLA clock of a case: deadlines, first response, the pause ledger while waiting on the
// customer, reopening, and what the sweeper finds due. Berlin, Monday to Friday 09:00-17:00;
// December is UTC+1.
#include "sla_clock.h"

#include <date/date.h>
#include <google/protobuf/util/time_util.h>
#include <gtest/gtest.h>

#include <set>

#include "quality_logic.h"

namespace accord::quality {
namespace {

using google::protobuf::util::TimeUtil;
using std::chrono::hours;
using std::chrono::minutes;

Instant Berlin(unsigned d, int h, int min = 0) {  // December 2026, local time (UTC+1)
  return Instant(date::sys_days(date::year(2026) / 12 / d).time_since_epoch() + hours(h - 1) +
                 minutes(min));
}

BusinessCalendar Office() {
  v1::Calendar calendar;
  calendar.set_time_zone("Europe/Berlin");
  for (int day = 1; day <= 5; ++day) {
    auto* span = calendar.add_working_hours();
    span->set_weekday(day);
    span->set_start("09:00");
    span->set_end("17:00");
  }
  return *CompileCalendar(calendar);
}

// A case opened Monday 7 December 09:00 with 1 h to first response and 8 h to resolution.
CaseRecord Opened(const BusinessCalendar& calendar) {
  CaseRecord record;
  record.value.set_name("cases/0190a000-0000-7000-8000-000000000001");
  record.value.set_status(v1::CASE_STATUS_NEW);
  *record.value.mutable_create_time() =
      TimeUtil::MicrosecondsToTimestamp(Berlin(7, 9).time_since_epoch().count());
  auto* sla = record.value.mutable_sla();
  sla->set_sla_policy("slaPolicies/x");
  sla->set_calendar("calendars/x");
  *sla->mutable_first_response_target() = TimeUtil::SecondsToDuration(3600);
  *sla->mutable_resolution_target() = TimeUtil::SecondsToDuration(8 * 3600);
  record.clock_start = Berlin(7, 9);
  record.deadlines =
      *ComputeDeadlines(calendar, {hours(1), hours(8), 80}, Berlin(7, 9), Micros{0}, true);
  record.next_check = NextCheck(record.deadlines, 0);
  return record;
}

TEST(SlaClockTest, DeadlinesAndWarnings) {
  const auto calendar = Office();
  const CaseRecord record = Opened(calendar);
  EXPECT_EQ(record.deadlines.first_response_warn, Berlin(7, 9, 48));  // 80% of 60 min
  EXPECT_EQ(record.deadlines.first_response_due, Berlin(7, 10));
  EXPECT_EQ(record.deadlines.resolution_warn, Berlin(7, 15, 24));  // 80% of 8 h = 6 h 24 min
  EXPECT_EQ(record.deadlines.resolution_due, Berlin(7, 17));
  EXPECT_EQ(record.next_check, Berlin(7, 9, 48));
  // Due at 10:30: the first-response warning and breach, in that order; not the resolution ones.
  auto due = DueEvents(record.deadlines, 0, Berlin(7, 10, 30));
  ASSERT_EQ(due.size(), 2u);
  EXPECT_EQ(due[0].bit, kFirstResponseWarning);
  EXPECT_EQ(due[1].bit, kFirstResponseBreach);
  EXPECT_TRUE(
      DueEvents(record.deadlines, kFirstResponseWarning | kFirstResponseBreach, Berlin(7, 10, 30))
          .empty());
  EXPECT_EQ(NextCheck(record.deadlines, kFirstResponseWarning | kFirstResponseBreach),
            Berlin(7, 15, 24));
}

TEST(SlaClockTest, PauseAndResumeMoveTheDeadline) {
  const auto calendar = Office();
  CaseRecord record = Opened(calendar);
  ASSERT_TRUE(
      ApplyStatusChange(record, v1::CASE_STATUS_ACKNOWLEDGED, Berlin(7, 9, 30), &calendar).ok());
  EXPECT_EQ(record.first_response_seconds, 1800);
  EXPECT_TRUE(record.first_response_met);
  EXPECT_FALSE(record.deadlines.first_response_due);
  EXPECT_EQ(record.next_check, Berlin(7, 15, 24));

  ASSERT_TRUE(
      ApplyStatusChange(record, v1::CASE_STATUS_WAITING_ON_CUSTOMER, Berlin(7, 10), &calendar)
          .ok());
  EXPECT_EQ(record.value.sla().pauses_size(), 1);
  EXPECT_FALSE(record.next_check);  // nothing falls due while paused

  ASSERT_TRUE(
      ApplyStatusChange(record, v1::CASE_STATUS_IN_PROGRESS, Berlin(7, 14), &calendar).ok());
  // Four business hours paused: 8 h of target end Tuesday 13:00 instead of Monday 17:00.
  EXPECT_EQ(record.deadlines.resolution_due, Berlin(8, 13));
  EXPECT_EQ(
      record.value.sla().pauses(0).end_time().seconds(),
      std::chrono::duration_cast<std::chrono::seconds>(Berlin(7, 14).time_since_epoch()).count());

  const SlaView view = ComputeView(calendar, {hours(1), hours(8), 80}, record.clock_start,
                                   {{Berlin(7, 10), Berlin(7, 14)}}, Berlin(8, 12));
  EXPECT_EQ(view.elapsed, hours(7));  // Monday 8 h + Tuesday 3 h - 4 h paused
  EXPECT_EQ(view.paused, hours(4));
  EXPECT_EQ(view.remaining, hours(1));

  ASSERT_TRUE(ApplyStatusChange(record, v1::CASE_STATUS_RESOLVED, Berlin(8, 12), &calendar).ok());
  EXPECT_EQ(record.resolution_seconds, 7 * 3600);
  EXPECT_TRUE(record.resolution_met);
  EXPECT_TRUE(record.resolved_ever);
  EXPECT_FALSE(record.next_check);
}

TEST(SlaClockTest, ResolvingLateMissesTheTarget) {
  const auto calendar = Office();
  CaseRecord record = Opened(calendar);
  ASSERT_TRUE(
      ApplyStatusChange(record, v1::CASE_STATUS_IN_PROGRESS, Berlin(7, 11), &calendar).ok());
  EXPECT_FALSE(record.first_response_met);  // due at 10:00
  ASSERT_TRUE(ApplyStatusChange(record, v1::CASE_STATUS_RESOLVED, Berlin(8, 10), &calendar).ok());
  EXPECT_EQ(record.resolution_seconds, 9 * 3600);
  EXPECT_FALSE(record.resolution_met);
}

TEST(SlaClockTest, ReopeningStartsANewCycle) {
  const auto calendar = Office();
  CaseRecord record = Opened(calendar);
  ASSERT_TRUE(
      ApplyStatusChange(record, v1::CASE_STATUS_IN_PROGRESS, Berlin(7, 9, 10), &calendar).ok());
  ASSERT_TRUE(ApplyStatusChange(record, v1::CASE_STATUS_RESOLVED, Berlin(7, 12), &calendar).ok());
  record.recorded = kResolutionWarning;
  ASSERT_TRUE(ApplyStatusChange(record, v1::CASE_STATUS_REOPENED, Berlin(9, 16), &calendar).ok());
  EXPECT_EQ(record.value.reopen_count(), 1);
  EXPECT_EQ(record.cycle, 2);
  EXPECT_EQ(record.recorded, 0);
  EXPECT_EQ(record.clock_start, Berlin(9, 16));
  EXPECT_EQ(record.deadlines.resolution_due, Berlin(10, 16));  // 1 h Wednesday + 7 h Thursday
  EXPECT_FALSE(record.deadlines.first_response_due);           // answered in the first cycle
}

}  // namespace
}  // namespace accord::quality

namespace accord::quality {
namespace {

// A sweep context over an in-memory sla_events table.
struct FakeEvents {
  std::set<std::string> keys;
  SweepContext Context() {
    SweepContext context;
    context.record = [this](const std::string& id, const char* target, const char* kind,
                            int cycle) -> absl::StatusOr<bool> {
      return keys.insert(id + "/" + target + "/" + kind + "/" + std::to_string(cycle)).second;
    };
    return context;
  }
};

TEST(SweepCaseTest, BreachWarnsRecordsAndEscalatesOnce) {
  const auto calendar = Office();
  CaseRecord record = Opened(calendar);
  record.value.set_escalation_level(v1::ESCALATION_LEVEL_AGENT);
  FakeEvents events;
  auto context = events.Context();
  // 10:30 Monday: the first-response warning and breach are due.
  auto change = SweepCase(record, context, Berlin(7, 10, 30));
  ASSERT_TRUE(change.ok());
  ASSERT_TRUE(change->has_value());
  const CaseChange& first = **change;
  EXPECT_EQ(first.next.recorded, kFirstResponseWarning | kFirstResponseBreach);
  EXPECT_EQ(first.next.value.status(), v1::CASE_STATUS_ESCALATED);
  EXPECT_EQ(first.next.value.escalation_level(), v1::ESCALATION_LEVEL_SUPERVISOR);
  ASSERT_EQ(first.events.size(), 3u);  // warning, breach, escalation
  EXPECT_EQ(first.events[0].type, "accord.quality.v1.SlaWarning");
  EXPECT_EQ(first.events[1].type, "accord.quality.v1.SlaBreached");
  EXPECT_EQ(first.events[2].type, "accord.quality.v1.CaseEscalated");
  EXPECT_EQ(first.timeline.size(), 3u);
  EXPECT_EQ(first.next.next_check, Berlin(7, 15, 24));

  // Another sweeper that read the case before the first committed finds the events recorded:
  // it marks them done and adds nothing.
  auto again = SweepCase(record, context, Berlin(7, 10, 30));
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE((*again)->events.empty());
  EXPECT_TRUE((*again)->timeline.empty());
  EXPECT_EQ((*again)->next.value.escalation_level(), v1::ESCALATION_LEVEL_AGENT);
}

TEST(SweepCaseTest, PausedCasesAreLeftAlone) {
  const auto calendar = Office();
  CaseRecord record = Opened(calendar);
  record.value.set_status(v1::CASE_STATUS_WAITING_ON_CUSTOMER);
  FakeEvents events;
  auto context = events.Context();
  auto change = SweepCase(record, context, Berlin(8, 10));
  ASSERT_TRUE(change.ok());
  EXPECT_TRUE((*change)->events.empty());
  EXPECT_FALSE((*change)->next.next_check);
  EXPECT_TRUE(events.keys.empty());
}

}  // namespace
}  // namespace accord::quality
