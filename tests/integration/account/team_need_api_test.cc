// Account teams and needs end to end: a real gRPC channel to an in-process account service
// (AccountService plus AccountTeamService and AccountNeedService) backed by a fresh database on
// the shared test Postgres.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "accord/account/v1/account.grpc.pb.h"
#include "accord/account/v1/need.grpc.pb.h"
#include "accord/account/v1/team.grpc.pb.h"
#include "accord/common/ids.h"
#include "account_service.h"
#include "support/accounts.h"
#include "support/servers.h"
#include "support/service_harness.h"
#include "team_need_services.h"

namespace accord::account {
namespace {

using common::Role;
using ::testing::Contains;
using testing::ContextAs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::ReasonOf;
using ::testing::StartsWith;
using testing::ViolatedFields;

// The account service with the team and need services, whether or not
// AccountServiceDefinition() registers them itself yet.
common::ServiceDefinition AccountWithTeamsAndNeeds() {
  common::ServiceDefinition definition = AccountServiceDefinition();
  const bool registered = std::any_of(definition.statements.begin(), definition.statements.end(),
                                      [](const common::PreparedStatement& statement) {
                                        return std::string(statement.name) == "team_member_insert";
                                      });
  if (registered) return definition;
  AddTeamAndNeedStatements(definition.statements);
  definition.make_services = [make_accounts = definition.make_services](common::Runtime& runtime) {
    auto services = make_accounts(runtime);
    AddTeamAndNeedServices(runtime, services);
    return services;
  };
  return definition;
}

v1::TeamMember Member(const std::string& member, v1::TeamRole role,
                      const std::string& start = "2000-01-01", const std::string& end = "") {
  v1::TeamMember team_member;
  team_member.set_member(member);
  team_member.set_role(role);
  team_member.set_start_date(start);
  team_member.set_end_date(end);
  return team_member;
}

class TeamNeedApiTest : public ::testing::Test {
 protected:
  TeamNeedApiTest()
      : harness_(AccountWithTeamsAndNeeds(), database_.url(), testing::SharedRedisUrl()),
        accounts_(v1::AccountService::NewStub(harness_.channel())),
        teams_(v1::AccountTeamService::NewStub(harness_.channel())),
        needs_(v1::AccountNeedService::NewStub(harness_.channel())) {}

  v1::Account CreateAccount(const std::string& owner, const std::string& display_name) {
    return testing::CreateAccountAs(*accounts_, owner, display_name);
  }

  grpc::Status AddMember(const std::string& subject, Role role, const std::string& parent,
                         const v1::TeamMember& member, v1::TeamMember* out,
                         const std::string& request_id = "") {
    v1::CreateTeamMemberRequest request;
    request.set_parent(parent);
    *request.mutable_team_member() = member;
    request.set_request_id(request_id);
    return teams_->CreateTeamMember(ContextAs(subject, {role}).get(), request, out);
  }

  grpc::Status AddNeed(const std::string& subject, Role role, const std::string& parent,
                       const v1::Need& need, v1::Need* out, const std::string& request_id = "") {
    v1::CreateNeedRequest request;
    request.set_parent(parent);
    *request.mutable_need() = need;
    request.set_request_id(request_id);
    return needs_->CreateNeed(ContextAs(subject, {role}).get(), request, out);
  }

  static v1::Need NeedTitled(const std::string& title, v1::NeedPriority priority = {},
                             const std::string& due_date = "") {
    v1::Need need;
    need.set_title(title);
    need.set_source(v1::NEED_SOURCE_MEETING);
    need.set_priority(priority);
    need.set_due_date(due_date);
    return need;
  }

  std::vector<std::string> ListNeedTitles(v1::ListNeedsRequest request) {
    std::vector<std::string> titles;
    do {
      v1::ListNeedsResponse page;
      auto status =
          needs_->ListNeeds(ContextAs("sam", {Role::kSalesAssistant}).get(), request, &page);
      EXPECT_TRUE(status.ok()) << status.error_message();
      if (!status.ok()) break;
      for (const auto& need : page.needs()) titles.push_back(need.title());
      request.set_page_token(page.next_page_token());
    } while (!request.page_token().empty());
    return titles;
  }

