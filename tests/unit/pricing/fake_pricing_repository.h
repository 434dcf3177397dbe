// An in-memory PricingRepository for unit tests of the pricing logic: it stores what it is
// given and runs the logic's callbacks, as the Postgres one does, without a database. It keeps
// one version of everything (GetPriceListAsOf and GetItemsAsOf return the current state).
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "accord/common/errors.h"
#include "pg_filter_schemas.h"
#include "pricing_repository.h"

namespace accord::pricing::testing {

class FakePricingRepository final : public PricingRepository {
 public:
  const common::filter::Schema& FilterSchema(Listed listed) const override {
    return FilterSchemaOf(listed);
  }
  absl::StatusOr<PriceList> CreatePriceList(const PriceList& list, const WriteMeta&) override {
    PriceList stored = list;
    stored.set_name(PriceListName(NextId()));
    stored.set_etag("1");
    lists_[stored.name()] = stored;
    return stored;
  }
  absl::StatusOr<PriceList> GetPriceList(const std::string& id) override {
    auto found = lists_.find(PriceListName(id));
    if (found == lists_.end()) return common::NotFound(PriceListName(id));
    return found->second;
  }
  absl::StatusOr<Page<PriceList>> ListPriceLists(const ListQuery&) override {
    return Page<PriceList>{};
  }
  absl::StatusOr<PriceList> UpdatePriceList(const std::string& id, const PriceListMutation& mutate,
                                            const WriteMeta&) override {
    ACCORD_ASSIGN_OR_RETURN(PriceList current, GetPriceList(id));
    ACCORD_ASSIGN_OR_RETURN(PriceList next, mutate(current));
    next.set_etag(std::to_string(std::stoll(current.etag()) + 1));
    lists_[next.name()] = next;
    return next;
  }
  absl::StatusOr<PriceListItem> GetItem(const std::string& list, const std::string& sku) override {
    auto found = items_[PriceListName(list)].find(sku);
    if (found == items_[PriceListName(list)].end()) return common::NotFound(sku);
    return found->second;
  }
  absl::StatusOr<Page<PriceListItem>> ListItems(const ListQuery&) override {
    return Page<PriceListItem>{};
  }
  absl::StatusOr<std::vector<PriceListItem>> GetItemsAsOf(const std::string& list,
                                                          const std::vector<std::string>& skus,
                                                          const Date&) override {
    std::vector<PriceListItem> out;
    for (const auto& sku : skus) {
      auto found = items_[PriceListName(list)].find(sku);
      if (found != items_[PriceListName(list)].end()) out.push_back(found->second);
    }
    return out;
  }
  absl::StatusOr<PriceList> GetPriceListAsOf(const std::string& id, const Date&) override {
    return GetPriceList(id);
  }
  absl::StatusOr<BatchUpsertPriceListItemsResponse> UpsertItems(
      const std::string& list_id, const std::vector<PriceListItem>& rows,
      const std::vector<int>& row_index, BatchUpsertPriceListItemsResponse response,
      const ListCheck& check, const WriteMeta&) override {
    ACCORD_ASSIGN_OR_RETURN(PriceList list, GetPriceList(list_id));
    ACCORD_RETURN_IF_ERROR(check(list));
    for (size_t i = 0; i < rows.size(); ++i) {
      PriceListItem item = rows[i];
      item.set_name(ItemResourceName(list_id, item.sku()));
      auto& slot = items_[list.name()][item.sku()];
      response.mutable_results(row_index[i])->set_created(slot.sku().empty());
      slot = item;
      *response.mutable_results(row_index[i])->mutable_item() = item;
    }
    return response;
  }

  absl::Status SetAccountTier(common::WriteTransaction&, const std::string& account_id,
                              const std::string& tier, int64_t) override {
    tiers_[account_id] = tier;
    return absl::OkStatus();
  }
  absl::StatusOr<std::string> GetAccountTier(const std::string& account_id) override {
    auto found = tiers_.find(account_id);
    return found == tiers_.end() ? std::string() : found->second;
  }
  std::map<std::string, std::string> tiers_;

  absl::StatusOr<v1::ImportPriceListItemsResponse> ImportItems(
      const std::string& list_id, const std::vector<std::string>& rows,
      v1::ImportPriceListItemsResponse response, const ListCheck& check,
      const WriteMeta&) override {
    ACCORD_ASSIGN_OR_RETURN(PriceList list, GetPriceList(list_id));
    ACCORD_RETURN_IF_ERROR(check(list));
    for (const std::string& row : rows) {
      PriceListItem item;
      item.ParseFromString(row);
      item.set_name(ItemResourceName(list_id, item.sku()));
      auto& slot = items_[list.name()][item.sku()];
      if (slot.sku().empty()) {
        response.set_created(response.created() + 1);
      } else if (slot.SerializeAsString() != item.SerializeAsString()) {
        response.set_updated(response.updated() + 1);
      } else {
        response.set_unchanged(response.unchanged() + 1);
      }
      slot = item;
    }
    return response;
  }

