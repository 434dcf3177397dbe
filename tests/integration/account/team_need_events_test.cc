// Team memberships and needs as event subscribers see them: every change, and every membership
// and need a merge moves or drops, is exactly one event on the public Subscribe stream.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <thread>

#include "accord/account/v1/account.grpc.pb.h"
#include "accord/account/v1/need.grpc.pb.h"
#include "accord/account/v1/team.grpc.pb.h"
#include "accord/common/ids.h"
#include "accord/events/v1/events.grpc.pb.h"
#include "account_service.h"
#include "support/servers.h"
#include "support/service_harness.h"
#include "team_need_services.h"

namespace accord::account {
namespace {

using common::Role;
using ::testing::Contains;
using testing::ContextAs;
using ::testing::ElementsAre;

constexpr char kTeamMemberCreated[] = "accord.account.v1.TeamMemberCreated";
constexpr char kTeamMemberUpdated[] = "accord.account.v1.TeamMemberUpdated";
constexpr char kTeamMemberDeleted[] = "accord.account.v1.TeamMemberDeleted";
constexpr char kNeedCreated[] = "accord.account.v1.NeedCreated";
constexpr char kNeedUpdated[] = "accord.account.v1.NeedUpdated";
constexpr char kNeedDeleted[] = "accord.account.v1.NeedDeleted";

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

class TeamNeedEventsTest : public ::testing::Test {
 protected:
  TeamNeedEventsTest()
      : harness_(AccountWithTeamsAndNeeds(), database_.url(), testing::SharedRedisUrl()),
        accounts_(v1::AccountService::NewStub(harness_.channel())),
        teams_(v1::AccountTeamService::NewStub(harness_.channel())),
        needs_(v1::AccountNeedService::NewStub(harness_.channel())),
        events_(events::v1::EventService::NewStub(harness_.channel())) {}

  v1::Account CreateAccount(const std::string& display_name) {
    v1::CreateAccountRequest request;
    request.mutable_account()->set_display_name(display_name);
    request.mutable_account()->set_type(common::v1::ORGANIZATION_TYPE_COMMERCIAL);
    v1::Account account;
    auto status = accounts_->CreateAccount(AsAlice().get(), request, &account);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return account;
  }

  v1::TeamMember AddMember(const std::string& parent, const std::string& member, v1::TeamRole role,
                           const std::string& request_id = "") {
    v1::CreateTeamMemberRequest request;
    request.set_parent(parent);
    request.mutable_team_member()->set_member(member);
    request.mutable_team_member()->set_role(role);
    request.mutable_team_member()->set_start_date("2000-01-01");
    request.set_request_id(request_id);
    v1::TeamMember created;
    auto status = teams_->CreateTeamMember(AsAlice().get(), request, &created);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return created;
  }

  v1::Need AddNeed(const std::string& parent, const std::string& title) {
    v1::CreateNeedRequest request;
    request.set_parent(parent);
    request.mutable_need()->set_title(title);
    request.mutable_need()->set_source(v1::NEED_SOURCE_MEETING);
    v1::Need created;
    auto status = needs_->CreateNeed(AsAlice().get(), request, &created);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return created;
  }

  v1::Need DeleteNeed(const v1::Need& need) {
    v1::DeleteNeedRequest remove;
    remove.set_name(need.name());
    remove.set_etag(need.etag());
    v1::Need deleted;
    auto status = needs_->DeleteNeed(AsAlice().get(), remove, &deleted);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return deleted;
  }

  static std::unique_ptr<grpc::ClientContext> AsAlice() {
    return ContextAs("alice", {Role::kAccountManager});
  }

  // Every event of type `type_prefix...` about a resource under one of `accounts` published so
  // far, in publish order; waits a little after the expected number for any extra one. (The
  // database is this test's own but Redis is shared with tests running beside it, whose events
  // the live stream may carry too.)
  std::vector<common::v1::EventEnvelope> EventsSoFar(const std::string& type_prefix,
                                                     const std::vector<v1::Account>& accounts,
                                                     size_t expected) {
    events::v1::SubscribeRequest request;
    request.mutable_start_time()->set_seconds(std::time(nullptr) - 120);
    request.set_type_prefix(type_prefix);
    auto context = ContextAs("sync", {Role::kIntegration});
    // Long enough for the expected events, short enough that waiting for one too many is cheap.
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(4));
    auto reader = events_->Subscribe(context.get(), request);
    std::vector<common::v1::EventEnvelope> received;
    events::v1::SubscribeResponse response;
    while (received.size() <= expected && reader->Read(&response)) {
      const std::string& subject = response.event().subject();
      for (const auto& account : accounts) {
        if (subject.rfind(account.name() + "/", 0) == 0) received.push_back(response.event());
      }
    }
    context->TryCancel();
    reader->Finish();
    return received;
  }

