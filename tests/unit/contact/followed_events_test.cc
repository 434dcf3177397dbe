// What the contact service reads out of the account service's and pricing-terms' events.
#include "followed_events.h"

#include <google/protobuf/util/time_util.h>
#include <gtest/gtest.h>

#include "accord/account/v1/account.pb.h"
#include "accord/common/money.h"
#include "accord/pricing/v1/quote.pb.h"

namespace accord::contact {
namespace {

using google::protobuf::util::TimeUtil;

constexpr char kA[] = "0190a0a0-0000-7000-8000-000000000001";
constexpr char kB[] = "0190a0a0-0000-7000-8000-000000000002";

common::v1::EventEnvelope Envelope(const std::string& type,
                                   const google::protobuf::Message& payload,
                                   const std::string& subject = "") {
  common::v1::EventEnvelope event;
  event.set_id("e1");
  event.set_type(type);
  event.set_subject(subject);
  *event.mutable_time() = TimeUtil::SecondsToTimestamp(1772409600);  // 2026-03-02T00:00:00Z
  event.mutable_payload()->PackFrom(payload);
  return event;
}

TEST(AccountChangeOf, MergeNamesBothAccountsDeletionOneAndOthersNothing) {
  account::v1::AccountMerged merged;
  merged.set_duplicate(std::string("accounts/") + kA);
  merged.set_survivor(std::string("accounts/") + kB);
  auto change = AccountChangeOf(Envelope("accord.account.v1.AccountMerged", merged));
  ASSERT_TRUE(change.ok()) << change.status();
  ASSERT_TRUE(change->has_value());
  EXPECT_EQ((*change)->account_id, kA);
  EXPECT_EQ((*change)->survivor_id, kB);
  EXPECT_EQ((*change)->day, "2026-03-02");

  account::v1::Account account;
  change = AccountChangeOf(
      Envelope("accord.account.v1.AccountDeleted", account, std::string("accounts/") + kA));
  ASSERT_TRUE(change.ok());
  ASSERT_TRUE(change->has_value());
  EXPECT_EQ((*change)->account_id, kA);
  EXPECT_TRUE((*change)->survivor_id.empty());

  change = AccountChangeOf(Envelope("accord.account.v1.AccountUpdated", account));
  ASSERT_TRUE(change.ok());
  EXPECT_FALSE(change->has_value());
  // A merge without its payload is an error (the feed retries it), not a skip.
  EXPECT_FALSE(AccountChangeOf(Envelope("accord.account.v1.AccountMerged", account)).ok());
  merged.set_survivor("not-a-name");
  EXPECT_FALSE(AccountChangeOf(Envelope("accord.account.v1.AccountMerged", merged)).ok());
}

TEST(PurchaseOf, ASaleNamingOneOfOurContactsIsAPurchase) {
  pricing::v1::Sale sale;
  sale.set_name("sales/s1");
  sale.set_account(std::string("accounts/") + kB);
  sale.set_contact(std::string("contacts/") + kA);
  *sale.mutable_pricing()->mutable_total() = common::MakeMoney("EUR", 120, 500000000);
  *sale.mutable_create_time() = TimeUtil::SecondsToTimestamp(1772409700);
  auto purchase = PurchaseOf(Envelope("accord.pricing.v1.SaleRecorded", sale));
  ASSERT_TRUE(purchase.ok()) << purchase.status();
  ASSERT_TRUE(purchase->has_value());
  EXPECT_EQ((*purchase)->sale, "sales/s1");
  EXPECT_EQ((*purchase)->contact_id, kA);
  EXPECT_EQ((*purchase)->account_id, kB);
  EXPECT_EQ((*purchase)->total.units(), 120);
  EXPECT_EQ((*purchase)->sale_time_micros, 1772409700LL * 1000000);

  // A buyer written as free text, or another event type: nothing to record.
  sale.set_contact("Jo from purchasing");
  purchase = PurchaseOf(Envelope("accord.pricing.v1.SaleRecorded", sale));
  ASSERT_TRUE(purchase.ok());
  EXPECT_FALSE(purchase->has_value());
  purchase = PurchaseOf(Envelope("accord.pricing.v1.QuoteUpdated", sale));
  ASSERT_TRUE(purchase.ok());
  EXPECT_FALSE(purchase->has_value());
  EXPECT_FALSE(
      PurchaseOf(Envelope("accord.pricing.v1.SaleRecorded", account::v1::AccountMerged())).ok());
}

}  // namespace
}  // namespace accord::contact
