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

}  // namespace accord::pricing
