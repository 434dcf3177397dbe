// Service-quality end to end: a real gRPC channel to an in-process service-quality (cases, SLA
// policies and calendars, surveys, reports) beside the account and contact services it asks
// (quality_fixture.h).
#include <gmock/gmock.h>
#include <google/protobuf/util/time_util.h>
#include <gtest/gtest.h>

#include <ctime>
#include <pqxx/pqxx>
#include <set>
#include <thread>

#include "accord/common/ids.h"
#include "accord/common/money.h"
#include "accord/quality/v1/case.grpc.pb.h"
#include "accord/quality/v1/report.grpc.pb.h"
#include "accord/quality/v1/sla.grpc.pb.h"
#include "accord/quality/v1/survey.grpc.pb.h"
#include "pg_quality_repository.h"
#include "quality_fixture.h"
#include "quality_service.h"
#include "support/servers.h"
#include "support/service_harness.h"
#include "sweeper.h"

namespace accord::quality {
namespace {

using common::Role;
using google::protobuf::util::TimeUtil;
using ::testing::Contains;
using ::testing::HasSubstr;
using testing::ReasonOf;
using testing::ViolatedFields;

QualityOptions TestOptions() { return TestQualityOptions(0, 0); }

class QualityApiTest : public QualityFixture {};

TEST_F(QualityApiTest, CaseLifecycle) {
  const v1::Calendar calendar = AlwaysOpen();
  const v1::SlaPolicy policy = Policy(calendar, v1::PRIORITY_HIGH, 60, 480);
  v1::Case c = Create(NewCase(v1::LEVEL_HIGH, v1::LEVEL_MEDIUM));
  ASSERT_FALSE(c.name().empty());
  EXPECT_EQ(c.priority(), v1::PRIORITY_HIGH);  // impact HIGH x urgency MEDIUM
  EXPECT_EQ(c.status(), v1::CASE_STATUS_NEW);
  EXPECT_EQ(c.escalation_level(), v1::ESCALATION_LEVEL_AGENT);
  EXPECT_EQ(c.sla().sla_policy(), policy.name());
  EXPECT_EQ(c.sla().state(), v1::SLA_STATE_ON_TRACK);
  EXPECT_EQ(c.sla().resolution_due().seconds() - c.create_time().seconds(), 8 * 3600);
  EXPECT_EQ(c.special_needs(0).note(), "prefers German");
  EXPECT_EQ(c.creator(), "ann");

  ASSERT_TRUE(Move(c, v1::CASE_STATUS_ACKNOWLEDGED).ok());
  EXPECT_TRUE(c.sla().has_first_response_time());
  ASSERT_TRUE(Move(c, v1::CASE_STATUS_IN_PROGRESS).ok());
  ASSERT_TRUE(Move(c, v1::CASE_STATUS_WAITING_ON_CUSTOMER).ok());
  EXPECT_EQ(c.sla().state(), v1::SLA_STATE_PAUSED);
  ASSERT_TRUE(Move(c, v1::CASE_STATUS_IN_PROGRESS).ok());
  ASSERT_EQ(c.sla().pauses_size(), 1);
  EXPECT_TRUE(c.sla().pauses(0).has_end_time());

  v1::CreateTimelineEntryRequest comment;
  comment.set_parent(c.name());
  comment.mutable_timeline_entry()->set_text("We are sending a new pallet");
  comment.mutable_timeline_entry()->set_customer_visible(true);
  v1::TimelineEntry entry;
  auto status = cases_->CreateTimelineEntry(Agent().get(), comment, &entry);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(entry.kind(), v1::TIMELINE_ENTRY_KIND_COMMENT);
  EXPECT_EQ(entry.actor(), "ann");
  c = [&] {
    v1::GetCaseRequest get;
    get.set_name(c.name());
    v1::Case out;
    EXPECT_TRUE(cases_->GetCase(Agent().get(), get, &out).ok());
    return out;
  }();

  ASSERT_TRUE(Resolve(c, 100).ok());
  EXPECT_EQ(c.status(), v1::CASE_STATUS_RESOLVED);
  EXPECT_EQ(c.resolution().resolved_by(), "ann");
  EXPECT_EQ(c.sla().state(), v1::SLA_STATE_MET);
  ASSERT_TRUE(Move(c, v1::CASE_STATUS_REOPENED).ok());
  EXPECT_EQ(c.reopen_count(), 1);
  ASSERT_TRUE(Resolve(c, 0).ok());
  ASSERT_TRUE(Confirm(c).ok());

  std::vector<v1::TimelineEntryKind> kinds;
  for (const auto& e : Timeline(c.name())) kinds.push_back(e.kind());
  EXPECT_EQ(std::count(kinds.begin(), kinds.end(), v1::TIMELINE_ENTRY_KIND_STATUS_CHANGE), 7);
  EXPECT_EQ(std::count(kinds.begin(), kinds.end(), v1::TIMELINE_ENTRY_KIND_RESOLUTION), 2);
  EXPECT_THAT(kinds, Contains(v1::TIMELINE_ENTRY_KIND_COMMENT));
  EXPECT_THAT(kinds, Contains(v1::TIMELINE_ENTRY_KIND_ASSIGNMENT));

  // Every change of the case wrote one event or more, in its transaction.
  EXPECT_EQ(Count("SELECT count(*) FROM service_quality.outbox WHERE subject = '" + c.name() + "'"),
            std::stoll(c.etag()));
  EXPECT_EQ(Outboxed("SurveyRequested"),
            2);  // one per resolution
}

TEST_F(QualityApiTest, IllegalMovesAndStaleEtags) {
  v1::Case c = Create(NewCase());
  auto status = Move(c, v1::CASE_STATUS_WAITING_ON_CUSTOMER);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(ReasonOf(status), "ILLEGAL_STATUS_TRANSITION");
  status = Move(c, v1::CASE_STATUS_RESOLVED);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(ViolatedFields(status), Contains("status"));
  v1::Case stale = c;
  ASSERT_TRUE(Move(c, v1::CASE_STATUS_ACKNOWLEDGED).ok());
  status = Move(stale, v1::CASE_STATUS_IN_PROGRESS);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::ABORTED);
  ASSERT_TRUE(Move(c, v1::CASE_STATUS_IN_PROGRESS).ok());
  ASSERT_TRUE(Resolve(c, 0).ok());
  ASSERT_TRUE(Confirm(c).ok());
  status = Move(c, v1::CASE_STATUS_REOPENED);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
}

TEST_F(QualityApiTest, CompensationAboveTheAgentsLimitIsRefused) {
  v1::Case c = Create(NewCase());
  ASSERT_TRUE(Move(c, v1::CASE_STATUS_IN_PROGRESS).ok());
  auto status = Resolve(c, 1000);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(ReasonOf(status), "COMPENSATION_ABOVE_LIMIT");
  EXPECT_THAT(status.error_message(), HasSubstr("EUR 500"));
  EXPECT_EQ(c.status(), v1::CASE_STATUS_IN_PROGRESS);
  EXPECT_TRUE(SurveysOf(c.name()).empty());  // nothing half-written

  // The agent escalates; a supervisor may grant it.
  v1::EscalateCaseRequest escalate;
  escalate.set_name(c.name());
  escalate.set_etag(c.etag());
  escalate.set_reason("credit of EUR 1000 is above my limit");
  v1::Case escalated;
  ASSERT_TRUE(cases_->EscalateCase(Agent().get(), escalate, &escalated).ok());
  EXPECT_EQ(escalated.escalation_level(), v1::ESCALATION_LEVEL_SUPERVISOR);
  c = escalated;
  ASSERT_TRUE(Resolve(c, 1000, Supervisor()).ok());
}

TEST_F(QualityApiTest, ResolvingRequestsASurveyAnsweredOnce) {
  v1::Case c = Create(NewCase());
  ASSERT_TRUE(Move(c, v1::CASE_STATUS_IN_PROGRESS).ok());
  // A resolve retried with its request_id resolves once and requests one survey.
  v1::ResolveCaseRequest resolve;
  resolve.set_name(c.name());
  resolve.set_etag(c.etag());
  resolve.set_request_id(common::NewUuidV7());
  resolve.mutable_resolution()->set_summary("Explained the invoice");
  resolve.mutable_resolution()->set_code(v1::RESOLUTION_CODE_EXPLAINED);
  for (int attempt = 0; attempt < 2; ++attempt) {
    v1::Case resolved;
    auto status = cases_->ResolveCase(Agent().get(), resolve, &resolved);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(resolved.status(), v1::CASE_STATUS_RESOLVED);
  }
  auto surveys = SurveysOf(c.name());
  ASSERT_EQ(surveys.size(), 1u);
  EXPECT_EQ(surveys[0].account(), c.account());
  EXPECT_EQ(surveys[0].contact(), c.contact());
  EXPECT_EQ(surveys[0].state(), v1::SURVEY_STATE_REQUESTED);

  v1::AnswerSurveyRequest answer;
  answer.set_name(surveys[0].name());
  answer.set_csat(6);
  answer.set_nps(11);
  v1::Survey answered;
  auto status = surveys_->AnswerSurvey(Agent().get(), answer, &answered);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(ViolatedFields(status), ::testing::ElementsAre("csat", "nps"));

  answer.set_csat(5);
  answer.set_nps(9);
  answer.set_effort(2);
  ASSERT_TRUE(surveys_->AnswerSurvey(Agent().get(), answer, &answered).ok());
  EXPECT_EQ(answered.state(), v1::SURVEY_STATE_ANSWERED);
  EXPECT_EQ(answered.csat(), 5);
  status = surveys_->AnswerSurvey(Agent().get(), answer, &answered);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(ReasonOf(status), "SURVEY_ALREADY_ANSWERED");
  EXPECT_EQ(Count("SELECT count(*) FROM service_quality.outbox WHERE type = "
                  "'accord.quality.v1.SurveyAnswered' AND subject = '" +
                  surveys[0].name() + "'"),
            1);
}

TEST_F(QualityApiTest, TwoSweepersWarnBreachAndEscalateExactlyOnce) {
  constexpr int kCases = 24;
  const std::vector<std::string> names = CasesDueSoon(kCases);

  // Two replicas' sweepers, an hour later, in small batches so that they interleave.
  PgQualityRepository first_store(harness_.runtime().pg());
  PgQualityRepository second_store(harness_.runtime().pg());
  Sweeper first(first_store, 3);
  Sweeper second(second_store, 3);
  const Instant later = SystemNow() + std::chrono::hours(1);
  absl::StatusOr<int> first_swept, second_swept;
  std::thread a([&] { first_swept = first.SweepOnce(later); });
  std::thread b([&] { second_swept = second.SweepOnce(later); });
  a.join();
  b.join();
  ASSERT_TRUE(first_swept.ok()) << first_swept.status();
  ASSERT_TRUE(second_swept.ok()) << second_swept.status();
  EXPECT_EQ(*first_swept + *second_swept, kCases);
  EXPECT_EQ(*first.SweepOnce(later), 0);  // nothing left to do

  // Per case: both targets warned and breached once, escalated once per breach.
  EXPECT_EQ(Count("SELECT count(*) FROM service_quality.sla_events"), 4 * kCases);
  EXPECT_EQ(Outboxed("SlaBreached"), 2 * kCases);
  EXPECT_EQ(Outboxed("CaseEscalated"), 2 * kCases);
  for (const auto& name : names) {
    ExpectBreachedToManager(name);
    int escalations = 0, sla_events = 0;
    for (const auto& e : Timeline(name)) {
      escalations += e.kind() == v1::TIMELINE_ENTRY_KIND_ESCALATION;
      sla_events += e.kind() == v1::TIMELINE_ENTRY_KIND_SLA_EVENT;
    }
    EXPECT_EQ(escalations, 2) << name;
    EXPECT_EQ(sla_events, 4) << name;
  }
  // And the database itself refuses a second record of the same breach.
  pqxx::connection connection(database_.url());
  pqxx::work work(connection);
  EXPECT_THROW(work.exec("INSERT INTO service_quality.sla_events (case_id, target, kind, cycle, "
                         "recorded_by) VALUES ('" +
                         names[0].substr(6) + "', 'resolution', 'breach', 1, 'test')"),
               pqxx::unique_violation);
}

TEST_F(QualityApiTest, ReportOverSeededData) {
  // Cases opened in March 2026 (and two in February, the previous period), with their SLA
  // figures as the service stores them; surveys answered in March.
  pqxx::connection connection(database_.url());
  {
    pqxx::work work(connection);
    auto insert = [&](const std::string& opened, const std::string& account,
                      const std::string& team, const std::string& agent, int category, int kind,
                      const std::string& first, const std::string& first_met,
                      const std::string& resolution, const std::string& resolution_met,
                      bool reopened) {
      work.exec_params(
          "INSERT INTO service_quality.cases (id, account, channel, kind, category, status, "
          "priority, impact, urgency, tier, team, assignee, escalation_level, description, "
          "body, clock_start, create_time, first_response_seconds, first_response_met, "
          "resolution_seconds, resolution_met, resolved_ever, reopen_count) VALUES ($1::uuid, "
          "$2, 2, $3::smallint, $4::smallint, 3, 2, 2, 2, 0, $5, $6, 1, 'seeded', '\\x', "
          "$7::timestamptz, $7::timestamptz, NULLIF($8, '')::bigint, NULLIF($9, '')::boolean, "
          "NULLIF($10, '')::bigint, NULLIF($11, '')::boolean, $12::boolean, $13::int)",
          common::NewUuidV7(), account, kind, category, team, agent, opened, first, first_met,
          resolution, resolution_met, resolution.empty() ? "false" : "true", reopened ? 1 : 0);
    };
    // category 1 BILLING_ERROR, 5 LATE_DELIVERY, 10 OTHER; kind 1 complaint, 2 enquiry, 3 request
    insert("2026-03-02T10:00:00Z", "accounts/a1", "T1", "x", 1, 1, "600", "true", "3600", "true",
           false);
    insert("2026-03-03T10:00:00Z", "accounts/a1", "T1", "x", 1, 1, "1200", "true", "7200", "false",
           true);
    insert("2026-03-04T10:00:00Z", "accounts/a1", "T2", "y", 5, 1, "3000", "false", "", "", false);
    insert("2026-03-05T10:00:00Z", "accounts/a2", "T2", "y", 5, 2, "300", "true", "1800", "true",
           false);
    insert("2026-03-06T10:00:00Z", "accounts/a2", "T1", "x", 10, 3, "", "", "", "", false);
    insert("2026-02-10T10:00:00Z", "accounts/a1", "T1", "x", 1, 1, "", "", "", "", false);
    insert("2026-02-11T10:00:00Z", "accounts/a1", "T1", "x", 5, 1, "", "", "", "", false);
    // Outside both periods.
    insert("2026-04-01T10:00:00Z", "accounts/a1", "T1", "x", 1, 1, "60", "true", "", "", false);
    auto survey = [&](const std::string& account, const std::string& csat, const std::string& nps,
                      const std::string& answered) {
      work.exec_params(
          "INSERT INTO service_quality.surveys (id, account, state, csat, nps, answer_time) "
          "VALUES ($1::uuid, $2, 2, NULLIF($3, '')::smallint, NULLIF($4, '')::smallint, "
          "$5::timestamptz)",
          common::NewUuidV7(), account, csat, nps, answered);
    };
    survey("accounts/a1", "5", "10", "2026-03-10T00:00:00Z");
    survey("accounts/a1", "4", "9", "2026-03-11T00:00:00Z");
    survey("accounts/a2", "2", "6", "2026-03-12T00:00:00Z");
    survey("accounts/a2", "", "8", "2026-03-13T00:00:00Z");
    survey("accounts/a2", "1", "0", "2026-04-13T00:00:00Z");  // outside the period
    work.commit();
  }
  v1::GetServiceReportRequest request;
  *request.mutable_start_time() = TimeUtil::SecondsToTimestamp(1772323200);  // 2026-03-01
  *request.mutable_end_time() = TimeUtil::SecondsToTimestamp(1775001600);    // 2026-04-01
  request.set_group_by(v1::REPORT_GROUP_BY_ACCOUNT);
  v1::ServiceReport report;
  auto status = reports_->GetServiceReport(Supervisor().get(), request, &report);
  ASSERT_TRUE(status.ok()) << status.error_message();
  const auto& t = report.totals();
  EXPECT_EQ(t.case_count(), 5);
  EXPECT_EQ(t.complaint_count(), 3);
  EXPECT_DOUBLE_EQ(t.first_response_compliance(), 0.75);
  EXPECT_EQ(t.first_response_median_seconds(), 600);
  EXPECT_EQ(t.first_response_p90_seconds(), 3000);
  EXPECT_DOUBLE_EQ(t.resolution_compliance(), 2.0 / 3.0);
  EXPECT_EQ(t.resolution_median_seconds(), 3600);
  EXPECT_EQ(t.resolution_p90_seconds(), 7200);
  EXPECT_DOUBLE_EQ(t.csat_satisfied_share(), 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(t.nps(), 25.0);
  EXPECT_DOUBLE_EQ(t.reopen_rate(), 1.0 / 3.0);
  ASSERT_EQ(report.groups_size(), 2);
  EXPECT_EQ(report.groups(0).key(), "accounts/a1");
  EXPECT_EQ(report.groups(0).figures().case_count(), 3);
  EXPECT_DOUBLE_EQ(report.groups(0).figures().nps(), 100.0);
  EXPECT_EQ(report.groups(1).figures().case_count(), 2);
  EXPECT_DOUBLE_EQ(report.groups(1).figures().nps(), -50.0);
  ASSERT_EQ(report.top_categories_size(), 3);
  EXPECT_EQ(report.top_categories(0).category(), v1::CASE_CATEGORY_BILLING_ERROR);
  EXPECT_DOUBLE_EQ(report.top_categories(0).change_percent(), 100.0);
  ASSERT_EQ(report.recommendations_size(), 1);
  EXPECT_EQ(report.recommendations(0).rule(), "REPEATED_COMPLAINTS");
  EXPECT_EQ(report.recommendations(0).subject(), "accounts/a1");
  EXPECT_EQ(report.recommendations(0).figures().at("complaint_count"), "3");

  status = reports_->GetServiceReport(Agent().get(), request, &report);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(QualityApiTest, WhoMayDoWhat) {
  v1::CreateCaseRequest create;
  *create.mutable_case_() = NewCase();
  v1::Case out;
  EXPECT_EQ(cases_->CreateCase(As("erp", {Role::kIntegration}).get(), create, &out).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  // An account manager opens a case but does not work it.
  create.mutable_case_()->clear_assignee();
  create.mutable_case_()->set_team("south");
  v1::Case c = Create(create.case_(), As("max", {Role::kAccountManager}));
  EXPECT_EQ(Move(c, v1::CASE_STATUS_ACKNOWLEDGED, As("max", {Role::kAccountManager})).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  // An agent of another team may not; one of the team may.
  EXPECT_EQ(Move(c, v1::CASE_STATUS_ACKNOWLEDGED, Agent("ann")).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(
      Move(c, v1::CASE_STATUS_ACKNOWLEDGED, As("bob", {Role::kServiceAgent}, {"south"})).ok());
  // Integration reads, without free text.
  v1::GetCaseRequest get;
  get.set_name(c.name());
  ASSERT_TRUE(cases_->GetCase(As("erp", {Role::kIntegration}).get(), get, &out).ok());
  EXPECT_EQ(out.description(), "");
  EXPECT_EQ(out.special_needs(0).kind(), v1::SPECIAL_NEED_KIND_LANGUAGE);
  EXPECT_EQ(out.special_needs(0).note(), "");
  // Overrides are a supervisor's.
  v1::OverrideCasePriorityRequest override_request;
  override_request.set_name(c.name());
  override_request.set_priority(v1::PRIORITY_CRITICAL);
  override_request.set_reason("production line stopped");
  override_request.set_etag(c.etag());
  EXPECT_EQ(cases_
                ->OverrideCasePriority(As("bob", {Role::kServiceAgent}, {"south"}).get(),
                                       override_request, &out)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(cases_->OverrideCasePriority(Supervisor().get(), override_request, &out).ok());
  EXPECT_EQ(out.priority(), v1::PRIORITY_CRITICAL);
  EXPECT_EQ(out.priority_override_reason(), "production line stopped");
  // SLA policies and calendars are a supervisor's.
  v1::CreateCalendarRequest calendar;
  calendar.mutable_calendar()->set_display_name("x");
  v1::Calendar created;
  EXPECT_EQ(slas_->CreateCalendar(Agent().get(), calendar, &created).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(QualityApiTest, BadInputWritesNothing) {
  v1::CreateCaseRequest create;
  create.mutable_case_()->set_account("acme");
  create.mutable_case_()->set_impact(v1::LEVEL_HIGH);
  v1::Case out;
  auto status = cases_->CreateCase(Agent().get(), create, &out);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(ViolatedFields(status),
              ::testing::ElementsAre("case.account", "case.channel", "case.kind", "case.category",
                                     "case.description", "case.urgency"));
  EXPECT_EQ(Count("SELECT count(*) FROM service_quality.cases"), 0);
  EXPECT_EQ(Count("SELECT count(*) FROM service_quality.outbox"), 0);

  v1::CreateCalendarRequest calendar;
  calendar.mutable_calendar()->set_display_name("bad");
  calendar.mutable_calendar()->set_time_zone("Europe/Atlantis");
  v1::Calendar created;
  status = slas_->CreateCalendar(Supervisor().get(), calendar, &created);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(ViolatedFields(status),
              ::testing::ElementsAre("calendar.time_zone", "calendar.working_hours"));
}

TEST_F(QualityApiTest, RetriesAndLists) {
  const std::string request_id = common::NewUuidV7();
  const v1::Case request = NewCase();
  v1::Case first = Create(request, Agent(), request_id);
  v1::Case again = Create(request, Agent(), request_id);
  EXPECT_EQ(again.name(), first.name());
  for (int i = 0; i < 4; ++i) Create(NewCase(v1::LEVEL_LOW, v1::LEVEL_LOW));
  EXPECT_EQ(Count("SELECT count(*) FROM service_quality.cases"), 5);

  v1::ListCasesRequest list;
  list.set_filter("priority = LOW AND status = NEW");
  list.set_page_size(3);
  std::set<std::string> seen;
  do {
    v1::ListCasesResponse page;
    auto status = cases_->ListCases(Agent().get(), list, &page);
    ASSERT_TRUE(status.ok()) << status.error_message();
    for (const auto& c : page.cases()) {
      EXPECT_EQ(c.priority(), v1::PRIORITY_LOW);
      seen.insert(c.name());
    }
    list.set_page_token(page.next_page_token());
  } while (!list.page_token().empty());
  EXPECT_EQ(seen.size(), 4u);

  list.set_filter("colour = red");
  list.clear_page_token();
  v1::ListCasesResponse page;
  EXPECT_EQ(cases_->ListCases(Agent().get(), list, &page).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(QualityApiTest, DeletedPoliciesAndCalendarsLeaveOpenCasesRunning) {
  const v1::Calendar calendar = AlwaysOpen();
  const v1::SlaPolicy policy = Policy(calendar, v1::PRIORITY_HIGH, 60, 480);
  v1::Case c = Create(NewCase());
  ASSERT_EQ(c.sla().sla_policy(), policy.name());

  v1::DeleteCalendarRequest delete_calendar;
  delete_calendar.set_name(calendar.name());
  delete_calendar.set_etag(calendar.etag());
  v1::Calendar deleted_calendar;
  auto status = slas_->DeleteCalendar(Supervisor().get(), delete_calendar, &deleted_calendar);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(ReasonOf(status), "CALENDAR_IN_USE");

  v1::DeleteSlaPolicyRequest delete_policy;
  delete_policy.set_name(policy.name());
  delete_policy.set_etag("0");
  v1::SlaPolicy deleted_policy;
  EXPECT_EQ(slas_->DeleteSlaPolicy(Supervisor().get(), delete_policy, &deleted_policy).error_code(),
            grpc::StatusCode::ABORTED);
  delete_policy.set_etag(policy.etag());
  ASSERT_TRUE(slas_->DeleteSlaPolicy(Supervisor().get(), delete_policy, &deleted_policy).ok());
  EXPECT_TRUE(deleted_policy.has_delete_time());
  ASSERT_TRUE(slas_->DeleteCalendar(Supervisor().get(), delete_calendar, &deleted_calendar).ok());

  v1::GetCalendarRequest get_calendar;
  get_calendar.set_name(calendar.name());
  v1::Calendar gone;
  EXPECT_EQ(slas_->GetCalendar(Agent().get(), get_calendar, &gone).error_code(),
            grpc::StatusCode::NOT_FOUND);
  // The open case keeps its targets and clock; a new one finds no policy.
  ASSERT_TRUE(Move(c, v1::CASE_STATUS_IN_PROGRESS).ok());
  EXPECT_EQ(c.sla().state(), v1::SLA_STATE_ON_TRACK);
  EXPECT_EQ(c.sla().sla_policy(), policy.name());
  EXPECT_EQ(Create(NewCase()).sla().state(), v1::SLA_STATE_NONE);
  // And a new policy of the same tier and priority may be created.
  const v1::Calendar other = AlwaysOpen();
  EXPECT_FALSE(Policy(other, v1::PRIORITY_HIGH, 30, 240).name().empty());
}

TEST_F(QualityApiTest, ServesHealthAndMigratesOnce) {
  // The health monitor reports SERVING after its first database check.
  int health = -1;
  for (int i = 0; i < 100 && health != 1; ++i) {
    health = testing::HealthStatus(harness_.channel());
    if (health != 1) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(health, 1);
  auto applied = common::ApplyMigrations(database_.url(), "service_quality",
                                         QualityServiceDefinition(TestOptions()).migrations());
  ASSERT_TRUE(applied.ok()) << applied.status();
  EXPECT_TRUE(applied->empty());
}

}  // namespace
}  // namespace accord::quality
