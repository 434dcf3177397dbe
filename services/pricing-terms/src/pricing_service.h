// gRPC handlers of accord.pricing.v1 (PriceListService, TradingTermsService, QuoteService):
// unpack, authenticate (via the runtime), call the domain logic, map the result.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "accord/common/server.h"
#include "accord/pricing/v1/price_list.grpc.pb.h"
#include "accord/pricing/v1/pricing_policy.grpc.pb.h"
#include "accord/pricing/v1/quote.grpc.pb.h"
#include "accord/pricing/v1/trading_terms.grpc.pb.h"
#include "account_events.h"
#include "caching_pricing_repository.h"
#include "pg_pricing_repository.h"
#include "pricing_logic.h"
#include "pricing_settings.h"

namespace accord::pricing {

// Declares a unary callback handler.
#define ACCORD_PRICING_RPC(Method, Request, Response)                    \
  grpc::ServerUnaryReactor* Method(grpc::CallbackServerContext* context, \
                                   const v1::Request* request, Response* response) override

class PriceListServiceImpl final : public v1::PriceListService::CallbackService {
 public:
  PriceListServiceImpl(common::Runtime& runtime, std::shared_ptr<QuoteReadCache> quote_reads);
  ACCORD_PRICING_RPC(CreatePriceList, CreatePriceListRequest, v1::PriceList);
  ACCORD_PRICING_RPC(GetPriceList, GetPriceListRequest, v1::PriceList);
  ACCORD_PRICING_RPC(ListPriceLists, ListPriceListsRequest, v1::ListPriceListsResponse);
  ACCORD_PRICING_RPC(UpdatePriceList, UpdatePriceListRequest, v1::PriceList);
  ACCORD_PRICING_RPC(GetPriceListItem, GetPriceListItemRequest, v1::PriceListItem);
  ACCORD_PRICING_RPC(ListPriceListItems, ListPriceListItemsRequest, v1::ListPriceListItemsResponse);
  ACCORD_PRICING_RPC(BatchUpsertPriceListItems, BatchUpsertPriceListItemsRequest,
                     v1::BatchUpsertPriceListItemsResponse);
  grpc::ServerReadReactor<v1::ImportPriceListItemsRequest>* ImportPriceListItems(
      grpc::CallbackServerContext* context, v1::ImportPriceListItemsResponse* response) override;

 private:
  common::Runtime& runtime_;
  PgPricingRepository repository_;
  std::shared_ptr<QuoteReadCache> quote_reads_;
  CachingPricingRepository cached_;  // writes drop what quotes hold of a list
  PriceListLogic logic_;
  std::map<std::string, std::unique_ptr<common::RpcMethod>> methods_;
  common::RpcMethod& Method(const char* name);
};

class PricingPolicyServiceImpl final : public v1::PricingPolicyService::CallbackService {
 public:
  PricingPolicyServiceImpl(common::Runtime& runtime, std::shared_ptr<QuoteReadCache> quote_reads);
  ACCORD_PRICING_RPC(GetPricingPolicy, GetPricingPolicyRequest, v1::PricingPolicy);
  ACCORD_PRICING_RPC(UpdatePricingPolicy, UpdatePricingPolicyRequest, v1::PricingPolicy);

 private:
  common::Runtime& runtime_;
  PgPricingRepository repository_;
  std::shared_ptr<QuoteReadCache> quote_reads_;
  CachingPricingRepository cached_;  // the policy from the runtime's cache
  PolicyLogic logic_;
  std::map<std::string, std::unique_ptr<common::RpcMethod>> methods_;
  common::RpcMethod& Method(const char* name);
};

class TradingTermsServiceImpl final : public v1::TradingTermsService::CallbackService {
 public:
  // `events` (may be null) follows the account service's events while this service runs.
  TradingTermsServiceImpl(common::Runtime& runtime, std::shared_ptr<AccountDirectory> accounts,
                          std::unique_ptr<AccountEventFeed> events,
                          std::shared_ptr<QuoteReadCache> quote_reads);
  ~TradingTermsServiceImpl() override;
  ACCORD_PRICING_RPC(CreateTradingTerms, CreateTradingTermsRequest, v1::TradingTerms);
  ACCORD_PRICING_RPC(GetTradingTerms, GetTradingTermsRequest, v1::TradingTerms);
  ACCORD_PRICING_RPC(ListTradingTerms, ListTradingTermsRequest, v1::ListTradingTermsResponse);
  ACCORD_PRICING_RPC(UpdateTradingTerms, UpdateTradingTermsRequest, v1::TradingTerms);
  ACCORD_PRICING_RPC(SubmitTradingTerms, SubmitTradingTermsRequest, v1::TradingTerms);
  ACCORD_PRICING_RPC(ApproveTradingTerms, ApproveTradingTermsRequest, v1::TradingTerms);
  ACCORD_PRICING_RPC(RejectTradingTerms, RejectTradingTermsRequest, v1::TradingTerms);
  ACCORD_PRICING_RPC(ExpireTradingTerms, ExpireTradingTermsRequest, v1::TradingTerms);
  ACCORD_PRICING_RPC(GetEffectiveTradingTerms, GetEffectiveTradingTermsRequest, v1::TradingTerms);

 private:
  common::Runtime& runtime_;
  PgPricingRepository repository_;
  std::shared_ptr<QuoteReadCache> quote_reads_;
  CachingPricingRepository cached_;  // writes drop what quotes hold of the account's terms
  std::shared_ptr<AccountDirectory> accounts_;
  std::unique_ptr<AccountEventFeed> events_;
  TermsLogic logic_;
  std::map<std::string, std::unique_ptr<common::RpcMethod>> methods_;
  common::RpcMethod& Method(const char* name);
};

class QuoteServiceImpl final : public v1::QuoteService::CallbackService {
 public:
  QuoteServiceImpl(common::Runtime& runtime, std::shared_ptr<AccountDirectory> accounts,
                   std::shared_ptr<QuoteReadCache> quote_reads);
  ACCORD_PRICING_RPC(PriceQuote, PriceQuoteRequest, v1::QuotePricing);
  ACCORD_PRICING_RPC(CreateQuote, CreateQuoteRequest, v1::Quote);
  ACCORD_PRICING_RPC(GetQuote, GetQuoteRequest, v1::Quote);
  ACCORD_PRICING_RPC(ListQuotes, ListQuotesRequest, v1::ListQuotesResponse);
  ACCORD_PRICING_RPC(UpdateQuote, UpdateQuoteRequest, v1::Quote);
  ACCORD_PRICING_RPC(CreateSale, CreateSaleRequest, v1::Sale);
  ACCORD_PRICING_RPC(GetSale, GetSaleRequest, v1::Sale);
  ACCORD_PRICING_RPC(ListSales, ListSalesRequest, v1::ListSalesResponse);
  ACCORD_PRICING_RPC(GetRebateStatement, GetRebateStatementRequest, v1::RebateStatement);

 private:
  common::Runtime& runtime_;
  PgPricingRepository repository_;
  std::shared_ptr<QuoteReadCache> quote_reads_;
  CachingPricingRepository cached_;  // the policy, terms, lists and items quotes read
  std::shared_ptr<AccountDirectory> accounts_;
  QuoteLogic logic_;
  std::map<std::string, std::unique_ptr<common::RpcMethod>> methods_;
  common::RpcMethod& Method(const char* name);
};

#undef ACCORD_PRICING_RPC

// Everything ServiceMain (and the integration tests) need to run the pricing-terms service.
common::ServiceDefinition PricingTermsServiceDefinition(PricingSettings settings);

}  // namespace accord::pricing
