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

}  // namespace
}  // namespace accord::quality
