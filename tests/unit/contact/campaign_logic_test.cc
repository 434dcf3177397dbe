// The campaigns domain's pure rules: exclusions, local calling hours, the status life cycle.
#include "campaign_logic.h"

#include <gtest/gtest.h>

namespace accord::contact {
namespace {

constexpr int64_t kMinute = 60LL * 1000000;
constexpr int64_t kDay = 1440 * kMinute;
// 2024-01-15T12:00:00Z: winter, so London is UTC and New York UTC-5.
constexpr int64_t kNoonUtc = 1705320000LL * 1000000;

Campaign NineToSix() {
  Campaign campaign;
  ApplyCampaignDefaults(campaign);
  return campaign;
}

CallCandidate Reachable() {
  CallCandidate candidate;
  candidate.contact_id = "c";
  candidate.has_phone = true;
  candidate.phone_marketing = v1::CONSENT_DECISION_GRANTED;
  candidate.time_zone = "Europe/London";
  return candidate;
}

TEST(CampaignDefaults, NineToSixSevenDaysTenMinutes) {
  Campaign campaign = NineToSix();
  EXPECT_EQ(campaign.status(), v1::CAMPAIGN_STATUS_DRAFT);
  EXPECT_EQ(campaign.calling_hours().start_minute(), 540);
  EXPECT_EQ(campaign.calling_hours().end_minute(), 1080);
  EXPECT_EQ(campaign.cool_off_days(), 7);
  EXPECT_EQ(campaign.lease_seconds(), 600);
}

TEST(LocalCallingHours, FollowTheContactsTimeZone) {
  EXPECT_EQ(LocalMinuteOfDay("Europe/London", kNoonUtc), 720);
  EXPECT_EQ(LocalMinuteOfDay("America/New_York", kNoonUtc), 420);
  EXPECT_EQ(LocalMinuteOfDay("Asia/Kolkata", kNoonUtc), 1050);
  EXPECT_EQ(LocalMinuteOfDay("", kNoonUtc), 720);  // no zone: UTC
}

TEST(CallListExclusions, FirstReasonWinsInTheDocumentedOrder) {
  const Campaign campaign = NineToSix();
  CallCandidate candidate = Reachable();
  EXPECT_EQ(ExcludedBy(candidate, campaign, kNoonUtc), Exclusion::kNone);
  // New York at 07:00 is before nine.
  candidate.time_zone = "America/New_York";
  EXPECT_EQ(ExcludedBy(candidate, campaign, kNoonUtc), Exclusion::kOutsideCallingHours);
  candidate.last_outbound_call_micros = kNoonUtc - 6 * kDay;
  EXPECT_EQ(ExcludedBy(candidate, campaign, kNoonUtc), Exclusion::kCoolOff);
  candidate.last_outbound_call_micros = kNoonUtc - 8 * kDay;
  EXPECT_EQ(ExcludedBy(candidate, campaign, kNoonUtc), Exclusion::kOutsideCallingHours);
  candidate.phone_marketing = v1::CONSENT_DECISION_UNSPECIFIED;
  EXPECT_EQ(ExcludedBy(candidate, campaign, kNoonUtc), Exclusion::kNoConsent);
  candidate.phone_unverified = true;
  EXPECT_EQ(ExcludedBy(candidate, campaign, kNoonUtc), Exclusion::kNoValidPhone);
  candidate.status = v1::CONTACT_STATUS_LEFT_ORGANIZATION;
  EXPECT_EQ(ExcludedBy(candidate, campaign, kNoonUtc), Exclusion::kLeftOrganization);
  candidate.do_not_call = true;
  EXPECT_EQ(ExcludedBy(candidate, campaign, kNoonUtc), Exclusion::kDoNotCall);
}

TEST(CallListExclusions, CallingHoursEndIsExclusive) {
  Campaign campaign = NineToSix();
  campaign.mutable_calling_hours()->set_end_minute(720);
  EXPECT_EQ(ExcludedBy(Reachable(), campaign, kNoonUtc), Exclusion::kOutsideCallingHours);
  EXPECT_EQ(ExcludedBy(Reachable(), campaign, kNoonUtc - kMinute), Exclusion::kNone);
}

TEST(HandOut, DropsTheUncallableAndDefersTheOutOfHours) {
  const Campaign campaign = NineToSix();
  CallCandidate candidate = Reachable();
  EXPECT_EQ(HandOutNow(candidate, campaign, kNoonUtc), HandOut::kCall);
  candidate.time_zone = "America/New_York";
  EXPECT_EQ(HandOutNow(candidate, campaign, kNoonUtc), HandOut::kLater);
  candidate.do_not_call = true;
  EXPECT_EQ(HandOutNow(candidate, campaign, kNoonUtc), HandOut::kDrop);
  candidate = Reachable();
  candidate.has_phone = false;  // the contact was deleted
  EXPECT_EQ(HandOutNow(candidate, campaign, kNoonUtc), HandOut::kDrop);
}

TEST(CampaignLifeCycle, DraftActivePausedFinished) {
  Campaign campaign = NineToSix();
  EXPECT_TRUE(CheckCampaignTransition(campaign, v1::CAMPAIGN_STATUS_ACTIVE).ok());
  EXPECT_FALSE(CheckCampaignTransition(campaign, v1::CAMPAIGN_STATUS_PAUSED).ok());
  campaign.set_status(v1::CAMPAIGN_STATUS_ACTIVE);
  EXPECT_TRUE(CheckCampaignTransition(campaign, v1::CAMPAIGN_STATUS_PAUSED).ok());
  EXPECT_TRUE(CheckCampaignTransition(campaign, v1::CAMPAIGN_STATUS_FINISHED).ok());
  EXPECT_FALSE(CheckCampaignTransition(campaign, v1::CAMPAIGN_STATUS_DRAFT).ok());
  campaign.set_status(v1::CAMPAIGN_STATUS_FINISHED);
  EXPECT_FALSE(CheckCampaignTransition(campaign, v1::CAMPAIGN_STATUS_ACTIVE).ok());
  EXPECT_TRUE(BackOnList(v1::INTERACTION_OUTCOME_CALL_BACK));
  EXPECT_FALSE(BackOnList(v1::INTERACTION_OUTCOME_WRONG_NUMBER));
}

}  // namespace
}  // namespace accord::contact
