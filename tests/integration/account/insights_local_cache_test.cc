// The overview's local parts kept in each replica's memory (insights_local_cache.h), with two
// account service processes on one PostgreSQL and Redis: a change made through one, or applied
// by the projection, shows in the other's overview once its announcement arrives. The entries'
// TTL is ten minutes here, so nothing in this test can turn fresh by expiring: only the
// announcements can. The hit counter shows the overview is answered from memory (otherwise the
// checks below would pass with no cache at all), and a fact written without an announcement is
// not seen until one comes.
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <pqxx/pqxx>
#include <thread>

#include "accord/account/v1/account.grpc.pb.h"
#include "accord/account/v1/insights.grpc.pb.h"
#include "accord/account/v1/team.grpc.pb.h"
#include "accord/common/ids.h"
#include "accord/common/metrics.h"
#include "accord/pricing/v1/quote.pb.h"
#include "account_service.h"
#include "insights_projection.h"
#include "support/servers.h"
#include "support/service_harness.h"

namespace accord::account {
namespace {

using common::Role;
using testing::ContextAs;

common::ServiceClientOptions Nowhere(const std::string& service) {
  common::ServiceClientOptions options;
  options.service = service;
  options.address = "127.0.0.1:" + std::to_string(testing::FreeLoopbackPort());
  return options;
}

InsightsSettings Settings() {
  InsightsSettings settings;
  settings.contact = Nowhere("contact");
  settings.pricing = Nowhere("pricing-terms");
  settings.quality = Nowhere("service-quality");
  settings.overview_deadline = std::chrono::milliseconds(300);
  settings.feeds = false;
  settings.overview_local_ttl = std::chrono::minutes(10);
  return settings;
}

// accord_overview_local_cache_total{result}: both processes of a test count into it.
double Count(const std::string& result) {
  return common::MetricsRegistry::Global()
      .GetCounter("accord_overview_local_cache_total", "", {{"result", result}})
      .value();
}
double Hits() { return Count("hit"); }

// How long an announcement may take to reach the other process here (it is milliseconds; the
// margin is for a loaded machine).
constexpr auto kBound = std::chrono::seconds(10);

class OverviewLocalCacheTest : public ::testing::Test {
 protected:
  OverviewLocalCacheTest()
      : one_(AccountServiceDefinition(Settings()), database_.url(), testing::SharedRedisUrl()),
        two_(AccountServiceDefinition(Settings()), database_.url(), testing::SharedRedisUrl()),
        accounts_(v1::AccountService::NewStub(one_.channel())),
        teams_(v1::AccountTeamService::NewStub(one_.channel())),
        insights_one_(v1::AccountInsightsService::NewStub(one_.channel())),
        insights_two_(v1::AccountInsightsService::NewStub(two_.channel())) {}

  using Stub = v1::AccountInsightsService::Stub;

  v1::Account CreateAcme() {
    v1::CreateAccountRequest create;
    create.mutable_account()->set_display_name("Acme");
    create.mutable_account()->set_type(common::v1::ORGANIZATION_TYPE_COMMERCIAL);
    v1::Account acme;
    auto status =
        accounts_->CreateAccount(ContextAs("alice", {Role::kAccountManager}).get(), create, &acme);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return acme;
  }

  grpc::Status Overview(Stub& stub, const std::string& account, v1::AccountOverview* out,
                        const std::string& subject = "alice", Role role = Role::kAccountManager) {
    v1::GetAccountOverviewRequest request;
    request.set_name(account + "/overview");
    return stub.GetAccountOverview(ContextAs(subject, {role}).get(), request, out);
  }

  v1::AccountOverview OverviewOk(Stub& stub, const std::string& account) {
    v1::AccountOverview overview;
    auto status = Overview(stub, account, &overview);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return overview;
  }

