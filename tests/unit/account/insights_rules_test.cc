#include "insights_rules.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace accord::account {
namespace {

using common::Principal;
using common::Role;
using ::testing::ElementsAre;

Principal As(std::string subject, std::vector<Role> roles) {
  Principal principal;
  principal.subject = std::move(subject);
  principal.roles = std::move(roles);
  return principal;
}

std::vector<std::string> Fields(const common::Violations& violations) {
  std::vector<std::string> fields;
  for (const auto& violation : violations.items()) fields.push_back(violation.field);
  return fields;
}

common::v1::Date Day(int year, int month, int day) {
  common::v1::Date date;
  date.set_year(year);
  date.set_month(month);
  date.set_day(day);
  return date;
}

v1::Target ManagerTarget() {
  v1::Target target;
  target.set_assignee("managers/alice");
  target.set_metric(v1::TARGET_METRIC_REVENUE);
  *target.mutable_start_date() = Day(2026, 1, 1);
  *target.mutable_end_date() = Day(2026, 3, 31);
  target.set_value(50000);
  return target;
}

TEST(InsightsRules, ReadAccess) {
  const std::string account = "accounts/x";
  EXPECT_TRUE(CheckInsightsReadAccess(As("root", {Role::kAdmin}), account, "bob", false).ok());
  EXPECT_TRUE(
      CheckInsightsReadAccess(As("sue", {Role::kServiceSupervisor}), account, "bob", false).ok());
  EXPECT_TRUE(
      CheckInsightsReadAccess(As("bob", {Role::kAccountManager}), account, "bob", false).ok());
  EXPECT_TRUE(
      CheckInsightsReadAccess(As("amy", {Role::kAccountManager}), account, "bob", true).ok());
  const absl::Status other =
      CheckInsightsReadAccess(As("amy", {Role::kAccountManager}), account, "bob", false);
  EXPECT_EQ(other.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(common::ReasonOf(other), "NOT_ALLOWED");
  // The owner's name alone grants nothing without the account_manager role.
  EXPECT_FALSE(
      CheckInsightsReadAccess(As("bob", {Role::kSalesAssistant}), account, "bob", false).ok());
}

TEST(InsightsRules, PerformanceAccess) {
  const Assignee alice{false, "alice"};
  const Assignee north{true, "north"};
  EXPECT_TRUE(CheckPerformanceAccess(As("alice", {Role::kAccountManager}), alice, {"alice"}).ok());
  EXPECT_FALSE(CheckPerformanceAccess(As("bob", {Role::kAccountManager}), alice, {"alice"}).ok());
  EXPECT_TRUE(
      CheckPerformanceAccess(As("bob", {Role::kAccountManager}), north, {"alice", "bob"}).ok());
  EXPECT_FALSE(CheckPerformanceAccess(As("carl", {Role::kAccountManager}), north, {"bob"}).ok());
  EXPECT_TRUE(CheckPerformanceAccess(As("sue", {Role::kServiceSupervisor}), north, {}).ok());
}

TEST(InsightsRules, Assignees) {
  auto manager = ParseAssignee("managers/alice", "f");
  ASSERT_TRUE(manager.ok());
  EXPECT_FALSE(manager->team);
  EXPECT_EQ(manager->id, "alice");
  auto team = ParseAssignee("teams/north", "f");
  ASSERT_TRUE(team.ok());
  EXPECT_TRUE(team->team);
  for (const char* bad : {"alice", "managers/", "teams/a/b", "users/alice", "teams/  "}) {
    EXPECT_EQ(ParseAssignee(bad, "f").status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

TEST(InsightsRules, ValidTargets) {
  common::Violations violations;
  ValidateTarget(ManagerTarget(), violations);
  EXPECT_TRUE(violations.empty());
  v1::Target team = ManagerTarget();
  team.set_assignee("teams/north");
  team.add_members("alice");
  team.add_members("bob");
  common::Violations team_violations;
  ValidateTarget(team, team_violations);
  EXPECT_TRUE(team_violations.empty());
}

TEST(InsightsRules, InvalidTargetsNameEveryField) {
  v1::Target target = ManagerTarget();
  target.add_members("bob");  // a manager's target has none
  target.set_metric(v1::TARGET_METRIC_UNSPECIFIED);
  *target.mutable_start_date() = Day(2026, 2, 30);
  *target.mutable_end_date() = Day(2026, 1, 1);
  target.set_value(-1);
  common::Violations violations;
  ValidateTarget(target, violations);
  EXPECT_THAT(Fields(violations),
              ElementsAre("target.members", "target.metric", "target.start_date", "target.value"));

  v1::Target backwards = ManagerTarget();
  *backwards.mutable_end_date() = Day(2025, 12, 31);
  common::Violations order;
  ValidateTarget(backwards, order);
  EXPECT_THAT(Fields(order), ElementsAre("target.end_date"));

  v1::Target team = ManagerTarget();
  team.set_assignee("teams/north");
  team.add_members("alice");
  team.add_members("alice");
  common::Violations twice;
  ValidateTarget(team, twice);
  EXPECT_THAT(Fields(twice), ElementsAre("target.members[1]"));
}

TEST(InsightsRules, DateText) {
  EXPECT_EQ(DateText(Day(2026, 3, 9)), "2026-03-09");
  EXPECT_EQ(DateText(Day(2026, 2, 29)), "");
  EXPECT_EQ(DateText(common::v1::Date()), "");
}

}  // namespace
}  // namespace accord::account
