// Service-quality in-process beside the account and contact services it asks, all three over
// real gRPC on a fresh database of the shared test Postgres and the shared Redis. The
// background sweeper is off; tests run sweepers themselves.
#pragma once

#include <google/protobuf/util/time_util.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <ctime>
#include <memory>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "accord/account/v1/account.grpc.pb.h"
#include "accord/account/v1/team.grpc.pb.h"
#include "accord/common/ids.h"
#include "accord/common/money.h"
#include "accord/contact/v1/account_relation.grpc.pb.h"
#include "accord/contact/v1/contact.grpc.pb.h"
#include "accord/quality/v1/case.grpc.pb.h"
#include "accord/quality/v1/report.grpc.pb.h"
#include "accord/quality/v1/sla.grpc.pb.h"
#include "accord/quality/v1/survey.grpc.pb.h"
#include "account_service.h"
#include "integration/contact/contact_fixture.h"
#include "quality_service.h"
#include "support/servers.h"
#include "support/service_harness.h"

namespace accord::quality {

using common::Role;

inline QualityOptions TestQualityOptions(int account_port, int contact_port) {
  QualityOptions options = QualityOptions::Defaults();
  options.sweep_interval = std::chrono::milliseconds(0);
  options.follow_account_events = false;  // account_events_test follows them
  options.directory.account.address = "127.0.0.1:" + std::to_string(account_port);
  options.directory.account.deadline = std::chrono::milliseconds(1500);
  options.directory.contact.address = "127.0.0.1:" + std::to_string(contact_port);
  options.directory.contact.deadline = std::chrono::milliseconds(1500);
  return options;
}

// A context for `subject` with `roles` and `teams` (the territories claim).
inline std::unique_ptr<grpc::ClientContext> As(const std::string& subject, std::vector<Role> roles,
                                               std::vector<std::string> teams = {}) {
  common::TokenClaims claims;
  claims.subject = subject;
  claims.roles = std::move(roles);
  claims.territories = std::move(teams);
  claims.issuer = testing::kTestIssuer;
  claims.audience = testing::kTestAudience;
  claims.expires_at = std::time(nullptr) + 3600;
  auto context = std::make_unique<grpc::ClientContext>();
  context->AddMetadata("authorization",
                       "Bearer " + common::MintHs256Token(claims, testing::kTestJwtSecret));
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  return context;
}

inline std::unique_ptr<grpc::ClientContext> Supervisor() {
  return As("sue", {Role::kServiceSupervisor});
}
inline std::unique_ptr<grpc::ClientContext> Agent(const std::string& who = "ann") {
  return As(who, {Role::kServiceAgent}, {"north"});
}
inline std::unique_ptr<grpc::ClientContext> Admin() { return As("root", {Role::kAdmin}); }

class QualityFixture : public ::testing::Test {
 protected:
  // `redis_url`: the shared test Redis unless a test brings its own.
  explicit QualityFixture(std::function<void(QualityOptions&)> adjust = nullptr,
                          const std::string& redis_url = testing::SharedRedisUrl())
      : account_(account::AccountServiceDefinition(), database_.url(), redis_url),
        contact_(contact::ContactServiceDefinition(
                     contact::TestContactSettings("127.0.0.1:" + std::to_string(account_.port()))),
                 database_.url(), redis_url),
        options_([&] {
          QualityOptions options = TestQualityOptions(account_.port(), contact_.port());
          if (adjust) adjust(options);
          return options;
        }()),
        harness_(QualityServiceDefinition(options_), database_.url(), redis_url),
        accounts_(account::v1::AccountService::NewStub(account_.channel())),
        teams_(account::v1::AccountTeamService::NewStub(account_.channel())),
        contacts_(contact::v1::ContactService::NewStub(contact_.channel())),
        relations_(contact::v1::ContactAccountRelationService::NewStub(contact_.channel())),
        cases_(v1::CaseService::NewStub(harness_.channel())),
        slas_(v1::SlaService::NewStub(harness_.channel())),
        surveys_(v1::SurveyService::NewStub(harness_.channel())),
        reports_(v1::ReportService::NewStub(harness_.channel())) {}

  // Open every day and hour in UTC, so that business time is wall-clock time.
  v1::Calendar AlwaysOpen() {
    v1::CreateCalendarRequest request;
    auto* calendar = request.mutable_calendar();
    calendar->set_display_name("always");
    calendar->set_time_zone("UTC");
    for (int day = 1; day <= 7; ++day) {
      auto* hours = calendar->add_working_hours();
      hours->set_weekday(day);
      hours->set_start("00:00");
      hours->set_end("24:00");
    }
    v1::Calendar created;
    auto status = slas_->CreateCalendar(Supervisor().get(), request, &created);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return created;
  }

