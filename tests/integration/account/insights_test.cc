// Account insights end to end: the account service beside real contact, pricing-terms and
// service-quality services (in-process, one fresh database, a private Redis). Sales, cases,
// surveys and interactions made through those services' APIs reach the insights through the
// peer feeds exactly once, Redis losing its data in between loses nothing, a rebuild gives the
// same figures, and the overview names what a stopped service could not give.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <pqxx/pqxx>
#include <thread>

#include "accord/account/v1/account.grpc.pb.h"
#include "accord/account/v1/insights.grpc.pb.h"
#include "accord/common/money.h"
#include "accord/common/redis.h"
#include "accord/contact/v1/account_relation.grpc.pb.h"
#include "accord/contact/v1/contact.grpc.pb.h"
#include "accord/contact/v1/engagement.grpc.pb.h"
#include "accord/pricing/v1/price_list.grpc.pb.h"
#include "accord/pricing/v1/quote.grpc.pb.h"
#include "accord/quality/v1/case.grpc.pb.h"
#include "accord/quality/v1/survey.grpc.pb.h"
#include "account_service.h"
#include "contact_service.h"
#include "contact_settings.h"
#include "insights_logic.h"
#include "insights_overview_cache.h"
#include "pricing_service.h"
#include "quality_service.h"
#include "support/servers.h"
#include "support/service_harness.h"

namespace accord::account {
namespace {

using common::Role;
using testing::ContextAs;
using ::testing::ElementsAre;
using ::testing::UnorderedElementsAre;

auto Admin() { return ContextAs("root", {Role::kAdmin}); }
auto Alice() { return ContextAs("alice", {Role::kAccountManager}); }
auto Sales() { return ContextAs("sam", {Role::kSalesAssistant}); }
auto Agent() { return ContextAs("ann", {Role::kServiceAgent}); }

common::ServiceSettings On(const common::ServiceDefinition& definition, const std::string& pg,
                           const std::string& redis, int port = 0) {
  common::ServiceSettings settings = testing::TestSettings(definition, pg, redis);
  settings.grpc_address = "127.0.0.1:" + std::to_string(port);
  return settings;
}

common::ServiceClientOptions Peer(const std::string& service, int port) {
  common::ServiceClientOptions options;
  options.service = service;
  options.address = "127.0.0.1:" + std::to_string(port);
  options.deadline = std::chrono::milliseconds(2000);
  options.service_token = testing::TokenFor("insights-sync", {Role::kIntegration});
  return options;
}

contact::ContactSettings ContactPeerSettings(int account_port) {
  contact::ContactSettings settings;
  settings.keys = *contact::ParsePiiKeys("test-k1:dGVzdC1waWkta2V5LTMyLWJ5dGVzLWxvbmctLS0tLS0=",
                                         "dGVzdC1ibGluZC1pbmRleC1rZXktMzItYnl0ZXMtLS0=");
  settings.default_region = "GB";
  settings.account = Peer("account", account_port);
  return settings;
}

// Pricing-terms checks the accounts its sales name with the account service.
pricing::PricingSettings PricingPeerSettings(int account_port) {
  pricing::PricingSettings settings;
  settings.account = Peer("account", account_port);
  settings.access_cache_ttl = std::chrono::milliseconds(0);
  return settings;
}

// Service-quality checks a case's account and contact with their services.
quality::QualityOptions QualityPeerOptions(int account_port, int contact_port) {
  quality::QualityOptions options = quality::QualityOptions::Defaults();
  options.directory.account = Peer("account", account_port);
  options.directory.contact = Peer("contact", contact_port);
  options.directory.managed_ttl = std::chrono::milliseconds(0);
  options.sweep_interval = std::chrono::milliseconds(0);
  return options;
}

class InsightsTest : public ::testing::Test {
 protected:
  InsightsTest()
      : account_port_(testing::FreeLoopbackPort()),
        contact_(contact::ContactServiceDefinition(ContactPeerSettings(account_port_)),
                 On(contact::ContactServiceDefinition(ContactPeerSettings(account_port_)),
                    database_.url(), redis_.url())),
        pricing_(pricing::PricingTermsServiceDefinition(PricingPeerSettings(account_port_)),
                 On(pricing::PricingTermsServiceDefinition(PricingPeerSettings(account_port_)),
                    database_.url(), redis_.url())),
        quality_(
            quality::QualityServiceDefinition(QualityPeerOptions(account_port_, contact_.port())),
            On(quality::QualityServiceDefinition(
                   QualityPeerOptions(account_port_, contact_.port())),
               database_.url(), redis_.url())),
        account_(
            AccountServiceDefinition(Insights()),
            On(AccountServiceDefinition(Insights()), database_.url(), redis_.url(), account_port_)),
        accounts_(v1::AccountService::NewStub(account_.channel())),
        insights_(v1::AccountInsightsService::NewStub(account_.channel())),
        contacts_(contact::v1::ContactService::NewStub(contact_.channel())),
        engagement_(contact::v1::ContactEngagementService::NewStub(contact_.channel())),
        lists_(pricing::v1::PriceListService::NewStub(pricing_.channel())),
        quotes_(pricing::v1::QuoteService::NewStub(pricing_.channel())),
        cases_(quality::v1::CaseService::NewStub(quality_.channel())),
        surveys_(quality::v1::SurveyService::NewStub(quality_.channel())) {}

