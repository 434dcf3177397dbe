#include "contact_fields.h"

#include <gtest/gtest.h>
#include <phonenumbers/phonenumberutil.h>

#include <set>

namespace accord::contact {
namespace {

std::vector<std::string> Fields(const common::Violations& violations) {
  std::vector<std::string> fields;
  for (const auto& violation : violations.items()) fields.push_back(violation.field);
  return fields;
}

Contact Valid() {
  Contact contact;
  contact.set_given_name("Ada");
  contact.set_family_name("Lovelace");
  contact.set_owner("am-1");
  contact.set_status(v1::CONTACT_STATUS_ACTIVE);
  return contact;
}

// The regions checked without loading the metadata are exactly those the library supports
// (a new libphonenumber with another list fails here until the table follows it).
TEST(ContactFieldsTest, PhoneRegionsAreTheLibrarysOwn) {
  std::set<std::string> supported;
  i18n::phonenumbers::PhoneNumberUtil::GetInstance()->GetSupportedRegions(&supported);
  EXPECT_EQ(PhoneRegions(), std::vector<std::string>(supported.begin(), supported.end()));
  EXPECT_TRUE(IsPhoneRegion("GB"));
  EXPECT_TRUE(IsPhoneRegion("XK"));
  EXPECT_FALSE(IsPhoneRegion("AQ"));
  EXPECT_FALSE(IsPhoneRegion("gb"));
  EXPECT_FALSE(IsPhoneRegion(""));
  EXPECT_FALSE(IsPhoneRegion("GBR"));
}

TEST(ContactFieldsTest, EmailsAreLowerCasedAndChecked) {
  EXPECT_EQ(*NormalizeEmail("Ada.Lovelace@Example.COM"), "ada.lovelace@example.com");
  EXPECT_FALSE(NormalizeEmail("ada").ok());
  EXPECT_FALSE(NormalizeEmail("ada@localhost").ok());
  EXPECT_FALSE(NormalizeEmail("a@b@example.com").ok());
  EXPECT_FALSE(NormalizeEmail("ada..l@example.com").ok());
  EXPECT_FALSE(NormalizeEmail("ada@-example.com").ok());
  EXPECT_FALSE(NormalizeEmail("ad a@example.com").ok());
}

TEST(ContactFieldsTest, PhonesBecomeE164InTheirRegion) {
  EXPECT_EQ(*NormalizePhone("020 7183 8750", "GB"), "+442071838750");
  EXPECT_EQ(*NormalizePhone("+1 (650) 253-0000", "GB"), "+16502530000");
  EXPECT_EQ(*NormalizePhone("(650) 253-0000", "US"), "+16502530000");
  EXPECT_FALSE(NormalizePhone("12", "US").ok());
  EXPECT_FALSE(NormalizePhone("not a number", "US").ok());
  EXPECT_FALSE(NormalizePhone("+44 20 1", "US").ok());
}

TEST(ContactFieldsTest, TimeZonesAreIanaNames) {
  EXPECT_TRUE(IsTimeZone("Europe/Paris"));
  EXPECT_TRUE(IsTimeZone("America/Argentina/Buenos_Aires"));
  EXPECT_TRUE(IsTimeZone("UTC"));
  EXPECT_FALSE(IsTimeZone("Mars/Olympus_Mons"));
  EXPECT_FALSE(IsTimeZone("GMT+05:00"));
  EXPECT_FALSE(IsTimeZone(""));
}

TEST(ContactFieldsTest, LanguageTags) {
  EXPECT_TRUE(IsLanguageTag("en"));
  EXPECT_TRUE(IsLanguageTag("pt-BR"));
  EXPECT_TRUE(IsLanguageTag("zh-Hant-TW"));
  EXPECT_FALSE(IsLanguageTag("english"));
  EXPECT_FALSE(IsLanguageTag("en_GB"));
  EXPECT_FALSE(IsLanguageTag("en-"));
}

TEST(ContactFieldsTest, PhonesUseTheAddressRegionBeforeTheDefault) {
  Contact contact = Valid();
  contact.mutable_address()->set_region_code("GB");
  contact.add_phones()->set_number("020 7183 8750");
  common::Violations violations;
  NormalizeAndValidate(contact, "contact.", "US", violations);
  EXPECT_TRUE(violations.empty()) << violations.ToStatus();
  EXPECT_EQ(contact.phones(0).number(), "+442071838750");
}

TEST(ContactFieldsTest, EveryBadFieldIsNamed) {
  Contact contact = Valid();
  contact.clear_given_name();
  contact.clear_family_name();
  contact.add_emails()->set_address("nobody");
  contact.add_phones()->set_number("123");
  contact.set_time_zone("Nowhere/Town");
  contact.set_preferred_language("klingon!");
  contact.set_status(static_cast<v1::ContactStatus>(9));
  contact.add_labels("Not A Label");
  contact.mutable_address()->set_region_code("XX");
  common::Violations violations;
  NormalizeAndValidate(contact, "contact.", "US", violations);
  const auto fields = Fields(violations);
  for (const char* field :
       {"contact.family_name", "contact.emails[0].address", "contact.phones[0].number",
        "contact.time_zone", "contact.preferred_language", "contact.status", "contact.labels[0]",
        "contact.address.region_code"}) {
    EXPECT_NE(std::find(fields.begin(), fields.end(), field), fields.end()) << field;
  }
}

TEST(ContactFieldsTest, DuplicateEmailsAfterNormalisationAreRefused) {
  Contact contact = Valid();
  contact.add_emails()->set_address("ada@example.com");
  contact.add_emails()->set_address("ADA@example.com");
  common::Violations violations;
  NormalizeAndValidate(contact, "contact.", "US", violations);
  ASSERT_EQ(Fields(violations), std::vector<std::string>{"contact.emails[1].address"});
}

TEST(ContactFieldsTest, PersonalFieldsSplitAndMask) {
  Contact contact = Valid();
  contact.add_emails()->set_address("ada@example.com");
  contact.add_phones()->set_number("+442071838750");
  contact.mutable_address()->add_address_lines("12 St James's Square");
  contact.mutable_address()->set_locality("London");
  contact.set_notes("prefers mornings");
  contact.mutable_accessibility()->set_needs("hearing loop");
  contact.mutable_accessibility()->set_hearing(true);
  contact.set_job_title("Analyst");
  EXPECT_EQ(PersonalFieldsPresent(contact).size(), 7u);

  Contact rest = contact;
  Contact personal = TakePersonal(rest);
  EXPECT_TRUE(PersonalFieldsPresent(rest).empty());
  EXPECT_EQ(rest.address().locality(), "London");
  EXPECT_TRUE(rest.accessibility().hearing());
  EXPECT_EQ(rest.job_title(), "Analyst");
  rest.MergeFrom(personal);
  EXPECT_EQ(rest.SerializeAsString(), contact.SerializeAsString());

  MaskPersonal(contact);
  EXPECT_TRUE(contact.personal_data_masked());
  EXPECT_TRUE(contact.given_name().empty());
  EXPECT_EQ(contact.emails_size(), 0);
  EXPECT_EQ(contact.job_title(), "Analyst");
}

TEST(ContactFieldsTest, Dates) {
  common::v1::Date date;
  EXPECT_TRUE(IsValidDate(date));
  date.set_year(2024);
  date.set_month(2);
  date.set_day(29);
  EXPECT_TRUE(IsValidDate(date));
  EXPECT_EQ(DateText(date), "2024-02-29");
  EXPECT_EQ(DateFromText("2024-02-29").SerializeAsString(), date.SerializeAsString());
  date.set_year(2023);
  EXPECT_FALSE(IsValidDate(date));
}

}  // namespace
}  // namespace accord::contact