  std::vector<std::string> ListMembers(const std::string& parent, const std::string& filter,
                                       const std::string& order_by = "", int page_size = 0) {
    v1::ListTeamMembersRequest request;
    request.set_parent(parent);
    request.set_filter(filter);
    request.set_order_by(order_by);
    request.set_page_size(page_size);
    std::vector<std::string> members;
    do {
      v1::ListTeamMembersResponse page;
      auto status =
          teams_->ListTeamMembers(ContextAs("sam", {Role::kSalesAssistant}).get(), request, &page);
      EXPECT_TRUE(status.ok()) << status.error_message();
      if (!status.ok()) break;
      for (const auto& member : page.team_members()) {
        members.push_back(member.member() + ":" + v1::TeamRole_Name(member.role()).substr(10));
      }
      request.set_page_token(page.next_page_token());
    } while (!request.page_token().empty());
    return members;
  }

  testing::TestDatabase database_;
  testing::ServiceHarness harness_;
  std::unique_ptr<v1::AccountService::Stub> accounts_;
  std::unique_ptr<v1::AccountTeamService::Stub> teams_;
  std::unique_ptr<v1::AccountNeedService::Stub> needs_;
};

TEST_F(TeamNeedApiTest, TeamMemberCreateGetUpdateDelete) {
  v1::Account account = CreateAccount("alice", "Acme Wholesale");
  v1::TeamMember created;
  v1::TeamMember member = Member("carol", v1::TEAM_ROLE_SALES, "2024-01-01");
  member.set_note("covers the north");
  auto status = AddMember("alice", Role::kAccountManager, account.name(), member, &created);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_THAT(created.name(), StartsWith(account.name() + "/teamMembers/"));
  EXPECT_EQ(created.start_date(), "2024-01-01");
  EXPECT_EQ(created.end_date(), "");
  EXPECT_TRUE(created.active());
  EXPECT_FALSE(created.etag().empty());
  EXPECT_TRUE(created.has_create_time());

  v1::GetTeamMemberRequest get;
  get.set_name(created.name());
  v1::TeamMember fetched;
  ASSERT_TRUE(
      teams_->GetTeamMember(ContextAs("sam", {Role::kSalesAssistant}).get(), get, &fetched).ok());
  EXPECT_EQ(fetched.SerializeAsString(), created.SerializeAsString());

  v1::UpdateTeamMemberRequest update;
  *update.mutable_team_member() = created;
  update.mutable_team_member()->set_end_date("2024-01-31");
  update.mutable_team_member()->set_note("ignored");
  update.mutable_update_mask()->add_paths("end_date");
  update.set_etag(created.etag());
  v1::TeamMember updated;
  status =
      teams_->UpdateTeamMember(ContextAs("alice", {Role::kAccountManager}).get(), update, &updated);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(updated.end_date(), "2024-01-31");
  EXPECT_EQ(updated.note(), "covers the north");
  EXPECT_FALSE(updated.active()) << "the membership ended in the past";
  EXPECT_NE(updated.etag(), created.etag());

  // Stale etag: ABORTED; end before start: the field, with its full path.
  status =
      teams_->UpdateTeamMember(ContextAs("alice", {Role::kAccountManager}).get(), update, &updated);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::ABORTED);
  EXPECT_EQ(ReasonOf(status), "ETAG_MISMATCH");
  update.set_etag(updated.etag());
  update.mutable_team_member()->set_end_date("2023-12-31");
  v1::TeamMember ignored;
  status =
      teams_->UpdateTeamMember(ContextAs("alice", {Role::kAccountManager}).get(), update, &ignored);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(ViolatedFields(status), ElementsAre("team_member.end_date"));