  InsightsSettings Insights() const {
    InsightsSettings settings;
    settings.currency = "EUR";
    settings.contact = Peer("contact", contact_.port());
    settings.pricing = Peer("pricing-terms", pricing_.port());
    settings.quality = Peer("service-quality", quality_.port());
    settings.overview_deadline = std::chrono::milliseconds(1500);
    settings.feeds = true;
    return settings;
  }

  // The peers start before the account service they check accounts with (each needs the
  // other's port), so their first calls to it may find its channel still backing off from the
  // refused connections of start-up: UNAVAILABLE, "try again", nothing written. Tried again for
  // a few seconds, as the message asks.
  template <typename Call>
  static grpc::Status UntilReachable(Call call) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    grpc::Status status = call();
    while (status.error_code() == grpc::StatusCode::UNAVAILABLE &&
           std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      status = call();
    }
    return status;
  }

  std::string CreateAccount(const std::string& display_name) {
    v1::CreateAccountRequest request;
    request.mutable_account()->set_display_name(display_name);
    request.mutable_account()->set_type(common::v1::ORGANIZATION_TYPE_COMMERCIAL);
    v1::Account account;
    auto status = accounts_->CreateAccount(Alice().get(), request, &account);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return account.name();
  }

  // An active EUR price list with SKUs A (10.00), B (25.50) and C (4.00).
  std::string PriceList() {
    pricing::v1::CreatePriceListRequest create;
    create.mutable_price_list()->set_display_name("Base");
    create.mutable_price_list()->set_currency_code("EUR");
    auto* from = create.mutable_price_list()->mutable_valid_from();
    from->set_year(2026);
    from->set_month(1);
    from->set_day(1);
    pricing::v1::PriceList list;
    auto pricing_manager = ContextAs("pia", {Role::kPricingManager});
    EXPECT_TRUE(lists_->CreatePriceList(pricing_manager.get(), create, &list).ok());
    pricing::v1::UpdatePriceListRequest activate;
    activate.mutable_price_list()->set_name(list.name());
    activate.mutable_price_list()->set_status(pricing::v1::PRICE_LIST_STATUS_ACTIVE);
    activate.mutable_update_mask()->add_paths("status");
    activate.set_etag(list.etag());
    EXPECT_TRUE(
        lists_->UpdatePriceList(ContextAs("pia", {Role::kPricingManager}).get(), activate, &list)
            .ok());
    pricing::v1::BatchUpsertPriceListItemsRequest items;
    items.set_parent(list.name());
    for (auto [sku, units, cents] : {std::tuple{"A", 10, 0}, {"B", 25, 50}, {"C", 4, 0}}) {
      auto* item = items.add_items();
      item->set_sku(sku);
      item->set_product_name(std::string("Product ") + sku);
      item->set_category("tools");
      item->set_unit("each");
      *item->mutable_unit_price() = common::MakeMoney("EUR", units, cents * 10'000'000);
    }
    pricing::v1::BatchUpsertPriceListItemsResponse upserted;
    auto status = lists_->BatchUpsertPriceListItems(
        ContextAs("erp-sync", {Role::kIntegration}).get(), items, &upserted);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return list.name();
  }

  pricing::v1::Sale Sell(const std::string& account,
                         std::vector<std::pair<std::string, int>> lines) {
    pricing::v1::CreateSaleRequest request;
    request.mutable_sale()->set_account(account);
    request.mutable_sale()->set_payment_method(pricing::v1::PAYMENT_METHOD_INVOICE);
    request.mutable_sale()->mutable_delivery()->set_method(pricing::v1::DELIVERY_METHOD_SHIP);
    request.set_price_list(list_);
    for (const auto& [sku, quantity] : lines) {
      auto* line = request.add_lines();
      line->set_sku(sku);
      line->set_quantity(quantity);
    }
    pricing::v1::Sale sale;
    auto status =
        UntilReachable([&] { return quotes_->CreateSale(Sales().get(), request, &sale); });
    EXPECT_TRUE(status.ok()) << status.error_message();
    return sale;
  }

