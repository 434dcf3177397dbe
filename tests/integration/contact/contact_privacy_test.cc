// Personal data: never in plaintext in the database, masked per role, every unmasked read in the
// access log.
#include <gmock/gmock.h>

#include "accord/common/ids.h"
#include "contact_fixture.h"

namespace accord::contact {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

class ContactPrivacyTest : public ContactFixture {};

std::string Hex(const std::string& text) {
  static const char* kDigits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : text) {
    out += kDigits[c >> 4];
    out += kDigits[c & 15];
  }
  return out;
}

TEST_F(ContactPrivacyTest, NoNameEmailOrPhoneIsStoredInPlaintext) {
  // Through every write path: create (with a kept response), update, upsert, a relation.
  v1::Contact created = Create(Ada(), "root", Role::kAdmin, common::NewUuidV7());
  v1::UpdateContactRequest update;
  update.mutable_contact()->set_name(created.name());
  update.mutable_contact()->set_notes("Met at the Difference Engine expo, again");
  update.set_etag(created.etag());
  update.set_request_id(common::NewUuidV7());
  v1::Contact updated;
  ASSERT_TRUE(contacts_->UpdateContact(As("root", Role::kAdmin).get(), update, &updated).ok());
  v1::UpsertContactByExternalIdRequest upsert;
  upsert.set_system("crm");
  upsert.set_external_id("C-1");
  *upsert.mutable_contact() = Ada();
  v1::UpsertContactByExternalIdResponse upserted;
  ASSERT_TRUE(
      contacts_->UpsertContactByExternalId(As("root", Role::kAdmin).get(), upsert, &upserted).ok());
  v1::Contact read;
  ASSERT_TRUE(Get(created.name(), "root", Role::kAdmin, &read, "audit").ok());

  const std::vector<std::string> secrets = {
      "Augusta",       "Lovelace",   "augusta.lovelace", "Augusta.Lovelace", "analytical-engines",
      "+442071838750", "2071838750", "7183 8750",        "St James",         "Difference Engine",
      "hearing loop"};
  size_t rows = 0;
  for (const char* table : {"contact.contacts", "contact.contact_lookup",
                            "contact.contact_external_ids", "contact.account_relations",
                            "contact.access_log", "contact.idempotency_keys", "contact.outbox"}) {
    for (const auto& row : RowsOf(table)) {
      ++rows;
      for (const auto& secret : secrets) {
        EXPECT_THAT(row, Not(HasSubstr(secret))) << table;
        // bytea columns print as hex: look for the secret's bytes too.
        EXPECT_THAT(row, Not(HasSubstr(Hex(secret)))) << table;
      }
    }
  }
  EXPECT_GT(rows, 8u);  // the search covered real rows
  // And the values are there, sealed: the service reads them back.
  EXPECT_EQ(read.family_name(), "Lovelace");
  EXPECT_EQ(read.notes(), "Met at the Difference Engine expo, again");
}

