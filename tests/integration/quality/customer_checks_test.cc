// A case's customer as the account and contact services see it (asked over gRPC), those
// services down, and account managers limited to the cases of their accounts.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "quality_fixture.h"

namespace accord::quality {
namespace {

using ::testing::HasSubstr;
using testing::ReasonOf;
using ::testing::UnorderedElementsAre;

class CustomerChecksTest : public QualityFixture {
 protected:
  explicit CustomerChecksTest(std::function<void(QualityOptions&)> adjust = nullptr)
      : QualityFixture(std::move(adjust)) {}

  std::set<std::string> ListedAccounts(std::unique_ptr<grpc::ClientContext> context,
                                       grpc::Status* status_out = nullptr) {
    v1::ListCasesRequest request;
    request.set_page_size(100);
    v1::ListCasesResponse response;
    auto status = cases_->ListCases(context.get(), request, &response);
    if (status_out) *status_out = status;
    std::set<std::string> accounts;
    for (const auto& c : response.cases()) accounts.insert(c.account());
    return accounts;
  }

  account::v1::TeamMember AddToTeam(const std::string& account, const std::string& member) {
    account::v1::CreateTeamMemberRequest request;
    request.set_parent(account);
    request.mutable_team_member()->set_member(member);
    request.mutable_team_member()->set_role(account::v1::TEAM_ROLE_SERVICE);
    account::v1::TeamMember created;
    auto status = teams_->CreateTeamMember(Admin().get(), request, &created);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return created;
  }
};

TEST_F(CustomerChecksTest, CopiesTheAccountsTierAndTheContactsLanguageAndNeeds) {
  const auto calendar = AlwaysOpen();
  // HIGH x MEDIUM is HIGH; a strategic account raises it to CRITICAL, whose strategic policy
  // applies.
  const auto policy =
      Policy(calendar, v1::PRIORITY_CRITICAL, 30, 240, account::v1::ACCOUNT_TIER_STRATEGIC);
  const auto account = CreateAccount("max", account::v1::ACCOUNT_TIER_STRATEGIC);
  const auto person = CreateContact(account.name(), "de-CH", /*hearing=*/true);
  v1::Case request = NewCase(v1::LEVEL_HIGH, v1::LEVEL_MEDIUM, account.name());
  request.set_contact(person.name());
  request.clear_special_needs();
  request.set_account_tier(account::v1::ACCOUNT_TIER_STANDARD);  // ignored: the service asks
  const v1::Case c = Create(request);
  EXPECT_EQ(c.account(), account.name());
  EXPECT_EQ(c.account_tier(), account::v1::ACCOUNT_TIER_STRATEGIC);
  EXPECT_EQ(c.priority(), v1::PRIORITY_CRITICAL);
  EXPECT_EQ(c.sla().sla_policy(), policy.name());
  EXPECT_EQ(c.language(), "de-CH");
  ASSERT_EQ(c.special_needs_size(), 1);
  EXPECT_EQ(c.special_needs(0).kind(), v1::SPECIAL_NEED_KIND_DISABILITY);
  EXPECT_THAT(c.special_needs(0).note(), HasSubstr("hearing"));

  // What the caller says wins: its language, and its own note of a kind.
  request.set_language("fr");
  auto* need = request.add_special_needs();
  need->set_kind(v1::SPECIAL_NEED_KIND_DISABILITY);
  need->set_note("wheelchair access at delivery");
  const v1::Case own = Create(request);
  EXPECT_EQ(own.language(), "fr");
  ASSERT_EQ(own.special_needs_size(), 1);
  EXPECT_EQ(own.special_needs(0).note(), "wheelchair access at delivery");

  request.set_language("not a tag");
  v1::Case out;
  auto status = TryCreate(request, &out);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(testing::ViolatedFields(status), ::testing::ElementsAre("case.language"));
}

TEST_F(CustomerChecksTest, UnknownAccountsAndContactsAreRefusedAndNothingIsWritten) {
  const auto account = CreateAccount();
  v1::Case request = NewCase(v1::LEVEL_LOW, v1::LEVEL_LOW, account.name());
  v1::Case out;

  v1::Case missing = request;
  missing.set_account("accounts/" + common::NewUuidV7());
  auto status = TryCreate(missing, &out);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(ReasonOf(status), "ACCOUNT_NOT_FOUND");

  missing = request;
  missing.set_contact("contacts/" + common::NewUuidV7());
  status = TryCreate(missing, &out);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(ReasonOf(status), "CONTACT_NOT_FOUND");

  v1::Case stranger = request;
  stranger.set_contact(CreateContact("").name());
  status = TryCreate(stranger, &out);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(ReasonOf(status), "CONTACT_NOT_RELATED");

  // A contact of another account is not this account's.
  stranger.set_contact(CreateContact(CreateAccount().name()).name());
  status = TryCreate(stranger, &out);
  EXPECT_EQ(ReasonOf(status), "CONTACT_NOT_RELATED");

  // A deleted account is gone.
  account::v1::DeleteAccountRequest remove;
  remove.set_name(account.name());
  remove.set_etag(account.etag());
  account::v1::Account removed;
  ASSERT_TRUE(accounts_->DeleteAccount(Admin().get(), remove, &removed).ok());
  status = TryCreate(request, &out);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(ReasonOf(status), "ACCOUNT_NOT_FOUND");

  EXPECT_EQ(Count("SELECT count(*) FROM service_quality.cases"), 0);
  EXPECT_EQ(Count("SELECT count(*) FROM service_quality.outbox"), 0);
}

TEST_F(CustomerChecksTest, ACaseOnAMergedAccountOpensOnTheSurvivor) {
  const auto survivor = CreateAccount("max", account::v1::ACCOUNT_TIER_KEY);
  const auto duplicate = CreateAccount("max");
  const auto person = CreateContact(duplicate.name());
  ASSERT_NO_FATAL_FAILURE(Merge(survivor, duplicate));

  v1::Case request = NewCase(v1::LEVEL_LOW, v1::LEVEL_LOW, survivor.name());
  request.set_account(duplicate.name());
  request.set_contact(person.name());  // related to the duplicate only
  const v1::Case c = Create(request);
  EXPECT_EQ(c.account(), survivor.name());
  EXPECT_EQ(c.account_tier(), account::v1::ACCOUNT_TIER_KEY);
  EXPECT_TRUE(TimelineSays(c.name(), duplicate.name() + " was merged"));
}

TEST_F(CustomerChecksTest, WithTheAccountServiceDownOnlyCallsThatNeedItFail) {
  const v1::Case open = Create(NewCase());
  const v1::Case request = NewCase();
  account_.Stop();
  v1::Case out;
  auto status = TryCreate(request, &out);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(ReasonOf(status), "ACCOUNT_SERVICE_UNAVAILABLE");
  // Reading and working cases do not need it.
  ASSERT_TRUE(Get(open.name(), &out).ok());
  v1::Case moved = out;
  EXPECT_TRUE(Move(moved, v1::CASE_STATUS_ACKNOWLEDGED).ok());
  EXPECT_EQ(ListedAccounts(Supervisor()).size(), 1u);
  // An account manager's view does: it needs the accounts it manages.
  grpc::Status listed;
  ListedAccounts(As("max", {Role::kAccountManager}), &listed);
  EXPECT_EQ(listed.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(Count("SELECT count(*) FROM service_quality.cases"), 1);
}

TEST_F(CustomerChecksTest, WithTheContactServiceDownCasesWithoutAContactStillOpen) {
  v1::Case request = NewCase();
  contact_.Stop();
  v1::Case out;
  auto status = TryCreate(request, &out);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(ReasonOf(status), "CONTACT_SERVICE_UNAVAILABLE");
  request.clear_contact();
  status = TryCreate(request, &out);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(out.language(), "");
}

TEST_F(CustomerChecksTest, AccountManagersReadTheCasesOfTheirAccountsOnly) {
  const auto own = CreateAccount("max");
  const auto teamed = CreateAccount("olga");
  const auto other = CreateAccount("olga");
  AddToTeam(teamed.name(), "mia");
  const v1::Case on_own = Create(NewCase(v1::LEVEL_LOW, v1::LEVEL_LOW, own.name()));
  const v1::Case on_teamed = Create(NewCase(v1::LEVEL_LOW, v1::LEVEL_LOW, teamed.name()));
  Create(NewCase(v1::LEVEL_LOW, v1::LEVEL_LOW, other.name()));

  // Supervisors and agents see every case; an owner its own; a team member its team's.
  EXPECT_EQ(ListedAccounts(Supervisor()).size(), 3u);
  EXPECT_EQ(ListedAccounts(Agent()).size(), 3u);
  EXPECT_THAT(ListedAccounts(As("max", {Role::kAccountManager})), UnorderedElementsAre(own.name()));
  EXPECT_THAT(ListedAccounts(As("mia", {Role::kAccountManager})),
              UnorderedElementsAre(teamed.name()));
  // A filter narrows further, never wider.
  v1::ListCasesRequest filtered;
  filtered.set_filter("account = \"" + other.name() + "\"");
  v1::ListCasesResponse page;
  ASSERT_TRUE(cases_->ListCases(As("max", {Role::kAccountManager}).get(), filtered, &page).ok());
  EXPECT_EQ(page.cases_size(), 0);

  v1::Case out;
  EXPECT_TRUE(Get(on_own.name(), &out, As("max", {Role::kAccountManager})).ok());
  auto status = Get(on_teamed.name(), &out, As("max", {Role::kAccountManager}));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(Get(on_teamed.name(), &out, As("mia", {Role::kAccountManager})).ok());
  v1::ListTimelineEntriesRequest timeline;
  timeline.set_parent(on_teamed.name());
  v1::ListTimelineEntriesResponse entries;
  EXPECT_EQ(
      cases_->ListTimelineEntries(As("max", {Role::kAccountManager}).get(), timeline, &entries)
          .error_code(),
      grpc::StatusCode::PERMISSION_DENIED);

  // They open cases for their accounts only.
  status = TryCreate(NewCase(v1::LEVEL_LOW, v1::LEVEL_LOW, other.name()), &out,
                     As("max", {Role::kAccountManager}));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(TryCreate(NewCase(v1::LEVEL_LOW, v1::LEVEL_LOW, own.name()), &out,
                        As("max", {Role::kAccountManager}))
                  .ok());
  // An account manager who is also a supervisor sees everything.
  EXPECT_EQ(ListedAccounts(As("max", {Role::kAccountManager, Role::kServiceSupervisor})).size(),
            3u);
}

class ShortAccessCacheTest : public CustomerChecksTest {
 protected:
  ShortAccessCacheTest()
      : CustomerChecksTest([](QualityOptions& options) {
          options.directory.managed_ttl = std::chrono::milliseconds(300);
        }) {}
};

TEST_F(ShortAccessCacheTest, LeavingTheTeamEndsAccessWhenTheCachedAnswerExpires) {
  const auto teamed = CreateAccount("olga");
  const auto member = AddToTeam(teamed.name(), "mia");
  const v1::Case c = Create(NewCase(v1::LEVEL_LOW, v1::LEVEL_LOW, teamed.name()));
  v1::Case out;
  ASSERT_TRUE(Get(c.name(), &out, As("mia", {Role::kAccountManager})).ok());
  account::v1::DeleteTeamMemberRequest remove;
  remove.set_name(member.name());
  remove.set_etag(member.etag());
  google::protobuf::Empty empty;
  ASSERT_TRUE(teams_->DeleteTeamMember(Admin().get(), remove, &empty).ok());
  // Within the TTL the cached answer stands (the documented staleness bound), after it not.
  EXPECT_TRUE(Get(c.name(), &out, As("mia", {Role::kAccountManager})).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  EXPECT_EQ(Get(c.name(), &out, As("mia", {Role::kAccountManager})).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

}  // namespace
}  // namespace accord::quality
