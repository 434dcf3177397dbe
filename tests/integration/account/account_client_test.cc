// common::AccountClient, the one client the other services ask the account service with, against
// a real account service: live, missing, deleted and merged accounts, merges followed to the
// survivor, who manages an account (cached), and a stopped account service failing fast.
#include "accord/common/account_client.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "accord/account/v1/account.grpc.pb.h"
#include "accord/account/v1/team.grpc.pb.h"
#include "accord/common/errors.h"
#include "accord/common/ids.h"
#include "account_service.h"
#include "support/accounts.h"
#include "support/servers.h"
#include "support/service_harness.h"

namespace accord::account {
namespace {

using common::Role;
using testing::ContextAs;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

class AccountClientTest : public ::testing::Test {
 protected:
  AccountClientTest()
      : harness_(AccountServiceDefinition(), database_.url(), testing::SharedRedisUrl()),
        accounts_(v1::AccountService::NewStub(harness_.channel())),
        teams_(v1::AccountTeamService::NewStub(harness_.channel())),
        client_(Options()) {}

  common::AccountClientOptions Options() {
    common::AccountClientOptions options;
    options.service.service = "account";
    options.service.address = "127.0.0.1:" + std::to_string(harness_.port());
    options.service.deadline = std::chrono::milliseconds(1500);
    options.access_ttl = std::chrono::milliseconds(60000);
    return options;
  }

  static common::CallIdentity As(const std::string& subject, Role role) {
    return {.authorization = "Bearer " + testing::TokenFor(subject, {role})};
  }
  static common::CallIdentity Admin() { return As("root", Role::kAdmin); }

  v1::Account CreateAccount(const std::string& owner, const std::string& display_name) {
    return testing::CreateAccountAs(*accounts_, owner, display_name);
  }

  std::string EtagOf(const std::string& name) {
    v1::GetAccountRequest request;
    request.set_name(name);
    v1::Account account;
    auto status = accounts_->GetAccount(ContextAs("root", {Role::kAdmin}).get(), request, &account);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return account.etag();
  }

  // Merges `duplicate` into `survivor` at their current etags.
  void Merge(const v1::Account& survivor, const v1::Account& duplicate) {
    v1::MergeAccountsRequest merge;
    merge.set_survivor(survivor.name());
    merge.set_survivor_etag(EtagOf(survivor.name()));
    merge.set_duplicate(duplicate.name());
    merge.set_duplicate_etag(EtagOf(duplicate.name()));
    v1::MergeAccountsResponse merged;
    auto status = accounts_->MergeAccounts(ContextAs("root", {Role::kAdmin}).get(), merge, &merged);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }

  void AddMember(const std::string& account, const std::string& member) {
    v1::CreateTeamMemberRequest request;
    request.set_parent(account);
    request.mutable_team_member()->set_member(member);
    request.mutable_team_member()->set_role(v1::TEAM_ROLE_SALES);
    request.mutable_team_member()->set_start_date("2000-01-01");
    v1::TeamMember created;
    auto status =
        teams_->CreateTeamMember(ContextAs("root", {Role::kAdmin}).get(), request, &created);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }

  testing::TestDatabase database_;
  testing::ServiceHarness harness_;
  std::unique_ptr<v1::AccountService::Stub> accounts_;
  std::unique_ptr<v1::AccountTeamService::Stub> teams_;
  common::AccountClient client_;
};

TEST_F(AccountClientTest, LiveMissingAndMergedAccountsAndMergesFollowed) {
  const v1::Account live = CreateAccount("amy", "Acme");
  EXPECT_TRUE(client_.CheckLive(Admin(), live.name()).ok());

  const std::string missing = "accounts/" + common::NewUuidV7();
  auto status = client_.CheckLive(Admin(), missing);
  EXPECT_TRUE(absl::IsNotFound(status)) << status;
  EXPECT_EQ(common::ReasonOf(status), "ACCOUNT_NOT_FOUND");

  // b merged into c, then c into live: the chain is followed to the live survivor.
  const v1::Account b = CreateAccount("amy", "Acme (b)");
  const v1::Account c = CreateAccount("amy", "Acme (c)");
  Merge(c, b);
  Merge(live, c);
  status = client_.CheckLive(Admin(), b.name());
  EXPECT_TRUE(absl::IsFailedPrecondition(status)) << status;
  EXPECT_EQ(common::ReasonOf(status), "ACCOUNT_MERGED");
  EXPECT_EQ(common::MetadataOf(status, "merged_into"), c.name());
  std::string merged_from;
  auto survivor = client_.FollowMerges(Admin(), b.name(), &merged_from);
  ASSERT_TRUE(survivor.ok()) << survivor.status();
  EXPECT_EQ(survivor->name(), live.name());
  EXPECT_EQ(merged_from, b.name());
  merged_from.clear();
  ASSERT_TRUE(client_.FollowMerges(Admin(), live.name(), &merged_from).ok());
  EXPECT_EQ(merged_from, "");
  auto none = client_.FollowMerges(Admin(), missing, &merged_from);
  EXPECT_TRUE(absl::IsNotFound(none.status())) << none.status();
}

TEST_F(AccountClientTest, ManagersAreOwnersAndActiveTeamMembersAndAnswersAreCached) {
  const v1::Account acme = CreateAccount("amy", "Acme");
  const v1::Account globex = CreateAccount("bob", "Globex");
  AddMember(globex.name(), "amy");
  const auto amy = As("amy", Role::kAccountManager);
  EXPECT_EQ(client_.Manages(amy, "amy", acme.name()).value_or(false), true);
  EXPECT_EQ(client_.Manages(amy, "amy", globex.name()).value_or(false), true);
  EXPECT_EQ(client_.Manages(Admin(), "carl", acme.name()).value_or(true), false);
  auto managed = client_.ManagedAccounts(amy, "amy");
  ASSERT_TRUE(managed.ok()) << managed.status();
  EXPECT_THAT(**managed, UnorderedElementsAre(acme.name(), globex.name()));

  // Cached: the answers stand while the account service is gone.
  harness_.Stop();
  EXPECT_EQ(client_.Manages(amy, "amy", acme.name()).value_or(false), true);
  auto again = client_.ManagedAccounts(amy, "amy");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->get(), managed->get());
}

TEST_F(AccountClientTest, AStoppedAccountServiceIsUnavailableAndThenFailsFast) {
  const v1::Account acme = CreateAccount("amy", "Acme");
  harness_.Stop();
  auto status = client_.CheckLive(Admin(), acme.name());
  EXPECT_TRUE(absl::IsUnavailable(status)) << status;
  EXPECT_EQ(common::ReasonOf(status), "ACCOUNT_SERVICE_UNAVAILABLE");
  EXPECT_THAT(std::string(status.message()), HasSubstr("cannot be reached"));
  // Within the breaker's second the client does not call at all (no deadline waited out): the
  // answer says it is the earlier failure.
  status = client_.Manages(Admin(), "amy", acme.name()).status();
  EXPECT_TRUE(absl::IsUnavailable(status)) << status;
  EXPECT_EQ(common::ReasonOf(status), "ACCOUNT_SERVICE_UNAVAILABLE");
  EXPECT_THAT(std::string(status.message()), HasSubstr("did not answer a moment ago"));
}

}  // namespace
}  // namespace accord::account
