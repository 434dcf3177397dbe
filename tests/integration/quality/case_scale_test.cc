// Cases at scale (issue 20; docs/performance.md "Lists at scale", "Service report and SLA
// sweep"): a sweep pass over many due cases records each SLA event once, in set-based
// statements that take the events already recorded into account; a pass bounded by its time
// budget leaves the rest to the next, and two budgeted sweepers drain a backlog exactly once;
// the open cases oldest first, the closed newest first and a resource-name substring are
// answered from migrations 0007's and 0009's indexes (plans by EXPLAIN over a seeded table,
// answers over gRPC).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <pqxx/pqxx>
#include <string>
#include <thread>
#include <vector>

#include "pg_quality_repository.h"
#include "quality_fixture.h"
#include "sweeper.h"

namespace accord::quality {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class CaseScaleTest : public QualityFixture {
 protected:
  std::vector<std::string> Listed(const std::string& filter) {
    v1::ListCasesRequest request;
    request.set_filter(filter);
    request.set_page_size(100);
    v1::ListCasesResponse response;
    const grpc::Status status = cases_->ListCases(Supervisor().get(), request, &response);
    EXPECT_TRUE(status.ok()) << filter << ": " << status.error_message();
    std::vector<std::string> names;
    for (const auto& c : response.cases()) names.push_back(c.name());
    return names;
  }

  std::string Plan(const std::string& where, const std::string& order,
                   const std::string& columns = "c.id") {
    pqxx::connection connection(database_.url());
    pqxx::nontransaction work(connection);
    std::string plan;
    for (const auto& row :
         work.exec("EXPLAIN SELECT " + columns + " FROM service_quality.cases c WHERE " + where +
                   " ORDER BY " + order + " LIMIT 51")) {
      plan += row[0].as<std::string>() + "\n";
    }
    return plan;
  }