  v1::DeleteTeamMemberRequest remove;
  remove.set_name(created.name());
  remove.set_etag(created.etag());
  google::protobuf::Empty empty;
  status =
      teams_->DeleteTeamMember(ContextAs("alice", {Role::kAccountManager}).get(), remove, &empty);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::ABORTED);
  remove.set_etag(updated.etag());
  status =
      teams_->DeleteTeamMember(ContextAs("alice", {Role::kAccountManager}).get(), remove, &empty);
  ASSERT_TRUE(status.ok()) << status.error_message();
  status = teams_->GetTeamMember(ContextAs("alice", {Role::kAccountManager}).get(), get, &fetched);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(TeamNeedApiTest, OverlappingMembershipIsAlreadyExists) {
  v1::Account account = CreateAccount("alice", "Globex");
  v1::TeamMember first, out;
  ASSERT_TRUE(AddMember("alice", Role::kAccountManager, account.name(),
                        Member("carol", v1::TEAM_ROLE_SALES), &first)
                  .ok());
  auto status = AddMember("alice", Role::kAccountManager, account.name(),
                          Member("carol", v1::TEAM_ROLE_SALES, "2030-01-01", "2030-12-31"), &out);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(ReasonOf(status), "OVERLAPPING_MEMBERSHIP");
  // Another role, or a period that ended before, is fine.
  EXPECT_TRUE(AddMember("alice", Role::kAccountManager, account.name(),
                        Member("carol", v1::TEAM_ROLE_BILLING), &out)
                  .ok());
  EXPECT_TRUE(AddMember("alice", Role::kAccountManager, account.name(),
                        Member("carol", v1::TEAM_ROLE_SALES, "1990-01-01", "1999-12-31"), &out)
                  .ok());
  // Moving the old period onto the current one collides too.
  v1::UpdateTeamMemberRequest update;
  *update.mutable_team_member() = out;
  update.mutable_team_member()->set_end_date("");
  update.mutable_update_mask()->add_paths("end_date");
  update.set_etag(out.etag());
  status =
      teams_->UpdateTeamMember(ContextAs("alice", {Role::kAccountManager}).get(), update, &out);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::ALREADY_EXISTS);
}

TEST_F(TeamNeedApiTest, TeamMemberGainsWriteAccessToNeeds) {
  v1::Account account = CreateAccount("alice", "Initech");
  v1::Need need;
  auto status = AddNeed("bob", Role::kAccountManager, account.name(), NeedTitled("SSO"), &need);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(ReasonOf(status), "NOT_ALLOWED");

  // A past membership grants nothing; a current one does.
  v1::TeamMember past, current;
  ASSERT_TRUE(AddMember("alice", Role::kAccountManager, account.name(),
                        Member("bob", v1::TEAM_ROLE_SALES, "2001-01-01", "2001-12-31"), &past)
                  .ok());
  status = AddNeed("bob", Role::kAccountManager, account.name(), NeedTitled("SSO"), &need);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(AddMember("alice", Role::kAccountManager, account.name(),
                        Member("bob", v1::TEAM_ROLE_SERVICE), &current)
                  .ok());
  status = AddNeed("bob", Role::kAccountManager, account.name(), NeedTitled("SSO"), &need);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(need.owner(), "bob");
  EXPECT_EQ(need.status(), v1::NEED_STATUS_OPEN);
  EXPECT_EQ(need.priority(), v1::NEED_PRIORITY_MEDIUM);

  // On the team, bob may change the team too.
  v1::TeamMember dave;
  status = AddMember("bob", Role::kAccountManager, account.name(),
                     Member("dave", v1::TEAM_ROLE_TECHNICAL), &dave);
  EXPECT_TRUE(status.ok()) << status.error_message();

  // Integrations sync needs but not teams.
  v1::Need synced;
  status = AddNeed("crm-sync", Role::kIntegration, account.name(), NeedTitled("From CRM"), &synced);
  EXPECT_TRUE(status.ok()) << status.error_message();
  v1::TeamMember ignored;
  status = AddMember("crm-sync", Role::kIntegration, account.name(),
                     Member("erin", v1::TEAM_ROLE_SALES), &ignored);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);

  // Off the team again, bob loses write access.
  v1::DeleteTeamMemberRequest remove;
  remove.set_name(current.name());
  remove.set_etag(current.etag());
  google::protobuf::Empty empty;
  ASSERT_TRUE(
      teams_->DeleteTeamMember(ContextAs("alice", {Role::kAccountManager}).get(), remove, &empty)
          .ok());
  v1::UpdateNeedRequest update;
  update.mutable_need()->set_name(need.name());
  update.mutable_need()->set_priority(v1::NEED_PRIORITY_HIGH);
  update.mutable_update_mask()->add_paths("priority");
  update.set_etag(need.etag());
  status = needs_->UpdateNeed(ContextAs("bob", {Role::kAccountManager}).get(), update, &need);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(TeamNeedApiTest, SalesAssistantMayReadButNotWrite) {
  v1::Account account = CreateAccount("alice", "Umbrella");
  v1::Need need;
  ASSERT_TRUE(AddNeed("alice", Role::kAccountManager, account.name(), NeedTitled("x"), &need).ok());
  v1::Need ignored;
  auto status = AddNeed("sam", Role::kSalesAssistant, account.name(), NeedTitled("mine"), &ignored);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(ReasonOf(status), "NOT_ALLOWED");
  v1::TeamMember member;
  status = AddMember("sam", Role::kSalesAssistant, account.name(),
                     Member("sam", v1::TEAM_ROLE_SALES), &member);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);

  v1::DeleteNeedRequest remove;
  remove.set_name(need.name());
  remove.set_etag(need.etag());
  status = needs_->DeleteNeed(ContextAs("sam", {Role::kSalesAssistant}).get(), remove, &ignored);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);

  v1::GetNeedRequest get;
  get.set_name(need.name());
  v1::Need fetched;
  ASSERT_TRUE(needs_->GetNeed(ContextAs("sam", {Role::kSalesAssistant}).get(), get, &fetched).ok());
  EXPECT_EQ(fetched.title(), "x");
}

