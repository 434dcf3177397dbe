#include "team_logic.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "accord/common/errors.h"
#include "accord/common/ids.h"
#include "fake_team_repository.h"

namespace accord::account {
namespace {

using common::Principal;
using common::Role;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using ::testing::UnorderedElementsAre;

Principal As(std::string subject, std::vector<Role> roles) {
  Principal principal;
  principal.subject = std::move(subject);
  principal.roles = std::move(roles);
  return principal;
}

std::vector<std::string> Fields(const absl::Status& status) {
  std::vector<std::string> fields;
  for (const auto& violation : common::FieldViolationsOf(status)) fields.push_back(violation.field);
  return fields;
}

TeamMember Member(const std::string& member, TeamRole role, const std::string& start = "",
                  const std::string& end = "") {
  TeamMember team_member;
  team_member.set_member(member);
  team_member.set_role(role);
  team_member.set_start_date(start);
  team_member.set_end_date(end);
  return team_member;
}

class TeamLogicTest : public ::testing::Test {
 protected:
  absl::StatusOr<TeamMember> Create(const Principal& who, const TeamMember& member,
                                    const std::string& account_id = "",
                                    const std::string& request_id = "") {
    CreateTeamMemberRequest request;
    request.set_parent(AccountName(account_id.empty() ? account_ : account_id));
    *request.mutable_team_member() = member;
    request.set_request_id(request_id);
    return logic_.Create(who, request, {});
  }

  absl::StatusOr<TeamMember> Update(const Principal& who, const TeamMember& patch,
                                    std::vector<std::string> paths, const std::string& etag) {
    UpdateTeamMemberRequest request;
    *request.mutable_team_member() = patch;
    for (auto& path : paths) request.mutable_update_mask()->add_paths(std::move(path));
    request.set_etag(etag);
    return logic_.Update(who, request, {});
  }

