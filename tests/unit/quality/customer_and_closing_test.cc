// What a case takes from its contact, who reads only its own accounts' cases, the language tag,
// and closing a resolved case.
#include <gtest/gtest.h>

#include <map>

#include "accord/common/errors.h"
#include "case_rules.h"
#include "customer_directory.h"
#include "quality_access.h"
#include "quality_logic.h"

namespace accord::quality {
namespace {

using common::Role;

common::Principal With(std::vector<Role> roles) {
  common::Principal principal;
  principal.subject = "someone";
  principal.roles = std::move(roles);
  return principal;
}

TEST(NeedsFromAccessibilityTest, FlagsBecomeNeedsWithoutTheFreeText) {
  contact::v1::Accessibility access;
  EXPECT_TRUE(NeedsFromAccessibility(access).empty());
  access.set_needs("private details");
  access.set_hearing(true);
  access.set_mobility(true);
  access.set_language_assistance(true);
  const auto needs = NeedsFromAccessibility(access);
  ASSERT_EQ(needs.size(), 2u);
  EXPECT_EQ(needs[0].kind(), v1::SPECIAL_NEED_KIND_DISABILITY);
  EXPECT_EQ(needs[0].note(), "from the contact: hearing, mobility");
  EXPECT_EQ(needs[1].kind(), v1::SPECIAL_NEED_KIND_LANGUAGE);
  for (const auto& need : needs) EXPECT_EQ(need.note().find("private"), std::string::npos);
}

// Facts as the account events leave them: a chain of merges, a deletion, a live account.
class PartyFromFactsTest : public ::testing::Test {
 protected:
  void Know(AccountFacts facts) { known_[facts.account] = std::move(facts); }
  absl::StatusOr<std::optional<CaseParty>> Party(const std::string& account) {
    return PartyFromFacts(account, [&](const std::string& name) {
      ++lookups_;
      auto it = known_.find(name);
      return absl::StatusOr<std::optional<AccountFacts>>(
          it == known_.end() ? std::nullopt : std::optional<AccountFacts>(it->second));
    });
  }
  std::map<std::string, AccountFacts> known_;
  int lookups_ = 0;
};

TEST_F(PartyFromFactsTest, LiveMergedDeletedAndUnknownAccounts) {
  Know({"accounts/live", account::v1::ACCOUNT_TIER_KEY, "", false, 7});
  Know({"accounts/b", 0, "accounts/live", false, 3});
  Know({"accounts/a", 0, "accounts/b", false, 2});
  Know({"accounts/gone", account::v1::ACCOUNT_TIER_STRATEGIC, "", true, 4});
  Know({"accounts/to-gone", 0, "accounts/gone", false, 1});
  Know({"accounts/to-unknown", 0, "accounts/unknown", false, 1});

  auto party = Party("accounts/live");
  ASSERT_TRUE(party.ok() && party->has_value());
  EXPECT_EQ((*party)->account, "accounts/live");
  EXPECT_EQ((*party)->merged_from, "");
  EXPECT_EQ((*party)->tier, account::v1::ACCOUNT_TIER_KEY);
  EXPECT_EQ((*party)->account_version, 7);

  // Two merges: the survivor's tier, and the account the caller named.
  party = Party("accounts/a");
  ASSERT_TRUE(party.ok() && party->has_value());
  EXPECT_EQ((*party)->account, "accounts/live");
  EXPECT_EQ((*party)->merged_from, "accounts/a");
  EXPECT_EQ((*party)->tier, account::v1::ACCOUNT_TIER_KEY);

  for (const char* gone : {"accounts/gone", "accounts/to-gone"}) {
    party = Party(gone);
    EXPECT_EQ(party.status().code(), absl::StatusCode::kNotFound) << gone;
    EXPECT_EQ(common::ReasonOf(party.status()), "ACCOUNT_NOT_FOUND");
  }
  // Unknown on the way: the account service must be asked.
  for (const char* unknown : {"accounts/unknown", "accounts/to-unknown"}) {
    party = Party(unknown);
    ASSERT_TRUE(party.ok()) << unknown;
    EXPECT_FALSE(party->has_value()) << unknown;
  }
}

TEST_F(PartyFromFactsTest, AMergeCycleEndsAsNotFoundAfterEightHops) {
  Know({"accounts/x", 0, "accounts/y", false, 1});
  Know({"accounts/y", 0, "accounts/x", false, 1});
  auto party = Party("accounts/x");
  EXPECT_EQ(party.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(lookups_, 8);
}

TEST_F(PartyFromFactsTest, AFailedLookupIsTheError) {
  auto party = PartyFromFacts("accounts/a", [](const std::string&) {
    return absl::StatusOr<std::optional<AccountFacts>>(absl::UnavailableError("database down"));
  });
  EXPECT_EQ(party.status().code(), absl::StatusCode::kUnavailable);
}

TEST(LimitedToManagedAccountsTest, OnlyAPureAccountManager) {
  EXPECT_TRUE(LimitedToManagedAccounts(With({Role::kAccountManager})));
  EXPECT_TRUE(LimitedToManagedAccounts(With({Role::kAccountManager, Role::kSalesAssistant})));
  EXPECT_FALSE(LimitedToManagedAccounts(With({Role::kAccountManager, Role::kServiceSupervisor})));
  EXPECT_FALSE(LimitedToManagedAccounts(With({Role::kAccountManager, Role::kAdmin})));
  EXPECT_FALSE(LimitedToManagedAccounts(With({Role::kServiceAgent})));
  EXPECT_FALSE(LimitedToManagedAccounts(With({Role::kServiceSupervisor})));
  EXPECT_FALSE(LimitedToManagedAccounts(With({Role::kIntegration})));
}

TEST(CaseLanguageTest, Bcp47Tags) {
  auto violations_for = [](const std::string& language) {
    v1::Case c;
    c.set_language(language);
    common::Violations violations;
    ValidateCaseFields(c, "case.", violations);
    for (const auto& v : common::FieldViolationsOf(violations.ToStatus())) {
      if (v.field == "case.language") return true;
    }
    return false;
  };
  for (const char* good : {"", "en", "de-CH", "pt-BR", "zh-Hant-TW", "es-419", "sgn-BE-FR"}) {
    EXPECT_FALSE(violations_for(good)) << good;
  }
  for (const char* bad :
       {"-", "en-", "-en", "en--GB", "1en", "en_GB", "de CH", "abcdefghi", "en-GB-\xC3\xA9"}) {
    EXPECT_TRUE(violations_for(bad)) << bad;
  }
}

TEST(CloseResolvedCaseTest, ClosesOnlyAResolvedCase) {
  const Instant now = Instant(Micros(1'800'000'000'000'000));
  CaseRecord record;
  record.value.set_name("cases/x");
  record.value.set_status(v1::CASE_STATUS_IN_PROGRESS);
  CaseChange change;
  auto status = CloseResolvedCase(record, change, now, v1::CASE_CLOSE_REASON_CONFIRMED, "");
  EXPECT_EQ(common::ReasonOf(status), "ILLEGAL_STATUS_TRANSITION");
  EXPECT_TRUE(change.events.empty());
  EXPECT_FALSE(CloseTimedOut(record, now)->has_value());

  record.value.set_status(v1::CASE_STATUS_RESOLVED);
  auto closed = CloseTimedOut(record, now);
  ASSERT_TRUE(closed.ok());
  ASSERT_TRUE(closed->has_value());
  const CaseChange& done = **closed;
  EXPECT_EQ(done.next.value.status(), v1::CASE_STATUS_CLOSED);
  EXPECT_EQ(done.next.value.close_reason(), v1::CASE_CLOSE_REASON_TIMEOUT);
  EXPECT_EQ(done.next.value.close_time().seconds(), 1'800'000'000);
  ASSERT_EQ(done.events.size(), 1u);
  EXPECT_EQ(done.events[0].type, "accord.quality.v1.CaseClosed");
  ASSERT_EQ(done.timeline.size(), 1u);
  EXPECT_EQ(done.timeline[0].text,
            "RESOLVED -> CLOSED: nobody confirmed or reopened the resolution within the close "
            "timeout");
  EXPECT_FALSE(done.next.next_check.has_value());
}

TEST(AccountEventDecisionsTest, AMergeMovesTheCaseOnce) {
  CaseRecord record;
  record.value.set_name("cases/x");
  record.value.set_account("accounts/dup");
  record.value.set_status(v1::CASE_STATUS_RESOLVED);
  auto moved = MoveCaseToAccount(record, "accounts/keep");
  ASSERT_TRUE(moved.ok());
  ASSERT_TRUE(moved->has_value());
  EXPECT_EQ((*moved)->next.value.account(), "accounts/keep");
  EXPECT_EQ((*moved)->next.value.status(), v1::CASE_STATUS_RESOLVED);
  ASSERT_EQ((*moved)->events.size(), 1u);
  EXPECT_EQ((*moved)->events[0].type, "accord.quality.v1.CaseAccountMerged");
  EXPECT_EQ((*moved)->timeline[0].text, "Moved to accounts/keep: accounts/dup was merged into it");
  // Replayed on a case already there: nothing.
  EXPECT_FALSE(MoveCaseToAccount((*moved)->next, "accounts/keep")->has_value());
}

TEST(AccountEventDecisionsTest, ADeletionClosesFromAnyStatusAndEndsAPause) {
  const Instant now = Instant(Micros(1'800'000'000'000'000));
  CaseRecord record;
  record.value.set_name("cases/x");
  record.value.set_account("accounts/gone");
  record.value.set_status(v1::CASE_STATUS_WAITING_ON_CUSTOMER);
  record.value.mutable_sla()->add_pauses()->mutable_start_time()->set_seconds(1'700'000'000);
  record.next_check = now;
  auto closed = CloseForDeletedAccount(record, now);
  ASSERT_TRUE(closed.ok());
  ASSERT_TRUE(closed->has_value());
  const CaseRecord& next = (*closed)->next;
  EXPECT_EQ(next.value.status(), v1::CASE_STATUS_CLOSED);
  EXPECT_EQ(next.value.close_reason(), v1::CASE_CLOSE_REASON_ACCOUNT_DELETED);
  EXPECT_EQ(next.value.sla().pauses(0).end_time().seconds(), 1'800'000'000);
  EXPECT_FALSE(next.next_check.has_value());
  EXPECT_EQ((*closed)->timeline[0].text,
            "WAITING_ON_CUSTOMER -> CLOSED: the account accounts/gone was deleted");
  EXPECT_FALSE(CloseForDeletedAccount(next, now)->has_value());
}

}  // namespace
}  // namespace accord::quality