  absl::StatusOr<TradingTerms> CreateTerms(const std::string& account_id, const TradingTerms& terms,
                                           const WriteMeta&) override {
    TradingTerms stored = terms;
    stored.set_name(TermsResourceName(account_id, NextId()));
    stored.set_etag("1");
    terms_[stored.name()] = stored;
    return stored;
  }
  absl::StatusOr<TradingTerms> GetTerms(const std::string& account_id,
                                        const std::string& id) override {
    auto found = terms_.find(TermsResourceName(account_id, id));
    if (found == terms_.end()) return common::NotFound(TermsResourceName(account_id, id));
    return found->second;
  }
  absl::StatusOr<Page<TradingTerms>> ListTerms(const ListQuery&) override {
    return Page<TradingTerms>{};
  }
  absl::StatusOr<TradingTerms> UpdateTerms(const std::string& account_id, const std::string& id,
                                           const TermsMutation& mutate, const WriteMeta&) override {
    ACCORD_ASSIGN_OR_RETURN(TradingTerms current, GetTerms(account_id, id));
    std::vector<TradingTerms> in_force;
    for (const auto& [name, terms] : terms_) {
      if (name != current.name() && name.rfind(AccountName(account_id), 0) == 0 &&
          terms.status() >= v1::TRADING_TERMS_STATUS_ACTIVE) {
        in_force.push_back(terms);
      }
    }
    ACCORD_ASSIGN_OR_RETURN(TermsChange change, mutate(current, in_force, policy_));
    for (auto other : change.others) {
      other.set_etag(std::to_string(std::stoll(other.etag()) + 1));
      terms_[other.name()] = other;
    }
    change.next.set_etag(std::to_string(std::stoll(current.etag()) + 1));
    terms_[change.next.name()] = change.next;
    last_event_ = change.event;
    return change.next;
  }
  absl::StatusOr<std::optional<TradingTerms>> FindTermsInForce(const std::string& account_id,
                                                               const Date& day) override {
    for (const auto& [name, terms] : terms_) {
      if (name.rfind(AccountName(account_id), 0) == 0 &&
          terms.status() >= v1::TRADING_TERMS_STATUS_ACTIVE &&
          InWindow(day, terms.valid_from(), terms.valid_until())) {
        return std::optional<TradingTerms>(terms);
      }
    }
    return std::optional<TradingTerms>();
  }

  absl::StatusOr<int> ApplyAccountChange(common::WriteTransaction&,
                                         const AccountChange& change) override {
    account_changes_.push_back(change);
    return 0;
  }

  absl::StatusOr<PricingPolicy> GetPolicy() override { return policy_; }
  absl::StatusOr<PricingPolicy> UpdatePolicy(const PolicyMutation& mutate,
                                             const WriteMeta&) override {
    ACCORD_ASSIGN_OR_RETURN(PricingPolicy next, mutate(policy_));
    next.set_etag(std::to_string(std::stoll(policy_.etag()) + 1));
    policy_ = next;
    last_event_ = "PricingPolicyUpdated";
    return policy_;
  }

  absl::StatusOr<Quote> CreateQuote(const Quote& quote, const WriteMeta&) override {
    Quote stored = quote;
    stored.set_name(QuoteName(NextId()));
    stored.set_etag("1");
    quotes_[stored.name()] = stored;
    return stored;
  }
  absl::StatusOr<Quote> GetQuote(const std::string& id) override {
    auto found = quotes_.find(QuoteName(id));
    if (found == quotes_.end()) return common::NotFound(QuoteName(id));
    return found->second;
  }
  absl::StatusOr<Page<Quote>> ListQuotes(const ListQuery&) override { return Page<Quote>{}; }
  absl::StatusOr<Quote> UpdateQuote(const std::string& id, const QuoteMutation& mutate,
                                    const WriteMeta&) override {
    ACCORD_ASSIGN_OR_RETURN(Quote current, GetQuote(id));
    ACCORD_ASSIGN_OR_RETURN(Quote next, mutate(current));
    next.set_etag(std::to_string(std::stoll(current.etag()) + 1));
    quotes_[next.name()] = next;
    return next;
  }

  absl::StatusOr<Sale> CreateSale(const Sale& sale, const SaleFromQuote& from_quote,
                                  const WriteMeta&) override {
    Sale stored = sale;
    if (!sale.quote().empty()) {
      auto quote = quotes_.find(sale.quote());
      if (quote == quotes_.end()) return common::NotFound(sale.quote());
      if (sold_.count(sale.quote())) {
        return common::FailedPrecondition("QUOTE_ALREADY_SOLD", "sold");
      }
      ACCORD_ASSIGN_OR_RETURN(stored, from_quote(quote->second));
      sold_.insert(sale.quote());
    }
    stored.set_name(SaleName(NextId()));
    stored.set_etag("1");
    return stored;
  }
  absl::StatusOr<Sale> GetSale(const std::string& id) override { return common::NotFound(id); }
  absl::StatusOr<Page<Sale>> ListSales(const ListQuery&) override { return Page<Sale>{}; }
  absl::StatusOr<SalesTotals> TotalSales(const std::string&, const Date&, const Date&,
                                         const std::string&) override {
    return totals_;
  }

  std::map<std::string, PriceList> lists_;
  std::map<std::string, std::map<std::string, PriceListItem>> items_;
  std::map<std::string, TradingTerms> terms_;
  std::map<std::string, Quote> quotes_;
  std::set<std::string> sold_;
  SalesTotals totals_;
  std::vector<AccountChange> account_changes_;
  std::string last_event_;
  PricingPolicy policy_ = [] {
    PricingPolicy policy;
    policy.set_name("pricingPolicy");
    policy.set_etag("1");
    return policy;
  }();

 private:
  std::string NextId() {
    char buffer[40];
    std::snprintf(buffer, sizeof(buffer), "0190a000-0000-7000-8000-%012d", ++next_id_);
    return buffer;
  }
  int next_id_ = 0;
};

}  // namespace accord::pricing::testing
