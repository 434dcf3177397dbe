#include "contact_access.h"

#include <gtest/gtest.h>

#include "relation_logic.h"

namespace accord::contact {
namespace {

using common::Principal;
using common::Role;

Principal As(const std::string& subject, Role role) { return Principal{subject, {role}, {}}; }

// Answers Manages() from a table; an account marked down answers UNAVAILABLE.
class FakeDirectory : public AccountDirectory {
 public:
  absl::Status CheckRelatable(const common::CallIdentity&, const std::string&) override {
    return absl::OkStatus();
  }
  absl::StatusOr<bool> Manages(const common::CallIdentity&, const std::string& subject,
                               const std::string& account_id) override {
    ++calls;
    if (down) return absl::UnavailableError("account service down");
    return managed.count({subject, account_id}) > 0;
  }
  std::set<std::pair<std::string, std::string>> managed;
  bool down = false;
  int calls = 0;
};

TEST(ContactAccessTest, WhoSeesPersonalData) {
  ContactFacts facts{"am-owner", {"acc-1"}};
  EXPECT_TRUE(SeesPersonalData(As("root", Role::kAdmin), facts, false));
  EXPECT_TRUE(SeesPersonalData(As("am-owner", Role::kAccountManager), facts, false));
  EXPECT_TRUE(SeesPersonalData(As("am-team", Role::kAccountManager), facts, true));
  EXPECT_FALSE(SeesPersonalData(As("am-other", Role::kAccountManager), facts, false));
  EXPECT_FALSE(SeesPersonalData(As("sync", Role::kIntegration), facts, true));
  EXPECT_FALSE(SeesPersonalData(As("sa", Role::kSalesAssistant), facts, true));
  EXPECT_FALSE(SeesPersonalData(As("agent", Role::kServiceAgent), facts, true));
}

TEST(ContactAccessTest, WhoMayWrite) {
  EXPECT_TRUE(CheckCreate(As("am", Role::kAccountManager)).ok());
  EXPECT_EQ(CheckCreate(As("sa", Role::kSalesAssistant)).code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(CheckCreate(As("sync", Role::kIntegration)).code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(CheckUpsert(As("sync", Role::kIntegration)).ok());
  EXPECT_EQ(CheckUpsert(As("am", Role::kAccountManager)).code(),
            absl::StatusCode::kPermissionDenied);
  ContactFacts facts{"am-owner", {}};
  EXPECT_TRUE(CheckChange(As("am-owner", Role::kAccountManager), facts, false, "c").ok());
  EXPECT_EQ(CheckChange(As("am-x", Role::kAccountManager), facts, false, "c").code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(CheckChange(As("agent", Role::kServiceSupervisor), facts, true, "c").code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(CheckRelationChange(As("am", Role::kAccountManager), true, "accounts/a").ok());
  EXPECT_EQ(CheckRelationChange(As("am", Role::kAccountManager), false, "accounts/a").code(),
            absl::StatusCode::kPermissionDenied);
}

TEST(ContactAccessTest, TeamsComeFromTheDirectoryAndADownDirectoryMasks) {
  FakeDirectory directory;
  directory.managed.insert({"am-team", "acc-2"});
  ContactAccess access(directory);
  Caller caller;
  caller.principal = As("am-team", Role::kAccountManager);
  ContactFacts facts{"someone", {"acc-1", "acc-2"}};
  EXPECT_TRUE(access.SeesPersonalData(caller, facts));
  EXPECT_TRUE(access.CheckChange(caller, facts, "c").ok());
  directory.down = true;
  EXPECT_FALSE(access.SeesPersonalData(caller, facts));
  EXPECT_EQ(access.CheckChange(caller, facts, "c").code(), absl::StatusCode::kUnavailable);
  // Admins never need the account service.
  caller.principal = As("root", Role::kAdmin);
  const int before = directory.calls;
  EXPECT_TRUE(access.SeesPersonalData(caller, facts));
  EXPECT_TRUE(access.CheckChange(caller, facts, "c").ok());
  EXPECT_EQ(directory.calls, before);
}

TEST(RelationLogicTest, KeyContactRolesRankAndNames) {
  v1::AccountRelation relation;
  relation.add_roles(v1::ACCOUNT_RELATION_ROLE_BILLING);
  relation.add_roles(v1::ACCOUNT_RELATION_ROLE_DECISION_MAKER);
  EXPECT_EQ(TopRole(relation), v1::ACCOUNT_RELATION_ROLE_DECISION_MAKER);
  EXPECT_LT(RoleRank(v1::ACCOUNT_RELATION_ROLE_EXECUTIVE_SPONSOR),
            RoleRank(v1::ACCOUNT_RELATION_ROLE_DECISION_MAKER));
  EXPECT_LT(RoleRank(v1::ACCOUNT_RELATION_ROLE_BUYER),
            RoleRank(v1::ACCOUNT_RELATION_ROLE_END_USER));
  const std::string c = "0190a0b0-0000-7000-8000-000000000001";
  const std::string r = "0190a0b0-0000-7000-8000-000000000002";
  auto parsed = ParseRelationName(RelationName(c, r), "name");
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->contact_id, c);
  EXPECT_EQ(parsed->id, r);
  EXPECT_FALSE(ParseRelationName("contacts/" + c + "/relations/" + r, "name").ok());
}

TEST(RelationLogicTest, RelationFieldsAreChecked) {
  v1::AccountRelation relation;
  relation.add_roles(v1::ACCOUNT_RELATION_ROLE_BUYER);
  relation.add_roles(v1::ACCOUNT_RELATION_ROLE_BUYER);
  relation.add_roles(static_cast<v1::AccountRelationRole>(42));
  relation.mutable_start_date()->set_year(2024);
  relation.mutable_start_date()->set_month(5);
  relation.mutable_start_date()->set_day(2);
  relation.mutable_end_date()->set_year(2024);
  relation.mutable_end_date()->set_month(5);
  relation.mutable_end_date()->set_day(1);
  common::Violations violations;
  ValidateRelationFields(relation, "r.", violations);
  std::vector<std::string> fields;
  for (const auto& v : violations.items()) fields.push_back(v.field);
  EXPECT_EQ(fields, (std::vector<std::string>{"r.roles[1]", "r.roles[2]", "r.end_date"}));
}

}  // namespace
}  // namespace accord::contact