  static std::vector<std::string> Types(const std::vector<common::v1::EventEnvelope>& events) {
    std::vector<std::string> types;
    for (const auto& event : events) types.push_back(event.type());
    return types;
  }

  template <typename Message>
  static Message PayloadOf(const common::v1::EventEnvelope& event) {
    Message message;
    EXPECT_TRUE(event.payload().UnpackTo(&message)) << event.type();
    return message;
  }

  testing::TestDatabase database_;
  testing::ServiceHarness harness_;
  std::unique_ptr<v1::AccountService::Stub> accounts_;
  std::unique_ptr<v1::AccountTeamService::Stub> teams_;
  std::unique_ptr<v1::AccountNeedService::Stub> needs_;
  std::unique_ptr<events::v1::EventService::Stub> events_;
};

TEST_F(TeamNeedEventsTest, EveryTeamMemberChangeIsOneEvent) {
  const v1::Account account = CreateAccount("Acme");
  const std::string request_id = common::NewUuidV7();
  const v1::TeamMember created =
      AddMember(account.name(), "carol", v1::TEAM_ROLE_SALES, request_id);
  // A retry of the create is answered from the first call and changes nothing: no event.
  const v1::TeamMember retried =
      AddMember(account.name(), "carol", v1::TEAM_ROLE_SALES, request_id);
  EXPECT_EQ(retried.SerializeAsString(), created.SerializeAsString());

  v1::UpdateTeamMemberRequest update;
  update.mutable_team_member()->set_name(created.name());
  update.mutable_team_member()->set_note("covers the north");
  update.mutable_update_mask()->add_paths("note");
  update.set_etag(created.etag());
  v1::TeamMember updated;
  auto status = teams_->UpdateTeamMember(AsAlice().get(), update, &updated);
  ASSERT_TRUE(status.ok()) << status.error_message();

  v1::DeleteTeamMemberRequest remove;
  remove.set_name(created.name());
  remove.set_etag(updated.etag());
  google::protobuf::Empty empty;
  status = teams_->DeleteTeamMember(AsAlice().get(), remove, &empty);
  ASSERT_TRUE(status.ok()) << status.error_message();

  const auto events = EventsSoFar("accord.account.v1.TeamMember", {account}, 3);
  ASSERT_THAT(Types(events),
              ElementsAre(kTeamMemberCreated, kTeamMemberUpdated, kTeamMemberDeleted));
  for (const auto& event : events) {
    EXPECT_EQ(event.subject(), created.name());
    EXPECT_EQ(event.source(), "account");
    EXPECT_EQ(event.actor(), "alice");
  }
  EXPECT_EQ(events[0].aggregate_version(), std::stoll(created.etag()));
  EXPECT_EQ(PayloadOf<v1::TeamMember>(events[0]).SerializeAsString(), created.SerializeAsString());
  EXPECT_EQ(events[1].aggregate_version(), std::stoll(updated.etag()));
  EXPECT_THAT(events[1].changed_fields().paths(), ElementsAre("note"));
  EXPECT_EQ(PayloadOf<v1::TeamMember>(events[1]).note(), "covers the north");
  EXPECT_EQ(events[2].aggregate_version(), std::stoll(updated.etag()) + 1);
  EXPECT_EQ(PayloadOf<v1::TeamMember>(events[2]).name(), created.name());
}

TEST_F(TeamNeedEventsTest, EveryNeedChangeIsOneEvent) {
  const v1::Account account = CreateAccount("Globex");
  const v1::Need created = AddNeed(account.name(), "Faster delivery");

  v1::UpdateNeedRequest update;
  update.mutable_need()->set_name(created.name());
  update.mutable_need()->set_priority(v1::NEED_PRIORITY_HIGH);
  update.mutable_update_mask()->add_paths("priority");
  update.set_etag(created.etag());
  v1::Need updated;
  auto status = needs_->UpdateNeed(AsAlice().get(), update, &updated);
  ASSERT_TRUE(status.ok()) << status.error_message();
  const v1::Need deleted = DeleteNeed(updated);

  const auto events = EventsSoFar("accord.account.v1.Need", {account}, 3);
  ASSERT_THAT(Types(events), ElementsAre(kNeedCreated, kNeedUpdated, kNeedDeleted));
  for (const auto& event : events) EXPECT_EQ(event.subject(), created.name());
  EXPECT_EQ(events[0].aggregate_version(), std::stoll(created.etag()));
  EXPECT_EQ(events[1].aggregate_version(), std::stoll(updated.etag()));
  EXPECT_THAT(events[1].changed_fields().paths(), ElementsAre("priority"));
  EXPECT_EQ(PayloadOf<v1::Need>(events[1]).priority(), v1::NEED_PRIORITY_HIGH);
  EXPECT_EQ(events[2].aggregate_version(), std::stoll(deleted.etag()));
  EXPECT_TRUE(PayloadOf<v1::Need>(events[2]).has_delete_time());
  EXPECT_THAT(events[2].changed_fields().paths(), Contains("delete_time"));
}

TEST_F(TeamNeedEventsTest, MergeEmitsOneEventPerMembershipAndNeedItMovesOrDrops) {
  const v1::Account survivor = CreateAccount("Initech");
  const v1::Account duplicate = CreateAccount("Initech (dup)");
  AddMember(survivor.name(), "carol", v1::TEAM_ROLE_SALES);
  // The same person in the same role over the same dates: dropped by the merge.
  const v1::TeamMember repeated = AddMember(duplicate.name(), "carol", v1::TEAM_ROLE_SALES);
  const v1::TeamMember moving = AddMember(duplicate.name(), "dave", v1::TEAM_ROLE_SERVICE);
  const v1::Need need = AddNeed(duplicate.name(), "Quarterly review");
  DeleteNeed(AddNeed(duplicate.name(), "Withdrawn"));  // deleted: no longer a resource to move

  v1::MergeAccountsRequest merge;
  merge.set_survivor(survivor.name());
  merge.set_survivor_etag(survivor.etag());
  merge.set_duplicate(duplicate.name());
  merge.set_duplicate_etag(duplicate.etag());
  v1::MergeAccountsResponse merged;
  auto status = accounts_->MergeAccounts(AsAlice().get(), merge, &merged);
  ASSERT_TRUE(status.ok()) << status.error_message();

  const std::string moved_member_name =
      survivor.name() + "/teamMembers/" + moving.name().substr(moving.name().rfind('/') + 1);
  const std::string moved_need_name =
      survivor.name() + "/needs/" + need.name().substr(need.name().rfind('/') + 1);

  // Before the merge: 3 memberships created, 2 needs created and 1 deleted.
  const auto team_events = EventsSoFar("accord.account.v1.TeamMember", {survivor, duplicate}, 5);
  ASSERT_THAT(Types(team_events),
              ElementsAre(kTeamMemberCreated, kTeamMemberCreated, kTeamMemberCreated,
                          kTeamMemberDeleted, kTeamMemberUpdated));
  EXPECT_EQ(team_events[3].subject(), repeated.name());
  EXPECT_EQ(team_events[3].aggregate_version(), std::stoll(repeated.etag()) + 1);
  EXPECT_EQ(team_events[4].subject(), moved_member_name);
  EXPECT_THAT(team_events[4].changed_fields().paths(), Contains("name"));
  const auto moved_member = PayloadOf<v1::TeamMember>(team_events[4]);
  EXPECT_EQ(moved_member.name(), moved_member_name);
  EXPECT_EQ(moved_member.member(), "dave");
  EXPECT_EQ(team_events[4].aggregate_version(), std::stoll(moved_member.etag()));
  EXPECT_GT(team_events[4].aggregate_version(), std::stoll(moving.etag()));

  const auto need_events = EventsSoFar("accord.account.v1.Need", {survivor, duplicate}, 4);
  ASSERT_THAT(Types(need_events),
              ElementsAre(kNeedCreated, kNeedCreated, kNeedDeleted, kNeedUpdated));
  EXPECT_EQ(need_events[3].subject(), moved_need_name);
  EXPECT_THAT(need_events[3].changed_fields().paths(), Contains("name"));
  EXPECT_GT(need_events[3].aggregate_version(), std::stoll(need.etag()));

  // What the events say is what a reader now finds.
  v1::GetTeamMemberRequest get_member;
  get_member.set_name(moved_member_name);
  v1::TeamMember fetched_member;
  status = teams_->GetTeamMember(AsAlice().get(), get_member, &fetched_member);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(fetched_member.etag(), moved_member.etag());
  v1::GetNeedRequest get_need;
  get_need.set_name(moved_need_name);
  v1::Need fetched_need;
  status = needs_->GetNeed(AsAlice().get(), get_need, &fetched_need);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(std::stoll(fetched_need.etag()), need_events[3].aggregate_version());
}

}  // namespace
}  // namespace accord::account
