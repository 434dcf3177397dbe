// GetAccountOverview's local parts come from one statement (insights_sql.h kInsightOverview). They
// must be what the separate calls answer: the account as GetAccount, the insights as
// GetAccountInsights by default, the recommendations as the first page of
// ListAccountRecommendations; the recent sales are the newest five the insights learned. Facts of
// every kind are written straight into the insights' tables (what the peer feeds write), with a
// merged duplicate, a sale in another currency, needs quiet and not, other accounts' baskets and
// a team. Peers are unreachable here: only the local parts are compared. And one snapshot: while
// sales are written, every overview's recent sales agree with the orders its insights count.
// Each test runs twice: reading the statement on every call, and with the parts kept in memory
// between calls (insights_local_cache.h; the writes here then announce themselves as the
// projection does, and the memory must answer the same).
#include <gmock/gmock.h>
#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <ctime>
#include <pqxx/pqxx>
#include <thread>

#include "accord/account/v1/account.grpc.pb.h"
#include "accord/account/v1/insights.grpc.pb.h"
#include "accord/account/v1/need.grpc.pb.h"
#include "accord/account/v1/team.grpc.pb.h"
#include "accord/common/ids.h"
#include "account_service.h"
#include "support/servers.h"
#include "support/service_harness.h"

namespace accord::account {
namespace {

using common::Role;
using google::protobuf::util::MessageDifferencer;
using testing::ContextAs;

auto Alice() { return ContextAs("alice", {Role::kAccountManager}); }

common::ServiceClientOptions Nowhere(const std::string& service) {
  common::ServiceClientOptions options;
  options.service = service;
  options.address = "127.0.0.1:" + std::to_string(testing::FreeLoopbackPort());
  return options;
}

class OverviewLocalPartsTest : public ::testing::TestWithParam<bool> {
 protected:
  OverviewLocalPartsTest()
      : account_(AccountServiceDefinition(Settings(GetParam())), database_.url(),
                 testing::SharedRedisUrl()),
        accounts_(v1::AccountService::NewStub(account_.channel())),
        insights_(v1::AccountInsightsService::NewStub(account_.channel())),
        needs_(v1::AccountNeedService::NewStub(account_.channel())),
        teams_(v1::AccountTeamService::NewStub(account_.channel())) {}

  static InsightsSettings Settings(bool kept_in_memory) {
    InsightsSettings settings;
    // Long enough that only the announcements can make a kept part fresh in these tests.
    settings.overview_local_ttl =
        kept_in_memory ? std::chrono::minutes(10) : std::chrono::milliseconds(0);
    settings.currency = "EUR";
    settings.contact = Nowhere("contact");
    settings.pricing = Nowhere("pricing-terms");
    settings.quality = Nowhere("service-quality");
    settings.overview_deadline = std::chrono::milliseconds(500);
    settings.feeds = false;
    return settings;
  }

  v1::Account CreateAccount(const std::string& display_name, const std::string& erp_id = "") {
    v1::CreateAccountRequest request;
    request.mutable_account()->set_display_name(display_name);
    request.mutable_account()->set_type(common::v1::ORGANIZATION_TYPE_COMMERCIAL);
    request.mutable_account()->add_labels("key");
    if (!erp_id.empty()) (*request.mutable_account()->mutable_external_ids())["erp"] = erp_id;
    v1::Account account;
    auto status = accounts_->CreateAccount(Alice().get(), request, &account);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return account;
  }

  static std::string Id(const std::string& name) { return name.substr(sizeof("accounts/") - 1); }

  void Sql(const std::string& statement) {
    pqxx::connection connection(database_.url());
    pqxx::work work(connection);
    work.exec(statement);
    work.commit();
  }