TEST_F(TeamNeedApiTest, MissingOrDeletedParentIsNotFoundNamingIt) {
  const std::string missing = "accounts/" + common::NewUuidV7();
  v1::Need need;
  auto status = AddNeed("root", Role::kAdmin, missing, NeedTitled("x"), &need);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(status.error_message(), HasSubstr(missing));
  v1::TeamMember member;
  status = AddMember("root", Role::kAdmin, missing, Member("carol", v1::TEAM_ROLE_SALES), &member);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(status.error_message(), HasSubstr(missing));
  v1::ListNeedsRequest list;
  list.set_parent(missing);
  v1::ListNeedsResponse page;
  status = needs_->ListNeeds(ContextAs("root", {Role::kAdmin}).get(), list, &page);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);

  // Once the account is deleted its needs and team go with it.
  v1::Account account = CreateAccount("alice", "Soon gone");
  ASSERT_TRUE(AddNeed("alice", Role::kAccountManager, account.name(), NeedTitled("x"), &need).ok());
  v1::DeleteAccountRequest remove;
  remove.set_name(account.name());
  remove.set_etag(account.etag());
  v1::Account deleted;
  ASSERT_TRUE(
      accounts_->DeleteAccount(ContextAs("alice", {Role::kAccountManager}).get(), remove, &deleted)
          .ok());
  v1::GetNeedRequest get;
  get.set_name(need.name());
  status = needs_->GetNeed(ContextAs("alice", {Role::kAccountManager}).get(), get, &need);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  status = AddNeed("alice", Role::kAccountManager, account.name(), NeedTitled("y"), &need);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(status.error_message(), HasSubstr(account.name()));
}

TEST_F(TeamNeedApiTest, IdempotentCreates) {
  v1::Account account = CreateAccount("alice", "Hooli");
  const std::string need_request = common::NewUuidV7();
  v1::Need first, second;
  ASSERT_TRUE(
      AddNeed("alice", Role::kAccountManager, account.name(), NeedTitled("x"), &first, need_request)
          .ok());
  ASSERT_TRUE(AddNeed("alice", Role::kAccountManager, account.name(), NeedTitled("x"), &second,
                      need_request)
                  .ok());
  EXPECT_EQ(first.name(), second.name());
  v1::ListNeedsRequest list;
  list.set_parent(account.name());
  EXPECT_EQ(ListNeedTitles(list).size(), 1u);
  // The same request_id on another request is refused.
  auto status = AddNeed("alice", Role::kAccountManager, account.name(), NeedTitled("other"),
                        &second, need_request);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(ViolatedFields(status), Contains("request_id"));

  const std::string member_request = common::NewUuidV7();
  v1::TeamMember one, two;
  ASSERT_TRUE(AddMember("alice", Role::kAccountManager, account.name(),
                        Member("carol", v1::TEAM_ROLE_SALES), &one, member_request)
                  .ok());
  // A retry answers the first result rather than ALREADY_EXISTS.
  status = AddMember("alice", Role::kAccountManager, account.name(),
                     Member("carol", v1::TEAM_ROLE_SALES), &two, member_request);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(one.name(), two.name());
}

