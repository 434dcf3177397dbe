// What the account service's events mean to pricing, without a database: which events change
// anything and what they ask of the repository, and the day ended terms last until.
#include "account_events.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "accord/account/v1/account.pb.h"
#include "accord/common/errors.h"

namespace accord::pricing {
namespace {

constexpr char kDuplicate[] = "0190a000-0000-7000-8000-0000000000d1";
constexpr char kSurvivor[] = "0190a000-0000-7000-8000-0000000000e1";

common::v1::EventEnvelope Envelope(const std::string& type, const std::string& subject) {
  common::v1::EventEnvelope event;
  event.set_id("e1");
  event.set_type(type);
  event.set_subject(subject);
  event.mutable_time()->set_seconds(1780000000);  // 2026-05-28T20:26:40Z
  return event;
}

TEST(AccountEventsTest, MergesAndDeletionsBecomeAccountChangesAndOtherEventsNothing) {
  auto merged = Envelope("accord.account.v1.AccountMerged", AccountName(kDuplicate));
  account::v1::AccountMerged payload;
  payload.set_duplicate(AccountName(kDuplicate));
  payload.set_survivor(AccountName(kSurvivor));
  merged.mutable_payload()->PackFrom(payload);
  auto merge = AccountChangeOf(merged);
  ASSERT_TRUE(merge.ok() && merge->has_value()) << merge.status();
  EXPECT_EQ((*merge)->account_id, kDuplicate);
  EXPECT_EQ((*merge)->survivor_id, kSurvivor);
  EXPECT_EQ(DateText((*merge)->day), "2026-05-28");

  auto deletion =
      AccountChangeOf(Envelope("accord.account.v1.AccountDeleted", AccountName(kSurvivor)));
  ASSERT_TRUE(deletion.ok() && deletion->has_value());
  EXPECT_EQ((*deletion)->account_id, kSurvivor);
  EXPECT_EQ((*deletion)->survivor_id, "");

  auto update =
      AccountChangeOf(Envelope("accord.account.v1.AccountUpdated", AccountName(kSurvivor)));
  ASSERT_TRUE(update.ok());
  EXPECT_FALSE(update->has_value());

  // A merge event without its payload is an error: the feed retries it rather than skip it.
  EXPECT_FALSE(
      AccountChangeOf(Envelope("accord.account.v1.AccountMerged", AccountName(kDuplicate))).ok());
}

TEST(AccountEventsTest, EndedTermsLastUntilTheDayButWithinTheirWindow) {
  TradingTerms terms;
  *terms.mutable_valid_from() = MakeDate(2026, 3, 1);
  EXPECT_EQ(DateText(EndedOn(terms, MakeDate(2026, 5, 28))), "2026-05-28");
  EXPECT_EQ(DateText(EndedOn(terms, MakeDate(2026, 1, 2))), "2026-03-01");
  *terms.mutable_valid_until() = MakeDate(2026, 4, 30);
  EXPECT_EQ(DateText(EndedOn(terms, MakeDate(2026, 5, 28))), "2026-04-30");
}

}  // namespace
}  // namespace accord::pricing