  // 20 000 more cases over two years, one an hour, the newest tenth open (as a live table has
  // them), analyzed.
  void SeedTwoYears() {
    pqxx::connection connection(database_.url());
    pqxx::work work(connection);
    work.exec(
        "INSERT INTO service_quality.cases (id, account, contact, channel, kind, category, "
        "status, priority, impact, urgency, tier, escalation_level, description, body, "
        "clock_start, create_time) SELECT ('00000000-0005-7000-8000-' || lpad(to_hex(n), 12, "
        "'0'))::uuid, 'accounts/00000000-0001-7000-8000-' || lpad(to_hex(n % 2000), 12, '0'), "
        "'contacts/00000000-0003-7000-8000-' || lpad(to_hex(n % 5000), 12, '0'), 2, 1, 1, "
        "CASE WHEN n <= 2000 THEN 2 ELSE 7 END, 2, 2, 2, 0, 1, 'seeded', '\\x', now(), "
        "now() - n * interval '1 hour' FROM generate_series(1, 20000) AS n");
    work.exec("ANALYZE service_quality.cases");
    work.commit();
  }
};

TEST_F(CaseScaleTest, OnePassOverManyDueCasesRecordsEachEventOnce) {
  constexpr int kCases = 30;
  const std::vector<std::string> names = CasesDueSoon(kCases);
  // The first case's first-response warning is on record already (as if a sweeper had recorded
  // it): the pass must not record or announce it again.
  {
    pqxx::connection connection(database_.url());
    pqxx::work work(connection);
    work.exec(
        "INSERT INTO service_quality.sla_events (case_id, target, kind, cycle, "
        "recorded_by) VALUES ('" +
        names[0].substr(6) + "', 'first_response', 'warning', 1, 'earlier')");
    work.commit();
  }
  PgQualityRepository store(harness_.runtime().pg());
  Sweeper sweeper(store, 100);  // every due case in one pass
  const Instant later = SystemNow() + std::chrono::hours(1);
  auto swept = sweeper.SweepOnce(later);
  ASSERT_TRUE(swept.ok()) << swept.status();
  EXPECT_EQ(*swept, kCases);
  EXPECT_EQ(*sweeper.SweepOnce(later), 0);

  EXPECT_EQ(Count("SELECT count(*) FROM service_quality.sla_events"), 4 * kCases);
  EXPECT_EQ(Count("SELECT count(*) FROM service_quality.sla_events WHERE recorded_by = "
                  "'system/sweeper'"),
            4 * kCases - 1);
  EXPECT_EQ(Outboxed("SlaWarning"), 2 * kCases - 1);
  EXPECT_EQ(Outboxed("SlaBreached"), 2 * kCases);
  EXPECT_EQ(Outboxed("CaseEscalated"), 2 * kCases);
  for (size_t i = 0; i < names.size(); ++i) {
    ExpectBreachedToManager(names[i]);
    int sla_entries = 0;
    for (const auto& e : Timeline(names[i])) {
      sla_entries += e.kind() == v1::TIMELINE_ENTRY_KIND_SLA_EVENT;
    }
    EXPECT_EQ(sla_entries, i == 0 ? 3 : 4) << names[i];
  }
}

TEST_F(CaseScaleTest, OpenCasesOldestFirstAndPartySubstringsUseTheirIndexes) {
  const v1::Case opened = Create(NewCase());
  const std::string account_tail = opened.account().substr(opened.account().size() - 6);
  EXPECT_THAT(Listed("NOT status = CLOSED"), ::testing::ElementsAre(opened.name()));
  EXPECT_THAT(Listed("account:" + account_tail), ::testing::ElementsAre(opened.name()));
  EXPECT_TRUE(Listed("account:zzzz").empty());
  EXPECT_TRUE(Listed("contact:zzzz").empty());

  SeedTwoYears();
  // `NOT status = CLOSED` as the filter compiles it.
  std::string plan = Plan("(c.status = '7') IS NOT TRUE", "c.create_time, c.id");
  EXPECT_THAT(plan, HasSubstr("cases_open_by_create_time")) << plan;
  EXPECT_THAT(plan, Not(HasSubstr("Sort"))) << plan;
  plan = Plan("(c.status = '7') IS NOT TRUE", "c.create_time DESC, c.id DESC");
  EXPECT_THAT(plan, HasSubstr("cases_open_by_create_time")) << plan;
  plan = Plan("c.account ILIKE '%zzzz%'", "c.create_time, c.id");
  EXPECT_THAT(plan, HasSubstr("cases_account_trgm")) << plan;
  EXPECT_THAT(plan, Not(HasSubstr("Seq Scan"))) << plan;
  plan = Plan("c.contact ILIKE '%zzzz%'", "c.create_time, c.id");
  EXPECT_THAT(plan, HasSubstr("cases_contact_trgm")) << plan;
  // And the answers at that size.
  EXPECT_EQ(Listed("NOT status = CLOSED").size(), 100u);
  EXPECT_TRUE(Listed("account:zzzz").empty());
}

TEST_F(CaseScaleTest, ClosedCasesNewestFirstWalkTheClosedCasesIndex) {
  SeedTwoYears();
  // `status = CLOSED` newest first as ListCases runs it (the row, not only the id: an id alone
  // is answered by an index-only scan of cases_by_status). The newest 2 000 cases are open: the
  // creation index backwards would walk all of them before its first closed case.
  const std::string row = "c.id, c.body, c.version, c.sla_next_check, c.resolution_due";
  std::string plan = Plan("(c.status = '7')", "c.create_time DESC, c.id DESC", row);
  EXPECT_THAT(plan, HasSubstr("Index Scan Backward using cases_closed_by_create_time")) << plan;
  EXPECT_THAT(plan, Not(HasSubstr("Sort"))) << plan;
  EXPECT_THAT(plan, Not(HasSubstr("Filter"))) << plan;
  // The next page's keyset is an index condition of the same walk.
  plan = Plan(
      "(c.status = '7') AND (c.create_time, c.id) < (now() - interval '3000 hours', "
      "'00000000-0005-7000-8000-000000000bb8'::uuid)",
      "c.create_time DESC, c.id DESC", row);
  EXPECT_THAT(plan, HasSubstr("using cases_closed_by_create_time")) << plan;
  EXPECT_THAT(plan, HasSubstr("Index Cond")) << plan;
  EXPECT_THAT(plan, Not(HasSubstr("Sort"))) << plan;

  // The answers over gRPC: the newest closed cases (n = 2001 on), newest first, across two
  // pages.
  v1::ListCasesRequest request;
  request.set_filter("status = CLOSED");
  request.set_order_by("create_time desc");
  request.set_page_size(30);
  std::vector<std::string> names;
  for (int page = 0; page < 2; ++page) {
    v1::ListCasesResponse response;
    const grpc::Status status = cases_->ListCases(Supervisor().get(), request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    // (The seeded rows' bodies are empty: the names show which rows these are.)
    for (const auto& c : response.cases()) names.push_back(c.name());
    request.set_page_token(response.next_page_token());
  }
  ASSERT_EQ(names.size(), 60u);
  for (size_t i = 0; i < names.size(); ++i) {
    char id[13];
    std::snprintf(id, sizeof id, "%012zx", 2001 + i);  // n = 2001 is the newest closed case
    EXPECT_EQ(names[i], "cases/00000000-0005-7000-8000-" + std::string(id)) << i;
  }
}

TEST_F(CaseScaleTest, ABudgetedPassLeavesTheRestToTheNextPass) {
  constexpr int kCases = 24;
  const std::vector<std::string> names = CasesDueSoon(kCases);
  PgQualityRepository store(harness_.runtime().pg());
  // A budget of 1 us: the first pass, knowing no cost per case yet, takes a whole batch; after
  // it no case fits, so every pass takes one (each part moves on) until one finds none left.
  Sweeper sweeper(store, 5, std::chrono::hours(0), SystemNow, std::chrono::microseconds(1));
  const Instant later = SystemNow() + std::chrono::hours(1);
  std::vector<int> changed;
  for (int pass = 0; pass < 40; ++pass) {
    auto swept = sweeper.Pass(later);
    ASSERT_TRUE(swept.ok()) << swept.status();
    changed.push_back(swept->changed);
    if (swept->complete) break;
  }
  std::vector<int> expected = {5};
  expected.insert(expected.end(), kCases - 5, 1);
  expected.push_back(0);
  EXPECT_EQ(changed, expected);
  EXPECT_EQ(*sweeper.SweepOnce(later), 0);  // nothing left

  EXPECT_EQ(Count("SELECT count(*) FROM service_quality.sla_events"), 4 * kCases);
  EXPECT_EQ(Outboxed("SlaWarning"), 2 * kCases);
  EXPECT_EQ(Outboxed("SlaBreached"), 2 * kCases);
  EXPECT_EQ(Outboxed("CaseEscalated"), 2 * kCases);
  for (const auto& name : names) ExpectBreachedToManager(name);
}

TEST_F(CaseScaleTest, TwoBudgetedSweepersDrainABacklogOverPassesExactlyOnce) {
  constexpr int kCases = 40;
  const std::vector<std::string> names = CasesDueSoon(kCases);
  PgQualityRepository first_store(harness_.runtime().pg());
  PgQualityRepository second_store(harness_.runtime().pg());
  Sweeper first(first_store, 3, std::chrono::hours(0), SystemNow, std::chrono::microseconds(1));
  Sweeper second(second_store, 3, std::chrono::hours(0), SystemNow, std::chrono::microseconds(1));
  const Instant later = SystemNow() + std::chrono::hours(1);
  // Each replica passes until a pass finds nothing more for it, as the service's thread does.
  auto drain = [later](Sweeper& sweeper, int& total, int& passes, absl::Status& failed) {
    for (passes = 1; passes <= 100; ++passes) {
      auto swept = sweeper.Pass(later);
      if (!swept.ok()) {
        failed = swept.status();
        return;
      }
      EXPECT_LE(swept->changed, 3);  // one batch a pass, at most `batch`
      total += swept->changed;
      if (swept->complete) return;
    }
  };
  int first_total = 0, second_total = 0, first_passes = 0, second_passes = 0;
  absl::Status first_failed, second_failed;
  std::thread a([&] { drain(first, first_total, first_passes, first_failed); });
  std::thread b([&] { drain(second, second_total, second_passes, second_failed); });
  a.join();
  b.join();
  ASSERT_TRUE(first_failed.ok()) << first_failed;
  ASSERT_TRUE(second_failed.ok()) << second_failed;
  EXPECT_EQ(first_total + second_total, kCases);
  EXPECT_GE(first_passes + second_passes, kCases / 3);
  EXPECT_EQ(*first.SweepOnce(later), 0);

  EXPECT_EQ(Count("SELECT count(*) FROM service_quality.sla_events"), 4 * kCases);
  EXPECT_EQ(Outboxed("SlaWarning"), 2 * kCases);
  EXPECT_EQ(Outboxed("SlaBreached"), 2 * kCases);
  EXPECT_EQ(Outboxed("CaseEscalated"), 2 * kCases);
  for (const auto& name : names) ExpectBreachedToManager(name);
}

}  // namespace
}  // namespace accord::quality
