// What each peer event makes stale in the overview's cache, and how callers are told apart.
#include "insights_overview_cache.h"

#include <gtest/gtest.h>

#include "accord/common/ids.h"
#include "accord/contact/v1/account_relation.pb.h"
#include "accord/contact/v1/contact.pb.h"
#include "accord/pricing/v1/quote.pb.h"
#include "accord/pricing/v1/trading_terms.pb.h"
#include "accord/quality/v1/case.pb.h"
#include "accord/quality/v1/survey.pb.h"

namespace accord::account {
namespace {

using common::Role;

template <typename Message>
common::v1::EventEnvelope Event(const std::string& type, const std::string& subject,
                                const Message& payload) {
  common::v1::EventEnvelope event;
  event.set_type(type);
  event.set_subject(subject);
  event.mutable_payload()->PackFrom(payload);
  return event;
}

std::string Describe(const std::optional<OverviewStale>& stale) {
  if (!stale) return "nothing";
  return std::string(OverviewPartName(stale->part)) + "@" +
         (stale->account_id.empty() ? "every account" : stale->account_id);
}

class StaleOverviewPartTest : public ::testing::Test {
 protected:
  const std::string id_ = common::NewUuidV7();
  const std::string account_ = "accounts/" + id_;
};

TEST_F(StaleOverviewPartTest, RelationEventsMakeTheirAccountsKeyContactsStale) {
  contact::v1::AccountRelation relation;
  relation.set_name("contacts/c1/accountRelations/r1");
  relation.set_account(account_);
  for (const char* type :
       {"accord.contact.v1.AccountRelationCreated", "accord.contact.v1.AccountRelationUpdated",
        "accord.contact.v1.AccountRelationDeleted"}) {
    EXPECT_EQ(Describe(StaleOverviewPart(Event(type, relation.name(), relation))),
              "key_contacts@" + id_)
        << type;
  }
}

TEST_F(StaleOverviewPartTest, AContactChangeOrARelationMovedBetweenAccountsMakesEveryAccountStale) {
  contact::v1::Contact person;
  person.set_name("contacts/c1");
  person.set_given_name("Jo");
  EXPECT_EQ(
      Describe(StaleOverviewPart(Event("accord.contact.v1.ContactUpdated", "contacts/c1", person))),
      "key_contacts@every account");
  EXPECT_EQ(
      Describe(StaleOverviewPart(Event("accord.contact.v1.ContactsMerged", "contacts/c1", person))),
      "key_contacts@every account");
  // The relation names only the account it moved to.
  contact::v1::AccountRelation relation;
  relation.set_account(account_);
  auto moved = Event("accord.contact.v1.AccountRelationUpdated", "contacts/c1/accountRelations/r1",
                     relation);
  moved.mutable_changed_fields()->add_paths("account");
  EXPECT_EQ(Describe(StaleOverviewPart(moved)), "key_contacts@every account");
}

TEST_F(StaleOverviewPartTest, ContactEventsTheOverviewDoesNotShowChangeNothing) {
  contact::v1::Contact person;
  EXPECT_EQ(Describe(StaleOverviewPart(
                Event("accord.contact.v1.CampaignCreated", "campaigns/k1", person))),
            "nothing");
  pricing::v1::Sale sale;
  sale.set_account(account_);
  EXPECT_EQ(Describe(StaleOverviewPart(Event("accord.pricing.v1.SaleRecorded", "sales/s1", sale))),
            "nothing");
  quality::v1::Survey survey;
  EXPECT_EQ(
      Describe(StaleOverviewPart(Event("accord.quality.v1.SurveyAnswered", "surveys/v1", survey))),
      "nothing");
}

TEST_F(StaleOverviewPartTest, TermsAreStaleForTheAccountTheirNameIsUnder) {
  pricing::v1::TradingTerms terms;
  terms.set_name(account_ + "/tradingTerms/t1");
  EXPECT_EQ(Describe(StaleOverviewPart(
                Event("accord.pricing.v1.TradingTermsApproved", terms.name(), terms))),
            "active_terms@" + id_);
  // Moved by a merge: the account it left is not in the event.
  EXPECT_EQ(Describe(StaleOverviewPart(
                Event("accord.pricing.v1.TradingTermsMoved", terms.name(), terms))),
            "active_terms@every account");
}

TEST_F(StaleOverviewPartTest, CaseAndSlaEventsFindTheAccountInTheCase) {
  quality::v1::Case c;
  c.set_name("cases/k1");
  c.set_account(account_);
  EXPECT_EQ(Describe(StaleOverviewPart(Event("accord.quality.v1.CaseOpened", c.name(), c))),
            "open_cases@" + id_);
  quality::v1::CaseSlaEvent warning;
  *warning.mutable_case_() = c;
  warning.set_kind("warning");
  EXPECT_EQ(Describe(StaleOverviewPart(Event("accord.quality.v1.SlaWarning", c.name(), warning))),
            "open_cases@" + id_);
  // A policy or calendar change moves every case's SLA state.
  EXPECT_EQ(Describe(StaleOverviewPart(
                Event("accord.quality.v1.SlaPolicyUpdated", "slaPolicies/p1", c.sla()))),
            "open_cases@every account");
  EXPECT_EQ(Describe(StaleOverviewPart(Event("accord.quality.v1.CaseAccountMerged", c.name(), c))),
            "open_cases@every account");
}

TEST_F(StaleOverviewPartTest, AnAccountNameThatDoesNotParseMakesEveryAccountStale) {
  quality::v1::Case c;
  c.set_account("accounts/not-a-uuid");
  EXPECT_EQ(Describe(StaleOverviewPart(Event("accord.quality.v1.CaseUpdated", "cases/k1", c))),
            "open_cases@every account");
}

TEST(OverviewCallerKeyTest, CallersDifferingInAnythingThePeersReadHaveTheirOwnKeys) {
  common::Principal sue{"sue", {Role::kServiceSupervisor}, {}};
  common::Principal sue_again{"sue", {Role::kServiceSupervisor}, {}};
  common::Principal sue_admin{"sue", {Role::kServiceSupervisor, Role::kAdmin}, {}};
  common::Principal sue_north{"sue", {Role::kServiceSupervisor}, {"north"}};
  common::Principal tricky{"sue|", {Role::kServiceSupervisor}, {}};
  EXPECT_EQ(OverviewCallerKey(sue), OverviewCallerKey(sue_again));
  for (const auto* other : {&sue_admin, &sue_north, &tricky}) {
    EXPECT_NE(OverviewCallerKey(sue), OverviewCallerKey(*other)) << other->subject;
  }
  common::Principal reordered{"sue", {Role::kAdmin, Role::kServiceSupervisor}, {}};
  EXPECT_EQ(OverviewCallerKey(sue_admin), OverviewCallerKey(reordered));
}

}  // namespace
}  // namespace accord::account
