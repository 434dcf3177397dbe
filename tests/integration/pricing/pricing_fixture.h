// The pricing-terms service in-process beside the account service it asks about accounts, both
// on a fresh database of the shared test Postgres and the shared Redis, with the helpers the
// pricing integration tests share.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <pqxx/pqxx>

#include "accord/account/v1/account.grpc.pb.h"
#include "accord/account/v1/team.grpc.pb.h"
#include "accord/common/ids.h"
#include "accord/common/money.h"
#include "accord/pricing/v1/price_list.grpc.pb.h"
#include "accord/pricing/v1/quote.grpc.pb.h"
#include "accord/pricing/v1/trading_terms.grpc.pb.h"
#include "account_service.h"
#include "pricing_common.h"
#include "pricing_service.h"
#include "support/servers.h"
#include "support/service_harness.h"

namespace accord::pricing {

using common::MakeMoney;
using common::Role;
using testing::ContextAs;
using testing::ReasonOf;
using testing::ViolatedFields;

inline PricingSettings TestPricingSettings(int account_port) {
  PricingSettings settings;
  // The identity the account-events feed subscribes with.
  settings.account.service_token = testing::TokenFor("pricing-sync", {Role::kIntegration});
  settings.account.service = "account";
  settings.account.address = "127.0.0.1:" + std::to_string(account_port);
  settings.account.deadline = std::chrono::milliseconds(1500);
  // Team changes are seen at once (no cached answers), so tests need not wait out a TTL.
  settings.access_cache_ttl = std::chrono::milliseconds(0);
  return settings;
}

// Pricing managers "pia" and "pete", account manager "amy", sales assistant "sam".
inline auto AsPricing(const std::string& who = "pia") {
  return ContextAs(who, {Role::kPricingManager});
}
inline auto AsAccountManager() { return ContextAs("amy", {Role::kAccountManager}); }
inline auto AsSales() { return ContextAs("sam", {Role::kSalesAssistant}); }

inline Money Eur(int64_t units, int32_t cents = 0) {
  return MakeMoney("EUR", units, cents * 10'000'000);
}

class PricingApiTest : public ::testing::Test {
 protected:
  explicit PricingApiTest(const std::string& redis_url = testing::SharedRedisUrl())
      : account_service_(account::AccountServiceDefinition(), database_.url(), redis_url),
        harness_(PricingTermsServiceDefinition(TestPricingSettings(account_service_.port())),
                 database_.url(), redis_url),
        lists_(v1::PriceListService::NewStub(harness_.channel())),
        terms_(v1::TradingTermsService::NewStub(harness_.channel())),
        quotes_(v1::QuoteService::NewStub(harness_.channel())),
        accounts_(account::v1::AccountService::NewStub(account_service_.channel())),
        teams_(account::v1::AccountTeamService::NewStub(account_service_.channel())),
        account_(CreateAccount("amy", "Acme Tools").name()) {}

  // Merges `duplicate` into `survivor` in the account service (as an admin).
  grpc::Status Merge(const account::v1::Account& survivor, const account::v1::Account& duplicate) {
    account::v1::MergeAccountsRequest merge;
    merge.set_survivor(survivor.name());
    merge.set_survivor_etag(survivor.etag());
    merge.set_duplicate(duplicate.name());
    merge.set_duplicate_etag(duplicate.etag());
    account::v1::MergeAccountsResponse merged;
    return accounts_->MergeAccounts(ContextAs("root", {Role::kAdmin}).get(), merge, &merged);
  }

  // A sale to the fixture's account of one line priced when it is recorded.
  v1::CreateSaleRequest DirectSale(const std::string& sku, int64_t quantity) const {
    v1::CreateSaleRequest sale;
    sale.mutable_sale()->set_account(account_);
    sale.mutable_sale()->set_payment_method(v1::PAYMENT_METHOD_INVOICE);
    sale.mutable_sale()->mutable_delivery()->set_method(v1::DELIVERY_METHOD_SHIP);
    auto* line = sale.add_lines();
    line->set_sku(sku);
    line->set_quantity(quantity);
    return sale;
  }

  // A live account owned by `owner` (an account manager), created in the account service.
  account::v1::Account CreateAccount(const std::string& owner, const std::string& display_name) {
    account::v1::CreateAccountRequest request;
    request.mutable_account()->set_display_name(display_name);
    request.mutable_account()->set_type(common::v1::ORGANIZATION_TYPE_COMMERCIAL);
    account::v1::Account account;
    auto status = accounts_->CreateAccount(ContextAs(owner, {Role::kAccountManager}).get(), request,
                                           &account);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return account;
  }

  v1::PriceList CreateList(const std::string& display_name, bool activate = true,
                           const std::string& base = "", int32_t bps = 0) {
    v1::CreatePriceListRequest request;
    request.mutable_price_list()->set_display_name(display_name);
    request.mutable_price_list()->set_currency_code("EUR");
    *request.mutable_price_list()->mutable_valid_from() = MakeDate(2026, 1, 1);
    request.mutable_price_list()->set_base_price_list(base);
    request.mutable_price_list()->set_adjustment_bps(bps);
    v1::PriceList list;
    auto status = lists_->CreatePriceList(AsPricing().get(), request, &list);
    EXPECT_TRUE(status.ok()) << status.error_message();
    if (activate) list = SetListStatus(list, v1::PRICE_LIST_STATUS_ACTIVE);
    return list;
  }