  FakeAccounts accounts_;
  FakeTeamRepository repository_{accounts_};
  common::PageTokenCodec tokens_{"unit-test-secret"};
  TeamLogic logic_{repository_, tokens_};
  std::string account_ = accounts_.Add("alice");
  Principal alice_ = As("alice", {Role::kAccountManager});
  Principal bob_ = As("bob", {Role::kAccountManager});
  Principal admin_ = As("root", {Role::kAdmin});
};

TEST(TeamMemberNameTest, ParsesOnlyCanonicalNames) {
  const std::string account = common::NewUuidV7();
  const std::string member = common::NewUuidV7();
  auto parsed = ParseTeamMemberName("accounts/" + account + "/teamMembers/" + member, "name");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->account_id, account);
  EXPECT_EQ(parsed->id, member);
  EXPECT_EQ(TeamMemberName(account, member), "accounts/" + account + "/teamMembers/" + member);
  const std::vector<std::string> bad_names = {
      "",
      "accounts/" + account,
      "accounts/" + account + "/teamMembers/",
      "accounts/" + account + "/needs/" + member,
      "accounts/" + account + "/teamMembers/" + member + "/x",
      "accounts/-/teamMembers/" + member,
      "accounts/not-a-uuid/teamMembers/" + member,
      "teamMembers/" + member,
  };
  for (const std::string& bad : bad_names) {
    auto result = ParseTeamMemberName(bad, "name");
    EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(Fields(result.status()), ElementsAre("name")) << bad;
  }
}

TEST(PeriodsOverlapTest, OpenEndsAndTouchingDays) {
  using enum v1::TeamRole;
  EXPECT_TRUE(PeriodsOverlap(Member("a", TEAM_ROLE_SALES), Member("a", TEAM_ROLE_SALES)));
  EXPECT_TRUE(PeriodsOverlap(Member("a", TEAM_ROLE_SALES, "2024-01-01", "2024-01-31"),
                             Member("a", TEAM_ROLE_SALES, "2024-01-31", "")));
  EXPECT_FALSE(PeriodsOverlap(Member("a", TEAM_ROLE_SALES, "2024-01-01", "2024-01-31"),
                              Member("a", TEAM_ROLE_SALES, "2024-02-01", "")));
  EXPECT_FALSE(PeriodsOverlap(Member("a", TEAM_ROLE_SALES, "", "2023-12-31"),
                              Member("a", TEAM_ROLE_SALES, "2024-01-01", "2024-03-01")));
  EXPECT_TRUE(PeriodsOverlap(Member("a", TEAM_ROLE_SALES, "", "2024-01-01"),
                             Member("a", TEAM_ROLE_SALES, "", "2023-01-01")));
  EXPECT_TRUE(PeriodsOverlap(Member("a", TEAM_ROLE_SALES, "2024-03-01", "2024-03-01"),
                             Member("a", TEAM_ROLE_SALES, "2024-01-01", "2024-12-31")));
}

TEST(TeamWriteAccessTest, EachRole) {
  AccountAccessFacts owned_by_alice{"accounts/x", "alice", false};
  AccountAccessFacts alice_on_team{"accounts/x", "someone-else", true};
  AccountAccessFacts neither{"accounts/x", "someone-else", false};
  EXPECT_TRUE(CheckTeamWriteAccess(As("alice", {Role::kAccountManager}), owned_by_alice).ok());
  EXPECT_TRUE(CheckTeamWriteAccess(As("alice", {Role::kAccountManager}), alice_on_team).ok());
  EXPECT_TRUE(CheckTeamWriteAccess(As("root", {Role::kAdmin}), neither).ok());
  auto denied = CheckTeamWriteAccess(As("alice", {Role::kAccountManager}), neither);
  EXPECT_EQ(denied.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(common::ReasonOf(denied), "NOT_ALLOWED");
  EXPECT_THAT(std::string(denied.message()), HasSubstr("team of accounts/x"));
  // Being on the team or named owner is not enough without the account_manager role.
  for (Role role : {Role::kIntegration, Role::kSalesAssistant, Role::kServiceAgent,
                    Role::kServiceSupervisor, Role::kPricingManager}) {
    EXPECT_EQ(CheckTeamWriteAccess(As("alice", {role}), owned_by_alice).code(),
              absl::StatusCode::kPermissionDenied);
    EXPECT_EQ(CheckTeamWriteAccess(As("alice", {role}), alice_on_team).code(),
              absl::StatusCode::kPermissionDenied);
  }
}

TEST_F(TeamLogicTest, CreateByTheOwnerAssignsNameAndEtag) {
  auto created = Create(alice_, Member("carol", v1::TEAM_ROLE_SALES, "2024-01-01"));
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_THAT(created->name(), StartsWith(AccountName(account_) + "/teamMembers/"));
  EXPECT_EQ(created->member(), "carol");
  EXPECT_EQ(created->etag(), "1");
  EXPECT_TRUE(created->active());
  EXPECT_EQ(repository_.writes, 1);
}

TEST_F(TeamLogicTest, CreateValidatesEveryFieldWithFullPaths) {
  TeamMember member = Member("  ", static_cast<TeamRole>(42), "2024-02-30", "24-01-01");
  member.set_note(std::string(2001, 'n'));
  // Size limits are checked first, and alone.
  auto result = Create(alice_, member);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Fields(result.status()), ElementsAre("team_member.note"));
  member.set_note(std::string(2000, 'n'));
  result = Create(alice_, member);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Fields(result.status()),
              UnorderedElementsAre("team_member.member", "team_member.role",
                                   "team_member.start_date", "team_member.end_date"));

  result = Create(alice_, Member("carol", v1::TEAM_ROLE_UNSPECIFIED, "2024-05-02", "2024-05-01"));
  EXPECT_THAT(Fields(result.status()),
              UnorderedElementsAre("team_member.role", "team_member.end_date"));

  CreateTeamMemberRequest request;
  request.set_parent("accounts/nope");
  *request.mutable_team_member() = Member("carol", v1::TEAM_ROLE_SALES);
  request.set_request_id("not-a-uuid");
  result = logic_.Create(alice_, request, {});
  EXPECT_THAT(Fields(result.status()), UnorderedElementsAre("parent", "request_id"));
  EXPECT_EQ(repository_.writes, 0);
}