TEST_F(ContactPrivacyTest, PersonalFieldsAreMaskedPerRole) {
  account::v1::Account acme = CreateAccount("am-acme", "Acme");
  v1::Contact created = Create(Ada("am-owner"));
  v1::AccountRelation relation;
  ASSERT_TRUE(
      Relate(created.name(), acme.name(), {v1::ACCOUNT_RELATION_ROLE_BUYER}, &relation).ok());

  // Added to Acme's team: sees contacts of Acme.
  account::v1::CreateTeamMemberRequest member;
  member.set_parent(acme.name());
  member.mutable_team_member()->set_member("am-team");
  member.mutable_team_member()->set_role(account::v1::TEAM_ROLE_SALES);
  account::v1::TeamMember added;
  auto status =
      teams_->CreateTeamMember(As("am-acme", Role::kAccountManager).get(), member, &added);
  ASSERT_TRUE(status.ok()) << status.error_message();

  struct Case {
    std::string subject;
    Role role;
    bool sees;
  };
  for (const Case& c : std::vector<Case>{{"root", Role::kAdmin, true},
                                         {"am-owner", Role::kAccountManager, true},
                                         {"am-acme", Role::kAccountManager, true},
                                         {"am-team", Role::kAccountManager, true},
                                         {"am-other", Role::kAccountManager, false},
                                         {"sync", Role::kIntegration, false},
                                         {"sa", Role::kSalesAssistant, false},
                                         {"agent", Role::kServiceAgent, false},
                                         {"super", Role::kServiceSupervisor, false}}) {
    v1::Contact read;
    ASSERT_TRUE(Get(created.name(), c.subject, c.role, &read).ok()) << c.subject;
    EXPECT_EQ(read.personal_data_masked(), !c.sees) << c.subject;
    EXPECT_EQ(read.family_name().empty(), !c.sees) << c.subject;
    EXPECT_EQ(read.emails_size() == 0, !c.sees) << c.subject;
    EXPECT_EQ(read.phones_size() == 0, !c.sees) << c.subject;
    EXPECT_EQ(read.notes().empty(), !c.sees) << c.subject;
    EXPECT_EQ(read.address().address_lines_size() == 0, !c.sees) << c.subject;
    // What is not personal is there for everyone.
    EXPECT_EQ(read.job_title(), "Head of Procurement") << c.subject;
    EXPECT_EQ(read.address().locality(), "London") << c.subject;
    EXPECT_TRUE(read.accessibility().hearing()) << c.subject;
  }

  // Lists mask row by row.
  v1::ListContactsRequest list;
  v1::ListContactsResponse page;
  ASSERT_TRUE(contacts_->ListContacts(As("sa", Role::kSalesAssistant).get(), list, &page).ok());
  ASSERT_EQ(page.contacts_size(), 1);
  EXPECT_TRUE(page.contacts(0).personal_data_masked());
}

TEST_F(ContactPrivacyTest, EveryUnmaskedReadIsLoggedWithItsReason) {
  v1::Contact created = Create(Ada("am-owner"));
  const std::string id = created.name().substr(std::string("contacts/").size());
  const size_t after_create = RowsOf("contact.access_log").size();
  EXPECT_EQ(after_create, 1u);  // the create's own response carried the data
  {
    // Appended by the create's own transaction (one commit): both rows carry its id.
    pqxx::connection connection(database_.url());
    pqxx::work work(connection);
    auto same = work.exec1(
        "SELECT a.xmin::text = c.xmin::text FROM contact.access_log a JOIN contact.contacts c "
        "ON c.id = a.contact_id WHERE c.id = '" +
        id + "'");
    EXPECT_TRUE(same[0].as<bool>());
  }

  v1::Contact read;
  ASSERT_TRUE(Get(created.name(), "root", Role::kAdmin, &read, "ticket 4711: address check").ok());
  ASSERT_TRUE(Get(created.name(), "sa", Role::kSalesAssistant, &read, "curious").ok());  // masked
  v1::ListContactsRequest list;
  v1::ListContactsResponse page;
  ASSERT_TRUE(
      contacts_
          ->ListContacts(As("am-owner", Role::kAccountManager, "weekly review").get(), list, &page)
          .ok());

  pqxx::connection connection(database_.url());
  pqxx::work work(connection);
  auto rows = work.exec(
      "SELECT actor, roles, contact_id::text, array_to_string(fields, ','), method, reason "
      "FROM contact.access_log ORDER BY id");
  ASSERT_EQ(rows.size(), 3u);  // the masked read left no row
  EXPECT_EQ(rows[1][0].as<std::string>(), "root");
  EXPECT_EQ(rows[1][1].as<std::string>(), "admin");
  EXPECT_EQ(rows[1][2].as<std::string>(), id);
  EXPECT_EQ(rows[1][3].as<std::string>(),
            "given_name,family_name,emails,phones,address.address_lines,notes,accessibility.needs");
  EXPECT_EQ(rows[1][4].as<std::string>(), "GetContact");
  EXPECT_EQ(rows[1][5].as<std::string>(), "ticket 4711: address check");
  EXPECT_EQ(rows[2][0].as<std::string>(), "am-owner");
  EXPECT_EQ(rows[2][4].as<std::string>(), "ListContacts");
  EXPECT_EQ(rows[2][5].as<std::string>(), "weekly review");
}

}  // namespace
}  // namespace accord::contact