  v1::SlaPolicy Policy(const v1::Calendar& calendar, v1::Priority priority, int first_minutes,
                       int resolution_minutes,
                       account::v1::AccountTier tier = account::v1::ACCOUNT_TIER_UNSPECIFIED) {
    v1::CreateSlaPolicyRequest request;
    auto* policy = request.mutable_sla_policy();
    policy->set_display_name("policy");
    policy->set_priority(priority);
    policy->set_tier(tier);
    *policy->mutable_first_response_target() =
        google::protobuf::util::TimeUtil::MinutesToDuration(first_minutes);
    *policy->mutable_resolution_target() =
        google::protobuf::util::TimeUtil::MinutesToDuration(resolution_minutes);
    policy->set_calendar(calendar.name());
    v1::SlaPolicy created;
    auto status = slas_->CreateSlaPolicy(Supervisor().get(), request, &created);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return created;
  }

  // An account owned by `owner` (an account manager), of `tier`.
  account::v1::Account CreateAccount(
      const std::string& owner = "max",
      account::v1::AccountTier tier = account::v1::ACCOUNT_TIER_UNSPECIFIED) {
    account::v1::CreateAccountRequest request;
    request.mutable_account()->set_display_name("Acme " + common::NewUuidV7().substr(24));
    request.mutable_account()->set_type(common::v1::ORGANIZATION_TYPE_COMMERCIAL);
    request.mutable_account()->set_tier(tier);
    account::v1::Account account;
    auto status =
        accounts_->CreateAccount(As(owner, {Role::kAccountManager}).get(), request, &account);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return account;
  }

  // Merges `duplicate` into `survivor` in the account service.
  void Merge(const account::v1::Account& survivor, const account::v1::Account& duplicate) {
    account::v1::MergeAccountsRequest merge;
    merge.set_survivor(survivor.name());
    merge.set_survivor_etag(survivor.etag());
    merge.set_duplicate(duplicate.name());
    merge.set_duplicate_etag(duplicate.etag());
    account::v1::MergeAccountsResponse merged;
    auto status = accounts_->MergeAccounts(Admin().get(), merge, &merged);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }

  // A contact speaking `language`, related to `account` unless that is empty.
  contact::v1::Contact CreateContact(const std::string& account, const std::string& language = "de",
                                     bool hearing = false) {
    contact::v1::CreateContactRequest request;
    auto* person = request.mutable_contact();
    person->set_given_name("Grete");
    person->set_family_name("Weiss");
    person->set_preferred_language(language);
    person->mutable_accessibility()->set_hearing(hearing);
    contact::v1::Contact created;
    auto status = contacts_->CreateContact(Admin().get(), request, &created);
    EXPECT_TRUE(status.ok()) << status.error_message();
    if (!account.empty()) {
      contact::v1::CreateAccountRelationRequest relate;
      relate.set_parent(created.name());
      relate.mutable_account_relation()->set_account(account);
      relate.mutable_account_relation()->add_roles(contact::v1::ACCOUNT_RELATION_ROLE_BUYER);
      contact::v1::AccountRelation relation;
      status = relations_->CreateAccountRelation(Admin().get(), relate, &relation);
      EXPECT_TRUE(status.ok()) << status.error_message();
    }
    return created;
  }

  // A case on a new account (owned by max) with a related contact.
  v1::Case NewCase(v1::Level impact = v1::LEVEL_HIGH, v1::Level urgency = v1::LEVEL_MEDIUM,
                   const std::string& account = "") {
    v1::Case c =
        CaseWithoutContact(account.empty() ? CreateAccount().name() : account, impact, urgency);
    c.set_contact(CreateContact(c.account()).name());
    return c;
  }

  // A case on `account` naming no contact: asks neither service while it is built.
  static v1::Case CaseWithoutContact(const std::string& account, v1::Level impact = v1::LEVEL_HIGH,
                                     v1::Level urgency = v1::LEVEL_MEDIUM) {
    v1::Case c;
    c.set_account(account);
    c.set_channel(common::v1::COMMUNICATION_CHANNEL_EMAIL);
    c.set_kind(v1::CASE_KIND_COMPLAINT);
    c.set_category(v1::CASE_CATEGORY_DAMAGED_GOODS);
    c.set_description("Pallet arrived crushed");
    c.set_impact(impact);
    c.set_urgency(urgency);
    c.set_assignee("ann");
    auto* need = c.add_special_needs();
    need->set_kind(v1::SPECIAL_NEED_KIND_LANGUAGE);
    need->set_note("prefers German");
    return c;
  }

  grpc::Status TryCreate(const v1::Case& c, v1::Case* out,
                         std::unique_ptr<grpc::ClientContext> context = Agent(),
                         const std::string& request_id = "") {
    v1::CreateCaseRequest request;
    *request.mutable_case_() = c;
    request.set_request_id(request_id);
    return cases_->CreateCase(context.get(), request, out);
  }

  v1::Case Create(const v1::Case& c, std::unique_ptr<grpc::ClientContext> context = Agent(),
                  const std::string& request_id = "") {
    v1::Case created;
    auto status = TryCreate(c, &created, std::move(context), request_id);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return created;
  }

  grpc::Status Get(const std::string& name, v1::Case* out,
                   std::unique_ptr<grpc::ClientContext> context = Agent()) {
    v1::GetCaseRequest request;
    request.set_name(name);
    return cases_->GetCase(context.get(), request, out);
  }

