// The filter cost limit and semi-joins for fields kept in child tables.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "accord/common/errors.h"
#include "accord/common/filter.h"

namespace accord::common::filter {
namespace {

using ::testing::HasSubstr;

Schema WithChildTables() {
  Schema schema;
  schema.fields = {
      {"display_name", "a.display_name", FieldType::kString, {}, {}},
      {"owner", "a.owner", FieldType::kString, {}, {}},
      {"external_ids", "", FieldType::kStringMap, {}, {}},
      {"team_member", "", FieldType::kStringArray, {}, {}},
  };
  for (auto& field : schema.fields) field.indexed = field.name != "display_name";
  schema.fields[2].child = FieldSpec::ChildTable{
      "a.id", "account.external_ids e", "e.account_id", "e.system", "e.external_id", ""};
  schema.fields[3].child = FieldSpec::ChildTable{
      "a.id", "account.team_members t", "t.account_id", "", "t.member", "t.active"};
  schema.text_search_sql = "a.display_name ILIKE {}";
  return schema;
}

std::string OredN(const std::string& comparison, int n) {
  std::string filter;
  for (int i = 0; i < n; ++i) filter += (i ? " OR " : "") + comparison + std::to_string(i) + "\"";
  return filter;
}

TEST(FilterCostTest, ChildTableFieldsCompileToSemiJoins) {
  auto sql = Compile("external_ids.erp = \"C-1\"", WithChildTables());
  ASSERT_TRUE(sql.ok()) << sql.status();
  EXPECT_EQ(sql->where,
            "(a.id IN (SELECT e.account_id FROM account.external_ids e WHERE e.system = $1 AND "
            "e.external_id = $2))");
  EXPECT_THAT(sql->params, ::testing::ElementsAre("erp", "C-1"));

  sql = Compile("external_ids:erp", WithChildTables());
  ASSERT_TRUE(sql.ok()) << sql.status();
  EXPECT_EQ(sql->where,
            "(a.id IN (SELECT e.account_id FROM account.external_ids e WHERE e.system = $1))");

  sql = Compile("NOT team_member:alice", WithChildTables());
  ASSERT_TRUE(sql.ok()) << sql.status();
  EXPECT_EQ(sql->where,
            "((a.id IN (SELECT t.account_id FROM account.team_members t WHERE t.member = $1 AND "
            "(t.active))) IS NOT TRUE)");
}

TEST(FilterCostTest, OredComparisonsOnOneChildTableBecomeOneSemiJoin) {
  auto sql = Compile("external_ids.erp = a OR owner = x OR external_ids.crm != b OR team_member:c",
                     WithChildTables());
  ASSERT_TRUE(sql.ok()) << sql.status();
  EXPECT_EQ(sql->where,
            "((a.id IN (SELECT e.account_id FROM account.external_ids e WHERE (e.system = $1 AND "
            "e.external_id = $2) OR (e.system = $4 AND e.external_id IS DISTINCT FROM $5))) OR "
            "(a.owner = $3) OR "
            "(a.id IN (SELECT t.account_id FROM account.team_members t WHERE t.member = $6 AND "
            "(t.active))))");
  EXPECT_THAT(sql->params, ::testing::ElementsAre("erp", "a", "x", "crm", "b", "c"));

  sql = Compile("team_member:a OR team_member:b", WithChildTables());
  ASSERT_TRUE(sql.ok()) << sql.status();
  EXPECT_EQ(sql->where,
            "((a.id IN (SELECT t.account_id FROM account.team_members t WHERE ((t.member = $1) OR "
            "(t.member = $2)) AND (t.active))))");
}

TEST(FilterCostTest, FiftyOredIndexedComparisonsAreAllowed) {
  // 50 comparisons at 1 and 49 ORs at 1: 99.
  auto sql = Compile(OredN("external_ids.erp = \"C-", 50), WithChildTables());
  ASSERT_TRUE(sql.ok()) << sql.status();
  EXPECT_EQ(sql->params.size(), 100u);
}

TEST(FilterCostTest, ScansPastTheCostAreRefusedNamingTheLimit) {
  // 30 substring matches at 4 and 29 ORs: 149.
  auto sql = Compile(OredN("display_name:\"x", 30), WithChildTables());
  ASSERT_FALSE(sql.ok());
  EXPECT_EQ(sql.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ReasonOf(sql.status()), "FILTER_TOO_COMPLEX");
  const auto violations = FieldViolationsOf(sql.status());
  ASSERT_EQ(violations.size(), 1u);
  EXPECT_EQ(violations[0].field, "filter");
  EXPECT_THAT(violations[0].description, HasSubstr("it costs 149, at most 100 is allowed"));

  // `!=` cannot use the index: 4 each.
  EXPECT_FALSE(Compile(OredN("owner != \"o", 21), WithChildTables()).ok());
  // 25 unindexed comparisons joined by AND cost exactly 100; one more is refused.
  std::string anded = "display_name = \"0\"";
  for (int i = 1; i < 25; ++i) anded += " AND display_name = \"" + std::to_string(i) + "\"";
  EXPECT_TRUE(Compile(anded, WithChildTables()).ok());
  EXPECT_FALSE(Compile(anded + " AND acme", WithChildTables()).ok());
}

}  // namespace
}  // namespace accord::common::filter
