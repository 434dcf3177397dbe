// The engagement domain's pure rules: names, permissions, consent state, outcome effects and
// the follow-up life cycle.
#include "engagement_logic.h"

#include <gmock/gmock.h>
#include <google/protobuf/util/time_util.h>
#include <gtest/gtest.h>

namespace accord::contact {
namespace {

using common::Role;
using google::protobuf::util::TimeUtil;
using ::testing::UnorderedElementsAre;

constexpr char kContact[] = "0190a000-0000-7000-8000-000000000001";
constexpr char kChild[] = "0190a000-0000-7000-8000-000000000002";

common::Principal As(Role role) { return {"someone", {role}}; }

std::vector<std::string> Fields(const common::Violations& violations) {
  std::vector<std::string> out;
  for (const auto& violation : violations.items()) out.push_back(violation.field);
  return out;
}

ConsentRecord Entry(v1::ConsentChannel channel, v1::ConsentPurpose purpose,
                    v1::ConsentDecision decision, int64_t decided, int64_t recorded,
                    const std::string& name) {
  ConsentRecord record;
  record.set_name(name);
  record.set_channel(channel);
  record.set_purpose(purpose);
  record.set_decision(decision);
  *record.mutable_decision_time() = TimeUtil::SecondsToTimestamp(decided);
  *record.mutable_record_time() = TimeUtil::SecondsToTimestamp(recorded);
  return record;
}

TEST(EngagementNames, RoundTripAndRefuseOtherCollections) {
  const std::string name = ChildName(kContact, "interactions", kChild);
  EXPECT_EQ(name, std::string("contacts/") + kContact + "/interactions/" + kChild);
  auto parsed = ParseChildName(name, "interactions", "name");
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->contact_id, kContact);
  EXPECT_EQ(parsed->id, kChild);
  EXPECT_FALSE(ParseChildName(name, "followUps", "name").ok());
  EXPECT_FALSE(ParseChildName("contacts/x/interactions/y", "interactions", "name").ok());
  EXPECT_TRUE(ParseCampaignName(std::string("campaigns/") + kChild, "campaign").ok());
  EXPECT_FALSE(ParseCampaignName("campaign-7", "campaign").ok());
}

TEST(EngagementAccess, SalesAndServiceRolesWriteAccountManagersOnlyTheirs) {
  for (Role role :
       {Role::kAdmin, Role::kSalesAssistant, Role::kServiceAgent, Role::kServiceSupervisor}) {
    EXPECT_TRUE(CheckEngagementWrite(As(role), false, "contacts/x").ok());
  }
  EXPECT_TRUE(CheckEngagementWrite(As(Role::kAccountManager), true, "contacts/x").ok());
  EXPECT_EQ(CheckEngagementWrite(As(Role::kAccountManager), false, "contacts/x").code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(CheckEngagementWrite(As(Role::kIntegration), true, "contacts/x").code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_FALSE(CheckEngagementRead(As(Role::kIntegration)).ok());
  EXPECT_FALSE(CheckEngagementRead(As(Role::kPricingManager)).ok());
  EXPECT_TRUE(CheckEngagementRead(As(Role::kServiceAgent)).ok());
}

TEST(ConsentState, TheLatestDecisionPerChannelAndPurposeWins) {
  const std::vector<ConsentRecord> ledger = {
      Entry(v1::CONSENT_CHANNEL_PHONE, v1::CONSENT_PURPOSE_MARKETING, v1::CONSENT_DECISION_GRANTED,
            100, 100, "a"),
      // Recorded later but decided earlier: the grant above stands.
      Entry(v1::CONSENT_CHANNEL_PHONE, v1::CONSENT_PURPOSE_MARKETING,
            v1::CONSENT_DECISION_WITHDRAWN, 50, 200, "b"),
      Entry(v1::CONSENT_CHANNEL_EMAIL, v1::CONSENT_PURPOSE_SERVICE, v1::CONSENT_DECISION_GRANTED,
            10, 10, "c"),
      Entry(v1::CONSENT_CHANNEL_EMAIL, v1::CONSENT_PURPOSE_SERVICE, v1::CONSENT_DECISION_WITHDRAWN,
            20, 20, "d"),
  };
  auto current = CurrentConsents(ledger);
  ASSERT_EQ(current.size(), 2u);
  EXPECT_EQ(current[0].name(), "a");
  EXPECT_EQ(current[1].name(), "d");
  EXPECT_TRUE(HasConsent(ledger, v1::CONSENT_CHANNEL_PHONE, v1::CONSENT_PURPOSE_MARKETING));
  EXPECT_FALSE(HasConsent(ledger, v1::CONSENT_CHANNEL_EMAIL, v1::CONSENT_PURPOSE_SERVICE));
  // Nothing recorded is no consent.
  EXPECT_FALSE(HasConsent(ledger, v1::CONSENT_CHANNEL_SMS, v1::CONSENT_PURPOSE_MARKETING));
}

TEST(ConsentValidation, NamesEveryBadField) {
  ConsentRecord record;
  record.set_source(std::string(201, 's'));
  *record.mutable_decision_time() = TimeUtil::SecondsToTimestamp(2000);
  common::Violations violations;
  ValidateConsent(record, 1000LL * 1000000, "consent.", violations);
  EXPECT_THAT(Fields(violations),
              UnorderedElementsAre("consent.channel", "consent.purpose", "consent.decision",
                                   "consent.source", "consent.decision_time"));
}

TEST(InteractionEffects, DoNotCallWithdrawsPhoneAndWrongNumberUnverifies) {
  Interaction interaction;
  interaction.set_outcome(v1::INTERACTION_OUTCOME_DO_NOT_CALL_REQUESTED);
  const auto when = TimeUtil::SecondsToTimestamp(77);
  InteractionEffects effects = EffectsOf(interaction, "contacts/a/interactions/b", when);
  EXPECT_TRUE(effects.set_do_not_call);
  EXPECT_FALSE(effects.mark_phone_unverified);
  ASSERT_EQ(effects.consents.size(), 2u);
  for (const auto& consent : effects.consents) {
    EXPECT_EQ(consent.channel(), v1::CONSENT_CHANNEL_PHONE);
    EXPECT_EQ(consent.decision(), v1::CONSENT_DECISION_WITHDRAWN);
    EXPECT_EQ(consent.source(), "interaction:contacts/a/interactions/b");
    EXPECT_EQ(consent.decision_time().seconds(), 77);
  }
  interaction.set_outcome(v1::INTERACTION_OUTCOME_WRONG_NUMBER);
  effects = EffectsOf(interaction, "n", when);
  EXPECT_FALSE(effects.set_do_not_call);
  EXPECT_TRUE(effects.mark_phone_unverified);
  EXPECT_TRUE(effects.consents.empty());
  interaction.set_outcome(v1::INTERACTION_OUTCOME_SALE);
  effects = EffectsOf(interaction, "n", when);
  EXPECT_FALSE(effects.set_do_not_call || effects.mark_phone_unverified);
}

TEST(InteractionValidation, NamesEveryBadField) {
  Interaction interaction;
  interaction.set_duration_seconds(86401);
  *interaction.mutable_interaction_time() = TimeUtil::SecondsToTimestamp(3 * 86400);
  interaction.set_account("acme");
  interaction.set_summary(std::string(4001, 'x'));
  common::Violations violations;
  ValidateInteraction(interaction, 0, "interaction.", violations);
  EXPECT_THAT(Fields(violations),
              UnorderedElementsAre("interaction.channel", "interaction.duration_seconds",
                                   "interaction.interaction_time", "interaction.account",
                                   "interaction.summary"));
}

TEST(FollowUpLifeCycle, OnlyAnOpenFollowUpChanges) {
  FollowUp follow_up;
  follow_up.set_name("contacts/a/followUps/b");
  follow_up.set_status(v1::FOLLOW_UP_STATUS_OPEN);
  EXPECT_TRUE(CheckFollowUpTransition(follow_up, v1::FOLLOW_UP_STATUS_DONE).ok());
  EXPECT_TRUE(CheckFollowUpTransition(follow_up, v1::FOLLOW_UP_STATUS_CANCELLED).ok());
  follow_up.set_status(v1::FOLLOW_UP_STATUS_DONE);
  EXPECT_EQ(CheckFollowUpTransition(follow_up, v1::FOLLOW_UP_STATUS_OPEN).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(CheckFollowUpTransition(follow_up, v1::FOLLOW_UP_STATUS_CANCELLED).code(),
            absl::StatusCode::kFailedPrecondition);
  common::Violations violations;
  ValidateFollowUp(FollowUp(), "follow_up.", violations);
  EXPECT_THAT(Fields(violations), UnorderedElementsAre("follow_up.due_time"));
}

}  // namespace
}  // namespace accord::contact
