// Contact filters at scale (issue 20; docs/performance.md "Lists at scale"): an external id is
// found through contact_external_ids' primary key, not by reading every contact's jsonb; labels
// through their GIN index; one owner's contacts are read in the page's order. Plans by EXPLAIN
// over a seeded table (migrations/0006_contact_filter_indexes.sql), answers over gRPC.
// At 5 000 000 contacts (issues 20 and 21; docs/performance.md "5 000 000 contacts"; migration
// 0011): substring filters on the text fields are answered by their trigram indexes instead of
// reading every contact, a time filter in the other timestamp's order is tested inside that
// order's index, and FindDuplicateContacts reads whole only the candidates that count, not every
// contact at the account that shares a trigram with the name; no planner setting forced.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "accord/contact/v1/stewardship.grpc.pb.h"
#include "contact_fixture.h"
#include "stewardship_sql.h"

namespace accord::contact {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::UnorderedElementsAreArray;

class ContactFilterPlanTest : public ContactFixture {
 protected:
  ContactFilterPlanTest()
      : stewardship_(v1::ContactStewardshipService::NewStub(contact_.channel())) {}

  std::vector<std::string> Listed(const std::string& filter, const std::string& order_by = "") {
    v1::ListContactsRequest request;
    request.set_filter(filter);
    request.set_order_by(order_by);
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

  std::string Explain(const std::string& statement) {
    pqxx::connection connection(database_.url());
    pqxx::nontransaction work(connection);
    std::string plan;
    for (const auto& row : work.exec("EXPLAIN " + statement)) {
      plan += row[0].as<std::string>() + "\n";
    }
    return plan;
  }

  // A List statement's shape over contacts, as PgContactRepository builds it.
  std::string ListPlan(const std::string& where, const std::string& order = "c.create_time, c.id") {
    return Explain("SELECT c.* FROM contact.contacts c WHERE c.delete_time IS NULL AND " + where +
                   " ORDER BY " + order + " LIMIT 51");
  }

  // Bulk contact n's name trigrams.
  static constexpr char kBulkTrigrams[] = "ARRAY[n % 30, 100 + n % 7, 200 + n % 11]";

  // `count` contacts straight into the table (their personal fields are not readable: no List
  // in these tests matches them), each related to one of `accounts` accounts, with the fields
  // the filters read varied as the scale seed varies them, then statistics.
  void Bulk(int count, int accounts) {
    // Contact n's id, its relation's and its account's: uuid(PREFIX || n in 12 hex digits).
    const auto id = [](const char* prefix, const std::string& n) {
      return std::string("('00000000-") + prefix + "-7000-8000-' || lpad(to_hex(" + n +
             "), 12, '0'))::uuid";
    };
    const std::string series = " FROM generate_series(1, " + std::to_string(count) + ") AS n";
    // Without triggers: each relation's would rewrite its contact's row (cache_version) and
    // every index entry of it, a minute of the test for rows no one reads.
    const std::vector<std::string> statements = {
        "SET LOCAL session_replication_role = replica",
        "INSERT INTO contact.contacts (id, pii, pii_key_id, attributes, owner, status, job_title, "
        "department, time_zone, name_trigrams, create_time, update_time) SELECT " +
            id("0003", "n") +
            ", '\\x00', 'k', '', 'am-' || (n % 500), 1, "
            "(ARRAY['Engineer', 'Buyer', 'Sales Director'])[1 + n % 3], "
            "(ARRAY['Operations', 'Finance', 'Sales'])[1 + n % 3], "
            "(ARRAY['Asia/Taipei', 'Asia/Tokyo'])[1 + n % 2], " +
            std::string(kBulkTrigrams) +
            ", now() - n * interval '1 minute', "
            "now() - n * interval '1 second'" +
            series,
        // Each relation with its contact's trigrams, as migration 0012's trigger copies them.
        "INSERT INTO contact.account_relations (id, contact_id, account_id, name_trigrams) "
        "SELECT " +
            id("0006", "n") + ", " + id("0003", "n") + ", " +
            id("0001", "1 + n % " + std::to_string(accounts)) + ", " + kBulkTrigrams + series,
        "INSERT INTO contact.contact_lookup (kind, digest, contact_id) SELECT k, "
        "decode(md5(k || '-' || n), 'hex'), " +
            id("0003", "n") + series + ", (VALUES (1), (2)) AS kinds (k)",
        "ANALYZE contact.contacts", "ANALYZE contact.account_relations",
        "ANALYZE contact.contact_lookup"};
    pqxx::connection connection(database_.url());
    pqxx::work work(connection);
    for (const auto& statement : statements) work.exec(statement);
    work.commit();
  }

  // The duplicates of a stored contact, from the lowest name similarity given.
  std::vector<std::string> Duplicates(const std::string& name, float min_similarity) {
    v1::FindDuplicateContactsRequest request;
    request.set_name(name);
    request.set_min_name_similarity(min_similarity);
    request.set_max_results(100);
    v1::FindDuplicateContactsResponse found;
    const grpc::Status status =
        stewardship_->FindDuplicateContacts(As("root", Role::kAdmin).get(), request, &found);
    std::vector<std::string> names;
    for (const auto& duplicate : found.duplicates()) names.push_back(duplicate.contact().name());
    EXPECT_TRUE(status.ok()) << status.error_message();
    return names;
  }

  std::unique_ptr<v1::ContactStewardshipService::Stub> stewardship_;
};

TEST_F(ContactFilterPlanTest, ExternalIdsLabelsAndOwnersUseTheirIndexes) {
  v1::Contact with_id = Ada("am-1");
  (*with_id.mutable_external_ids())["crm"] = "K-1";
  const v1::Contact found = Create(with_id);
  v1::Contact other = Ada("am-2");
  other.clear_labels();
  other.mutable_emails(0)->set_address("other@analytical-engines.example");
  const v1::Contact without = Create(other);

  EXPECT_THAT(Listed("external_ids.crm = \"K-1\""), ElementsAre(found.name()));
  EXPECT_THAT(Listed("external_ids:crm"), ElementsAre(found.name()));
  EXPECT_TRUE(Listed("external_ids.crm = \"K-2\"").empty());
  EXPECT_THAT(Listed("NOT external_ids.crm = \"K-1\""), ElementsAre(without.name()));
  EXPECT_THAT(Listed("labels:vip"), ElementsAre(found.name()));

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

TEST_F(ContactFilterPlanTest, SubstringFiltersAreAnsweredByTrigramIndexes) {
  v1::Contact buyer = Ada("am-1");
  buyer.set_job_title("Purchasing Manager");
  buyer.set_department("Procurement");
  const v1::Contact created = Create(buyer);
  v1::Contact other = Ada("am-2");
  other.mutable_emails(0)->set_address("other@analytical-engines.example");
  other.set_job_title("Engineer");
  other.set_department("Operations");
  other.set_time_zone("Asia/Taipei");
  const v1::Contact engineer = Create(other);

  Bulk(20000, 100);
  // Any case, any part of the value; a value nobody holds finds nothing.
  EXPECT_THAT(Listed("department:CUREMENT"), ElementsAre(created.name()));
  EXPECT_THAT(Listed("job_title:purchas", "update_time desc"), ElementsAre(created.name()));
  EXPECT_THAT(Listed("time_zone:london"), ElementsAre(created.name()));
  EXPECT_THAT(Listed("owner:am-1 AND department:procure"), ElementsAre(created.name()));
  EXPECT_THAT(Listed("department:zzzz"), IsEmpty());
  EXPECT_THAT(Listed("job_title:purchas OR department:zzzz"), ElementsAre(created.name()));

  // As the filter compiles them (common::filter's Substring).
  for (const char* column : {"job_title", "department", "owner", "time_zone"}) {
    const std::string plan =
        ListPlan(std::string("(c.") + column + " ILIKE '%zzzz%' ESCAPE E'\\\\')");
    EXPECT_THAT(plan, HasSubstr(std::string("contacts_") + column + "_trgm")) << plan;
    EXPECT_THAT(plan, Not(HasSubstr("Seq Scan"))) << plan;
  }
  // A value most contacts hold is still read in the page's order, not gathered and sorted.
  const std::string plan = ListPlan("(c.department ILIKE '%ation%' ESCAPE E'\\\\')");
  EXPECT_THAT(plan, HasSubstr("contacts_by_create_time")) << plan;
  EXPECT_THAT(plan, Not(HasSubstr("Sort"))) << plan;
  (void)engineer;
}

TEST_F(ContactFilterPlanTest, ATimeFilterInTheOtherTimestampsOrderIsTestedInTheIndex) {
  const v1::Contact first = Create(Ada("am-1"));
  v1::Contact other = Ada("am-2");
  other.mutable_emails(0)->set_address("other@analytical-engines.example");
  const v1::Contact second = Create(other);
  v1::UpdateContactRequest update;
  update.mutable_contact()->set_name(first.name());
  update.set_etag(first.etag());
  update.mutable_contact()->set_job_title("Chief Engineer");
  update.mutable_update_mask()->add_paths("job_title");
  v1::Contact updated;
  const grpc::Status status =
      contacts_->UpdateContact(As("root", Role::kAdmin).get(), update, &updated);
  ASSERT_TRUE(status.ok()) << status.error_message();
  // Created in the last hour, newest updated first: the updated one leads.
  EXPECT_THAT(Listed("create_time >= \"2026-01-01T00:00:00Z\"", "update_time desc"),
              ElementsAre(first.name(), second.name()));
  EXPECT_THAT(Listed("update_time <= \"2026-01-01T00:00:00Z\"", "create_time"), IsEmpty());

  Bulk(20000, 100);
  // 5 % of the contacts, created longest ago, in the order of their updates.
  std::string plan = ListPlan("c.create_time <= now() - interval '19000 minutes'",
                              "c.update_time DESC, c.id DESC");
  EXPECT_THAT(plan, HasSubstr("Index Scan Backward using contacts_by_update_time")) << plan;
  EXPECT_THAT(plan, HasSubstr("Index Cond: (create_time <=")) << plan;
  EXPECT_THAT(plan, Not(HasSubstr("Sort"))) << plan;
}

TEST_F(ContactFilterPlanTest, DuplicatesAtACrowdedAccountAreTheOnesAtOrAboveTheThreshold) {
  const account::v1::Account acme = CreateAccount("am-owner", "Acme");
  auto person = [&](const std::string& given, const std::string& family, int n) {
    v1::Contact contact;
    contact.set_given_name(given);
    contact.set_family_name(family);
    contact.add_emails()->set_address("p" + std::to_string(n) + "@acme.example");
    contact.set_owner("am-owner");
    const v1::Contact created = Create(contact);
    v1::AccountRelation relation;
    const grpc::Status status =
        Relate(created.name(), acme.name(), {v1::ACCOUNT_RELATION_ROLE_BUYER}, &relation);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return created;
  };
  const v1::Contact probe = person("Augusta", "Lovelace", 0);
  // From nearly the same name to one sharing a single trigram with it.
  const std::vector<std::pair<std::string, std::string>> names = {
      {"Augusta", "Lovelase"}, {"Augusta", "Lovell"}, {"Augustus", "Love"},
      {"Agatha", "Lovelace"},  {"August", "Byron"},   {"Ada", "Lovejoy"},
      {"Charles", "Babbage"},  {"Lucy", "Lavelle"},   {"Augusta", "King"},
      {"Gus", "Lace"}};
  std::vector<v1::Contact> others;
  for (size_t i = 0; i < names.size(); ++i) {
    others.push_back(person(names[i].first, names[i].second, static_cast<int>(i) + 1));
  }
  // pg_trgm's similarity of the plain names: the service's, on hashed trigrams, is the same.
  std::vector<float> similarity;
  {
    pqxx::connection connection(database_.url());
    pqxx::work work(connection);
    work.exec0("CREATE EXTENSION IF NOT EXISTS pg_trgm");
    for (const auto& [given, family] : names) {
      similarity.push_back(
          work.exec_params1("SELECT similarity('Augusta Lovelace', $1)", given + " " + family)[0]
              .as<float>());
    }
  }
  // Each threshold, and one exactly at a candidate's similarity (that candidate counts).
  std::vector<float> thresholds = {0.05f, 0.2f, 0.3f, 0.5f, 0.9f};
  thresholds.push_back(*std::min_element(similarity.begin(), similarity.begin() + 4));
  for (float threshold : thresholds) {
    std::vector<std::string> expected;
    for (size_t i = 0; i < others.size(); ++i) {
      if (similarity[i] > 0 && similarity[i] >= threshold) expected.push_back(others[i].name());
    }
    EXPECT_THAT(Duplicates(probe.name(), threshold), UnorderedElementsAreArray(expected))
        << "threshold " << threshold;
  }
  ASSERT_FALSE(Duplicates(probe.name(), 0.3f).empty());

  // Then a crowded table: the same answers, and the statement's plan reads the account's
  // relations and the blind index by their indexes, never every contact.
  Bulk(20000, 400);
  std::vector<std::string> expected;
  for (size_t i = 0; i < others.size(); ++i) {
    if (similarity[i] >= 0.3f) expected.push_back(others[i].name());
  }
  EXPECT_THAT(Duplicates(probe.name(), 0.3f), UnorderedElementsAreArray(expected));
  pqxx::connection connection(database_.url());
  pqxx::nontransaction work(connection);
  work.exec(std::string("PREPARE find_duplicates (integer[], text[], text[], uuid[], text, "
                        "integer, real) AS ") +
            sql::kFindDuplicates);
  std::string plan;
  for (const auto& row :
       work.exec("EXPLAIN EXECUTE find_duplicates ('{1,100,200}', ARRAY[md5('1-5')], '{}', "
                 "'{00000000-0001-7000-8000-000000000002}', '', 1000, 0.2999)")) {
    plan += row[0].as<std::string>() + "\n";
  }
  EXPECT_THAT(plan, HasSubstr("account_relations_by_account")) << plan;
  EXPECT_THAT(plan, HasSubstr("contact_lookup_pkey")) << plan;
  EXPECT_THAT(plan, Not(HasSubstr("Seq Scan on contacts"))) << plan;
  EXPECT_THAT(plan, Not(HasSubstr("Seq Scan on account_relations"))) << plan;

  // Run: the account's 50 contacts are compared from their relations (migration 0012's copy of
  // their trigrams; at this size the planner may read the relations' few pages rather than the
  // index alone), and a contact's row is read only for those the statement returns (once to
  // measure it, once whole), not for each contact at the account.
  const auto analyzed = nlohmann::json::parse(
      work.exec1("EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE find_duplicates ('{1,100,200}', "
                 "ARRAY[md5('1-5')], '{}', '{00000000-0001-7000-8000-000000000002}', '', 1000, "
                 "0.2999)")[0]
          .as<std::string>())[0]["Plan"];
  const int returned = analyzed["Actual Rows"].get<int>();
  int contact_rows = 0;
  int relations_compared = -1;
  const std::function<void(const nlohmann::json&)> walk = [&](const nlohmann::json& node) {
    const int loops = node["Actual Loops"].get<int>();
    const int rows = node["Actual Rows"].get<int>() * loops;
    // Rows read, those a filter then removed too.
    if (node.value("Relation Name", "") == "contacts") {
      contact_rows += rows + node.value("Rows Removed by Filter", 0) * loops;
    }
    if (node.value("Index Name", "") == "account_relations_by_account") {
      relations_compared = rows + node.value("Rows Removed by Filter", 0);
    }
    for (const auto& child : node.value("Plans", nlohmann::json::array())) walk(child);
  };
  walk(analyzed);
  // The email's contact (5, at another account) and the names sharing two of the three trigrams.
  EXPECT_GE(returned, 2) << analyzed.dump();
  EXPECT_EQ(relations_compared, 50) << analyzed.dump();
  EXPECT_LE(contact_rows, 2 * returned) << analyzed.dump();
}

}  // namespace
}  // namespace accord::contact
