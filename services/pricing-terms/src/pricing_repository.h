// Storage of price lists, items, trading terms, quotes and sales, behind an interface so the
// domain logic is tested against a fake. Implementations store what they are given and run the
// callbacks the logic passes in (the decisions), under the row locks that make them safe; they
// decide nothing themselves. Every write appends its event to the outbox in its transaction and
// honours WriteMeta::request_id.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "accord/common/filter.h"
#include "accord/common/pg.h"
#include "accord/pricing/v1/price_list.pb.h"
#include "accord/pricing/v1/pricing_policy.pb.h"
#include "accord/pricing/v1/quote.pb.h"
#include "accord/pricing/v1/trading_terms.pb.h"
#include "pricing_common.h"
#include "rebate.h"

namespace accord::pricing {

using v1::BatchUpsertPriceListItemsResponse;
using v1::PriceList;
using v1::PriceListItem;
using v1::PricingPolicy;
using v1::Quote;
using v1::Sale;
using v1::TradingTerms;

// What the account service's events change here (account_events.h), applied in the feed's
// transaction, each change with its event.
struct AccountChange {
  std::string account_id;
  std::string survivor_id;  // a merge: where the account's open work moves; "" for a deletion
  Date day;                 // the day of the merge or deletion (UTC)
};

// The last day of ACTIVE terms ended by their account's merge or deletion on `day`: that day, but
// never before they began nor after they were to end (defined with the terms logic).
Date EndedOn(const TradingTerms& terms, const Date& day);

// A keyset-paged List. `order` names a sort column known to the repository ("create_time",
// "display_name", "sku", ...), validated by the logic.
struct ListQuery {
  std::optional<std::string> parent_id;  // the price list or account; nullopt: every one
  int limit = 50;                        // rows to return; the repository returns up to limit + 1
  std::string order;
  bool descending = false;
  // A compiled filter (see filter.h) over the table's row alias `r`, $N numbered from 1.
  std::string filter_sql;
  std::vector<std::string> filter_params;
  std::optional<std::vector<std::string>> after;  // sort key and id of the previous page's last
};

template <typename T>
struct Page {
  std::vector<T> items;
  std::vector<std::vector<std::string>> keys;  // sort key and id of each item
};

// What a terms transition changes: the terms themselves and, when it supersedes, others.
struct TermsChange {
  TradingTerms next;
  std::vector<TradingTerms> others;  // each with its new status and validity
  std::string event;                 // "TradingTermsApproved", ...
};

// The Lists the repository answers, each with its filter schema.
enum class Listed { kPriceLists, kItems, kTerms, kQuotes, kSales };

class PricingRepository {
 public:
  virtual ~PricingRepository() = default;

  // The filterable fields of a List and their SQL (storage's knowledge, pg_filter_schemas.h);
  // the logic compiles a request's filter against it for the ListQuery it passes back.
  virtual const common::filter::Schema& FilterSchema(Listed listed) const = 0;

  // --- price lists (id assigned here; name, etag and times filled from storage) ---
  virtual absl::StatusOr<PriceList> CreatePriceList(const PriceList& list,
                                                    const WriteMeta& meta) = 0;
  // NOT_FOUND naming priceLists/{id}.
  virtual absl::StatusOr<PriceList> GetPriceList(const std::string& id) = 0;
  virtual absl::StatusOr<Page<PriceList>> ListPriceLists(const ListQuery& query) = 0;
  using PriceListMutation = std::function<absl::StatusOr<PriceList>(const PriceList& current)>;
  // Locks the list, stores what `mutate` returns with the next version.
  virtual absl::StatusOr<PriceList> UpdatePriceList(const std::string& id,
                                                    const PriceListMutation& mutate,
                                                    const WriteMeta& meta) = 0;

  // --- items ---
  virtual absl::StatusOr<PriceListItem> GetItem(const std::string& price_list_id,
                                                const std::string& sku) = 0;
  // parent_id is the price list (NOT_FOUND naming it when missing).
  virtual absl::StatusOr<Page<PriceListItem>> ListItems(const ListQuery& query) = 0;
  // The items of `skus` the list carried at the end of `day` (UTC), as they were then; missing
  // ones are simply absent.
  virtual absl::StatusOr<std::vector<PriceListItem>> GetItemsAsOf(
      const std::string& price_list_id, const std::vector<std::string>& skus, const Date& day) = 0;
  // The list as it was at the end of `day` (UTC); NOT_FOUND when it did not exist yet.
  virtual absl::StatusOr<PriceList> GetPriceListAsOf(const std::string& id, const Date& day) = 0;
  // Locks the list, runs `check` on it, then upserts every `rows[i]` (keyed by sku) and bumps
  // the list's version once (one event for the batch). Fills results[row_index[i]] of
  // `response` with the stored item and `created`; returns the response.
  using ListCheck = std::function<absl::Status(const PriceList& list)>;
  virtual absl::StatusOr<BatchUpsertPriceListItemsResponse> UpsertItems(
      const std::string& price_list_id, const std::vector<PriceListItem>& rows,
      const std::vector<int>& row_index, BatchUpsertPriceListItemsResponse response,
      const ListCheck& check, const WriteMeta& meta) = 0;

