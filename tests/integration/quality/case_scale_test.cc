// Cases at scale (issue 20; docs/performance.md "Lists at scale", "Service report and SLA
// sweep"): a sweep pass over many due cases records each SLA event once, in set-based
// statements that take the events already recorded into account; the open cases oldest first
// and a resource-name substring are answered from migration 0007's indexes (plans by EXPLAIN
// over a seeded table, answers over gRPC).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <pqxx/pqxx>
#include <string>
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

  std::string Plan(const std::string& where, const std::string& order) {
    pqxx::connection connection(database_.url());
    pqxx::nontransaction work(connection);
    std::string plan;
    for (const auto& row : work.exec("EXPLAIN SELECT c.id FROM service_quality.cases c WHERE " +
                                     where + " ORDER BY " + order + " LIMIT 51")) {
      plan += row[0].as<std::string>() + "\n";
    }
    return plan;
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

  // 20 000 more cases over two years, the recent tenth open, then the plans.
  {
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

}  // namespace
}  // namespace accord::quality