  quality::v1::Case OpenCase(const std::string& account, quality::v1::CaseKind kind) {
    quality::v1::CreateCaseRequest request;
    auto* c = request.mutable_case_();
    c->set_account(account);
    c->set_channel(common::v1::COMMUNICATION_CHANNEL_EMAIL);
    c->set_kind(kind);
    c->set_category(quality::v1::CASE_CATEGORY_DAMAGED_GOODS);
    c->set_description("Pallet arrived crushed");
    c->set_impact(quality::v1::LEVEL_MEDIUM);
    c->set_urgency(quality::v1::LEVEL_MEDIUM);
    c->set_assignee("ann");
    quality::v1::Case created;
    auto status =
        UntilReachable([&] { return cases_->CreateCase(Agent().get(), request, &created); });
    EXPECT_TRUE(status.ok()) << status.error_message();
    return created;
  }

  // Works the case, resolves it and answers the survey that follows.
  void ResolveAndSurvey(quality::v1::Case c, int csat, int nps) {
    quality::v1::TransitionCaseRequest move;
    move.set_name(c.name());
    move.set_status(quality::v1::CASE_STATUS_IN_PROGRESS);
    move.set_reason("on it");
    move.set_etag(c.etag());
    ASSERT_TRUE(cases_->TransitionCase(Agent().get(), move, &c).ok());
    quality::v1::ResolveCaseRequest resolve;
    resolve.set_name(c.name());
    resolve.set_etag(c.etag());
    resolve.mutable_resolution()->set_summary("Sent a replacement");
    resolve.mutable_resolution()->set_code(quality::v1::RESOLUTION_CODE_REPLACED);
    ASSERT_TRUE(cases_->ResolveCase(Agent().get(), resolve, &c).ok());
    quality::v1::ListSurveysRequest list;
    list.set_filter("case = \"" + c.name() + "\"");
    quality::v1::ListSurveysResponse surveys;
    ASSERT_TRUE(
        surveys_->ListSurveys(ContextAs("sue", {Role::kServiceSupervisor}).get(), list, &surveys)
            .ok());
    ASSERT_EQ(surveys.surveys_size(), 1);
    quality::v1::AnswerSurveyRequest answer;
    answer.set_name(surveys.surveys(0).name());
    answer.set_csat(csat);
    answer.set_nps(nps);
    quality::v1::Survey answered;
    auto status = surveys_->AnswerSurvey(Agent().get(), answer, &answered);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }

  void Call(const std::string& account) {
    contact::v1::CreateContactRequest create;
    create.mutable_contact()->set_given_name("Jo");
    create.mutable_contact()->set_family_name("Buyer");
    contact::v1::Contact person;
    auto status = contacts_->CreateContact(Admin().get(), create, &person);
    ASSERT_TRUE(status.ok()) << status.error_message();
    contact::v1::CreateInteractionRequest request;
    request.set_parent(person.name());
    auto* interaction = request.mutable_interaction();
    interaction->set_channel(contact::v1::INTERACTION_CHANNEL_OUTBOUND_CALL);
    interaction->set_outcome(contact::v1::INTERACTION_OUTCOME_SALE);
    interaction->set_account(account);
    interaction->set_owner("alice");
    contact::v1::Interaction logged;
    status = engagement_->CreateInteraction(Admin().get(), request, &logged);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }

  grpc::Status GetInsights(const std::string& account, v1::AccountInsights* out,
                           bool descendants = false) {
    v1::GetAccountInsightsRequest request;
    request.set_name(account + "/insights");
    request.set_months(3);
    request.set_include_descendants(descendants);
    return insights_->GetAccountInsights(Alice().get(), request, out);
  }

  // The current month's figures once `done` holds for them (or after 30 s, as they are).
  v1::MonthlyActivity WaitForMonth(const std::string& account,
                                   const std::function<bool(const v1::MonthlyActivity&)>& done) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    v1::MonthlyActivity month;
    while (true) {
      v1::AccountInsights insights;
      auto status = GetInsights(account, &insights);
      EXPECT_TRUE(status.ok()) << status.error_message();
      if (status.ok() && insights.months_size() > 0)
        month = insights.months(insights.months_size() - 1);
      if (done(month) || std::chrono::steady_clock::now() > until) return month;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }

  // Every fact row, as Postgres prints it, in a stable order.
  std::vector<std::string> Facts() {
    pqxx::connection connection(database_.url());
    pqxx::work work(connection);
    std::vector<std::string> rows;
    for (const char* table : {"insight_sales", "insight_sale_lines", "insight_cases",
                              "insight_sla_breaches", "insight_surveys", "insight_interactions"}) {
      for (const auto& row :
           work.exec(std::string("SELECT t::text FROM account.") + table + " t ORDER BY 1")) {
        rows.push_back(std::string(table) + " " + row[0].as<std::string>());
      }
    }
    return rows;
  }

  std::string DatabaseNow() {
    pqxx::connection connection(database_.url());
    pqxx::work work(connection);
    return work.exec1("SELECT now()::text")[0].as<std::string>();
  }

