// A two-character substring or label filter's page comes from one of three plans
// (PgAccountRepository::List): a walk of the ordering index over a bounded number of accounts, the
// planner's statement, or every match gathered through the filter's index when the walk found next
// to none. Whichever runs, the page and the position the next page starts from must be the same:
// every page of common, correlated, rare and absent values in every order, through three
// repositories over the same accounts (never walking, walking a little, walking everything).
#include <gtest/gtest.h>

#include <fstream>
#include <pqxx/pqxx>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "accord/common/filter.h"
#include "accord/common/metrics.h"
#include "accord/common/pg.h"
#include "account_service.h"
#include "account_sql.h"
#include "pg_account_repository.h"
#include "support/servers.h"
#include "support/service_harness.h"

namespace accord::account {
namespace {

constexpr int kAccounts = 3000;

double Walks(const std::string& outcome) {
  return common::MetricsRegistry::Global()
      .GetCounter(kListWalksMetric, kListWalksHelp, {{"outcome", outcome}})
      .value();
}

class ListWalkTest : public ::testing::Test {
 protected:
  ListWalkTest()
      // The service migrates the schema; the repositories below read it directly.
      : harness_(AccountServiceDefinition(), database_.url(), testing::SharedRedisUrl()),
        pool_(common::PgOptions{.url = database_.url(), .pool_size = 2}, sql::AllStatements()),
        gather_(pool_, ListWalk{.rows = 0}),
        short_walk_(pool_, ListWalk{.rows = 60}),
        long_walk_(pool_, ListWalk{.rows = 100000}) {}

  void SetUp() override {
    std::ifstream in(std::string(ACCORD_SOURCE_DIR) + "/scripts/bench/scale/accounts.sql");
    std::stringstream seed;
    seed << in.rdbuf();
    ASSERT_NE(seed.str().find(":n"), std::string::npos);
    pqxx::connection connection(database_.url());
    pqxx::nontransaction work(connection);
    work.exec(absl::StrReplaceAll(seed.str(), {{":n", std::to_string(kAccounts)}}));
    // Ties in every order, so that pages must also agree on the id that breaks them: a quarter
    // of the accounts share their time with others, some names are repeated, some are deleted.
    work.exec(
        "UPDATE account.accounts SET create_time = date_trunc('year', create_time), "
        "update_time = date_trunc('month', update_time) WHERE right(id::text, 1) IN ('1', '5')");
    work.exec(
        "UPDATE account.accounts SET display_name = '鴻海' WHERE right(id::text, 2) IN ('3a', "
        "'7c')");
    work.exec(
        "UPDATE account.accounts SET delete_time = now() WHERE right(id::text, 2) IN ('2b', "
        "'4d')");
    // Names as in Taiwan: an English display name over a Chinese legal name (sorting among the
    // Latin names), accented Latin names (outside ASCII, no Chinese in them) and a Korean one.
    work.exec(
        "UPDATE account.accounts SET display_name = 'Foxconn ' || right(id::text, 3), "
        "legal_name = '鴻海精密工業股份有限公司' WHERE right(id::text, 2) IN ('1e', '6f')");
    work.exec(
        "UPDATE account.accounts SET display_name = 'Café ' || right(id::text, 3) "
        "WHERE right(id::text, 2) IN ('0c', '9d')");
    work.exec(
        "UPDATE account.accounts SET display_name = '삼성전자 ' || right(id::text, 3) "
        "WHERE right(id::text, 2) = '5e'");
    // A label on about 25 accounts, spread over every order (the seed's `rare` is on a few).
    work.exec(
        "UPDATE account.accounts SET labels = labels || 'rare'::text "
        "WHERE right(id::text, 2) IN ('9a', '3f')");
    work.exec("ANALYZE account.accounts");
  }