  // A sale `days` ago with one line per SKU, 10.00 each.
  static std::string SaleSql(const std::string& sale, const std::string& account_id, int days,
                             const std::string& currency, const std::vector<std::string>& skus) {
    std::string out =
        "INSERT INTO account.insight_sales (sale, account_id, sale_time, "
        "currency_code, total_micros, version) VALUES ('" +
        sale + "', '" + account_id + "', now() - interval '" + std::to_string(days) + " days', '" +
        currency + "', " + std::to_string(10'000'000 * skus.size()) + ", 1);";
    for (size_t i = 0; i < skus.size(); ++i) {
      out +=
          "INSERT INTO account.insight_sale_lines (sale, line, sku, quantity, total_micros) "
          "VALUES ('" +
          sale + "', " + std::to_string(i + 1) + ", '" + skus[i] + "', 1, 10000000);";
    }
    return out;
  }

  // The facts of every kind: monthly orders of A for a year that stop four months ago (a
  // dormant repeat customer with a forecast), the merged duplicate's sales and case, a sale in
  // USD (excluded), cases open and resolved, breaches, surveys with CSAT or NPS missing,
  // interactions of each sort; other accounts bought A with C (a product recommendation).
  void WriteFacts(const std::string& acme, const std::string& duplicate,
                  const std::vector<std::string>& others) {
    std::string sql;
    for (int month = 4; month < 16; ++month) {
      sql += SaleSql(
          "sales/acme-" + std::to_string(month), acme, month * 30 + 3, "EUR",
          month % 3 == 0 ? std::vector<std::string>{"A", "B"} : std::vector<std::string>{"A"});
    }
    sql += SaleSql("sales/dup-1", duplicate, 200, "EUR", {"B"});
    sql += SaleSql("sales/dup-2", duplicate, 140, "EUR", {"A", "B", "B"});
    sql += SaleSql("sales/acme-usd", acme, 130, "USD", {"A"});
    for (size_t i = 0; i < others.size(); ++i) {
      sql += SaleSql("sales/other-" + std::to_string(i), others[i], 20 + static_cast<int>(i), "EUR",
                     {"A", "C"});
    }
    sql +=
        "INSERT INTO account.insight_cases (case_name, account_id, complaint, status, open_time, "
        "resolve_time, version) VALUES "
        "('cases/1', '" +
        acme + "', true, 2, now() - interval '10 days', NULL, 1), ('cases/2', '" + acme +
        "', false, 6, now() - interval '70 days', now() - interval '65 days', 1), ('cases/3', '" +
        duplicate +
        "', true, 7, now() - interval '100 days', now() - interval '90 days', 2);"
        "INSERT INTO account.insight_sla_breaches (event_id, case_name, account_id, breach_time) "
        "VALUES ('e1', 'cases/1', '" +
        acme + "', now() - interval '5 days'), ('e2', 'cases/3', '" + duplicate +
        "', now() - interval '95 days');"
        "INSERT INTO account.insight_surveys (survey, account_id, csat, nps, answer_time, "
        "version) VALUES ('surveys/1', '" +
        acme + "', 4, 9, now() - interval '60 days', 1), ('surveys/2', '" + acme +
        "', NULL, 3, now() - interval '20 days', 1), ('surveys/3', '" + duplicate +
        "', 2, NULL, now() - interval '120 days', 1);"
        "INSERT INTO account.insight_interactions (interaction, account_id, owner, channel, "
        "outcome, interaction_time) VALUES ('i/1', '" +
        acme + "', 'alice', 1, 5, now() - interval '50 days'), ('i/2', '" + acme +
        "', 'alice', 3, 1, now() - interval '45 days'), ('i/3', '" + duplicate +
        "', 'bob', 2, 2, now() - interval '150 days');";
    Sql(sql);
  }

  v1::Need CreateNeed(const std::string& account, const std::string& title, v1::NeedStatus status) {
    v1::CreateNeedRequest request;
    request.set_parent(account);
    request.mutable_need()->set_title(title);
    request.mutable_need()->set_status(status);
    v1::Need need;
    auto result = needs_->CreateNeed(Alice().get(), request, &need);
    EXPECT_TRUE(result.ok()) << result.error_message();
    return need;
  }

