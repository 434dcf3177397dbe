// The pure rules of duplicates, merges and erasure.
#include "stewardship_rules.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "contact_fields.h"
#include "pii_cipher.h"
#include "stewardship_logic.h"

namespace accord::contact {
namespace {

using ::testing::ElementsAre;
using ::testing::UnorderedElementsAre;

constexpr char kKey[] = "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE=";
constexpr char kBlind[] = "Q0NDQ0NDQ0NDQ0NDQ0NDQ0NDQ0NDQ0NDQ0NDQ0NDQ0M=";

TEST(StewardshipRulesTest, TrigramsAreThoseOfPgTrgm) {
  // SELECT show_trgm('Ada') = {"  a"," ad","a  "?}: pg_trgm pads words with two spaces in front
  // and one behind: "  ada " -> "  a", " ad", "ada", "da ".
  EXPECT_THAT(NameTrigrams("Ada"), ElementsAre("  a", " ad", "ada", "da "));
  // Case, punctuation and accents fold away; words are trigrammed on their own.
  EXPECT_EQ(NameTrigrams("José O'Neil"), NameTrigrams("jose o neil"));
  EXPECT_THAT(NameTrigrams("a"), UnorderedElementsAre("  a", " a "));
  EXPECT_TRUE(NameTrigrams("  -- ").empty());
  // Repeated trigrams count once.
  EXPECT_EQ(NameTrigrams("ab ab").size(), NameTrigrams("ab").size());
}

TEST(StewardshipRulesTest, SimilarityIsPgTrgms) {
  // similarity('Lovelace', 'Lovelase') in pg_trgm: 9 and 9 trigrams, 6 shared -> 6/12.
  const auto a = NameTrigrams("Lovelace");
  const auto b = NameTrigrams("Lovelase");
  ASSERT_EQ(a.size(), 9u);
  ASSERT_EQ(b.size(), 9u);
  PiiCipher cipher = *PiiCipher::Create(*ParsePiiKeys(std::string("k1:") + kKey, kBlind));
  const auto ha = cipher.BlindTrigrams("Lovelace");
  const auto hb = cipher.BlindTrigrams("Lovelase");
  const int shared = SharedCount(ha, hb);
  EXPECT_EQ(shared, 6);
  EXPECT_FLOAT_EQ(
      TrigramSimilarity(shared, static_cast<int>(ha.size()), static_cast<int>(hb.size())), 0.5f);
  EXPECT_FLOAT_EQ(TrigramSimilarity(0, 0, 0), 0.0f);
  EXPECT_FLOAT_EQ(TrigramSimilarity(4, 4, 4), 1.0f);
}

TEST(StewardshipRulesTest, BlindTrigramsHideTheTextAndDependOnTheKey) {
  PiiCipher one = *PiiCipher::Create(*ParsePiiKeys(std::string("k1:") + kKey, kBlind));
  PiiCipher other = *PiiCipher::Create(
      *ParsePiiKeys(std::string("k1:") + kKey, "REREREREREREREREREREREREREREREREREREREREREQ="));
  EXPECT_EQ(one.BlindTrigrams("Ada Lovelace"), one.BlindTrigrams("ada  LOVELACE"));
  EXPECT_NE(one.BlindTrigrams("Ada Lovelace"), other.BlindTrigrams("Ada Lovelace"));
  const auto hashed = one.BlindTrigrams("Ada Lovelace");
  EXPECT_TRUE(std::is_sorted(hashed.begin(), hashed.end()));
  EXPECT_EQ(hashed.size(), NameTrigrams("Ada Lovelace").size());
}

TEST(StewardshipRulesTest, ScoreCombinesTheReasons) {
  EXPECT_DOUBLE_EQ(DuplicateScore(false, false, 0), 0);
  EXPECT_NEAR(DuplicateScore(true, false, 0), 0.9, 1e-9);
  EXPECT_NEAR(DuplicateScore(false, true, 0), 0.8, 1e-9);
  EXPECT_NEAR(DuplicateScore(true, true, 0.5f), 1 - 0.1 * 0.2 * 0.5, 1e-9);
  EXPECT_DOUBLE_EQ(DuplicateScore(false, false, 2.0f), 1.0);  // clamped
}

DuplicateMatch Match(const std::string& id, bool email, bool phone, int shared, int count,
                     std::vector<std::string> accounts) {
  DuplicateMatch match;
  match.record.contact.set_name("contacts/" + id);
  match.same_email = email;
  match.same_phone = phone;
  match.shared_trigrams = shared;
  match.trigram_count = count;
  match.probe_trigram_count = 10;
  match.shared_accounts = std::move(accounts);
  return match;
}

TEST(StewardshipRulesTest, RankKeepsRealReasonsBestFirst) {
  std::vector<DuplicateMatch> matches;
  matches.push_back(Match("name-elsewhere", false, false, 9, 10, {}));      // no shared account
  matches.push_back(Match("name-weak", false, false, 2, 10, {"acc"}));      // 2/18 < 0.3
  matches.push_back(Match("name-strong", false, false, 8, 10, {"acc"}));    // 8/12
  matches.push_back(Match("email", true, false, 0, 10, {}));                // 0.9
  matches.push_back(Match("all", true, true, 10, 10, {"b-acc", "a-acc"}));  // 1.0
  auto ranked = RankDuplicates(std::move(matches), 0.3f, 10);
  ASSERT_EQ(ranked.size(), 3u);
  EXPECT_EQ(ranked[0].first.contact.name(), "contacts/all");
  EXPECT_EQ(ranked[1].first.contact.name(), "contacts/email");
  EXPECT_EQ(ranked[2].first.contact.name(), "contacts/name-strong");
  const auto& reasons = ranked[0].second.reasons();
  ASSERT_EQ(reasons.size(), 3);
  EXPECT_EQ(reasons[0].kind(), v1::DuplicateReason::KIND_SAME_EMAIL);
  EXPECT_EQ(reasons[1].kind(), v1::DuplicateReason::KIND_SAME_PHONE);
  EXPECT_EQ(reasons[2].kind(), v1::DuplicateReason::KIND_SIMILAR_NAME);
  EXPECT_EQ(reasons[2].account(), "accounts/a-acc");
  EXPECT_FLOAT_EQ(reasons[2].similarity(), 1.0f);
  EXPECT_FLOAT_EQ(ranked[2].second.reasons(0).similarity(), 8.0f / 12.0f);
  EXPECT_EQ(RankDuplicates({Match("x", true, false, 0, 0, {})}, 0.3f, 1).size(), 1u);
}

TEST(StewardshipRulesTest, MergeKeepsTheSurvivorsValuesAndGainsTheRest) {
  v1::Contact survivor;
  survivor.set_given_name("Ada");
  survivor.set_job_title("CFO");
  auto* email = survivor.add_emails();
  email->set_address("ada@example.com");
  email->set_primary(true);
  survivor.add_labels("vip");
  (*survivor.mutable_external_ids())["crm"] = "C-1";
  v1::Contact duplicate;
  duplicate.set_given_name("Augusta");
  duplicate.set_family_name("Lovelace");
  duplicate.set_job_title("Buyer");
  duplicate.set_time_zone("Europe/London");
  auto* same = duplicate.add_emails();
  same->set_address("ada@example.com");
  auto* other = duplicate.add_emails();
  other->set_address("augusta@example.com");
  other->set_primary(true);
  duplicate.add_phones()->set_number("+442071838750");
  duplicate.add_labels("vip");
  duplicate.add_labels("press");
  (*duplicate.mutable_external_ids())["crm"] = "C-2";
  (*duplicate.mutable_external_ids())["erp"] = "E-9";

  v1::Contact merged = MergeContactFields(survivor, duplicate);
  EXPECT_EQ(merged.given_name(), "Ada");
  EXPECT_EQ(merged.family_name(), "Lovelace");
  EXPECT_EQ(merged.job_title(), "CFO");
  EXPECT_EQ(merged.time_zone(), "Europe/London");
  ASSERT_EQ(merged.emails_size(), 2);
  EXPECT_EQ(merged.emails(1).address(), "augusta@example.com");
  EXPECT_FALSE(merged.emails(1).primary());  // one primary only
  EXPECT_EQ(merged.phones_size(), 1);
  EXPECT_THAT(merged.labels(), ElementsAre("vip", "press"));
  EXPECT_EQ(merged.external_ids().at("crm"), "C-1");
  EXPECT_EQ(merged.external_ids().at("erp"), "E-9");
}

TEST(StewardshipRulesTest, MergeStaysWithinTheLimits) {
  v1::Contact survivor, duplicate;
  for (int i = 0; i < 8; ++i) survivor.add_emails()->set_address("s" + std::to_string(i) + "@x.io");
  for (int i = 0; i < 5; ++i)
    duplicate.add_emails()->set_address("d" + std::to_string(i) + "@x.io");
  EXPECT_EQ(MergeContactFields(survivor, duplicate).emails_size(), kMaxEmails);
}

TEST(StewardshipRulesTest, ErasureLeavesNothingThatNamesThePerson) {
  v1::Contact contact;
  contact.set_given_name("Ada");
  contact.set_family_name("Lovelace");
  contact.set_job_title("CFO");
  contact.set_department("Finance");
  contact.add_emails()->set_address("ada@example.com");
  contact.add_phones()->set_number("+442071838750");
  contact.mutable_address()->set_postal_code("SW1Y 4LE");
  contact.mutable_accessibility()->set_hearing(true);
  contact.set_notes("x");
  (*contact.mutable_external_ids())["crm"] = "C-1";
  contact.set_customer_kind(v1::CUSTOMER_KIND_BUYER);
  contact.add_labels("vip");
  contact.set_owner("am-1");
  v1::Contact rest = AnonymousRemainder(contact);
  v1::Contact expected;
  expected.set_customer_kind(v1::CUSTOMER_KIND_BUYER);
  expected.add_labels("vip");
  expected.set_owner("am-1");
  EXPECT_EQ(rest.SerializeAsString(), expected.SerializeAsString());
}

}  // namespace
}  // namespace accord::contact