TEST_F(TeamNeedApiTest, NeedStatusRulesAndSoftDelete) {
  v1::Account account = CreateAccount("alice", "Pied Piper");
  v1::Need need;
  ASSERT_TRUE(
      AddNeed("alice", Role::kAccountManager, account.name(), NeedTitled("Compression"), &need)
          .ok());
  auto set_status = [&](v1::NeedStatus status, v1::Need* out) {
    v1::UpdateNeedRequest update;
    update.mutable_need()->set_name(need.name());
    update.mutable_need()->set_status(status);
    update.mutable_update_mask()->add_paths("status");
    update.set_etag(need.etag());
    return needs_->UpdateNeed(ContextAs("alice", {Role::kAccountManager}).get(), update, out);
  };
  ASSERT_TRUE(set_status(v1::NEED_STATUS_MET, &need).ok());
  v1::Need ignored;
  auto status = set_status(v1::NEED_STATUS_PLANNED, &ignored);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(ReasonOf(status), "ILLEGAL_STATUS_TRANSITION");
  ASSERT_TRUE(set_status(v1::NEED_STATUS_OPEN, &need).ok());
  EXPECT_EQ(need.status(), v1::NEED_STATUS_OPEN);

  v1::CreateNeedRequest bad;
  bad.set_parent(account.name());
  bad.mutable_need()->set_due_date("2024-02-30");
  status = needs_->CreateNeed(ContextAs("alice", {Role::kAccountManager}).get(), bad, &ignored);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(ViolatedFields(status),
              ::testing::UnorderedElementsAre("need.title", "need.due_date"));

  v1::DeleteNeedRequest remove;
  remove.set_name(need.name());
  remove.set_etag(need.etag());
  v1::Need deleted;
  status = needs_->DeleteNeed(ContextAs("alice", {Role::kAccountManager}).get(), remove, &deleted);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(deleted.has_delete_time());
  v1::GetNeedRequest get;
  get.set_name(need.name());
  status = needs_->GetNeed(ContextAs("alice", {Role::kAccountManager}).get(), get, &ignored);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  v1::ListNeedsRequest list;
  list.set_parent(account.name());
  EXPECT_TRUE(ListNeedTitles(list).empty());
}

TEST_F(TeamNeedApiTest, NeedsPageFilterAndOrder) {
  v1::Account acme = CreateAccount("alice", "Acme");
  v1::Account globex = CreateAccount("alice", "Globex");
  struct Row {
    std::string title;
    v1::NeedPriority priority;
    std::string due;
  };
  const std::vector<Row> rows = {
      {"n1", v1::NEED_PRIORITY_LOW, "2030-03-01"},
      {"n2", v1::NEED_PRIORITY_HIGH, ""},
      {"n3", v1::NEED_PRIORITY_CRITICAL, "2030-01-01"},
      {"n4", v1::NEED_PRIORITY_HIGH, "2030-02-01"},
      {"n5", v1::NEED_PRIORITY_MEDIUM, ""},
      {"n6", v1::NEED_PRIORITY_LOW, "2030-01-15"},
      {"n7", v1::NEED_PRIORITY_HIGH, "2030-01-01"},
  };
  for (const auto& row : rows) {
    v1::Need need;
    ASSERT_TRUE(AddNeed("alice", Role::kAccountManager, acme.name(),
                        NeedTitled(row.title, row.priority, row.due), &need)
                    .ok());
  }
  v1::Need elsewhere;
  ASSERT_TRUE(AddNeed("crm-sync", Role::kIntegration, globex.name(),
                      NeedTitled("g1", v1::NEED_PRIORITY_HIGH), &elsewhere)
                  .ok());

  v1::ListNeedsRequest request;
  request.set_parent(acme.name());
  request.set_page_size(3);
  EXPECT_THAT(ListNeedTitles(request), ElementsAre("n1", "n2", "n3", "n4", "n5", "n6", "n7"));
  request.set_order_by("due_date");
  EXPECT_THAT(ListNeedTitles(request), ElementsAre("n3", "n7", "n6", "n4", "n1", "n2", "n5"));
  request.set_order_by("due_date desc");
  EXPECT_THAT(ListNeedTitles(request), ElementsAre("n5", "n2", "n1", "n4", "n6", "n7", "n3"));
  request.set_order_by("priority desc");
  request.set_page_size(2);
  EXPECT_THAT(ListNeedTitles(request), ElementsAre("n3", "n7", "n4", "n2", "n5", "n6", "n1"));

  request.set_order_by("");
  request.set_filter("priority = HIGH");
  EXPECT_THAT(ListNeedTitles(request), ElementsAre("n2", "n4", "n7"));
  request.set_filter("due_date = 2030-01-01 AND priority != HIGH");
  EXPECT_THAT(ListNeedTitles(request), ElementsAre("n3"));
  request.set_filter("status = OPEN AND source = MEETING AND owner = \"alice\" AND n6");
  EXPECT_THAT(ListNeedTitles(request), ElementsAre("n6"));

  request.set_parent("accounts/-");
  request.set_filter("priority = HIGH");
  request.set_page_size(0);
  EXPECT_THAT(ListNeedTitles(request), ElementsAre("n2", "n4", "n7", "g1"));
  request.set_filter("owner = \"crm-sync\"");
  EXPECT_THAT(ListNeedTitles(request), ElementsAre("g1"));

  // Page tokens are bound to parent, filter and order.
  v1::ListNeedsRequest first;
  first.set_parent(acme.name());
  first.set_page_size(2);
  v1::ListNeedsResponse page;
  ASSERT_TRUE(
      needs_->ListNeeds(ContextAs("sam", {Role::kSalesAssistant}).get(), first, &page).ok());
  ASSERT_FALSE(page.next_page_token().empty());
  first.set_page_token(page.next_page_token());
  first.set_parent(globex.name());
  auto status = needs_->ListNeeds(ContextAs("sam", {Role::kSalesAssistant}).get(), first, &page);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(ViolatedFields(status), ElementsAre("page_token"));

  first.set_page_token("");
  first.set_filter("due_date > 2030-01-01");
  status = needs_->ListNeeds(ContextAs("sam", {Role::kSalesAssistant}).get(), first, &page);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(ViolatedFields(status), ElementsAre("filter"));
}