  // Locks the list, runs `check` on it, then writes `rows` (items serialized as stored, their
  // SKUs distinct): copied into a staging table and merged into the list in one statement; rows
  // that match the stored item change nothing. When anything changed, bumps the list's version
  // once (one event for the import). Returns `response` with created, updated, unchanged and the
  // list's etag filled in.
  virtual absl::StatusOr<v1::ImportPriceListItemsResponse> ImportItems(
      const std::string& price_list_id, const std::vector<std::string>& rows,
      v1::ImportPriceListItemsResponse response, const ListCheck& check, const WriteMeta& meta) = 0;

  // --- trading terms ---
  virtual absl::StatusOr<TradingTerms> CreateTerms(const std::string& account_id,
                                                   const TradingTerms& terms,
                                                   const WriteMeta& meta) = 0;
  virtual absl::StatusOr<TradingTerms> GetTerms(const std::string& account_id,
                                                const std::string& id) = 0;
  virtual absl::StatusOr<Page<TradingTerms>> ListTerms(const ListQuery& query) = 0;
  // Locks the terms and the account's other terms that are or were in force (ACTIVE, EXPIRED,
  // SUPERSEDED), reads the pricing policy (shared lock: a policy change waits for the
  // transition, and the other way round), passes them to `mutate`, stores the change. An overlap
  // of in-force windows that the database refuses is FAILED_PRECONDITION, reason TERMS_OVERLAP.
  using TermsMutation = std::function<absl::StatusOr<TermsChange>(
      const TradingTerms& current, const std::vector<TradingTerms>& in_force,
      const PricingPolicy& policy)>;
  virtual absl::StatusOr<TradingTerms> UpdateTerms(const std::string& account_id,
                                                   const std::string& id,
                                                   const TermsMutation& mutate,
                                                   const WriteMeta& meta) = 0;
  // The account's terms in force on `day` (ACTIVE, EXPIRED or SUPERSEDED whose window holds it).
  virtual absl::StatusOr<std::optional<TradingTerms>> FindTermsInForce(
      const std::string& account_id, const Date& day) = 0;

  // --- account events ---
  // A merge moves the duplicate's open quotes (DRAFT, SENT) and its terms not yet in force
  // (DRAFT, PENDING_APPROVAL) to the survivor; a merge or a deletion ends the account's ACTIVE
  // terms on `day` (EXPIRED; see EndedOn). Returns how many resources changed.
  virtual absl::StatusOr<int> ApplyAccountChange(common::WriteTransaction& transaction,
                                                 const AccountChange& change) = 0;

  // The account's tier as its events last said (AccountTierOf): kept unless `version` is older
  // than the one stored.
  virtual absl::Status SetAccountTier(common::WriteTransaction& transaction,
                                      const std::string& account_id, const std::string& tier,
                                      int64_t version) = 0;
  // "" when no event has told it yet.
  virtual absl::StatusOr<std::string> GetAccountTier(const std::string& account_id) = 0;

  // --- the pricing policy (always present) ---
  virtual absl::StatusOr<PricingPolicy> GetPolicy() = 0;
  using PolicyMutation = std::function<absl::StatusOr<PricingPolicy>(const PricingPolicy& current)>;
  // Locks the policy, stores what `mutate` returns with the next version.
  virtual absl::StatusOr<PricingPolicy> UpdatePolicy(const PolicyMutation& mutate,
                                                     const WriteMeta& meta) = 0;

  // --- quotes ---
  virtual absl::StatusOr<Quote> CreateQuote(const Quote& quote, const WriteMeta& meta) = 0;
  virtual absl::StatusOr<Quote> GetQuote(const std::string& id) = 0;
  virtual absl::StatusOr<Page<Quote>> ListQuotes(const ListQuery& query) = 0;
  using QuoteMutation = std::function<absl::StatusOr<Quote>(const Quote& current)>;
  virtual absl::StatusOr<Quote> UpdateQuote(const std::string& id, const QuoteMutation& mutate,
                                            const WriteMeta& meta) = 0;

  // --- sales ---
  // With sale.quote set: locks the quote and passes it to `from_quote`, which returns the sale
  // to store (its frozen pricing). A quote already sold is FAILED_PRECONDITION, reason
  // QUOTE_ALREADY_SOLD.
  using SaleFromQuote = std::function<absl::StatusOr<Sale>(const Quote& quote)>;
  virtual absl::StatusOr<Sale> CreateSale(const Sale& sale, const SaleFromQuote& from_quote,
                                          const WriteMeta& meta) = 0;
  virtual absl::StatusOr<Sale> GetSale(const std::string& id) = 0;
  virtual absl::StatusOr<Page<Sale>> ListSales(const ListQuery& query) = 0;
  // The account's sales recorded in [from, until] (whole UTC days) in `currency`, added up.
  virtual absl::StatusOr<SalesTotals> TotalSales(const std::string& account_id, const Date& from,
                                                 const Date& until,
                                                 const std::string& currency) = 0;
};

}  // namespace accord::pricing
