#include "caching_pricing_repository.h"

namespace accord::pricing {
namespace {

// The cache entry of the policy: versioned by its etag.
common::CachedValue ValueOf(const PricingPolicy& policy) {
  return {std::stoll(policy.etag()), policy.SerializeAsString()};
}

}  // namespace

absl::StatusOr<PricingPolicy> CachingPricingRepository::GetPolicy() {
  if (auto cached = cache_.GetLocal(kPolicyName)) {
    PricingPolicy policy;
    if (policy.ParseFromString(cached->bytes)) return policy;
  }
  auto policy = inner_.GetPolicy();
  // Level 1 refuses an older version than it holds (or than an event's tombstone).
  if (policy.ok()) cache_.PutLocalOnly(policy->name(), ValueOf(*policy));
  return policy;
}

absl::StatusOr<PricingPolicy> CachingPricingRepository::UpdatePolicy(const PolicyMutation& mutate,
                                                                     const WriteMeta& meta) {
  auto updated = inner_.UpdatePolicy(mutate, meta);
  if (updated.ok()) cache_.PutLocalOnly(updated->name(), ValueOf(*updated));
  return updated;
}

absl::StatusOr<std::optional<TradingTerms>> CachingPricingRepository::FindTermsInForce(
    const std::string& account_id, const Date& day) {
  return quote_reads_.TermsInForce(account_id, day,
                                   [&] { return inner_.FindTermsInForce(account_id, day); });
}

absl::StatusOr<PriceList> CachingPricingRepository::GetPriceListAsOf(const std::string& id,
                                                                     const Date& day) {
  if (CompareDates(day, TodayUtc()) < 0) return inner_.GetPriceListAsOf(id, day);
  return quote_reads_.CurrentList(id, [&] { return inner_.GetPriceListAsOf(id, day); });
}

absl::StatusOr<std::vector<PriceListItem>> CachingPricingRepository::GetItemsAsOf(
    const std::string& price_list_id, const std::vector<std::string>& skus, const Date& day) {
  if (CompareDates(day, TodayUtc()) < 0) return inner_.GetItemsAsOf(price_list_id, skus, day);
  return quote_reads_.CurrentItems(price_list_id, skus,
                                   [&](const std::vector<std::string>& missing) {
                                     return inner_.GetItemsAsOf(price_list_id, missing, day);
                                   });
}

}  // namespace accord::pricing
