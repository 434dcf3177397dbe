// Contact filters at scale (issue 20; docs/performance.md "Lists at scale"): an external id is
// found through contact_external_ids' primary key, not by reading every contact's jsonb; labels
// through their GIN index; one owner's contacts are read in the page's order. Plans by EXPLAIN
// over a seeded table (migrations/0006_contact_filter_indexes.sql), answers over gRPC.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <pqxx/pqxx>
#include <string>

#include "contact_fixture.h"

namespace accord::contact {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class ContactFilterPlanTest : public ContactFixture {
 protected:
  std::vector<std::string> Listed(const std::string& filter) {
    v1::ListContactsRequest request;
    request.set_filter(filter);
    request.set_page_size(100);
    v1::ListContactsResponse response;
    const grpc::Status status =
        contacts_->ListContacts(As("root", Role::kAdmin).get(), request, &response);
    EXPECT_TRUE(status.ok()) << filter << ": " << status.error_message();
    std::vector<std::string> names;
    for (const auto& contact : response.contacts()) names.push_back(contact.name());
    return names;
  }

  // The plan of a List statement's shape over contacts (sequential scans ruled out, and sorting
  // too when `in_order`).
  std::string Plan(const std::string& where, const std::string& order, bool in_order = false) {
    pqxx::connection connection(database_.url());
    pqxx::nontransaction work(connection);
    work.exec("SET enable_seqscan = off");
    if (in_order) work.exec("SET enable_sort = off");
    std::string plan;
    for (const auto& row : work.exec("EXPLAIN SELECT c.id FROM contact.contacts c WHERE "
                                     "c.delete_time IS NULL AND " +
                                     where + " ORDER BY " + order + " LIMIT 51")) {
      plan += row[0].as<std::string>() + "\n";
    }
    return plan;
  }
};

TEST_F(ContactFilterPlanTest, ExternalIdsLabelsAndOwnersUseTheirIndexes) {
  v1::Contact with_id = Ada("am-1");
  (*with_id.mutable_external_ids())["crm"] = "K-1";
  const v1::Contact found = Create(with_id);
  v1::Contact other = Ada("am-2");
  other.clear_labels();
  other.mutable_emails(0)->set_address("other@analytical-engines.example");
  const v1::Contact without = Create(other);

  EXPECT_THAT(Listed("external_ids.crm = \"K-1\""), ::testing::ElementsAre(found.name()));
  EXPECT_THAT(Listed("external_ids:crm"), ::testing::ElementsAre(found.name()));
  EXPECT_TRUE(Listed("external_ids.crm = \"K-2\"").empty());
  EXPECT_THAT(Listed("NOT external_ids.crm = \"K-1\""), ::testing::ElementsAre(without.name()));
  EXPECT_THAT(Listed("labels:vip"), ::testing::ElementsAre(found.name()));

  // 20 000 more contacts, 40 per owner, four with a rare label, then the plans.
  {
    pqxx::connection connection(database_.url());
    pqxx::work work(connection);
    work.exec(
        "INSERT INTO contact.contacts (id, pii, pii_key_id, attributes, owner, status, labels, "
        "create_time, update_time) SELECT ('00000000-0003-7000-8000-' || lpad(to_hex(n), 12, "
        "'0'))::uuid, '\\x00', 'k', '', 'am-' || (n % 500), 1, CASE WHEN n % 5000 = 0 THEN "
        "ARRAY['rare'] ELSE '{}' END, now() - n * interval '1 minute', now() - n * interval '1 "
        "second' FROM generate_series(1, 20000) AS n");
    work.exec(
        "INSERT INTO contact.contact_external_ids (system, external_id, contact_id) SELECT 'crm', "
        "'K-' || (n + 10), ('00000000-0003-7000-8000-' || lpad(to_hex(n), 12, '0'))::uuid FROM "
        "generate_series(1, 20000) AS n");
    work.exec("ANALYZE contact.contacts");
    work.exec("ANALYZE contact.contact_external_ids");
    work.commit();
  }
  // The filter's semi-join on the child table (ContactFilterSchema), as compiled.
  std::string plan = Plan(
      "c.id IN (SELECT x.contact_id FROM contact.contact_external_ids x WHERE x.system = 'crm' "
      "AND x.external_id = 'K-42')",
      "c.create_time, c.id");
  EXPECT_THAT(plan, HasSubstr("contact_external_ids_pkey")) << plan;
  EXPECT_THAT(plan, Not(HasSubstr("Seq Scan on contacts"))) << plan;
  plan = Plan("(c.labels @> ARRAY['rare']::text[])", "c.create_time, c.id");
  EXPECT_THAT(plan, HasSubstr("contacts_by_labels")) << plan;
  plan = Plan("c.owner = 'am-7'", "c.create_time, c.id", true);
  EXPECT_THAT(plan, HasSubstr("Scan using contacts_by_owner_create_time")) << plan;
  EXPECT_THAT(plan, Not(HasSubstr("Sort"))) << plan;
  plan = Plan("c.owner = 'am-7'", "c.update_time DESC, c.id DESC", true);
  EXPECT_THAT(plan, HasSubstr("Scan Backward using contacts_by_owner_update_time")) << plan;
  EXPECT_THAT(plan, Not(HasSubstr("Sort"))) << plan;
}

}  // namespace
}  // namespace accord::contact
