#include "pricing_service.h"

#include "accord/common/event_stream.h"
#include "accord/common/grpc_status.h"
#include "accord/common/idempotency.h"
#include "accord/common/stream_import.h"
#include "item_import.h"
#include "pricing_sql.h"
#include "pricing_write.h"

namespace accord::pricing {

const std::vector<common::Migration>& Migrations();  // generated from migrations/*.sql

namespace {

using common::MetaFor;

std::map<std::string, std::unique_ptr<common::RpcMethod>> MakeMethods(
    const google::protobuf::ServiceDescriptor* service) {
  std::map<std::string, std::unique_ptr<common::RpcMethod>> methods;
  for (int i = 0; i < service->method_count(); ++i) {
    const std::string& name = service->method(i)->name();
    methods[name] = std::make_unique<common::RpcMethod>(service->full_name(), name);
  }
  return methods;
}

}  // namespace

// A read: the logic's answer, no write metadata.
#define ACCORD_READ(Service, RpcName, Request, Response, Call)                                 \
  grpc::ServerUnaryReactor* Service::RpcName(grpc::CallbackServerContext* context,             \
                                             const v1::Request* request, Response* response) { \
    return runtime_.Respond(context, Method(#RpcName), response,                               \
                            [=, this](const common::RpcContext& rpc) {                         \
                              return logic_.Call(rpc.principal, *request);                     \
                            });                                                                \
  }
// A write: stamped with who, the trace and the request's fingerprint.
#define ACCORD_WRITE(Service, RpcName, Request, Response, Call)                                   \
  grpc::ServerUnaryReactor* Service::RpcName(grpc::CallbackServerContext* context,                \
                                             const v1::Request* request, Response* response) {    \
    return runtime_.Respond(                                                                      \
        context, Method(#RpcName), response, [=, this](const common::RpcContext& rpc) {           \
          return logic_.Call(Caller(rpc.principal, common::CallIdentity::ForUser(*context, rpc)), \
                             *request, MetaFor(rpc, #RpcName, *request));                         \
        });                                                                                       \
  }

PriceListServiceImpl::PriceListServiceImpl(common::Runtime& runtime,
                                           std::shared_ptr<QuoteReadCache> quote_reads)
    : runtime_(runtime),
      repository_(runtime.pg()),
      quote_reads_(std::move(quote_reads)),
      cached_(repository_, runtime.cache(), *quote_reads_),
      logic_(cached_, runtime.page_tokens()),
      methods_(
          MakeMethods(v1::PriceList::descriptor()->file()->FindServiceByName("PriceListService"))) {
}

common::RpcMethod& PriceListServiceImpl::Method(const char* name) { return *methods_.at(name); }

ACCORD_WRITE(PriceListServiceImpl, CreatePriceList, CreatePriceListRequest, v1::PriceList, Create)
ACCORD_READ(PriceListServiceImpl, GetPriceList, GetPriceListRequest, v1::PriceList, Get)
ACCORD_READ(PriceListServiceImpl, ListPriceLists, ListPriceListsRequest, v1::ListPriceListsResponse,
            List)
ACCORD_WRITE(PriceListServiceImpl, UpdatePriceList, UpdatePriceListRequest, v1::PriceList, Update)
ACCORD_READ(PriceListServiceImpl, GetPriceListItem, GetPriceListItemRequest, v1::PriceListItem,
            GetItem)
ACCORD_READ(PriceListServiceImpl, ListPriceListItems, ListPriceListItemsRequest,
            v1::ListPriceListItemsResponse, ListItems)
ACCORD_WRITE(PriceListServiceImpl, BatchUpsertPriceListItems, BatchUpsertPriceListItemsRequest,
             v1::BatchUpsertPriceListItemsResponse, BatchUpsertItems)

grpc::ServerReadReactor<v1::ImportPriceListItemsRequest>*
PriceListServiceImpl::ImportPriceListItems(grpc::CallbackServerContext* context,
                                           v1::ImportPriceListItemsResponse* response) {
  using Reactor = common::StreamImportReactor<v1::ImportPriceListItemsRequest,
                                              v1::ImportPriceListItemsResponse>;
  auto open = [this](const common::RpcContext& rpc) -> absl::StatusOr<Reactor::Steps> {
    ACCORD_RETURN_IF_ERROR(CheckUpsertsItems(rpc.principal));
    auto import = std::make_shared<ItemImport>(
        cached_, MetaFor(rpc, "ImportPriceListItems", v1::ImportPriceListItemsRequest()));
    return Reactor::Steps{
        [import](const v1::ImportPriceListItemsRequest& message) { return import->Apply(message); },
        [import] { return import->Finish(); }};
  };
  return new Reactor(context, runtime_, Method("ImportPriceListItems"), response, open);
}

PricingPolicyServiceImpl::PricingPolicyServiceImpl(common::Runtime& runtime,
                                                   std::shared_ptr<QuoteReadCache> quote_reads)
    : runtime_(runtime),
      repository_(runtime.pg()),
      quote_reads_(std::move(quote_reads)),
      cached_(repository_, runtime.cache(), *quote_reads_),
      logic_(cached_),
      methods_(MakeMethods(
          v1::PricingPolicy::descriptor()->file()->FindServiceByName("PricingPolicyService"))) {}

common::RpcMethod& PricingPolicyServiceImpl::Method(const char* name) { return *methods_.at(name); }

ACCORD_READ(PricingPolicyServiceImpl, GetPricingPolicy, GetPricingPolicyRequest, v1::PricingPolicy,
            Get)
ACCORD_WRITE(PricingPolicyServiceImpl, UpdatePricingPolicy, UpdatePricingPolicyRequest,
             v1::PricingPolicy, Update)

TradingTermsServiceImpl::TradingTermsServiceImpl(common::Runtime& runtime,
                                                 std::shared_ptr<AccountDirectory> accounts,
                                                 std::unique_ptr<AccountEventFeed> events,
                                                 std::shared_ptr<QuoteReadCache> quote_reads)
    : runtime_(runtime),
      repository_(runtime.pg()),
      quote_reads_(std::move(quote_reads)),
      cached_(repository_, runtime.cache(), *quote_reads_),
      accounts_(std::move(accounts)),
      events_(std::move(events)),
      logic_(cached_, *accounts_, runtime.page_tokens()),
      methods_(MakeMethods(
          v1::TradingTerms::descriptor()->file()->FindServiceByName("TradingTermsService"))) {}

TradingTermsServiceImpl::~TradingTermsServiceImpl() {
  if (events_) events_->Stop();
}

common::RpcMethod& TradingTermsServiceImpl::Method(const char* name) { return *methods_.at(name); }

ACCORD_WRITE(TradingTermsServiceImpl, CreateTradingTerms, CreateTradingTermsRequest,
             v1::TradingTerms, Create)
ACCORD_READ(TradingTermsServiceImpl, GetTradingTerms, GetTradingTermsRequest, v1::TradingTerms, Get)
ACCORD_READ(TradingTermsServiceImpl, ListTradingTerms, ListTradingTermsRequest,
            v1::ListTradingTermsResponse, List)
ACCORD_WRITE(TradingTermsServiceImpl, UpdateTradingTerms, UpdateTradingTermsRequest,
             v1::TradingTerms, Update)
ACCORD_WRITE(TradingTermsServiceImpl, SubmitTradingTerms, SubmitTradingTermsRequest,
             v1::TradingTerms, Submit)
ACCORD_WRITE(TradingTermsServiceImpl, ApproveTradingTerms, ApproveTradingTermsRequest,
             v1::TradingTerms, Approve)
ACCORD_WRITE(TradingTermsServiceImpl, RejectTradingTerms, RejectTradingTermsRequest,
             v1::TradingTerms, Reject)
ACCORD_WRITE(TradingTermsServiceImpl, ExpireTradingTerms, ExpireTradingTermsRequest,
             v1::TradingTerms, Expire)
ACCORD_READ(TradingTermsServiceImpl, GetEffectiveTradingTerms, GetEffectiveTradingTermsRequest,
            v1::TradingTerms, GetEffective)

QuoteServiceImpl::QuoteServiceImpl(common::Runtime& runtime,
                                   std::shared_ptr<AccountDirectory> accounts,
                                   std::shared_ptr<QuoteReadCache> quote_reads)
    : runtime_(runtime),
      repository_(runtime.pg()),
      quote_reads_(std::move(quote_reads)),
      cached_(repository_, runtime.cache(), *quote_reads_),
      accounts_(std::move(accounts)),
      logic_(cached_, *accounts_, runtime.page_tokens()),
      methods_(MakeMethods(v1::Quote::descriptor()->file()->FindServiceByName("QuoteService"))) {}

common::RpcMethod& QuoteServiceImpl::Method(const char* name) { return *methods_.at(name); }

ACCORD_READ(QuoteServiceImpl, PriceQuote, PriceQuoteRequest, v1::QuotePricing, Price)
ACCORD_WRITE(QuoteServiceImpl, CreateQuote, CreateQuoteRequest, v1::Quote, Create)
ACCORD_READ(QuoteServiceImpl, GetQuote, GetQuoteRequest, v1::Quote, Get)
ACCORD_READ(QuoteServiceImpl, ListQuotes, ListQuotesRequest, v1::ListQuotesResponse, List)
ACCORD_WRITE(QuoteServiceImpl, UpdateQuote, UpdateQuoteRequest, v1::Quote, Update)
ACCORD_WRITE(QuoteServiceImpl, CreateSale, CreateSaleRequest, v1::Sale, CreateSale)
ACCORD_READ(QuoteServiceImpl, GetSale, GetSaleRequest, v1::Sale, GetSale)
ACCORD_READ(QuoteServiceImpl, ListSales, ListSalesRequest, v1::ListSalesResponse, ListSales)
ACCORD_READ(QuoteServiceImpl, GetRebateStatement, GetRebateStatementRequest, v1::RebateStatement,
            GetRebateStatement)

#undef ACCORD_READ
#undef ACCORD_WRITE

common::ServiceDefinition PricingTermsServiceDefinition(PricingSettings settings) {
  common::ServiceDefinition definition;
  definition.name = kServiceName;
  definition.schema = kSchema;
  definition.default_grpc_port = 50053;
  definition.default_metrics_port = 9093;
  definition.migrations = []() -> const std::vector<common::Migration>& { return Migrations(); };
  definition.statements = sql::AllStatements();
  definition.make_services = [settings = std::move(settings)](common::Runtime& runtime) {
    // One directory (channel, cache) for both services; it lives as long as the last of them.
    auto accounts =
        std::make_shared<GrpcAccountDirectory>(settings.account, settings.access_cache_ttl);
    // What quotes read, held in process for every service here (their writes drop it) and
    // dropped on the events of every replica's changes.
    common::StreamTail& tail = runtime.event_tail();
    auto quote_reads = std::make_shared<QuoteReadCache>(
        QuoteReadCache::Options{.ttl = runtime.settings().cache_local_ttl},
        [&tail] { return tail.healthy(); });
    tail.AddListener([quote_reads](const common::PublishedEvent& event) {
      quote_reads->Changed(event.envelope.subject());
    });
    std::vector<std::unique_ptr<grpc::Service>> services;
    services.push_back(std::make_unique<PriceListServiceImpl>(runtime, quote_reads));
    services.push_back(std::make_unique<PricingPolicyServiceImpl>(runtime, quote_reads));
    // Subscribe needs a service identity (the integration role): without ACCORD_SERVICE_TOKEN
    // account merges and deletions are not followed.
    std::unique_ptr<AccountEventFeed> events;
    if (!settings.account.service_token.empty()) {
      events = std::make_unique<AccountEventFeed>(runtime.pg(), settings.account);
      events->Start();
    }
    services.push_back(std::make_unique<TradingTermsServiceImpl>(runtime, accounts,
                                                                 std::move(events), quote_reads));
    services.push_back(std::make_unique<QuoteServiceImpl>(runtime, accounts, quote_reads));
    return services;
  };
  definition.access = {
      {"accord.pricing.v1.*", common::MethodAccess::AnyRole()}};  // roles in the logic
  return definition;
}

}  // namespace accord::pricing