  // Every page of `filter` in `order`, each as its accounts' names followed by the key the next
  // page starts after.
  std::vector<std::vector<std::string>> Pages(PgAccountRepository& repository,
                                              const std::string& filter, AccountOrder order,
                                              bool descending, int page_size) {
    auto compiled = common::filter::Compile(filter, AccountFilterSchema());
    EXPECT_TRUE(compiled.ok()) << compiled.status();
    AccountListQuery query;
    query.limit = page_size;
    query.order = order;
    query.descending = descending;
    query.filter_sql = compiled->where;
    query.filter_params = compiled->params;
    query.filter_matches_pairs = compiled->matches_pairs;
    query.filter_matches_elements = compiled->matches_elements;
    std::vector<std::vector<std::string>> pages;
    while (pages.size() < 1000) {
      auto page = repository.List(query);
      EXPECT_TRUE(page.ok()) << page.status();
      if (!page.ok()) break;
      std::vector<std::string> names;
      const size_t shown = std::min(page->accounts.size(), static_cast<size_t>(page_size));
      for (size_t i = 0; i < shown; ++i) names.push_back(page->accounts[i].name());
      const bool more = page->accounts.size() > static_cast<size_t>(page_size);
      if (more)
        names.push_back(absl::StrCat(page->keys[shown - 1][0], "/", page->keys[shown - 1][1]));
      pages.push_back(names);
      if (!more) break;
      query.after = page->keys[shown - 1];
    }
    return pages;
  }

  // The names of the live accounts matching `where` (plain SQL, no index to lean on) in the
  // order List gives them.
  std::vector<std::string> Expected(const std::string& where, AccountOrder order, bool descending) {
    const std::string column = order == AccountOrder::kDisplayName  ? "a.display_name"
                               : order == AccountOrder::kCreateTime ? "a.create_time"
                                                                    : "a.update_time";
    const std::string direction = descending ? " DESC" : "";
    pqxx::connection connection(database_.url());
    pqxx::nontransaction work(connection);
    std::vector<std::string> names;
    for (const auto& row :
         work.exec("SELECT a.id FROM account.accounts a WHERE a.delete_time "
                   "IS NULL AND " +
                   where + " ORDER BY " + column + direction + ", a.id" + direction)) {
      names.push_back("accounts/" + row[0].as<std::string>());
    }
    return names;
  }

