// common::AccountGoneOf, the one reading of AccountMerged and AccountDeleted that contact,
// pricing-terms and service-quality share: what a merge or a deletion names, and that an event
// it cannot read is an error a feed retries (never skipped as "not mine").
#include <gtest/gtest.h>

#include "accord/account/v1/account.pb.h"
#include "accord/common/account_events.h"
#include "accord/common/errors.h"

namespace accord::common {
namespace {

constexpr char kDuplicate[] = "accounts/0190a000-0000-7000-8000-0000000000d1";
constexpr char kSurvivor[] = "accounts/0190a000-0000-7000-8000-0000000000e1";

v1::EventEnvelope Envelope(const std::string& type, const std::string& subject) {
  v1::EventEnvelope event;
  event.set_id("e1");
  event.set_type(type);
  event.set_subject(subject);
  return event;
}

v1::EventEnvelope Merged(const std::string& duplicate, const std::string& survivor) {
  auto event = Envelope(kAccountMergedEvent, duplicate);
  account::v1::AccountMerged payload;
  payload.set_duplicate(duplicate);
  payload.set_survivor(survivor);
  event.mutable_payload()->PackFrom(payload);
  return event;
}

TEST(AccountGoneOfTest, AMergeNamesBothAccountsWithTheirIds) {
  auto gone = AccountGoneOf(Merged(kDuplicate, kSurvivor));
  ASSERT_TRUE(gone.ok()) << gone.status();
  ASSERT_TRUE(gone->has_value());
  EXPECT_EQ((*gone)->account, kDuplicate);
  EXPECT_EQ((*gone)->account_id, "0190a000-0000-7000-8000-0000000000d1");
  EXPECT_EQ((*gone)->survivor, kSurvivor);
  EXPECT_EQ((*gone)->survivor_id, "0190a000-0000-7000-8000-0000000000e1");
}

TEST(AccountGoneOfTest, ADeletionNamesItsSubjectAndNoSurvivor) {
  auto gone = AccountGoneOf(Envelope(kAccountDeletedEvent, kSurvivor));
  ASSERT_TRUE(gone.ok()) << gone.status();
  ASSERT_TRUE(gone->has_value());
  EXPECT_EQ((*gone)->account, kSurvivor);
  EXPECT_EQ((*gone)->account_id, "0190a000-0000-7000-8000-0000000000e1");
  EXPECT_EQ((*gone)->survivor, "");
  EXPECT_EQ((*gone)->survivor_id, "");
}

TEST(AccountGoneOfTest, OtherEventsAreNothing) {
  for (const char* type : {"accord.account.v1.AccountUpdated", "accord.account.v1.AccountCreated",
                           "accord.contact.v1.ContactMerged"}) {
    auto gone = AccountGoneOf(Envelope(type, kDuplicate));
    ASSERT_TRUE(gone.ok()) << type;
    EXPECT_FALSE(gone->has_value()) << type;
  }
}

TEST(AccountGoneOfTest, AnEventItCannotReadIsInternal) {
  // A merge without its payload, a merge naming no account, a deletion of something else.
  const v1::EventEnvelope unreadable[] = {
      Envelope(kAccountMergedEvent, kDuplicate),
      Merged(kDuplicate, "contacts/0190a000-0000-7000-8000-0000000000e1"),
      Merged("", kSurvivor),
      Envelope(kAccountDeletedEvent, "accounts/"),
  };
  for (const auto& event : unreadable) {
    auto gone = AccountGoneOf(event);
    EXPECT_EQ(gone.status().code(), absl::StatusCode::kInternal) << event.DebugString();
    EXPECT_NE(gone.status().message().find("e1"), std::string::npos) << gone.status();
  }
}

}  // namespace
}  // namespace accord::common