  grpc::Status Move(v1::Case& c, v1::CaseStatus to,
                    std::unique_ptr<grpc::ClientContext> context = Agent()) {
    v1::TransitionCaseRequest request;
    request.set_name(c.name());
    request.set_status(to);
    request.set_reason("moving on");
    request.set_etag(c.etag());
    v1::Case out;
    auto status = cases_->TransitionCase(context.get(), request, &out);
    if (status.ok()) c = out;
    return status;
  }

  grpc::Status Resolve(v1::Case& c, int64_t euros,
                       std::unique_ptr<grpc::ClientContext> context = Agent()) {
    v1::ResolveCaseRequest request;
    request.set_name(c.name());
    request.set_etag(c.etag());
    auto* resolution = request.mutable_resolution();
    resolution->set_summary("Sent a replacement pallet");
    resolution->set_code(v1::RESOLUTION_CODE_REPLACED);
    if (euros > 0) {
      resolution->mutable_compensation()->set_kind(v1::COMPENSATION_KIND_CREDIT_NOTE);
      *resolution->mutable_compensation()->mutable_amount() = common::MakeMoney("EUR", euros);
    }
    v1::Case out;
    auto status = cases_->ResolveCase(context.get(), request, &out);
    if (status.ok()) c = out;
    return status;
  }

  grpc::Status Confirm(v1::Case& c, std::unique_ptr<grpc::ClientContext> context = Agent()) {
    v1::ConfirmCaseResolutionRequest request;
    request.set_name(c.name());
    request.set_etag(c.etag());
    request.set_note("works again");
    v1::Case out;
    auto status = cases_->ConfirmCaseResolution(context.get(), request, &out);
    if (status.ok()) c = out;
    return status;
  }

  std::vector<v1::TimelineEntry> Timeline(const std::string& name) {
    v1::ListTimelineEntriesRequest request;
    request.set_parent(name);
    request.set_page_size(1000);
    v1::ListTimelineEntriesResponse response;
    auto status = cases_->ListTimelineEntries(Agent().get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return {response.timeline_entries().begin(), response.timeline_entries().end()};
  }

  // Whether an entry of the case's timeline says `text`.
  bool TimelineSays(const std::string& name, const std::string& text) {
    const auto entries = Timeline(name);
    return std::any_of(entries.begin(), entries.end(), [&](const v1::TimelineEntry& entry) {
      return entry.text().find(text) != std::string::npos;
    });
  }

  std::vector<v1::Survey> SurveysOf(const std::string& case_name) {
    v1::ListSurveysRequest request;
    request.set_filter("case = \"" + case_name + "\"");
    v1::ListSurveysResponse response;
    auto status = surveys_->ListSurveys(Supervisor().get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return {response.surveys().begin(), response.surveys().end()};
  }

  // `count` cases under an always-open policy of one minute to respond and two to resolve: an
  // hour later each has both targets warned and breached.
  std::vector<std::string> CasesDueSoon(int count) {
    Policy(AlwaysOpen(), v1::PRIORITY_HIGH, 1, 2);
    std::vector<std::string> names;
    for (int i = 0; i < count; ++i) names.push_back(Create(NewCase()).name());
    return names;
  }

  // A case the sweep breached on both targets: escalated twice, to a manager.
  void ExpectBreachedToManager(const std::string& name) {
    v1::GetCaseRequest get;
    get.set_name(name);
    v1::Case c;
    ASSERT_TRUE(cases_->GetCase(Agent().get(), get, &c).ok());
    EXPECT_EQ(c.status(), v1::CASE_STATUS_ESCALATED) << name;
    EXPECT_EQ(c.escalation_level(), v1::ESCALATION_LEVEL_MANAGER) << name;
    EXPECT_EQ(c.sla().state(), v1::SLA_STATE_BREACHED) << name;
  }

  // Events of `type` (e.g. "SlaBreached") in the outbox.
  int64_t Outboxed(const std::string& type) {
    return Count("SELECT count(*) FROM service_quality.outbox WHERE type = 'accord.quality.v1." +
                 type + "'");
  }

  int64_t Count(const std::string& sql) {
    pqxx::connection connection(database_.url());
    pqxx::work work(connection);
    return work.exec1(sql)[0].as<int64_t>();
  }

  testing::TestDatabase database_;
  testing::ServiceHarness account_;
  testing::ServiceHarness contact_;
  QualityOptions options_;
  testing::ServiceHarness harness_;
  std::unique_ptr<account::v1::AccountService::Stub> accounts_;
  std::unique_ptr<account::v1::AccountTeamService::Stub> teams_;
  std::unique_ptr<contact::v1::ContactService::Stub> contacts_;
  std::unique_ptr<contact::v1::ContactAccountRelationService::Stub> relations_;
  std::unique_ptr<v1::CaseService::Stub> cases_;
  std::unique_ptr<v1::SlaService::Stub> slas_;
  std::unique_ptr<v1::SurveyService::Stub> surveys_;
  std::unique_ptr<v1::ReportService::Stub> reports_;
};

}  // namespace accord::quality