  int64_t Micros(const common::v1::Money& money) {
    return money.units() * 1'000'000 + money.nanos() / 1000;
  }

  testing::TestDatabase database_;
  testing::ScopedRedisServer redis_;
  int account_port_;
  testing::ServiceHarness contact_;
  testing::ServiceHarness pricing_;
  testing::ServiceHarness quality_;
  testing::ServiceHarness account_;
  std::unique_ptr<v1::AccountService::Stub> accounts_;
  std::unique_ptr<v1::AccountInsightsService::Stub> insights_;
  std::unique_ptr<contact::v1::ContactService::Stub> contacts_;
  std::unique_ptr<contact::v1::ContactEngagementService::Stub> engagement_;
  std::unique_ptr<pricing::v1::PriceListService::Stub> lists_;
  std::unique_ptr<pricing::v1::QuoteService::Stub> quotes_;
  std::unique_ptr<quality::v1::CaseService::Stub> cases_;
  std::unique_ptr<quality::v1::SurveyService::Stub> surveys_;
  std::string list_;
};

TEST_F(InsightsTest, OtherServicesActivityArrivesOnceSurvivesRedisLossAndRebuildsIdentically) {
  const std::string acme = CreateAccount("Acme");
  const std::string other = CreateAccount("Other");
  list_ = PriceList();
  Sell(acme, {{"A", 2}});            // 20.00
  Sell(acme, {{"A", 1}, {"B", 2}});  // 61.00
  Sell(other, {{"A", 1}, {"C", 1}});
  Sell(other, {{"A", 3}, {"C", 2}});
  ResolveAndSurvey(OpenCase(acme, quality::v1::CASE_KIND_COMPLAINT), 4, 8);
  OpenCase(acme, quality::v1::CASE_KIND_ENQUIRY);
  Call(acme);

  v1::MonthlyActivity month = WaitForMonth(acme, [](const v1::MonthlyActivity& m) {
    return m.orders() == 2 && m.cases_opened() == 2 && m.surveys_answered() == 1 &&
           m.interactions() == 1;
  });
  EXPECT_EQ(month.orders(), 2);
  EXPECT_EQ(Micros(month.revenue()), 81'000'000);
  EXPECT_EQ(month.revenue().currency_code(), "EUR");
  EXPECT_EQ(month.cases_opened(), 2);
  EXPECT_EQ(month.complaints_opened(), 1);
  EXPECT_EQ(month.cases_resolved(), 1);
  EXPECT_EQ(month.surveys_answered(), 1);
  EXPECT_DOUBLE_EQ(month.average_csat(), 4);
  EXPECT_DOUBLE_EQ(month.average_nps(), 8);
  EXPECT_EQ(month.interactions(), 1);

  // Redis loses everything while a sale is made; the feed replays from the peer's Postgres.
  redis_.Kill();
  Sell(acme, {{"C", 5}});  // 20.00
  redis_.Start();
  month = WaitForMonth(acme, [](const v1::MonthlyActivity& m) { return m.orders() == 3; });
  EXPECT_EQ(month.orders(), 3);
  EXPECT_EQ(Micros(month.revenue()), 101'000'000);
  // Nothing counted twice: every event reached its fact once.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  v1::AccountInsights before;
  ASSERT_TRUE(GetInsights(acme, &before).ok());
  EXPECT_EQ(before.months(2).orders(), 3);
  EXPECT_EQ(before.months(2).cases_opened(), 2);
  EXPECT_EQ(before.health().open_complaints(), 0);
  EXPECT_EQ(before.health().orders_last_90_days(), 3);
  EXPECT_TRUE(before.health().has_csat_last_90_days());
  // One month of history: lifetime value and forecast say so rather than invent a figure.
  EXPECT_FALSE(before.lifetime_value().sufficient_history());
  EXPECT_FALSE(before.lifetime_value().insufficient_reason().empty());
  EXPECT_FALSE(before.forecast().sufficient_history());
  const std::vector<std::string> facts = Facts();
  EXPECT_EQ(
      std::count_if(facts.begin(), facts.end(),
                    [](const std::string& row) { return row.rfind("insight_sales ", 0) == 0; }),
      5);

  // Acme has bought every SKU there is: nothing left to recommend, and no follow-up due.
  v1::ListAccountRecommendationsRequest recommend;
  recommend.set_parent(acme);
  v1::ListAccountRecommendationsResponse recommendations;
  ASSERT_TRUE(
      insights_->ListAccountRecommendations(Alice().get(), recommend, &recommendations).ok());
  EXPECT_EQ(recommendations.recommendations_size(), 0);

  // Rebuild: the facts are forgotten and replayed from what the peers retain.
  v1::RebuildInsightsRequest rebuild;
  v1::RebuildInsightsResponse rebuilt;
  EXPECT_EQ(insights_->RebuildInsights(Alice().get(), rebuild, &rebuilt).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  const std::string rebuild_start = DatabaseNow();
  auto status = insights_->RebuildInsights(Admin().get(), rebuild, &rebuilt);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_THAT(rebuilt.feeds(), UnorderedElementsAre("contact", "pricing-terms", "service-quality"));
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (Facts() != facts && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(Facts(), facts);
  // The same rows because every feed applied its events again, not because nothing was done.
  pqxx::connection connection(database_.url());
  pqxx::work work(connection);
  EXPECT_EQ(work.exec_params1("SELECT count(*) FROM account.peer_feeds WHERE updated_at > $1",
                              rebuild_start)[0]
                .as<int>(),
            3);
  v1::AccountInsights after;
  ASSERT_TRUE(GetInsights(acme, &after).ok());
  ASSERT_EQ(after.months_size(), before.months_size());
  for (int i = 0; i < after.months_size(); ++i) {
    EXPECT_EQ(after.months(i).SerializeAsString(), before.months(i).SerializeAsString()) << i;
  }
  EXPECT_EQ(after.lifetime_value().SerializeAsString(),
            before.lifetime_value().SerializeAsString());
}

TEST_F(InsightsTest, TargetsAttainmentAndRecommendations) {
  const std::string acme = CreateAccount("Acme");
  const std::string other = CreateAccount("Other");
  const std::string third = CreateAccount("Third");
  list_ = PriceList();
  Sell(acme, {{"A", 1}});
  Sell(other, {{"A", 1}, {"C", 1}});
  Sell(third, {{"A", 2}, {"C", 1}});
  Call(acme);
  WaitForMonth(acme, [](const v1::MonthlyActivity& m) { return m.interactions() == 1; });
  WaitForMonth(third, [](const v1::MonthlyActivity& m) { return m.orders() == 1; });

  // Acme bought A; both other accounts bought A with C: A -> C, confidence 2/3, support 2/3.
  v1::ListAccountRecommendationsRequest recommend;
  recommend.set_parent(acme);
  recommend.set_filter("kind = PRODUCT");
  v1::ListAccountRecommendationsResponse recommendations;
  ASSERT_TRUE(
      insights_->ListAccountRecommendations(Alice().get(), recommend, &recommendations).ok());
  ASSERT_EQ(recommendations.recommendations_size(), 1);
  EXPECT_EQ(recommendations.recommendations(0).sku(), "C");
  EXPECT_EQ(recommendations.recommendations(0).because_of(), "A");
  EXPECT_NEAR(recommendations.recommendations(0).confidence(), 2.0 / 3, 1e-9);
  EXPECT_NEAR(recommendations.recommendations(0).support(), 2.0 / 3, 1e-9);
  recommend.set_filter("kind = SOMETHING");
  EXPECT_EQ(insights_->ListAccountRecommendations(Alice().get(), recommend, &recommendations)
                .error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  // Another manager may not read Acme's.
  recommend.set_filter("");
  EXPECT_EQ(insights_
                ->ListAccountRecommendations(ContextAs("bob", {Role::kAccountManager}).get(),
                                             recommend, &recommendations)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);

  // Targets for this month: revenue 100 (alice's three accounts sold 10 + 14 + 24 = 48) and
  // two calls (one logged).
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  auto target = [&](v1::TargetMetric metric, double value) {
    v1::CreateTargetRequest request;
    request.mutable_target()->set_assignee("managers/alice");
    request.mutable_target()->set_metric(metric);
    auto* start = request.mutable_target()->mutable_start_date();
    start->set_year(utc.tm_year + 1900);
    start->set_month(utc.tm_mon + 1);
    start->set_day(1);
    auto* end = request.mutable_target()->mutable_end_date();
    *end = *start;
    end->set_day(28);
    request.mutable_target()->set_value(value);
    return request;
  };
  v1::Target revenue_target;
  EXPECT_EQ(
      insights_
          ->CreateTarget(Alice().get(), target(v1::TARGET_METRIC_REVENUE, 100), &revenue_target)
          .error_code(),
      grpc::StatusCode::PERMISSION_DENIED);
  auto status = insights_->CreateTarget(Admin().get(), target(v1::TARGET_METRIC_REVENUE, 100),
                                        &revenue_target);
  ASSERT_TRUE(status.ok()) << status.error_message();
  v1::Target calls_target;
  ASSERT_TRUE(
      insights_->CreateTarget(Admin().get(), target(v1::TARGET_METRIC_CALLS, 2), &calls_target)
          .ok());
  v1::CreateTargetRequest bad = target(v1::TARGET_METRIC_CALLS, 0);
  bad.mutable_target()->set_assignee("teams/north");
  v1::Target refused;
  status = insights_->CreateTarget(Admin().get(), bad, &refused);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(testing::ViolatedFields(status), ElementsAre("target.members", "target.value"));

  v1::GetPerformanceRequest performance_request;
  performance_request.set_name("managers/alice/performance");
  v1::Performance performance;
  status = insights_->GetPerformance(Alice().get(), performance_request, &performance);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_THAT(performance.members(), ElementsAre("alice"));
  EXPECT_EQ(Micros(performance.revenue()), 48'000'000);
  ASSERT_EQ(performance.attainments_size(), 2);
  for (const auto& attainment : performance.attainments()) {
    if (attainment.target().metric() == v1::TARGET_METRIC_REVENUE) {
      EXPECT_DOUBLE_EQ(attainment.actual(), 48);
      EXPECT_DOUBLE_EQ(attainment.percent(), 48);
    } else {
      EXPECT_DOUBLE_EQ(attainment.actual(), 1);
      EXPECT_DOUBLE_EQ(attainment.percent(), 50);
    }
  }
  ASSERT_EQ(performance.movers_up_size(), 3);
  EXPECT_EQ(performance.movers_up(0).account(), third);
  performance_request.set_name("managers/bob/performance");
  EXPECT_EQ(
      insights_->GetPerformance(Alice().get(), performance_request, &performance).error_code(),
      grpc::StatusCode::PERMISSION_DENIED);

  // Update with a stale etag is ABORTED; with the current one it applies.
  v1::UpdateTargetRequest update;
  update.mutable_target()->set_name(revenue_target.name());
  update.mutable_target()->set_value(48);
  update.mutable_update_mask()->add_paths("value");
  update.set_etag("999");
  v1::Target updated;
  EXPECT_EQ(insights_->UpdateTarget(Admin().get(), update, &updated).error_code(),
            grpc::StatusCode::ABORTED);
  update.set_etag(revenue_target.etag());
  ASSERT_TRUE(insights_->UpdateTarget(Admin().get(), update, &updated).ok());
  EXPECT_DOUBLE_EQ(updated.value(), 48);
  v1::ListTargetsRequest list;
  list.set_filter("metric = CALLS");
  v1::ListTargetsResponse listed;
  ASSERT_TRUE(insights_->ListTargets(Admin().get(), list, &listed).ok());
  ASSERT_EQ(listed.targets_size(), 1);
  EXPECT_EQ(listed.targets(0).name(), calls_target.name());
  v1::DeleteTargetRequest remove;
  remove.set_name(calls_target.name());
  remove.set_etag(calls_target.etag());
  google::protobuf::Empty empty;
  ASSERT_TRUE(insights_->DeleteTarget(Admin().get(), remove, &empty).ok());
  v1::GetTargetRequest get;
  get.set_name(calls_target.name());
  v1::Target gone;
  EXPECT_EQ(insights_->GetTarget(Admin().get(), get, &gone).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(InsightsTest, OverviewNamesWhatAStoppedServiceCouldNotGive) {
  const std::string acme = CreateAccount("Acme");
  list_ = PriceList();
  Sell(acme, {{"A", 1}});
  OpenCase(acme, quality::v1::CASE_KIND_COMPLAINT);
  WaitForMonth(acme, [](const v1::MonthlyActivity& m) { return m.orders() == 1; });

  v1::GetAccountOverviewRequest request;
  request.set_name(acme + "/overview");
  auto overview = [&](v1::AccountOverview* out) {
    auto context = Alice();  // 10 s deadline: a hang fails the call
    return insights_->GetAccountOverview(context.get(), request, out);
  };
  v1::AccountOverview full;
  auto status = overview(&full);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(full.account().name(), acme);
  EXPECT_EQ(full.missing_size(), 0) << full.ShortDebugString();
  ASSERT_EQ(full.open_cases_size(), 1);
  EXPECT_EQ(full.open_cases(0).kind(), "CASE_KIND_COMPLAINT");
  ASSERT_EQ(full.recent_sales_size(), 1);
  EXPECT_EQ(Micros(full.recent_sales(0).total()), 10'000'000);
  EXPECT_EQ(full.insights().name(), acme + "/insights");

  auto missing_parts = [](const v1::AccountOverview& o) {
    std::vector<std::string> parts;
    for (const auto& part : o.missing()) {
      parts.push_back(part.part() + "@" + part.service() + ":" + part.code());
    }
    return parts;
  };
  pricing_.Stop();
  v1::AccountOverview without_pricing;
  ASSERT_TRUE(overview(&without_pricing).ok());
  EXPECT_THAT(missing_parts(without_pricing),
              ElementsAre("active_terms@pricing-terms:UNAVAILABLE"));
  EXPECT_EQ(without_pricing.open_cases_size(), 1);
  EXPECT_EQ(without_pricing.recent_sales_size(), 1);  // learned from its events: still known
  EXPECT_EQ(without_pricing.account().name(), acme);

  quality_.Stop();
  v1::AccountOverview without_quality;
  ASSERT_TRUE(overview(&without_quality).ok());
  EXPECT_THAT(missing_parts(without_quality),
              UnorderedElementsAre("active_terms@pricing-terms:UNAVAILABLE",
                                   "open_cases@service-quality:UNAVAILABLE"));

  contact_.Stop();
  v1::AccountOverview alone;
  ASSERT_TRUE(overview(&alone).ok());
  EXPECT_THAT(missing_parts(alone), UnorderedElementsAre("active_terms@pricing-terms:UNAVAILABLE",
                                                         "open_cases@service-quality:UNAVAILABLE",
                                                         "key_contacts@contact:UNAVAILABLE"));
  EXPECT_EQ(alone.account().name(), acme);
  EXPECT_EQ(alone.insights().months_size(), 12);

  // The caller's own rules still hold: another manager may not see Acme at all.
  v1::AccountOverview refused;
  EXPECT_EQ(
      insights_
          ->GetAccountOverview(ContextAs("bob", {Role::kAccountManager}).get(), request, &refused)
          .error_code(),
      grpc::StatusCode::PERMISSION_DENIED);
  request.set_name("accounts/nope/overview");
  EXPECT_EQ(insights_->GetAccountOverview(Alice().get(), request, &refused).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

}  // namespace
}  // namespace accord::account

namespace accord::account {
namespace {

auto Supervisor() { return ContextAs("sue", {Role::kServiceSupervisor}); }

// The overview's cache against real peers: what a peer's write changes shows once its event is
// applied (the cached part would hide it for minutes otherwise), Redis wiped between steps, key
// contacts with personal data never stored, and a stopped peer's part named missing again.
class OverviewCacheTest : public InsightsTest {
 protected:
  OverviewCacheTest()
      : redis_client_(*common::ParseRedisUrl(redis_.url())),
        relations_(contact::v1::ContactAccountRelationService::NewStub(contact_.channel())) {}

  v1::AccountOverview Overview(const std::string& account,
                               std::unique_ptr<grpc::ClientContext> context = Supervisor()) {
    v1::GetAccountOverviewRequest request;
    request.set_name(account + "/overview");
    v1::AccountOverview overview;
    auto status = insights_->GetAccountOverview(context.get(), request, &overview);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return overview;
  }

  // The overview once `done` holds for it (or after 15 s, as it is).
  v1::AccountOverview OverviewWhen(const std::string& account,
                                   const std::function<bool(const v1::AccountOverview&)>& done) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    while (true) {
      v1::AccountOverview overview = Overview(account);
      if (done(overview) || std::chrono::steady_clock::now() > until) return overview;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }

  // The stored value of a part for sue, or "" when there is none.
  std::string Stored(const std::string& account, OverviewPart part) {
    const std::string key = "accord:insights:overview:" + account.substr(9) + ":" +
                            OverviewPartName(part) + ":" +
                            OverviewCallerKey({"sue", {Role::kServiceSupervisor}, {}});
    auto value = redis_client_.Command({"GET", key});
    EXPECT_TRUE(value.ok());
    return value.ok() && !value->is_nil() ? value->str : "";
  }

  std::string Relate(const std::string& account, const std::string& given_name) {
    contact::v1::CreateContactRequest create;
    create.mutable_contact()->set_given_name(given_name);
    create.mutable_contact()->set_family_name("Buyer");
    contact::v1::Contact person;
    EXPECT_TRUE(contacts_->CreateContact(Admin().get(), create, &person).ok());
    contact::v1::CreateAccountRelationRequest relate;
    relate.set_parent(person.name());
    relate.mutable_account_relation()->set_account(account);
    relate.mutable_account_relation()->add_roles(contact::v1::ACCOUNT_RELATION_ROLE_KEY_CONTACT);
    contact::v1::AccountRelation relation;
    auto status = UntilReachable(
        [&] { return relations_->CreateAccountRelation(Admin().get(), relate, &relation); });
    EXPECT_TRUE(status.ok()) << status.error_message();
    return person.name();
  }

  void FlushRedis() { ASSERT_TRUE(redis_client_.Command({"FLUSHALL"}).ok()); }

  common::RedisClient redis_client_;
  std::unique_ptr<contact::v1::ContactAccountRelationService::Stub> relations_;
};

TEST_F(OverviewCacheTest, PeerWritesShowOnceTheirEventsAreAppliedAndRedisLossChangesNothing) {
  const std::string acme = CreateAccount("Acme");
  Relate(acme, "Jo");
  const quality::v1::Case first = OpenCase(acme, quality::v1::CASE_KIND_COMPLAINT);
  auto counts = [](const v1::AccountOverview& o) {
    return std::to_string(o.key_contacts_size()) + " contacts, " +
           std::to_string(o.open_cases_size()) + " cases, " + std::to_string(o.missing_size()) +
           " missing";
  };
  // Stored once the feeds follow the peers (a part is not stored before).
  v1::AccountOverview overview = OverviewWhen(acme, [&](const v1::AccountOverview& o) {
    return counts(o) == "1 contacts, 1 cases, 0 missing" &&
           !Stored(acme, OverviewPart::kOpenCases).empty() &&
           !Stored(acme, OverviewPart::kKeyContacts).empty() &&
           !Stored(acme, OverviewPart::kActiveTerms).empty();
  });
  ASSERT_EQ(counts(overview), "1 contacts, 1 cases, 0 missing");
  ASSERT_FALSE(Stored(acme, OverviewPart::kOpenCases).empty());
  EXPECT_TRUE(overview.key_contacts(0).personal_data_masked());

  // What answers is the cache: a part changed in Redis under the current tokens is what the
  // overview shows (no peer holds this case). Tried again while events still in flight from the
  // set-up replace the tokens.
  const std::string key = "accord:insights:overview:" + acme.substr(9) + ":open_cases:" +
                          OverviewCallerKey({"sue", {Role::kServiceSupervisor}, {}});
  bool planted_shown = false;
  for (int attempt = 0; attempt < 50 && !planted_shown; ++attempt) {
    overview = Overview(acme);  // stores under the tokens that hold now
    const std::string stored = Stored(acme, OverviewPart::kOpenCases);
    if (stored.empty()) continue;
    v1::AccountOverview planted;
    planted.add_open_cases()->set_case_("cases/planted");
    const std::string generation = stored.substr(0, stored.find('\n'));
    ASSERT_TRUE(
        redis_client_.Command({"SET", key, generation + "\n" + planted.SerializeAsString()}).ok());
    overview = Overview(acme);
    planted_shown =
        overview.open_cases_size() == 1 && overview.open_cases(0).case_() == "cases/planted";
    if (!planted_shown) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(planted_shown);

  // A second case: its event replaces the tokens, and the overview asks again.
  const quality::v1::Case second = OpenCase(acme, quality::v1::CASE_KIND_ENQUIRY);
  overview =
      OverviewWhen(acme, [](const v1::AccountOverview& o) { return o.open_cases_size() == 2; });
  ASSERT_EQ(overview.open_cases_size(), 2) << overview.ShortDebugString();
  for (const auto& c : overview.open_cases()) {
    EXPECT_TRUE(c.case_() == first.name() || c.case_() == second.name()) << c.case_();
  }

  // Redis loses everything; the overview asks the peers and answers the same.
  FlushRedis();
  overview = Overview(acme);
  EXPECT_EQ(counts(overview), "1 contacts, 2 cases, 0 missing");

  // A new key contact, after another loss: contact's event replaces the tokens again.
  Relate(acme, "Kim");
  overview =
      OverviewWhen(acme, [](const v1::AccountOverview& o) { return o.key_contacts_size() == 2; });
  EXPECT_EQ(counts(overview), "2 contacts, 2 cases, 0 missing");
  FlushRedis();

  // Resolving a case takes it out of the open cases.
  ResolveAndSurvey(first, 5, 9);
  overview =
      OverviewWhen(acme, [](const v1::AccountOverview& o) { return o.open_cases_size() == 1; });
  ASSERT_EQ(overview.open_cases_size(), 1);
  EXPECT_EQ(overview.open_cases(0).case_(), second.name());

  // Personal data is never stored: the admin's key contacts come from contact every time.
  v1::AccountOverview as_admin = Overview(acme, Admin());
  ASSERT_EQ(as_admin.key_contacts_size(), 2);
  EXPECT_FALSE(as_admin.key_contacts(0).personal_data_masked());
  EXPECT_FALSE(as_admin.key_contacts(0).display_name().empty());
  auto keys = redis_client_.Command({"KEYS", "accord:insights:overview:*key_contacts*admin*"});
  ASSERT_TRUE(keys.ok());
  EXPECT_TRUE(keys->elements.empty());

  // A stopped peer: once the account service has lost its events, its part is asked for again,
  // and named missing; the other parts still come from the cache.
  quality_.Stop();
  overview = OverviewWhen(acme, [](const v1::AccountOverview& o) { return o.missing_size() == 1; });
  ASSERT_EQ(overview.missing_size(), 1) << overview.ShortDebugString();
  EXPECT_EQ(overview.missing(0).part(), "open_cases");
  EXPECT_EQ(overview.missing(0).code(), "UNAVAILABLE");
  EXPECT_EQ(overview.key_contacts_size(), 2);
}

}  // namespace
}  // namespace accord::account