  void AddToTeam(const std::string& account, const std::string& member,
                 const std::string& start_date = "") {
    v1::CreateTeamMemberRequest request;
    request.set_parent(account);
    request.mutable_team_member()->set_member(member);
    request.mutable_team_member()->set_role(v1::TEAM_ROLE_SALES);
    request.mutable_team_member()->set_start_date(start_date);
    v1::TeamMember created;
    auto status = teams_->CreateTeamMember(Alice().get(), request, &created);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }

  grpc::Status Overview(const std::string& account, const std::string& subject, Role role,
                        v1::AccountOverview* out) {
    v1::GetAccountOverviewRequest request;
    request.set_name(account + "/overview");
    return insights_->GetAccountOverview(ContextAs(subject, {role}).get(), request, out);
  }

  // The overview's local parts against the separate calls, as `subject`. The figures depend on
  // the clock's second (compute_time, days since): the calls are made again until all of them
  // ran within one second of the clock (they all read the same clock, between `before` and
  // `after`).
  void ExpectSameAsSeparateCalls(const std::string& account, const std::string& subject,
                                 Role role) {
    for (int attempt = 0;; ++attempt) {
      const std::time_t before = std::time(nullptr);
      v1::AccountOverview overview;
      auto status = Overview(account, subject, role, &overview);
      ASSERT_TRUE(status.ok()) << status.error_message();
      v1::GetAccountInsightsRequest insights_request;
      insights_request.set_name(account + "/insights");
      v1::AccountInsights insights;
      status = insights_->GetAccountInsights(ContextAs(subject, {role}).get(), insights_request,
                                             &insights);
      ASSERT_TRUE(status.ok()) << status.error_message();
      v1::ListAccountRecommendationsRequest recommend;
      recommend.set_parent(account);
      recommend.set_page_size(5);
      v1::ListAccountRecommendationsResponse recommendations;
      status = insights_->ListAccountRecommendations(ContextAs(subject, {role}).get(), recommend,
                                                     &recommendations);
      ASSERT_TRUE(status.ok()) << status.error_message();
      if (std::time(nullptr) != before && attempt < 10) continue;

      ASSERT_EQ(insights.compute_time().seconds(), overview.insights().compute_time().seconds());
      EXPECT_TRUE(MessageDifferencer::Equals(overview.insights(), insights))
          << overview.insights().ShortDebugString() << "\n"
          << insights.ShortDebugString();
      ASSERT_EQ(overview.recommendations_size(), recommendations.recommendations_size());
      for (int i = 0; i < overview.recommendations_size(); ++i) {
        EXPECT_TRUE(MessageDifferencer::Equals(overview.recommendations(i),
                                               recommendations.recommendations(i)))
            << overview.recommendations(i).ShortDebugString() << "\n"
            << recommendations.recommendations(i).ShortDebugString();
      }

      v1::GetAccountRequest get;
      get.set_name(account);
      v1::Account stored;
      ASSERT_TRUE(accounts_->GetAccount(ContextAs(subject, {role}).get(), get, &stored).ok());
      EXPECT_TRUE(MessageDifferencer::Equals(overview.account(), stored))
          << overview.account().ShortDebugString() << "\n"
          << stored.ShortDebugString();
      return;
    }
  }