  v1::PriceList SetListStatus(const v1::PriceList& list, v1::PriceListStatus status_value,
                              grpc::Status* status_out = nullptr) {
    v1::UpdatePriceListRequest request;
    request.mutable_price_list()->set_name(list.name());
    request.mutable_price_list()->set_status(status_value);
    request.mutable_update_mask()->add_paths("status");
    request.set_etag(list.etag());
    v1::PriceList updated;
    auto status = lists_->UpdatePriceList(AsPricing().get(), request, &updated);
    if (status_out) {
      *status_out = status;
    } else {
      EXPECT_TRUE(status.ok()) << status.error_message();
    }
    return updated;
  }

  static v1::PriceListItem Item(const std::string& sku, const std::string& category, Money price) {
    v1::PriceListItem item;
    item.set_sku(sku);
    item.set_product_name("Product " + sku);
    item.set_category(category);
    item.set_unit("each");
    *item.mutable_unit_price() = price;
    return item;
  }

  v1::BatchUpsertPriceListItemsResponse Upsert(const std::string& list,
                                               std::vector<v1::PriceListItem> items,
                                               grpc::Status* status_out = nullptr,
                                               const std::string& request_id = "") {
    v1::BatchUpsertPriceListItemsRequest request;
    request.set_parent(list);
    for (auto& item : items) *request.add_items() = std::move(item);
    request.set_request_id(request_id);
    v1::BatchUpsertPriceListItemsResponse response;
    auto status = lists_->BatchUpsertPriceListItems(
        ContextAs("erp-sync", {Role::kIntegration}).get(), request, &response);
    if (status_out) {
      *status_out = status;
    } else {
      EXPECT_TRUE(status.ok()) << status.error_message();
    }
    return response;
  }

  v1::TradingTerms DraftTerms(const std::string& list, const Date& from, const Date& until = {},
                              std::vector<v1::DiscountRule> rules = {}) {
    v1::CreateTradingTermsRequest request;
    request.set_parent(account_);
    auto* terms = request.mutable_trading_terms();
    terms->set_price_list(list);
    for (auto& rule : rules) *terms->add_discount_rules() = std::move(rule);
    terms->set_payment_net_days(30);
    *terms->mutable_minimum_order_value() = Eur(50);
    *terms->mutable_valid_from() = from;
    if (IsDateSet(until)) *terms->mutable_valid_until() = until;
    v1::TradingTerms out;
    auto status = terms_->CreateTradingTerms(AsAccountManager().get(), request, &out);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return out;
  }

  v1::TradingTerms Submit(const v1::TradingTerms& terms) {
    v1::SubmitTradingTermsRequest request;
    request.set_name(terms.name());
    request.set_etag(terms.etag());
    v1::TradingTerms out;
    auto status = terms_->SubmitTradingTerms(AsAccountManager().get(), request, &out);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return out;
  }

  grpc::Status Approve(const v1::TradingTerms& terms, v1::TradingTerms* out, bool supersede = false,
                       const std::string& who = "pete") {
    v1::ApproveTradingTermsRequest request;
    request.set_name(terms.name());
    request.set_etag(terms.etag());
    request.set_supersede_current(supersede);
    return terms_->ApproveTradingTerms(AsPricing(who).get(), request, out);
  }

  v1::TradingTerms ActiveTerms(const std::string& list, const Date& from, const Date& until = {},
                               std::vector<v1::DiscountRule> rules = {}) {
    v1::TradingTerms active;
    auto status = Approve(Submit(DraftTerms(list, from, until, std::move(rules))), &active);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return active;
  }

  static v1::DiscountRule CategoryRule(const std::string& category, int bps) {
    v1::DiscountRule rule;
    rule.set_category(category);
    rule.set_discount_bps(bps);
    return rule;
  }

  grpc::Status Price(std::vector<std::pair<std::string, int64_t>> lines, v1::QuotePricing* out,
                     const Date& day = {}, const std::string& price_list = "",
                     v1::PricingView view = v1::PRICING_VIEW_UNSPECIFIED) {
    v1::PriceQuoteRequest request;
    request.set_account(account_);
    for (const auto& [sku, quantity] : lines) {
      auto* line = request.add_lines();
      line->set_sku(sku);
      line->set_quantity(quantity);
    }
    if (IsDateSet(day)) *request.mutable_price_date() = day;
    request.set_price_list(price_list);
    request.set_view(view);
    return quotes_->PriceQuote(AsSales().get(), request, out);
  }

  // Quotes for a past day read the lists and items as they stood then. Tests that price past
  // days write their lists now, so they move the history back as if it had been written on
  // 1 January 2026.
  void BackdateHistory() {
    pqxx::connection connection(database_.url());
    pqxx::work transaction(connection);
    transaction.exec0("UPDATE pricing_terms.price_list_history SET valid_since = '2026-01-01Z'");
    transaction.exec0(
        "UPDATE pricing_terms.price_list_item_history SET valid_since = '2026-01-01Z'");
    transaction.commit();
  }

  std::vector<std::string> OutboxTypes() {
    pqxx::connection connection(database_.url());
    pqxx::nontransaction transaction(connection);
    std::vector<std::string> types;
    for (const auto& row : transaction.exec("SELECT type FROM pricing_terms.outbox ORDER BY seq")) {
      types.push_back(row[0].as<std::string>());
    }
    return types;
  }

  testing::TestDatabase database_;
  testing::ServiceHarness account_service_;
  testing::ServiceHarness harness_;
  std::unique_ptr<v1::PriceListService::Stub> lists_;
  std::unique_ptr<v1::TradingTermsService::Stub> terms_;
  std::unique_ptr<v1::QuoteService::Stub> quotes_;
  std::unique_ptr<account::v1::AccountService::Stub> accounts_;
  std::unique_ptr<account::v1::AccountTeamService::Stub> teams_;
  std::string account_;
};

}  // namespace accord::pricing