  // Calls the overview through `stub` until one call is answered from memory.
  void WarmUp(Stub& stub, const std::string& account) {
    const auto until = std::chrono::steady_clock::now() + kBound;
    while (std::chrono::steady_clock::now() < until) {
      const double before = Hits();
      OverviewOk(stub, account);
      if (Hits() > before) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    FAIL() << "the overview was never answered from memory";
  }

  // Whether `done` holds for `stub`'s overview within kBound.
  bool Eventually(Stub& stub, const std::string& account,
                  const std::function<bool(const v1::AccountOverview&)>& done) {
    const auto until = std::chrono::steady_clock::now() + kBound;
    while (std::chrono::steady_clock::now() < until) {
      if (done(OverviewOk(stub, account))) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }

  // A sale of 10.00 EUR of one SKU, applied by the projection as the pricing-terms feed applies
  // it (the announcement included).
  void ProjectSale(const std::string& account, const std::string& sale_name) {
    pricing::v1::Sale sale;
    sale.set_name(sale_name);
    sale.set_account(account);
    sale.mutable_pricing()->set_currency_code("EUR");
    sale.mutable_pricing()->mutable_total()->set_currency_code("EUR");
    sale.mutable_pricing()->mutable_total()->set_units(10);
    auto* line = sale.mutable_pricing()->add_lines();
    line->set_index(1);
    line->set_sku("SKU-1");
    line->set_quantity(1);
    common::v1::EventEnvelope event;
    event.set_id(common::NewUuidV7());
    event.set_type("accord.pricing.v1.SaleRecorded");
    event.set_subject(sale_name);
    event.set_aggregate_version(1);
    event.mutable_payload()->PackFrom(sale);
    auto applied = one_.runtime().pg().Transact([&](common::WriteTransaction& transaction) {
      return ApplyInsightEvent(transaction, event);
    });
    ASSERT_TRUE(applied.ok()) << applied.ToString();
  }

  void Sql(const std::string& statement) {
    pqxx::connection connection(database_.url());
    pqxx::work work(connection);
    work.exec(statement);
    work.commit();
  }

  testing::TestDatabase database_;
  testing::ServiceHarness one_;
  testing::ServiceHarness two_;
  std::unique_ptr<v1::AccountService::Stub> accounts_;
  std::unique_ptr<v1::AccountTeamService::Stub> teams_;
  std::unique_ptr<Stub> insights_one_;
  std::unique_ptr<Stub> insights_two_;
};

TEST_F(OverviewLocalCacheTest, AChangeThroughOneProcessShowsInTheOtherOnceAnnounced) {
  const v1::Account acme = CreateAcme();
  const std::string id = acme.name().substr(sizeof("accounts/") - 1);
  WarmUp(*insights_one_, acme.name());
  WarmUp(*insights_two_, acme.name());
  EXPECT_EQ(OverviewOk(*insights_two_, acme.name()).recent_sales_size(), 0);

  // A fact from the projection (the feeds of either process): both show it.
  ProjectSale(acme.name(), "sales/one");
  for (Stub* stub : {insights_one_.get(), insights_two_.get()}) {
    EXPECT_TRUE(Eventually(*stub, acme.name(), [](const v1::AccountOverview& o) {
      return o.recent_sales_size() == 1 && o.recent_sales(0).sale() == "sales/one";
    }));
  }

  // The account changed through process one: process two shows the new name.
  v1::UpdateAccountRequest update;
  update.mutable_account()->set_name(acme.name());
  update.mutable_account()->set_display_name("Acme Wholesale");
  update.mutable_update_mask()->add_paths("display_name");
  update.set_etag(acme.etag());
  v1::Account updated;
  ASSERT_TRUE(
      accounts_->UpdateAccount(ContextAs("alice", {Role::kAccountManager}).get(), update, &updated)
          .ok());
  EXPECT_TRUE(Eventually(*insights_two_, acme.name(), [](const v1::AccountOverview& o) {
    return o.account().display_name() == "Acme Wholesale";
  }));

  // Bob, not on the team, is refused by process two (and that read is kept); added to the team
  // through process one, he is let in by process two.
  v1::AccountOverview refused;
  EXPECT_EQ(Overview(*insights_two_, acme.name(), &refused, "bob").error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Overview(*insights_two_, acme.name(), &refused, "bob").error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  v1::CreateTeamMemberRequest member;
  member.set_parent(acme.name());
  member.mutable_team_member()->set_member("bob");
  member.mutable_team_member()->set_role(v1::TEAM_ROLE_SALES);
  v1::TeamMember added;
  ASSERT_TRUE(
      teams_->CreateTeamMember(ContextAs("alice", {Role::kAccountManager}).get(), member, &added)
          .ok());
  bool let_in = false;
  const auto until = std::chrono::steady_clock::now() + kBound;
  while (!let_in && std::chrono::steady_clock::now() < until) {
    v1::AccountOverview overview;
    let_in = Overview(*insights_two_, acme.name(), &overview, "bob").ok();
    if (!let_in) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(let_in);

  // The memory answers: a sale written straight into the table, announced to nobody, is not
  // seen by process two (ten minutes' TTL) ...
  WarmUp(*insights_two_, acme.name());
  Sql("INSERT INTO account.insight_sales (sale, account_id, sale_time, currency_code, "
      "total_micros, version) VALUES ('sales/quiet', '" +
      id + "', now(), 'EUR', 5000000, 1)");
  const double before = Hits();
  EXPECT_EQ(OverviewOk(*insights_two_, acme.name()).recent_sales_size(), 1);
  EXPECT_GT(Hits(), before);
  // ... until its announcement arrives (what the projection sends in its COMMIT).
  Sql("SELECT pg_notify('account_overview_local', 'f " + id + "')");
  EXPECT_TRUE(Eventually(*insights_two_, acme.name(),
                         [](const v1::AccountOverview& o) { return o.recent_sales_size() == 2; }));
  // A rebuild's announcement empties every process's memory.
  Sql("DELETE FROM account.insight_sales WHERE sale = 'sales/quiet'");
  Sql("SELECT pg_notify('account_overview_local', '*')");
  for (Stub* stub : {insights_one_.get(), insights_two_.get()}) {
    EXPECT_TRUE(Eventually(*stub, acme.name(), [](const v1::AccountOverview& o) {
      return o.recent_sales_size() == 1;
    }));
  }
}

// The listening connection lost: nothing is answered from memory until it is back and the
// memory emptied (a notice sent meanwhile is lost with it).
TEST_F(OverviewLocalCacheTest, ALostListeningConnectionEmptiesTheMemoryBeforeItIsUsedAgain) {
  const v1::Account acme = CreateAcme();
  const std::string id = acme.name().substr(sizeof("accounts/") - 1);
  WarmUp(*insights_two_, acme.name());
  // Every listening session is ended; once the loss is seen the memory is not used (the
  // overview reads PostgreSQL), and a sale is written meanwhile without an announcement (as if
  // its notice was sent while the connection was down).
  Sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() "
      "AND application_name = 'accord-overview-notices'");
  const double unfollowed = Count("unfollowed");
  const auto until = std::chrono::steady_clock::now() + kBound;
  while (Count("unfollowed") == unfollowed && std::chrono::steady_clock::now() < until) {
    OverviewOk(*insights_two_, acme.name());
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_GT(Count("unfollowed"), unfollowed) << "the lost connection was never noticed";
  Sql("INSERT INTO account.insight_sales (sale, account_id, sale_time, currency_code, "
      "total_micros, version) VALUES ('sales/while-away', '" +
      id + "', now(), 'EUR', 5000000, 1)");
  // Back and used again: what it kept before the loss was dropped, so the sale shows.
  WarmUp(*insights_two_, acme.name());
  EXPECT_EQ(OverviewOk(*insights_two_, acme.name()).recent_sales_size(), 1);
}

}  // namespace
}  // namespace accord::account
