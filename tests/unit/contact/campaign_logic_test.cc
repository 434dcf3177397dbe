// The campaigns domain's pure rules: exclusions, local calling hours, the status life cycle.
#include "campaign_logic.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "accord/common/money.h"

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

TEST(CallListRules, ZonesInsideTheHoursTheCoolOffAndTheLabels) {
  Campaign campaign = NineToSix();
  campaign.add_labels("vip");
  campaign.set_cool_off_days(3);
  // At noon UTC: London 12:00 and no zone (UTC) are inside nine to six; New York 07:00 and
  // Kolkata 17:30 are before and inside; Tokyo 21:00 after.
  const CallListRules rules = CallListRulesFor(
      campaign, {"Europe/London", "", "America/New_York", "Asia/Kolkata", "Asia/Tokyo"}, kNoonUtc);
  EXPECT_EQ(rules.zones_in_hours, (std::vector<std::string>{"Europe/London", "", "Asia/Kolkata"}));
  EXPECT_EQ(rules.called_after_micros, kNoonUtc - 3 * kDay);
  EXPECT_EQ(rules.labels, std::vector<std::string>{"vip"});
  // The same verdicts as ExcludedBy for one contact in each zone.
  for (const std::string zone :
       {"Europe/London", "", "America/New_York", "Asia/Kolkata", "Asia/Tokyo"}) {
    CallCandidate candidate = Reachable();
    candidate.time_zone = zone;
    const bool inside = std::find(rules.zones_in_hours.begin(), rules.zones_in_hours.end(), zone) !=
                        rules.zones_in_hours.end();
    EXPECT_EQ(ExcludedBy(candidate, campaign, kNoonUtc) == Exclusion::kNone, inside) << zone;
  }
  EXPECT_TRUE(CallListRulesFor(campaign, {}, kNoonUtc).zones_in_hours.empty());
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
  candidate = Reachable();
  candidate.phone_marketing = v1::CONSENT_DECISION_WITHDRAWN;  // since the build
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

TEST(CampaignStatistics, SumsByAgentAndDayAndComparesWithTargets) {
  Campaign campaign = NineToSix();
  campaign.set_name("campaigns/x");
  campaign.mutable_targets()->set_calls(8);
  campaign.mutable_targets()->set_sales(4);
  campaign.mutable_targets()->mutable_revenue()->set_currency_code("EUR");
  campaign.mutable_targets()->mutable_revenue()->set_units(100);
  CampaignTallies tallies;
  tallies.calls = {{"ann", "2026-03-02", 3, 2, 1},
                   {"ann", "2026-03-01", 1, 0, 0},
                   {"bob", "2026-03-01", 2, 2, 1}};
  tallies.revenue = {{"ann", "2026-03-02", common::MakeMoney("EUR", 12, 500000000), 1},
                     {"bob", "2026-03-01", common::MakeMoney("EUR", 37, 500000000), 2},
                     {"bob", "2026-03-01", common::MakeMoney("GBP", 1), 1}};
  auto statistics = StatisticsOf(campaign, tallies);
  ASSERT_TRUE(statistics.ok()) << statistics.status();
  EXPECT_EQ(statistics->name(), "campaigns/x/statistics");
  EXPECT_EQ(statistics->total().calls(), 6);
  EXPECT_EQ(statistics->total().conversations(), 4);
  EXPECT_EQ(statistics->total().sales(), 2);
  EXPECT_DOUBLE_EQ(statistics->total().reach_rate(), 4.0 / 6.0);
  EXPECT_DOUBLE_EQ(statistics->total().conversion_rate(), 0.5);
  EXPECT_EQ(statistics->total().revenue().units(), 50);
  EXPECT_EQ(statistics->sales_in_other_currencies(), 1);
  EXPECT_DOUBLE_EQ(statistics->attainment().calls(), 0.75);
  EXPECT_DOUBLE_EQ(statistics->attainment().sales(), 0.5);
  EXPECT_DOUBLE_EQ(statistics->attainment().revenue(), 0.5);
  EXPECT_DOUBLE_EQ(statistics->attainment().conversations(), 0.0);  // no target
  ASSERT_EQ(statistics->agents_size(), 2);
  EXPECT_EQ(statistics->agents(0).agent(), "ann");
  EXPECT_EQ(statistics->agents(0).figures().calls(), 4);
  EXPECT_EQ(statistics->agents(0).figures().revenue().units(), 12);
  EXPECT_EQ(statistics->agents(0).figures().revenue().nanos(), 500000000);
  ASSERT_EQ(statistics->days_size(), 2);
  EXPECT_EQ(statistics->days(0).day().day(), 1);  // oldest first
  EXPECT_EQ(statistics->days(0).figures().calls(), 3);
  EXPECT_DOUBLE_EQ(statistics->days(0).figures().conversion_rate(), 0.5);
}

TEST(CampaignStatistics, WithoutARevenueTargetTheMostUsedCurrencyCountsAndEmptyIsZero) {
  Campaign campaign = NineToSix();
  CampaignTallies tallies;
  auto empty = StatisticsOf(campaign, tallies);
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->total().calls(), 0);
  EXPECT_DOUBLE_EQ(empty->total().reach_rate(), 0.0);
  EXPECT_DOUBLE_EQ(empty->total().conversion_rate(), 0.0);
  tallies.calls = {{"ann", "2026-03-01", 1, 1, 1}};
  tallies.revenue = {{"ann", "2026-03-01", common::MakeMoney("GBP", 5), 2},
                     {"ann", "2026-03-01", common::MakeMoney("USD", 7), 1}};
  auto statistics = StatisticsOf(campaign, tallies);
  ASSERT_TRUE(statistics.ok());
  EXPECT_EQ(statistics->total().revenue().currency_code(), "GBP");
  EXPECT_EQ(statistics->total().revenue().units(), 5);
  EXPECT_EQ(statistics->sales_in_other_currencies(), 1);
}

}  // namespace
}  // namespace accord::contact
