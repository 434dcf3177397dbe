// The priority matrix, the status flow, escalation levels, compensation limits and who may do
// what.
#include "case_rules.h"

#include <gtest/gtest.h>

#include "accord/common/errors.h"
#include "accord/common/money.h"
#include "quality_access.h"

namespace accord::quality {
namespace {

using enum v1::CaseStatus;
using accord::account::v1::ACCOUNT_TIER_KEY;
using accord::account::v1::ACCOUNT_TIER_STRATEGIC;
using common::Role;

TEST(PriorityMatrixTest, DefaultMatrix) {
  PriorityMatrix matrix;
  EXPECT_EQ(matrix.Lookup(v1::LEVEL_HIGH, v1::LEVEL_HIGH), v1::PRIORITY_CRITICAL);
  EXPECT_EQ(matrix.Lookup(v1::LEVEL_HIGH, v1::LEVEL_MEDIUM), v1::PRIORITY_HIGH);
  EXPECT_EQ(matrix.Lookup(v1::LEVEL_HIGH, v1::LEVEL_LOW), v1::PRIORITY_MEDIUM);
  EXPECT_EQ(matrix.Lookup(v1::LEVEL_MEDIUM, v1::LEVEL_HIGH), v1::PRIORITY_HIGH);
  EXPECT_EQ(matrix.Lookup(v1::LEVEL_MEDIUM, v1::LEVEL_MEDIUM), v1::PRIORITY_MEDIUM);
  EXPECT_EQ(matrix.Lookup(v1::LEVEL_MEDIUM, v1::LEVEL_LOW), v1::PRIORITY_LOW);
  EXPECT_EQ(matrix.Lookup(v1::LEVEL_LOW, v1::LEVEL_HIGH), v1::PRIORITY_MEDIUM);
  EXPECT_EQ(matrix.Lookup(v1::LEVEL_LOW, v1::LEVEL_LOW), v1::PRIORITY_LOW);
}

TEST(PriorityMatrixTest, ParsesTheOrganisationsMatrix) {
  auto matrix = PriorityMatrix::Parse("critical critical high, high high medium, medium low low");
  ASSERT_TRUE(matrix.ok()) << matrix.status();
  EXPECT_EQ(matrix->Lookup(v1::LEVEL_HIGH, v1::LEVEL_MEDIUM), v1::PRIORITY_CRITICAL);
  EXPECT_EQ(matrix->Lookup(v1::LEVEL_MEDIUM, v1::LEVEL_MEDIUM), v1::PRIORITY_HIGH);
  EXPECT_FALSE(PriorityMatrix::Parse("low,low").ok());
  EXPECT_FALSE(PriorityMatrix::Parse("low low low low low low low low urgent").ok());
}

TEST(PriorityMatrixTest, StrategicAccountsGoOneStepUpWhenThePolicySaysSo) {
  PriorityMatrix matrix;
  EXPECT_EQ(CasePriority(matrix, v1::LEVEL_MEDIUM, v1::LEVEL_MEDIUM, ACCOUNT_TIER_STRATEGIC, true),
            v1::PRIORITY_HIGH);
  EXPECT_EQ(CasePriority(matrix, v1::LEVEL_MEDIUM, v1::LEVEL_MEDIUM, ACCOUNT_TIER_STRATEGIC, false),
            v1::PRIORITY_MEDIUM);
  EXPECT_EQ(CasePriority(matrix, v1::LEVEL_MEDIUM, v1::LEVEL_MEDIUM, ACCOUNT_TIER_KEY, true),
            v1::PRIORITY_MEDIUM);
  EXPECT_EQ(CasePriority(matrix, v1::LEVEL_HIGH, v1::LEVEL_HIGH, ACCOUNT_TIER_STRATEGIC, true),
            v1::PRIORITY_CRITICAL);
}

TEST(TransitionTest, TheStatusFlow) {
  const std::vector<std::pair<v1::CaseStatus, v1::CaseStatus>> allowed = {
      {CASE_STATUS_NEW, CASE_STATUS_ACKNOWLEDGED},
      {CASE_STATUS_ACKNOWLEDGED, CASE_STATUS_IN_PROGRESS},
      {CASE_STATUS_IN_PROGRESS, CASE_STATUS_WAITING_ON_CUSTOMER},
      {CASE_STATUS_WAITING_ON_CUSTOMER, CASE_STATUS_IN_PROGRESS},
      {CASE_STATUS_WAITING_ON_CUSTOMER, CASE_STATUS_RESOLVED},
      {CASE_STATUS_IN_PROGRESS, CASE_STATUS_ESCALATED},
      {CASE_STATUS_ESCALATED, CASE_STATUS_ESCALATED},
      {CASE_STATUS_ESCALATED, CASE_STATUS_RESOLVED},
      {CASE_STATUS_RESOLVED, CASE_STATUS_CLOSED},
      {CASE_STATUS_RESOLVED, CASE_STATUS_REOPENED},
      {CASE_STATUS_REOPENED, CASE_STATUS_IN_PROGRESS},
  };
  for (const auto& [from, to] : allowed) {
    EXPECT_TRUE(IsAllowedTransition(from, to))
        << v1::CaseStatus_Name(from) << " -> " << v1::CaseStatus_Name(to);
  }
  const std::vector<std::pair<v1::CaseStatus, v1::CaseStatus>> refused = {
      {CASE_STATUS_NEW, CASE_STATUS_RESOLVED},
      {CASE_STATUS_NEW, CASE_STATUS_WAITING_ON_CUSTOMER},
      {CASE_STATUS_NEW, CASE_STATUS_NEW},
      {CASE_STATUS_IN_PROGRESS, CASE_STATUS_NEW},
      {CASE_STATUS_IN_PROGRESS, CASE_STATUS_CLOSED},
      {CASE_STATUS_RESOLVED, CASE_STATUS_IN_PROGRESS},
      {CASE_STATUS_CLOSED, CASE_STATUS_REOPENED},
      {CASE_STATUS_CLOSED, CASE_STATUS_IN_PROGRESS},
      {CASE_STATUS_IN_PROGRESS, CASE_STATUS_REOPENED},
  };
  for (const auto& [from, to] : refused) {
    EXPECT_FALSE(IsAllowedTransition(from, to))
        << v1::CaseStatus_Name(from) << " -> " << v1::CaseStatus_Name(to);
  }
  auto status = IllegalTransition(CASE_STATUS_CLOSED, CASE_STATUS_IN_PROGRESS);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(common::ReasonOf(status), "ILLEGAL_STATUS_TRANSITION");
}

TEST(EscalationTest, OneLevelAtATime) {
  EXPECT_EQ(NextEscalationLevel(v1::ESCALATION_LEVEL_AGENT), v1::ESCALATION_LEVEL_SUPERVISOR);
  EXPECT_EQ(NextEscalationLevel(v1::ESCALATION_LEVEL_SUPERVISOR), v1::ESCALATION_LEVEL_MANAGER);
  EXPECT_EQ(NextEscalationLevel(v1::ESCALATION_LEVEL_MANAGER), std::nullopt);
}

TEST(CompensationTest, AgentsAreLimitedPerCurrency) {
  CompensationLimits limits;
  limits.by_role[Role::kServiceAgent] = *CompensationLimits::ParseList("EUR 500, USD 550.50");
  common::Principal agent{"ann", {Role::kServiceAgent}, {}};
  common::Principal supervisor{"sue", {Role::kServiceSupervisor}, {}};
  EXPECT_TRUE(CheckCompensation(limits, agent, common::MakeMoney("EUR", 500)).ok());
  auto over = CheckCompensation(limits, agent, common::MakeMoney("EUR", 500, 10000000));
  EXPECT_EQ(over.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(common::ReasonOf(over), "COMPENSATION_ABOVE_LIMIT");
  EXPECT_NE(std::string(over.message()).find("EUR 500"), std::string::npos) << over.message();
  EXPECT_TRUE(CheckCompensation(limits, agent, common::MakeMoney("USD", 550, 500000000)).ok());
  EXPECT_FALSE(CheckCompensation(limits, agent, common::MakeMoney("GBP", 1)).ok());
  EXPECT_TRUE(CheckCompensation(limits, supervisor, common::MakeMoney("EUR", 100000)).ok());
  EXPECT_FALSE(CompensationLimits::ParseList("EUR five").ok());
  EXPECT_FALSE(CompensationLimits::ParseList("EURO 5").ok());
}

TEST(AccessTest, WhoMayDoWhat) {
  common::Principal agent{"ann", {Role::kServiceAgent}, {"north"}};
  common::Principal supervisor{"sue", {Role::kServiceSupervisor}, {}};
  common::Principal manager{"max", {Role::kAccountManager}, {}};
  common::Principal integration{"erp", {Role::kIntegration}, {}};
  common::Principal sales{"sam", {Role::kSalesAssistant}, {}};
  v1::Case mine, team, other, unassigned;
  mine.set_assignee("ann");
  team.set_assignee("bob");
  team.set_team("north");
  other.set_assignee("bob");
  other.set_team("south");
  EXPECT_TRUE(CheckAccess(agent, Action::kWorkCase, &mine).ok());
  EXPECT_TRUE(CheckAccess(agent, Action::kWorkCase, &team).ok());
  EXPECT_TRUE(CheckAccess(agent, Action::kWorkCase, &unassigned).ok());
  EXPECT_EQ(CheckAccess(agent, Action::kWorkCase, &other).code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(CheckAccess(supervisor, Action::kWorkCase, &other).ok());
  EXPECT_FALSE(CheckAccess(manager, Action::kWorkCase, &unassigned).ok());
  EXPECT_TRUE(CheckAccess(manager, Action::kOpenCase).ok());
  EXPECT_TRUE(CheckAccess(manager, Action::kRead).ok());
  EXPECT_TRUE(CheckAccess(integration, Action::kRead).ok());
  EXPECT_FALSE(CheckAccess(integration, Action::kOpenCase).ok());
  EXPECT_FALSE(CheckAccess(sales, Action::kRead).ok());
  EXPECT_FALSE(CheckAccess(agent, Action::kOverridePriority).ok());
  EXPECT_TRUE(CheckAccess(supervisor, Action::kOverridePriority).ok());
  EXPECT_FALSE(CheckAccess(agent, Action::kReport).ok());
  EXPECT_FALSE(CheckAccess(agent, Action::kManageSla).ok());
  EXPECT_FALSE(SeesFreeText(integration));
  EXPECT_TRUE(SeesFreeText(agent));
}

TEST(CaseFieldsTest, NamesEveryBadField) {
  v1::Case c;
  c.set_account("acme");
  c.set_contact("people/1");
  c.add_special_needs()->set_kind(v1::SPECIAL_NEED_KIND_LANGUAGE);
  c.add_special_needs()->set_kind(v1::SPECIAL_NEED_KIND_LANGUAGE);
  common::Violations violations;
  ValidateCaseFields(c, "case.", violations);
  std::vector<std::string> fields;
  for (const auto& v : violations.items()) fields.push_back(v.field);
  EXPECT_EQ(fields,
            (std::vector<std::string>{"case.account", "case.contact", "case.channel", "case.kind",
                                      "case.category", "case.description", "case.impact",
                                      "case.urgency", "case.special_needs[1].kind"}));
}

}  // namespace
}  // namespace accord::quality
