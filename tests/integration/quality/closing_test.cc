// Closing: a resolved case closes when the customer confirms, or by the close sweep after the
// timeout (exactly once with two sweepers; the sweep's clock is the test's); reopen rules.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>

#include "pg_quality_repository.h"
#include "quality_fixture.h"
#include "sweeper.h"

namespace accord::quality {
namespace {

using testing::ReasonOf;

class ClosingTest : public QualityFixture {
 protected:
  // A case resolved just now.
  v1::Case Resolved() {
    v1::Case c = Create(NewCase(v1::LEVEL_LOW, v1::LEVEL_LOW));
    EXPECT_TRUE(Move(c, v1::CASE_STATUS_IN_PROGRESS).ok());
    EXPECT_TRUE(Resolve(c, 0).ok());
    return c;
  }

  int64_t ClosedEvents() {
    return Count(
        "SELECT count(*) FROM service_quality.outbox WHERE type = 'accord.quality.v1.CaseClosed'");
  }
};

TEST_F(ClosingTest, TheCustomersConfirmationClosesAResolvedCase) {
  v1::Case open = Create(NewCase());
  auto status = Confirm(open);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(ReasonOf(status), "ILLEGAL_STATUS_TRANSITION");

  v1::Case c = Resolved();
  // CLOSED is not a move of its own any more.
  status = Move(c, v1::CASE_STATUS_CLOSED);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(testing::ViolatedFields(status), ::testing::ElementsAre("status"));

  v1::ConfirmCaseResolutionRequest request;
  request.set_name(c.name());
  request.set_etag(c.etag());
  request.set_note("the new pallet is fine");
  request.set_request_id(common::NewUuidV7());
  for (int attempt = 0; attempt < 2; ++attempt) {  // a retry changes nothing
    v1::Case closed;
    status = cases_->ConfirmCaseResolution(Agent().get(), request, &closed);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(closed.status(), v1::CASE_STATUS_CLOSED);
    EXPECT_EQ(closed.close_reason(), v1::CASE_CLOSE_REASON_CONFIRMED);
    EXPECT_TRUE(closed.has_close_time());
  }
  EXPECT_EQ(ClosedEvents(), 1);
  EXPECT_EQ(Timeline(c.name()).back().text(),
            "RESOLVED -> CLOSED: the customer confirmed the resolution: the new pallet is fine");

  // Another agent's case is not this agent's to confirm; closed is final.
  v1::Case other = Resolved();
  EXPECT_EQ(Confirm(other, As("bob", {Role::kServiceAgent}, {"south"})).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  request.set_request_id("");
  v1::Case again;
  request.set_etag(std::to_string(std::stoll(c.etag()) + 1));
  status = cases_->ConfirmCaseResolution(Agent().get(), request, &again);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
}

TEST_F(ClosingTest, TheTimeoutClosesEachUnconfirmedCaseOnceAcrossSweepers) {
  constexpr int kCases = 12;
  std::vector<v1::Case> cases;
  for (int i = 0; i < kCases; ++i) cases.push_back(Resolved());
  ASSERT_TRUE(Confirm(cases[0]).ok());                         // closed by the customer
  ASSERT_TRUE(Move(cases[1], v1::CASE_STATUS_REOPENED).ok());  // back in work

  PgQualityRepository first_store(harness_.runtime().pg());
  PgQualityRepository second_store(harness_.runtime().pg());
  Sweeper first(first_store, 2, std::chrono::hours(24));
  Sweeper second(second_store, 2, std::chrono::hours(24));
  // Before the timeout nothing closes.
  EXPECT_EQ(*first.CloseOnce(SystemNow() + std::chrono::hours(23)), 0);

  const Instant later = SystemNow() + std::chrono::hours(25);
  absl::StatusOr<int> by_first, by_second;
  std::thread a([&] { by_first = first.CloseOnce(later); });
  std::thread b([&] { by_second = second.CloseOnce(later); });
  a.join();
  b.join();
  ASSERT_TRUE(by_first.ok()) << by_first.status();
  ASSERT_TRUE(by_second.ok()) << by_second.status();
  EXPECT_EQ(*by_first + *by_second, kCases - 2);
  EXPECT_EQ(*first.CloseOnce(later), 0);  // idempotent: nothing left
  EXPECT_EQ(ClosedEvents(), kCases - 1);

  for (int i = 0; i < kCases; ++i) {
    v1::Case c;
    ASSERT_TRUE(Get(cases[i].name(), &c).ok());
    if (i == 1) {
      EXPECT_EQ(c.status(), v1::CASE_STATUS_REOPENED);
      continue;
    }
    EXPECT_EQ(c.status(), v1::CASE_STATUS_CLOSED) << i;
    EXPECT_EQ(c.close_reason(),
              i == 0 ? v1::CASE_CLOSE_REASON_CONFIRMED : v1::CASE_CLOSE_REASON_TIMEOUT);
    // One close per case in its history, whoever swept.
    int closes = 0;
    for (const auto& entry : Timeline(c.name())) {
      closes += entry.text().rfind("RESOLVED -> CLOSED", 0) == 0;
    }
    EXPECT_EQ(closes, 1) << i;
  }
}

TEST_F(ClosingTest, ACaseReopensAtMostTheConfiguredNumberOfTimes) {
  v1::Case c = Resolved();
  for (int i = 0; i < options_.max_reopens; ++i) {
    ASSERT_TRUE(Move(c, v1::CASE_STATUS_REOPENED).ok()) << i;
    ASSERT_TRUE(Resolve(c, 0).ok());
  }
  auto status = Move(c, v1::CASE_STATUS_REOPENED);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(ReasonOf(status), "REOPEN_LIMIT_REACHED");
  EXPECT_EQ(c.reopen_count(), options_.max_reopens);
  // A closed case never reopens.
  ASSERT_TRUE(Confirm(c).ok());
  EXPECT_EQ(Move(c, v1::CASE_STATUS_REOPENED).error_code(), grpc::StatusCode::FAILED_PRECONDITION);
}

}  // namespace
}  // namespace accord::quality
