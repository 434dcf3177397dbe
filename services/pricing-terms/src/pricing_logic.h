// The pricing-terms domain: validation, permissions, status rules, update masks, paging, and
// the assembly of a quote's inputs. Pure logic over messages and a repository; no gRPC types,
// so it is unit-tested against a fake.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "accord/common/auth.h"
#include "accord/common/page_token.h"
#include "accord/common/service_client.h"
#include "accord/pricing/v1/price_list.pb.h"
#include "accord/pricing/v1/pricing_policy.pb.h"
#include "accord/pricing/v1/quote.pb.h"
#include "accord/pricing/v1/trading_terms.pb.h"
#include "account_directory.h"
#include "google/rpc/status.pb.h"
#include "pricing_engine.h"
#include "pricing_repository.h"

namespace accord::pricing {

// Who is calling, and the identity pricing forwards when it asks the account service about the
// accounts the call names. Built from a bare Principal (unit tests, background work) it carries
// no identity.
struct Caller : common::Principal {
  Caller(common::Principal principal, common::CallIdentity identity = {})  // NOLINT: implicit
      : common::Principal(std::move(principal)), identity(std::move(identity)) {}
  common::CallIdentity identity;
};

// Who may do what (see the protos' service comments).
absl::Status CheckManagesPriceLists(const common::Principal& caller);
absl::Status CheckUpsertsItems(const common::Principal& caller);
absl::Status CheckDraftsTerms(const common::Principal& caller);
absl::Status CheckApprovesTerms(const common::Principal& caller);
absl::Status CheckWritesQuotes(const common::Principal& caller);
absl::Status CheckRecordsSales(const common::Principal& caller);

bool IsAllowedPriceListTransition(v1::PriceListStatus from, v1::PriceListStatus to);
bool IsAllowedQuoteTransition(v1::QuoteStatus from, v1::QuoteStatus to);

// Field checks; `prefix` is the request's path to the message ("price_list.").
void ValidatePriceListFields(const PriceList& list, const std::string& prefix,
                             common::Violations& violations);
// `currency` is the list's.
void ValidateItemFields(const PriceListItem& item, const std::string& prefix,
                        const std::string& currency, common::Violations& violations);
// `currency` is the price list's ("" when it is not known yet).
void ValidateTermsFields(const TradingTerms& terms, const std::string& prefix,
                         const std::string& currency, common::Violations& violations);
void ValidateQuoteLines(const google::protobuf::RepeatedPtrField<QuoteLine>& lines,
                        common::Violations& violations, bool required = true);

// An absl status as the google.rpc.Status of a batch row.
google::rpc::Status ToRpcStatus(const absl::Status& status);

// Before a write that names `account_id`: the account is live (NOT_FOUND, FAILED_PRECONDITION
// ACCOUNT_MERGED naming the survivor, UNAVAILABLE when the account service is down), and a
// caller whose only qualifying role is account_manager owns it or is on its team (else
// PERMISSION_DENIED NOT_ON_ACCOUNT_TEAM). `broad_roles` are the roles that act on any account.
absl::Status CheckAccountWrite(AccountDirectory& accounts, const Caller& caller,
                               const std::string& account_id,
                               std::initializer_list<common::Role> broad_roles, bool check_live);

// The pricing policy's rules (pricing_policy.proto). The discount `who` activates on its own
// authority: the largest authority the policy sets for one of its roles; none set, nothing.
std::optional<int32_t> OwnAuthority(const PricingPolicy& policy, const common::Principal& who);
// The largest discount `who` approves for others: admin 100%, a pricing_manager its set
// authority or 100%, anyone else nothing.
int32_t ApprovalAuthority(const PricingPolicy& policy, const common::Principal& who);
// A rule's discount as a percentage, for authorities: an amount off or a fixed price cannot be
// measured without the item's price, so it counts as 100% (always another's approval).
int32_t RuleDiscountBps(const v1::DiscountRule& rule);
int32_t LargestDiscount(const TradingTerms& terms);
// FAILED_PRECONDITION POLICY_LIMIT_EXCEEDED with a violation per category rule above the limit
// covering its scope.
absl::Status CheckCategoryLimits(const TradingTerms& terms, const PricingPolicy& policy);
// The rules of `terms` above `submitter`'s own authority (none when it has none set).
// The account tiers a tier limit names: strategic, key, standard, unspecified.
const std::set<std::string>& AccountTiers();
// The rules of `terms` beyond the policy's limit for accounts of `tier` ("": not known, no
// limit), as breaches to record at submission.
std::vector<v1::PolicyBreach> TierBreaches(const TradingTerms& terms, const PricingPolicy& policy,
                                           const std::string& tier);
std::vector<v1::PolicyBreach> AuthorityBreaches(const TradingTerms& terms,
                                                const PricingPolicy& policy,
                                                const common::Principal& submitter);
void ValidatePolicyFields(const PricingPolicy& policy, const std::string& prefix,
                          common::Violations& violations);

class PolicyLogic {
 public:
  explicit PolicyLogic(PricingRepository& repository);
  absl::StatusOr<PricingPolicy> Get(const common::Principal& caller,
                                    const v1::GetPricingPolicyRequest& request);
  absl::StatusOr<PricingPolicy> Update(const common::Principal& caller,
                                       const v1::UpdatePricingPolicyRequest& request,
                                       WriteMeta meta);