TEST_F(TeamLogicTest, LeapDaysAndSameDayPeriodsAreValid) {
  EXPECT_TRUE(
      Create(alice_, Member("carol", v1::TEAM_ROLE_SALES, "2024-02-29", "2024-02-29")).ok());
  auto result = Create(alice_, Member("dave", v1::TEAM_ROLE_SALES, "2023-02-29"));
  EXPECT_THAT(Fields(result.status()), ElementsAre("team_member.start_date"));
}

TEST_F(TeamLogicTest, WritePermissionsFollowOwnershipAndTeam) {
  // Not the owner, not on the team.
  auto denied = Create(bob_, Member("carol", v1::TEAM_ROLE_SALES));
  EXPECT_EQ(denied.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(common::ReasonOf(denied.status()), "NOT_ALLOWED");
  EXPECT_EQ(
      Create(As("sam", {Role::kSalesAssistant}), Member("x", v1::TEAM_ROLE_SALES)).status().code(),
      absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(
      Create(As("sync", {Role::kIntegration}), Member("x", v1::TEAM_ROLE_SALES)).status().code(),
      absl::StatusCode::kPermissionDenied);

  // bob joins the team: an active member may change the team.
  ASSERT_TRUE(Create(alice_, Member("bob", v1::TEAM_ROLE_SALES, "2024-01-01")).ok());
  EXPECT_TRUE(Create(bob_, Member("carol", v1::TEAM_ROLE_SERVICE)).ok());

  // A past or future membership does not count.
  ASSERT_TRUE(Create(alice_, Member("erin", v1::TEAM_ROLE_SALES, "2023-01-01", "2023-12-31")).ok());
  ASSERT_TRUE(Create(alice_, Member("fred", v1::TEAM_ROLE_SALES, "2025-01-01")).ok());
  EXPECT_EQ(Create(As("erin", {Role::kAccountManager}), Member("x", v1::TEAM_ROLE_BILLING))
                .status()
                .code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(Create(As("fred", {Role::kAccountManager}), Member("x", v1::TEAM_ROLE_BILLING))
                .status()
                .code(),
            absl::StatusCode::kPermissionDenied);

  // Admins may change any team.
  EXPECT_TRUE(Create(admin_, Member("gina", v1::TEAM_ROLE_TECHNICAL)).ok());
}

TEST_F(TeamLogicTest, OneMembershipPerPersonAndRoleAtATime) {
  ASSERT_TRUE(Create(alice_, Member("carol", v1::TEAM_ROLE_SALES, "2024-01-01")).ok());
  auto duplicate = Create(alice_, Member("carol", v1::TEAM_ROLE_SALES, "2024-06-01", "2024-07-01"));
  EXPECT_EQ(duplicate.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(common::ReasonOf(duplicate.status()), "OVERLAPPING_MEMBERSHIP");
  // Another role, an earlier non-overlapping period, or another account are fine.
  EXPECT_TRUE(Create(alice_, Member("carol", v1::TEAM_ROLE_BILLING)).ok());
  EXPECT_TRUE(
      Create(alice_, Member("carol", v1::TEAM_ROLE_SALES, "2023-01-01", "2023-12-31")).ok());
  const std::string other = accounts_.Add("alice");
  EXPECT_TRUE(Create(alice_, Member("carol", v1::TEAM_ROLE_SALES), other).ok());
}

TEST_F(TeamLogicTest, MissingOrDeletedParentIsNotFoundNamingIt) {
  const std::string missing = common::NewUuidV7();
  auto result = Create(admin_, Member("carol", v1::TEAM_ROLE_SALES), missing);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(result.status().message()), HasSubstr(AccountName(missing)));

  accounts_.accounts[account_].deleted = true;
  result = Create(admin_, Member("carol", v1::TEAM_ROLE_SALES));
  EXPECT_EQ(result.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(result.status().message()), HasSubstr(AccountName(account_)));

  ListTeamMembersRequest list;
  list.set_parent(AccountName(account_));
  EXPECT_EQ(logic_.List(alice_, list).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(TeamLogicTest, CreateWithRequestIdIsIdempotent) {
  const std::string request_id = common::NewUuidV7();
  auto first = Create(alice_, Member("carol", v1::TEAM_ROLE_SALES), "", request_id);
  auto second = Create(alice_, Member("carol", v1::TEAM_ROLE_SALES), "", request_id);
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(first->name(), second->name());
  EXPECT_EQ(repository_.writes, 1);
}

TEST_F(TeamLogicTest, UpdateAppliesOnlyMaskedFields) {
  TeamMember original = Member("carol", v1::TEAM_ROLE_SALES, "2024-01-01", "2024-12-31");
  original.set_note("covers the north");
  auto created = Create(alice_, original);
  ASSERT_TRUE(created.ok());
  TeamMember patch = Member("ignored", v1::TEAM_ROLE_BILLING, "2000-01-01", "");
  patch.set_name(created->name());
  patch.set_note("ignored too");
  auto updated = Update(alice_, patch, {"role", "end_date"}, created->etag());
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ(updated->member(), "carol");
  EXPECT_EQ(updated->role(), v1::TEAM_ROLE_BILLING);
  EXPECT_EQ(updated->start_date(), "2024-01-01");
  EXPECT_EQ(updated->end_date(), "") << "a masked empty end_date opens the period";
  EXPECT_EQ(updated->note(), "covers the north");
  EXPECT_NE(updated->etag(), created->etag());

  // Without a mask, the fields set in the patch are replaced.
  TeamMember note_only;
  note_only.set_name(created->name());
  note_only.set_note("covers the south");
  updated = Update(alice_, note_only, {}, updated->etag());
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ(updated->note(), "covers the south");
  EXPECT_EQ(updated->role(), v1::TEAM_ROLE_BILLING);
}

TEST_F(TeamLogicTest, UpdateRefusesBadMasksEtagsAndValues) {
  auto created = Create(alice_, Member("carol", v1::TEAM_ROLE_SALES, "2024-01-01"));
  ASSERT_TRUE(created.ok());
  TeamMember patch = *created;

  auto result = Update(alice_, patch, {"member"}, created->etag());
  EXPECT_THAT(Fields(result.status()), ElementsAre("update_mask"));
  result = Update(alice_, patch, {"create_time"}, created->etag());
  EXPECT_THAT(Fields(result.status()), ElementsAre("update_mask"));
  result = Update(alice_, patch, {"note"}, "");
  EXPECT_THAT(Fields(result.status()), ElementsAre("etag"));
  TeamMember unnamed = patch;
  unnamed.set_name("accounts/x");
  result = Update(alice_, unnamed, {"note"}, created->etag());
  EXPECT_THAT(Fields(result.status()), ElementsAre("team_member.name"));

  result = Update(alice_, patch, {"note"}, "999");
  EXPECT_EQ(result.status().code(), absl::StatusCode::kAborted);
  EXPECT_EQ(common::ReasonOf(result.status()), "ETAG_MISMATCH");

  patch.set_end_date("2023-12-31");
  result = Update(alice_, patch, {"end_date"}, created->etag());
  EXPECT_THAT(Fields(result.status()), ElementsAre("team_member.end_date"));

  result = Update(bob_, patch, {"note"}, created->etag());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(repository_.writes, 1);
}

TEST_F(TeamLogicTest, UpdateCannotCreateAnOverlap) {
  ASSERT_TRUE(Create(alice_, Member("carol", v1::TEAM_ROLE_SALES, "2024-01-01")).ok());
  auto billing = Create(alice_, Member("carol", v1::TEAM_ROLE_BILLING, "2024-01-01"));
  ASSERT_TRUE(billing.ok());
  TeamMember patch = *billing;
  patch.set_role(v1::TEAM_ROLE_SALES);
  auto result = Update(alice_, patch, {"role"}, billing->etag());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kAlreadyExists);
  // Changing its own period never collides with itself.
  patch = *billing;
  patch.set_start_date("2024-02-01");
  EXPECT_TRUE(Update(alice_, patch, {"start_date"}, billing->etag()).ok());
}

TEST_F(TeamLogicTest, DeleteChecksEtagAndPermission) {
  auto created = Create(alice_, Member("carol", v1::TEAM_ROLE_SALES));
  ASSERT_TRUE(created.ok());
  DeleteTeamMemberRequest request;
  request.set_name(created->name());
  request.set_etag("7");
  EXPECT_EQ(logic_.Delete(alice_, request, {}).code(), absl::StatusCode::kAborted);
  request.set_etag(created->etag());
  EXPECT_EQ(logic_.Delete(bob_, request, {}).code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(logic_.Delete(As("sync", {Role::kIntegration}), request, {}).code(),
            absl::StatusCode::kPermissionDenied);
  ASSERT_TRUE(logic_.Delete(alice_, request, {}).ok());
  GetTeamMemberRequest get;
  get.set_name(created->name());
  EXPECT_EQ(logic_.Get(bob_, get).status().code(), absl::StatusCode::kNotFound);
  DeleteTeamMemberRequest no_etag;
  no_etag.set_name(created->name());
  EXPECT_THAT(Fields(logic_.Delete(alice_, no_etag, {})), ElementsAre("etag"));
}

TEST_F(TeamLogicTest, ListPagesInOrderAndBindsTokensToTheQuery) {
  for (const char* name : {"mia", "ann", "zoe", "bea", "kim"}) {
    ASSERT_TRUE(Create(alice_, Member(name, v1::TEAM_ROLE_SALES)).ok());
  }
  ListTeamMembersRequest request;
  request.set_parent(AccountName(account_));
  request.set_page_size(2);
  request.set_order_by("member desc");
  std::vector<std::string> seen;
  std::string first_token;
  do {
    auto page = logic_.List(As("sam", {Role::kSalesAssistant}), request);
    ASSERT_TRUE(page.ok()) << page.status();
    for (const auto& member : page->team_members()) seen.push_back(member.member());
    if (first_token.empty()) first_token = page->next_page_token();
    request.set_page_token(page->next_page_token());
  } while (!request.page_token().empty());
  EXPECT_THAT(seen, ElementsAre("zoe", "mia", "kim", "bea", "ann"));

  // The token belongs to this parent, filter and order.
  ListTeamMembersRequest other = request;
  other.set_page_token(first_token);
  other.set_parent("accounts/-");
  EXPECT_THAT(Fields(logic_.List(alice_, other).status()), ElementsAre("page_token"));
  other.set_parent(AccountName(account_));
  other.set_order_by("member");
  EXPECT_THAT(Fields(logic_.List(alice_, other).status()), ElementsAre("page_token"));
}

TEST_F(TeamLogicTest, ListAcrossAccountsAndRejectsBadArguments) {
  ASSERT_TRUE(Create(alice_, Member("ann", v1::TEAM_ROLE_SALES)).ok());
  ASSERT_TRUE(Create(alice_, Member("bea", v1::TEAM_ROLE_SALES), accounts_.Add("alice")).ok());
  ListTeamMembersRequest request;
  request.set_parent("accounts/-");
  auto page = logic_.List(alice_, request);
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(page->team_members_size(), 2);

  request.set_order_by("role");
  EXPECT_THAT(Fields(logic_.List(alice_, request).status()), ElementsAre("order_by"));
  request.set_order_by("");
  request.set_filter("nickname = x");
  EXPECT_THAT(Fields(logic_.List(alice_, request).status()), ElementsAre("filter"));
  request.set_filter("role = NOT_A_ROLE");
  EXPECT_THAT(Fields(logic_.List(alice_, request).status()), ElementsAre("filter"));
  request.set_filter("active = true AND role = SALES AND member:an");
  EXPECT_TRUE(logic_.List(alice_, request).ok());
  request.set_filter("");
  request.set_page_size(-1);
  request.set_parent("accounts");
  EXPECT_THAT(Fields(logic_.List(alice_, request).status()),
              UnorderedElementsAre("parent", "page_size"));
}

}  // namespace
}  // namespace accord::account