  testing::TestDatabase database_;
  testing::ServiceHarness harness_;
  common::PgPool pool_;
  PgAccountRepository gather_;
  PgAccountRepository short_walk_;
  PgAccountRepository long_walk_;
};

TEST_F(ListWalkTest, EveryPlanGivesTheSamePages) {
  struct Case {
    std::string filter;
    std::string count_where;  // the same accounts, as plain SQL
  };
  const std::vector<Case> cases = {
      // In 30 % of legal names, all of them Chinese, so in name order every match sorts after
      // the Latin names: a short walk finds none on the first pages and many on the last.
      {"legal_name:股份", "a.legal_name LIKE '%股份%'"},
      {"legal_name:gmbh", "a.legal_name ILIKE '%gmbh%'"},
      {"NOT legal_name:股份", "a.legal_name NOT LIKE '%股份%'"},
      {"\"股份\"", "(a.display_name LIKE '%股份%' OR a.legal_name LIKE '%股份%')"},
      {"display_name:鴻海 OR legal_name:gmbh",
       "(a.display_name LIKE '%鴻海%' OR a.legal_name ILIKE '%gmbh%')"},
      // Rare: a few accounts' hex suffix; none at all.
      {"display_name:a7", "a.display_name ILIKE '%a7%'"},
      {"display_name:zz", "false"},
      // Chinese text, which only names outside ASCII hold: in name order these walk and gather
      // only such accounts (MatchesOnlyNonAsciiNames). Common, rare, and absent; two characters
      // (the pair index) and longer (trigrams); in a Chinese legal name under an English display
      // name; free text over both names.
      {"display_name:鴻海", "a.display_name LIKE '%鴻海%'"},
      {"\"鴻海\"", "(a.display_name LIKE '%鴻海%' OR a.legal_name LIKE '%鴻海%')"},
      {"legal_name:有限公司", "a.legal_name LIKE '%有限公司%'"},
      {"legal_name:鴻海精密", "a.legal_name LIKE '%鴻海精密%'"},
      {"display_name:台積", "a.display_name LIKE '%台積%'"},
      {"legal_name:股東", "false"},
      {"\"股份有限公司的\"", "false"},
      {"display_name:삼성", "a.display_name LIKE '%삼성%'"},
      // Not such a search: another shape around the Chinese text, accented Latin text.
      {"legal_name:股份 AND tier = STRATEGIC", "a.legal_name LIKE '%股份%' AND a.tier = 1"},
      {"legal_name:股份 OR display_name:café",
       "(a.legal_name LIKE '%股份%' OR a.display_name ILIKE '%café%')"},
      {"display_name:é", "a.display_name ILIKE '%é%'"},
      // ORs of pair matches, whose pair clauses the compiler gathers in front of the ILIKEs.
      {"display_name:鴻海 OR legal_name:股份",
       "(a.display_name LIKE '%鴻海%' OR a.legal_name LIKE '%股份%')"},
      {"\"鴻海\" OR display_name:台積",
       "(a.display_name LIKE '%鴻海%' OR a.legal_name LIKE '%鴻海%' OR a.display_name LIKE "
       "'%台積%')"},
      {"NOT \"鴻海\"", "(a.display_name LIKE '%鴻海%' OR a.legal_name LIKE '%鴻海%') IS NOT TRUE"},
      // Labels: rare (the walk finds next to none, and the label index gathers them), common
      // (5 %: a short walk falls short, the planner's statement runs), absent, negated, OR-ed.
      {"labels:rare", "a.labels @> ARRAY['rare']"},
      {"labels:vip", "a.labels @> ARRAY['vip']"},
      {"labels:nobody", "false"},
      {"NOT labels:vip", "NOT a.labels @> ARRAY['vip']"},
      {"owner = \"manager-7\" OR labels:rare",
       "(a.owner = 'manager-7' OR a.labels @> ARRAY['rare'])"},
  };
  struct OrderCase {
    AccountOrder order;
    bool descending;
  };
  const std::vector<OrderCase> orders = {
      {AccountOrder::kDisplayName, false}, {AccountOrder::kDisplayName, true},
      {AccountOrder::kCreateTime, false},  {AccountOrder::kCreateTime, true},
      {AccountOrder::kUpdateTime, false},  {AccountOrder::kUpdateTime, true},
  };
  const double walked_before = Walks("page");
  const double fell_back_before = Walks("fallback");
  const double sparse_before = Walks("sparse");
  for (const Case& c : cases) {
    for (const OrderCase& o : orders) {
      const std::vector<std::string> expected = Expected(c.count_where, o.order, o.descending);
      for (int page_size : {7, 50}) {
        SCOPED_TRACE(absl::StrCat(c.filter, " order ", static_cast<int>(o.order),
                                  o.descending ? " desc" : "", " page ", page_size));
        const auto gathered = Pages(gather_, c.filter, o.order, o.descending, page_size);
        std::vector<std::string> rows;
        for (const auto& page : gathered) {
          rows.insert(rows.end(), page.begin(),
                      page.begin() + std::min(page.size(), static_cast<size_t>(page_size)));
        }
        EXPECT_EQ(rows, expected);
        EXPECT_EQ(Pages(short_walk_, c.filter, o.order, o.descending, page_size), gathered);
        EXPECT_EQ(Pages(long_walk_, c.filter, o.order, o.descending, page_size), gathered);
      }
    }
  }
  // Every plan answered pages: the walks filled some, fell back on others, and found next to no
  // match before others.
  EXPECT_GT(Walks("page") - walked_before, 100);
  EXPECT_GT(Walks("fallback") - fell_back_before, 100);
  EXPECT_GT(Walks("sparse") - sparse_before, 100);
}

// Other filters never walk, longer substrings and team members included (the planner estimates
// them from the columns' and the team table's statistics): their plan is the planner's alone.
TEST_F(ListWalkTest, OtherFiltersDoNotWalk) {
  auto compiled = common::filter::Compile(
      "owner = \"manager-7\" OR team_member:user-7 OR legal_name:gmbh", AccountFilterSchema());
  ASSERT_TRUE(compiled.ok()) << compiled.status();
  EXPECT_FALSE(compiled->matches_pairs);
  EXPECT_FALSE(compiled->matches_elements);
  AccountListQuery query;
  query.filter_sql = compiled->where;
  query.filter_params = compiled->params;
  const double walks = Walks("page") + Walks("fallback") + Walks("sparse");
  auto page = long_walk_.List(query);
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(page->accounts.size(), 51u);
  EXPECT_EQ(Walks("page") + Walks("fallback") + Walks("sparse"), walks);
}

}  // namespace
}  // namespace accord::account