TEST_F(TeamNeedApiTest, TeamListFiltersActiveRoleAndMember) {
  v1::Account acme = CreateAccount("alice", "Acme");
  v1::Account globex = CreateAccount("bob", "Globex");
  struct Row {
    std::string member;
    v1::TeamRole role;
    std::string start, end;
  };
  const std::vector<Row> rows = {
      {"zed", v1::TEAM_ROLE_SALES, "2000-01-01", ""},
      {"amy", v1::TEAM_ROLE_OWNER, "", ""},
      {"kai", v1::TEAM_ROLE_SALES, "2001-01-01", "2001-06-30"},
      {"kai", v1::TEAM_ROLE_SALES, "2002-01-01", ""},
      {"lou", v1::TEAM_ROLE_BILLING, "2999-01-01", ""},
  };
  for (const auto& row : rows) {
    v1::TeamMember out;
    auto status = AddMember("alice", Role::kAccountManager, acme.name(),
                            Member(row.member, row.role, row.start, row.end), &out);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }
  v1::TeamMember out;
  ASSERT_TRUE(AddMember("bob", Role::kAccountManager, globex.name(),
                        Member("kai", v1::TEAM_ROLE_EXECUTIVE_SPONSOR), &out)
                  .ok());

  EXPECT_THAT(ListMembers(acme.name(), "", "", 2),
              ElementsAre("amy:OWNER", "kai:SALES", "kai:SALES", "lou:BILLING", "zed:SALES"));
  EXPECT_THAT(ListMembers(acme.name(), "active = true", "member desc", 1),
              ElementsAre("zed:SALES", "kai:SALES", "amy:OWNER"));
  EXPECT_THAT(ListMembers(acme.name(), "active = false", "create_time"),
              ElementsAre("kai:SALES", "lou:BILLING"));
  EXPECT_THAT(ListMembers(acme.name(), "role = SALES AND member != \"zed\"", "create_time"),
              ElementsAre("kai:SALES", "kai:SALES"));
  EXPECT_THAT(ListMembers("accounts/-", "member = \"kai\" AND active = true"),
              ElementsAre("kai:SALES", "kai:EXECUTIVE_SPONSOR"));
  EXPECT_THAT(ListMembers(acme.name(), "end_date = 2001-06-30"), ElementsAre("kai:SALES"));

  v1::ListTeamMembersRequest bad;
  bad.set_parent(acme.name());
  bad.set_order_by("role");
  v1::ListTeamMembersResponse page;
  auto status =
      teams_->ListTeamMembers(ContextAs("sam", {Role::kSalesAssistant}).get(), bad, &page);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(ViolatedFields(status), ElementsAre("order_by"));
}

}  // namespace
}  // namespace accord::account