  testing::TestDatabase database_;
  testing::ServiceHarness account_;
  std::unique_ptr<v1::AccountService::Stub> accounts_;
  std::unique_ptr<v1::AccountInsightsService::Stub> insights_;
  std::unique_ptr<v1::AccountNeedService::Stub> needs_;
  std::unique_ptr<v1::AccountTeamService::Stub> teams_;
};

TEST_P(OverviewLocalPartsTest, LocalPartsAreWhatTheSeparateCallsAnswer) {
  const v1::Account acme = CreateAccount("Acme", "E-1");
  const v1::Account duplicate = CreateAccount("Acme Duplicate");
  std::vector<v1::Account> others;
  std::vector<std::string> other_ids;
  for (const char* name : {"Other", "Third", "Fourth"}) {
    others.push_back(CreateAccount(name));
    other_ids.push_back(Id(others.back().name()));
  }
  WriteFacts(Id(acme.name()), Id(duplicate.name()), other_ids);

  // An account with no facts of its own: empty figures and sales, only what others bought.
  ExpectSameAsSeparateCalls(CreateAccount("Empty").name(), "alice", Role::kAccountManager);

  // The duplicate merged into Acme: its facts roll into Acme's.
  v1::MergeAccountsRequest merge;
  merge.set_survivor(acme.name());
  merge.set_survivor_etag(acme.etag());
  merge.set_duplicate(duplicate.name());
  merge.set_duplicate_etag(duplicate.etag());
  v1::MergeAccountsResponse merged;
  auto status = accounts_->MergeAccounts(ContextAs("root", {Role::kAdmin}).get(), merge, &merged);
  ASSERT_TRUE(status.ok()) << status.error_message();

  // Needs: one quiet for 40 days (recommended), one planned and fresh, one met, one deleted.
  const v1::Need quiet = CreateNeed(acme.name(), "Forklift \"XL\" fleet", v1::NEED_STATUS_OPEN);
  CreateNeed(acme.name(), "Spare parts", v1::NEED_STATUS_PLANNED);
  const v1::Need met = CreateNeed(acme.name(), "Gloves", v1::NEED_STATUS_MET);
  const v1::Need gone = CreateNeed(acme.name(), "Boxes", v1::NEED_STATUS_OPEN);
  auto need_id = [](const v1::Need& need) {
    return need.name().substr(need.name().rfind('/') + 1);
  };
  Sql("UPDATE account.needs SET update_time = now() - interval '40 days' WHERE id IN ('" +
      need_id(quiet) + "', '" + need_id(met) + "', '" + need_id(gone) + "')");
  Sql("UPDATE account.needs SET delete_time = now() WHERE id = '" + need_id(gone) + "'");
  AddToTeam(acme.name(), "bob");
  AddToTeam(acme.name(), "carl", "2999-01-01");

  v1::AccountOverview overview;
  ASSERT_TRUE(Overview(acme.name(), "alice", Role::kAccountManager, &overview).ok());
  // What the facts make: the merged sales counted, the USD one excluded, and each kind of
  // recommendation present (so the comparison below covers them).
  EXPECT_EQ(overview.insights().excluded_sales(), 1);
  EXPECT_TRUE(overview.insights().forecast().sufficient_history())
      << overview.insights().forecast().ShortDebugString();
  std::set<v1::RecommendationKind> kinds;
  for (const auto& r : overview.recommendations()) kinds.insert(r.kind());
  EXPECT_THAT(kinds, ::testing::UnorderedElementsAre(v1::RECOMMENDATION_KIND_DORMANT_CUSTOMER,
                                                     v1::RECOMMENDATION_KIND_QUIET_NEED,
                                                     v1::RECOMMENDATION_KIND_PRODUCT));
  for (const auto& r : overview.recommendations()) {
    if (r.kind() == v1::RECOMMENDATION_KIND_QUIET_NEED) EXPECT_EQ(r.need(), quiet.name());
    EXPECT_NE(r.need(), met.name());
  }
  // The five newest sales, newest first, of every currency, with their line counts; the merged
  // duplicate's are not the survivor's own.
  std::vector<std::string> recent;
  for (const auto& sale : overview.recent_sales()) {
    recent.push_back(sale.sale() + " " + sale.total().currency_code() + " " +
                     std::to_string(sale.total().units()) + " " + std::to_string(sale.lines()));
  }
  EXPECT_THAT(recent, ::testing::ElementsAre("sales/acme-4 EUR 10 1", "sales/acme-usd USD 10 1",
                                             "sales/acme-5 EUR 10 1", "sales/acme-6 EUR 20 2",
                                             "sales/acme-7 EUR 10 1"));
  ASSERT_EQ(overview.recent_sales_size(), 5);
  EXPECT_GT(overview.recent_sales(0).create_time().seconds(),
            overview.recent_sales(1).create_time().seconds());

  ExpectSameAsSeparateCalls(acme.name(), "alice", Role::kAccountManager);
  ExpectSameAsSeparateCalls(acme.name(), "bob", Role::kAccountManager);  // on the team
  ExpectSameAsSeparateCalls(acme.name(), "root", Role::kAdmin);

  // Refused as the separate calls refuse: not the owner and not (yet) on the team; a merged,
  // deleted or unknown account is not found.
  for (const char* subject : {"carl", "dave"}) {
    EXPECT_EQ(Overview(acme.name(), subject, Role::kAccountManager, &overview).error_code(),
              grpc::StatusCode::PERMISSION_DENIED)
        << subject;
  }
  EXPECT_EQ(Overview(acme.name(), "sam", Role::kSalesAssistant, &overview).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Overview(duplicate.name(), "root", Role::kAdmin, &overview).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(
      Overview("accounts/" + common::NewUuidV7(), "root", Role::kAdmin, &overview).error_code(),
      grpc::StatusCode::NOT_FOUND);
  v1::DeleteAccountRequest remove;
  remove.set_name(others[0].name());
  remove.set_etag(others[0].etag());
  v1::Account removed;
  ASSERT_TRUE(
      accounts_->DeleteAccount(ContextAs("root", {Role::kAdmin}).get(), remove, &removed).ok());
  EXPECT_EQ(Overview(remove.name(), "root", Role::kAdmin, &overview).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

// One statement is one snapshot: while sales (each with its lines, in one transaction) are
// written, every overview's recent sales are the newest of the very sales its insights count.
TEST_P(OverviewLocalPartsTest, RecentSalesAndInsightsAreOneSnapshotUnderConcurrentWrites) {
  const std::string acme = CreateAccount("Acme").name();
  constexpr int kSales = 40;
  std::atomic<int> written{0};
  std::thread writer([&] {
    pqxx::connection connection(database_.url());
    for (int i = 0; i < kSales; ++i) {
      pqxx::work work(connection);
      // Each sale at its transaction's start, so in the current month: this month's orders.
      work.exec(SaleSql("sales/s" + std::to_string(1000 + i), Id(acme), 0, "EUR", {"A", "B"}));
      // What the projection sends with each sale it writes (delivered at the commit).
      work.exec("SELECT pg_notify('account_overview_local', 's " + Id(acme) + "')");
      work.commit();
      written.fetch_add(1);
    }
  });
  int overviews = 0;
  int last_orders = 0;
  while (written.load() < kSales || overviews < 3) {
    v1::AccountOverview overview;
    auto status = Overview(acme, "alice", Role::kAccountManager, &overview);
    ASSERT_TRUE(status.ok()) << status.error_message();
    ++overviews;
    const auto& months = overview.insights().months();
    ASSERT_EQ(months.size(), 12);
    const int orders = static_cast<int>(months[months.size() - 1].orders());
    EXPECT_GE(orders, last_orders);  // snapshots only move forward
    last_orders = orders;
    EXPECT_EQ(overview.recent_sales_size(), std::min(orders, 5)) << overview.ShortDebugString();
    for (const auto& sale : overview.recent_sales()) EXPECT_EQ(sale.lines(), 2);
  }
  writer.join();
  // The last sale's announcement may still be on its way to the memory.
  v1::AccountOverview last;
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  do {
    ASSERT_TRUE(Overview(acme, "alice", Role::kAccountManager, &last).ok());
  } while (last.insights().months(11).orders() != kSales &&
           std::chrono::steady_clock::now() < until);
  EXPECT_EQ(last.insights().months(11).orders(), kSales);
}

INSTANTIATE_TEST_SUITE_P(ReadOrKept, OverviewLocalPartsTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "KeptInMemory" : "ReadEveryCall";
                         });

}  // namespace
}  // namespace accord::account
