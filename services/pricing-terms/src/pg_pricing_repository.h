// PricingRepository over PostgreSQL (schema pricing_terms): rows carry each resource as its
// serialized message plus the columns lists and constraints need.
#pragma once

#include "accord/common/outbox.h"
#include "accord/common/pg.h"
#include "pg_filter_schemas.h"
#include "pricing_repository.h"
#include "pricing_write.h"

namespace accord::pricing {

class PgPricingRepository final : public PricingRepository {
 public:
  explicit PgPricingRepository(common::PgPool& pool);

  const common::filter::Schema& FilterSchema(Listed listed) const override {
    return FilterSchemaOf(listed);
  }

  absl::StatusOr<PriceList> CreatePriceList(const PriceList& list, const WriteMeta& meta) override;
  absl::StatusOr<PriceList> GetPriceList(const std::string& id) override;
  absl::StatusOr<Page<PriceList>> ListPriceLists(const ListQuery& query) override;
  absl::StatusOr<PriceList> UpdatePriceList(const std::string& id, const PriceListMutation& mutate,
                                            const WriteMeta& meta) override;

  absl::StatusOr<PriceListItem> GetItem(const std::string& price_list_id,
                                        const std::string& sku) override;
  absl::StatusOr<Page<PriceListItem>> ListItems(const ListQuery& query) override;
  absl::StatusOr<std::vector<PriceListItem>> GetItemsAsOf(const std::string& price_list_id,
                                                          const std::vector<std::string>& skus,
                                                          const Date& day) override;
  absl::StatusOr<PriceList> GetPriceListAsOf(const std::string& id, const Date& day) override;
  absl::StatusOr<BatchUpsertPriceListItemsResponse> UpsertItems(
      const std::string& price_list_id, const std::vector<PriceListItem>& rows,
      const std::vector<int>& row_index, BatchUpsertPriceListItemsResponse response,
      const ListCheck& check, const WriteMeta& meta) override;
  absl::StatusOr<v1::ImportPriceListItemsResponse> ImportItems(
      const std::string& price_list_id, const std::vector<std::string>& rows,
      v1::ImportPriceListItemsResponse response, const ListCheck& check,
      const WriteMeta& meta) override;

  absl::StatusOr<TradingTerms> CreateTerms(const std::string& account_id, const TradingTerms& terms,
                                           const WriteMeta& meta) override;
  absl::StatusOr<TradingTerms> GetTerms(const std::string& account_id,
                                        const std::string& id) override;
  absl::StatusOr<Page<TradingTerms>> ListTerms(const ListQuery& query) override;
  absl::StatusOr<TradingTerms> UpdateTerms(const std::string& account_id, const std::string& id,
                                           const TermsMutation& mutate,
                                           const WriteMeta& meta) override;
  absl::StatusOr<std::optional<TradingTerms>> FindTermsInForce(const std::string& account_id,
                                                               const Date& day) override;

  absl::StatusOr<int> ApplyAccountChange(common::WriteTransaction& transaction,
                                         const AccountChange& change) override;

  absl::Status SetAccountTier(common::WriteTransaction& transaction, const std::string& account_id,
                              const std::string& tier, int64_t version) override;
  absl::StatusOr<std::string> GetAccountTier(const std::string& account_id) override;
  absl::StatusOr<PricingPolicy> GetPolicy() override;
  absl::StatusOr<PricingPolicy> UpdatePolicy(const PolicyMutation& mutate,
                                             const WriteMeta& meta) override;

  absl::StatusOr<Quote> CreateQuote(const Quote& quote, const WriteMeta& meta) override;
  absl::StatusOr<Quote> GetQuote(const std::string& id) override;
  absl::StatusOr<Page<Quote>> ListQuotes(const ListQuery& query) override;
  absl::StatusOr<Quote> UpdateQuote(const std::string& id, const QuoteMutation& mutate,
                                    const WriteMeta& meta) override;

  absl::StatusOr<Sale> CreateSale(const Sale& sale, const SaleFromQuote& from_quote,
                                  const WriteMeta& meta) override;
  absl::StatusOr<Sale> GetSale(const std::string& id) override;
  absl::StatusOr<Page<Sale>> ListSales(const ListQuery& query) override;
  absl::StatusOr<SalesTotals> TotalSales(const std::string& account_id, const Date& from,
                                         const Date& until, const std::string& currency) override;

 private:
  common::IdempotentWrite writer_;
  common::OutboxWriter outbox_;  // events of changes made outside a request (account events)
};

}  // namespace accord::pricing