 private:
  PricingRepository& repository_;
};

class PriceListLogic {
 public:
  PriceListLogic(PricingRepository& repository, const common::PageTokenCodec& page_tokens);

  absl::StatusOr<PriceList> Create(const common::Principal& caller,
                                   const v1::CreatePriceListRequest& request, WriteMeta meta);
  absl::StatusOr<PriceList> Get(const common::Principal& caller,
                                const v1::GetPriceListRequest& request);
  absl::StatusOr<v1::ListPriceListsResponse> List(const common::Principal& caller,
                                                  const v1::ListPriceListsRequest& request);
  absl::StatusOr<PriceList> Update(const common::Principal& caller,
                                   const v1::UpdatePriceListRequest& request, WriteMeta meta);
  absl::StatusOr<PriceListItem> GetItem(const common::Principal& caller,
                                        const v1::GetPriceListItemRequest& request);
  absl::StatusOr<v1::ListPriceListItemsResponse> ListItems(
      const common::Principal& caller, const v1::ListPriceListItemsRequest& request);
  absl::StatusOr<v1::BatchUpsertPriceListItemsResponse> BatchUpsertItems(
      const common::Principal& caller, const v1::BatchUpsertPriceListItemsRequest& request,
      WriteMeta meta);

 private:
  PricingRepository& repository_;
  const common::PageTokenCodec& page_tokens_;
};

class TermsLogic {
 public:
  TermsLogic(PricingRepository& repository, AccountDirectory& accounts,
             const common::PageTokenCodec& page_tokens);

  absl::StatusOr<TradingTerms> Create(const Caller& caller,
                                      const v1::CreateTradingTermsRequest& request, WriteMeta meta);
  absl::StatusOr<TradingTerms> Get(const Caller& caller, const v1::GetTradingTermsRequest& request);
  absl::StatusOr<v1::ListTradingTermsResponse> List(const Caller& caller,
                                                    const v1::ListTradingTermsRequest& request);
  absl::StatusOr<TradingTerms> Update(const Caller& caller,
                                      const v1::UpdateTradingTermsRequest& request, WriteMeta meta);
  absl::StatusOr<TradingTerms> Submit(const Caller& caller,
                                      const v1::SubmitTradingTermsRequest& request, WriteMeta meta);
  absl::StatusOr<TradingTerms> Approve(const Caller& caller,
                                       const v1::ApproveTradingTermsRequest& request,
                                       WriteMeta meta);
  absl::StatusOr<TradingTerms> Reject(const Caller& caller,
                                      const v1::RejectTradingTermsRequest& request, WriteMeta meta);
  absl::StatusOr<TradingTerms> Expire(const Caller& caller,
                                      const v1::ExpireTradingTermsRequest& request, WriteMeta meta);
  absl::StatusOr<TradingTerms> GetEffective(const Caller& caller,
                                            const v1::GetEffectiveTradingTermsRequest& request);

 private:
  // The price list the terms refer to, as a violation on `field` when it is missing.
  absl::StatusOr<PriceList> LoadPriceList(const std::string& name, const std::string& field);

  PricingRepository& repository_;
  AccountDirectory& accounts_;
  const common::PageTokenCodec& page_tokens_;
};

class QuoteLogic {
 public:
  QuoteLogic(PricingRepository& repository, AccountDirectory& accounts,
             const common::PageTokenCodec& page_tokens);

  absl::StatusOr<QuotePricing> Price(const Caller& caller, const v1::PriceQuoteRequest& request);
  absl::StatusOr<Quote> Create(const Caller& caller, const v1::CreateQuoteRequest& request,
                               WriteMeta meta);
  absl::StatusOr<Quote> Get(const Caller& caller, const v1::GetQuoteRequest& request);
  absl::StatusOr<v1::ListQuotesResponse> List(const Caller& caller,
                                              const v1::ListQuotesRequest& request);
  absl::StatusOr<Quote> Update(const Caller& caller, const v1::UpdateQuoteRequest& request,
                               WriteMeta meta);
  absl::StatusOr<Sale> CreateSale(const Caller& caller, const v1::CreateSaleRequest& request,
                                  WriteMeta meta);
  absl::StatusOr<Sale> GetSale(const Caller& caller, const v1::GetSaleRequest& request);
  absl::StatusOr<v1::ListSalesResponse> ListSales(const Caller& caller,
                                                  const v1::ListSalesRequest& request);
  absl::StatusOr<v1::RebateStatement> GetRebateStatement(
      const Caller& caller, const v1::GetRebateStatementRequest& request);

  // Loads what a quote of `account_id` on `day` reads (terms in force, the list chain, the
  // basket's items) and computes it. `fallback_list_id` is used without terms. Saved quotes and
  // sales keep the FULL explanation.
  absl::StatusOr<QuotePricing> PriceLines(const std::string& account_id, const Date& day,
                                          const std::string& fallback_list_id,
                                          const std::vector<QuoteLine>& lines,
                                          v1::PricingView view = v1::PRICING_VIEW_FULL);

 private:
  PricingRepository& repository_;
  AccountDirectory& accounts_;
  const common::PageTokenCodec& page_tokens_;
};

}  // namespace accord::pricing
