// Following the account service's events (common::PeerEventFeed): merges move cases to the
// survivor, deletions close open cases, churn becomes a lost-customer signal; each once, with
// Redis losing its data in between. A private Redis, so that killing it disturbs no other test.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>

#include "quality_fixture.h"

namespace accord::quality {
namespace {

struct PrivateRedis {
  testing::ScopedRedisServer redis;
};

class AccountEventsTest : protected PrivateRedis, public QualityFixture {
 protected:
  AccountEventsTest()
      : QualityFixture(
            [](QualityOptions& options) {
              options.follow_account_events = true;
              options.directory.account.service_token =
                  testing::TokenFor("service-quality", {Role::kIntegration});
            },
            redis.url()) {}

  // Polls `done` for up to 20 s.
  static bool Eventually(const std::function<bool()>& done) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (!done()) {
      if (std::chrono::steady_clock::now() > until) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return true;
  }

  v1::Case Fresh(const std::string& name) {
    v1::Case c;
    EXPECT_TRUE(Get(name, &c, Supervisor()).ok());
    return c;
  }

  int64_t Events(const std::string& type) {
    return Count("SELECT count(*) FROM service_quality.outbox WHERE type = 'accord.quality.v1." +
                 type + "'");
  }

  std::vector<v1::Signal> Signals() {
    auto stub = v1::SignalService::NewStub(harness_.channel());
    v1::ListSignalsRequest request;
    v1::ListSignalsResponse response;
    auto status = stub->ListSignals(Supervisor().get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return {response.signals().begin(), response.signals().end()};
  }
};

TEST_F(AccountEventsTest, MergesDeletionsAndChurnApplyOnceAcrossARedisLoss) {
  const auto survivor = CreateAccount("max");
  const auto duplicate = CreateAccount("max");
  v1::Case moved = Create(NewCase(v1::LEVEL_LOW, v1::LEVEL_LOW, duplicate.name()));
  v1::Case done = Create(NewCase(v1::LEVEL_LOW, v1::LEVEL_LOW, duplicate.name()));
  ASSERT_TRUE(Move(done, v1::CASE_STATUS_IN_PROGRESS).ok());
  ASSERT_TRUE(Resolve(done, 0).ok());

  ASSERT_NO_FATAL_FAILURE(Merge(survivor, duplicate));
  ASSERT_TRUE(Eventually([&] {
    return Fresh(moved.name()).account() == survivor.name() &&
           Fresh(done.name()).account() == survivor.name();
  }));
  EXPECT_EQ(Fresh(done.name()).status(), v1::CASE_STATUS_RESOLVED);  // moved, not reopened
  EXPECT_EQ(SurveysOf(done.name())[0].account(), survivor.name());
  EXPECT_EQ(Timeline(moved.name()).back().text(),
            "Moved to " + survivor.name() + ": " + duplicate.name() + " was merged into it");

  // Redis loses everything; the feed resumes from the cursor kept in PostgreSQL.
  redis.Kill();
  redis.Start();

  // Churn is a lost customer.
  account::v1::Account current;
  account::v1::GetAccountRequest get;
  get.set_name(survivor.name());
  ASSERT_TRUE(accounts_->GetAccount(Admin().get(), get, &current).ok());
  account::v1::UpdateAccountRequest churn;
  churn.mutable_account()->set_name(survivor.name());
  churn.mutable_account()->set_lifecycle_stage(account::v1::LIFECYCLE_STAGE_CHURNED);
  churn.mutable_update_mask()->add_paths("lifecycle_stage");
  churn.set_etag(current.etag());
  ASSERT_TRUE(accounts_->UpdateAccount(Admin().get(), churn, &current).ok());
  ASSERT_TRUE(Eventually([&] { return !Signals().empty(); }));

  // Deleting the account closes its open cases; a resolved one closes too.
  account::v1::DeleteAccountRequest remove;
  remove.set_name(survivor.name());
  remove.set_etag(current.etag());
  account::v1::Account removed;
  ASSERT_TRUE(accounts_->DeleteAccount(Admin().get(), remove, &removed).ok());
  ASSERT_TRUE(Eventually([&] { return Fresh(moved.name()).status() == v1::CASE_STATUS_CLOSED; }));
  EXPECT_EQ(Fresh(moved.name()).close_reason(), v1::CASE_CLOSE_REASON_ACCOUNT_DELETED);
  EXPECT_TRUE(Eventually([&] { return Fresh(done.name()).status() == v1::CASE_STATUS_CLOSED; }));

  // Each effect once, however the stream was delivered.
  const auto signals = Signals();
  ASSERT_EQ(signals.size(), 1u);
  EXPECT_EQ(signals[0].account(), survivor.name());
  EXPECT_EQ(signals[0].kind(), v1::SIGNAL_KIND_LOST_CUSTOMER);
  EXPECT_EQ(Events("CaseAccountMerged"), 2);
  EXPECT_EQ(Events("SignalRecorded"), 1);
  EXPECT_EQ(Events("CaseClosed"), 2);
  EXPECT_FALSE(
      common::PeerEventFeed::StoredCursor(harness_.runtime().pg(), kSchema, kAccountFeed)->empty());
}

// New cases learn their account from the facts the events keep: with the account service down
// they still open on a known account (with its tier as last changed), go to a merged account's
// survivor and are refused for a deleted one; only an account never heard of needs the service.
TEST_F(AccountEventsTest, CasesOpenFromTheKeptAccountFactsWhileTheAccountServiceIsDown) {
  const auto key = CreateAccount("max", account::v1::ACCOUNT_TIER_KEY);
  const auto survivor = CreateAccount("max", account::v1::ACCOUNT_TIER_STANDARD);
  const auto duplicate = CreateAccount("max");
  const auto gone = CreateAccount("max");
  account::v1::UpdateAccountRequest raise;
  raise.mutable_account()->set_name(key.name());
  raise.mutable_account()->set_tier(account::v1::ACCOUNT_TIER_STRATEGIC);
  raise.mutable_update_mask()->add_paths("tier");
  raise.set_etag(key.etag());
  account::v1::Account raised;
  ASSERT_TRUE(accounts_->UpdateAccount(Admin().get(), raise, &raised).ok());
  ASSERT_NO_FATAL_FAILURE(Merge(survivor, duplicate));
  account::v1::DeleteAccountRequest remove;
  remove.set_name(gone.name());
  remove.set_etag(gone.etag());
  account::v1::Account removed;
  ASSERT_TRUE(accounts_->DeleteAccount(Admin().get(), remove, &removed).ok());
  const std::string facts =
      "SELECT count(*) FROM service_quality.account_facts WHERE (account = '" + key.name() +
      "' AND tier = " + std::to_string(account::v1::ACCOUNT_TIER_STRATEGIC) + ") OR (account = '" +
      duplicate.name() + "' AND merged_into = '" + survivor.name() + "') OR (account = '" +
      gone.name() + "' AND deleted)";
  ASSERT_TRUE(Eventually([&] { return Count(facts) == 3; }));

  // Older or contradicting news changes nothing: a live account's tier only moves forward in
  // its versions, and merged and deleted stay so.
  PgQualityRepository repository(harness_.runtime().pg());
  ASSERT_TRUE(repository
                  .KeepAccountFacts(nullptr, {key.name(), account::v1::ACCOUNT_TIER_KEY, "", false,
                                              std::stoll(key.etag())})
                  .ok());
  ASSERT_TRUE(repository.KeepAccountFacts(nullptr, {gone.name(), 0, "", false, 1 << 20}).ok());
  ASSERT_TRUE(repository.KeepAccountFacts(nullptr, {duplicate.name(), 0, "", false, 1 << 20}).ok());
  EXPECT_EQ(Count(facts), 3);

  account_.Stop();
  auto without_contact = [](const std::string& account) {
    return CaseWithoutContact(account, v1::LEVEL_LOW, v1::LEVEL_LOW);
  };
  v1::Case out;
  auto status = TryCreate(without_contact(key.name()), &out);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(out.account(), key.name());
  EXPECT_EQ(out.account_tier(), account::v1::ACCOUNT_TIER_STRATEGIC);

  status = TryCreate(without_contact(duplicate.name()), &out);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(out.account(), survivor.name());
  EXPECT_EQ(out.account_tier(), account::v1::ACCOUNT_TIER_STANDARD);
  EXPECT_TRUE(TimelineSays(out.name(), duplicate.name() + " was merged"));

  status = TryCreate(without_contact(gone.name()), &out);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(testing::ReasonOf(status), "ACCOUNT_NOT_FOUND");

  status = TryCreate(without_contact("accounts/" + common::NewUuidV7()), &out);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(testing::ReasonOf(status), "ACCOUNT_SERVICE_UNAVAILABLE");
  EXPECT_EQ(Count("SELECT count(*) FROM service_quality.cases"), 2);
}

}  // namespace
}  // namespace accord::quality
