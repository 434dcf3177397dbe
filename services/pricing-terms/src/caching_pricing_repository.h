// Read-through caching around the pricing repository, as the account service caches accounts
// (caching_account_repository.h).
//
// The pricing policy, read by every quote, is served from the runtime's VersionedCache under its
// name and version (its etag). One row only, so level 1 (in process) alone: each replica reads it
// from PostgreSQL once, and a Redis copy would save nothing (and a singleton key would be shared
// by every database behind one Redis). UpdatePolicy puts the new version right after commit; its
// event (PricingPolicyUpdated, subject `pricingPolicy`) drops older copies on every other replica,
// so a change is seen at once. Level 1 is served only while events arrive (the stream tail is
// healthy; with Redis down it is not): else reads go to PostgreSQL.
//
// The rest of what a quote reads (the account's terms in force, its price list chain as it stands
// today and the basket's items) comes from the process's QuoteReadCache (quote_read_cache.h): a
// write through this repository drops what it changed right after its commit, and the change's
// event drops it on every replica. Lists and items are cached only for days from today on (as of
// the end of such a day they are the current version); a past day reads the history in
// PostgreSQL. Everything else passes through.
#pragma once

#include <utility>

#include "accord/common/cache.h"
#include "pricing_repository.h"
#include "quote_read_cache.h"

namespace accord::pricing {

class CachingPricingRepository final : public PricingRepository {
 public:
  CachingPricingRepository(PricingRepository& inner, common::VersionedCache& cache,
                           QuoteReadCache& quote_reads)
      : inner_(inner), cache_(cache), quote_reads_(quote_reads) {}

  const common::filter::Schema& FilterSchema(Listed listed) const override {
    return inner_.FilterSchema(listed);
  }
  absl::StatusOr<PricingPolicy> GetPolicy() override;
  absl::StatusOr<PricingPolicy> UpdatePolicy(const PolicyMutation& mutate,
                                             const WriteMeta& meta) override;

  absl::StatusOr<PriceList> CreatePriceList(const PriceList& list, const WriteMeta& meta) override {
    return inner_.CreatePriceList(list, meta);
  }
  absl::StatusOr<PriceList> GetPriceList(const std::string& id) override {
    return inner_.GetPriceList(id);
  }
  absl::StatusOr<Page<PriceList>> ListPriceLists(const ListQuery& query) override {
    return inner_.ListPriceLists(query);
  }
  absl::StatusOr<PriceList> UpdatePriceList(const std::string& id, const PriceListMutation& mutate,
                                            const WriteMeta& meta) override {
    return Dropping(PriceListName(id), inner_.UpdatePriceList(id, mutate, meta));
  }
  absl::StatusOr<PriceListItem> GetItem(const std::string& price_list_id,
                                        const std::string& sku) override {
    return inner_.GetItem(price_list_id, sku);
  }
  absl::StatusOr<Page<PriceListItem>> ListItems(const ListQuery& query) override {
    return inner_.ListItems(query);
  }
  absl::StatusOr<std::vector<PriceListItem>> GetItemsAsOf(const std::string& price_list_id,
                                                          const std::vector<std::string>& skus,
                                                          const Date& day) override;
  absl::StatusOr<PriceList> GetPriceListAsOf(const std::string& id, const Date& day) override;
  absl::StatusOr<BatchUpsertPriceListItemsResponse> UpsertItems(
      const std::string& price_list_id, const std::vector<PriceListItem>& rows,
      const std::vector<int>& row_index, BatchUpsertPriceListItemsResponse response,
      const ListCheck& check, const WriteMeta& meta) override {
    return Dropping(
        PriceListName(price_list_id),
        inner_.UpsertItems(price_list_id, rows, row_index, std::move(response), check, meta));
  }
  absl::StatusOr<v1::ImportPriceListItemsResponse> ImportItems(
      const std::string& price_list_id, const std::vector<std::string>& rows,
      v1::ImportPriceListItemsResponse response, const ListCheck& check,
      const WriteMeta& meta) override {
    return Dropping(PriceListName(price_list_id),
                    inner_.ImportItems(price_list_id, rows, std::move(response), check, meta));
  }
  absl::StatusOr<TradingTerms> CreateTerms(const std::string& account_id, const TradingTerms& terms,
                                           const WriteMeta& meta) override {
    return inner_.CreateTerms(account_id, terms, meta);
  }
  absl::StatusOr<TradingTerms> GetTerms(const std::string& account_id,
                                        const std::string& id) override {
    return inner_.GetTerms(account_id, id);
  }
  absl::StatusOr<Page<TradingTerms>> ListTerms(const ListQuery& query) override {
    return inner_.ListTerms(query);
  }
  absl::StatusOr<TradingTerms> UpdateTerms(const std::string& account_id, const std::string& id,
                                           const TermsMutation& mutate,
                                           const WriteMeta& meta) override {
    return Dropping(TermsResourceName(account_id, id),
                    inner_.UpdateTerms(account_id, id, mutate, meta));
  }
  absl::StatusOr<std::optional<TradingTerms>> FindTermsInForce(const std::string& account_id,
                                                               const Date& day) override;
  absl::StatusOr<int> ApplyAccountChange(common::WriteTransaction& transaction,
                                         const AccountChange& change) override {
    return inner_.ApplyAccountChange(transaction, change);
  }
  absl::Status SetAccountTier(common::WriteTransaction& transaction, const std::string& account_id,
                              const std::string& tier, int64_t version) override {
    return inner_.SetAccountTier(transaction, account_id, tier, version);
  }
  absl::StatusOr<std::string> GetAccountTier(const std::string& account_id) override {
    return inner_.GetAccountTier(account_id);
  }
  absl::StatusOr<Quote> CreateQuote(const Quote& quote, const WriteMeta& meta) override {
    return inner_.CreateQuote(quote, meta);
  }
  absl::StatusOr<Quote> GetQuote(const std::string& id) override { return inner_.GetQuote(id); }
  absl::StatusOr<Page<Quote>> ListQuotes(const ListQuery& query) override {
    return inner_.ListQuotes(query);
  }
  absl::StatusOr<Quote> UpdateQuote(const std::string& id, const QuoteMutation& mutate,
                                    const WriteMeta& meta) override {
    return inner_.UpdateQuote(id, mutate, meta);
  }
  absl::StatusOr<Sale> CreateSale(const Sale& sale, const SaleFromQuote& from_quote,
                                  const WriteMeta& meta) override {
    return inner_.CreateSale(sale, from_quote, meta);
  }
  absl::StatusOr<Sale> GetSale(const std::string& id) override { return inner_.GetSale(id); }
  absl::StatusOr<Page<Sale>> ListSales(const ListQuery& query) override {
    return inner_.ListSales(query);
  }
  absl::StatusOr<SalesTotals> TotalSales(const std::string& account_id, const Date& from,
                                         const Date& until, const std::string& currency) override {
    return inner_.TotalSales(account_id, from, until, currency);
  }

 private:
  // What a write returns, once the quote reads `subject`'s change makes stale are dropped (also
  // after a failure: it may have committed before the answer was lost).
  template <typename T>
  absl::StatusOr<T> Dropping(const std::string& subject, absl::StatusOr<T> written) {
    quote_reads_.Changed(subject);
    return written;
  }

  PricingRepository& inner_;
  common::VersionedCache& cache_;
  QuoteReadCache& quote_reads_;
};

}  // namespace accord::pricing
