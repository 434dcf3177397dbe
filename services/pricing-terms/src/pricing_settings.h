// Settings of the pricing-terms service beyond the shared ones (README "Pricing-terms service").
#pragma once

#include <chrono>

#include "absl/status/statusor.h"
#include "accord/common/config.h"
#include "accord/common/service_client.h"

namespace accord::pricing {

struct PricingSettings {
  common::ServiceClientOptions account;  // the account service
  std::chrono::milliseconds access_cache_ttl{30000};
};

// ACCORD_ACCOUNT_ADDRESS, ACCORD_ACCOUNT_DEADLINE, ACCORD_SERVICE_TOKEN[_FILE],
// ACCORD_PRICING_ACCESS_CACHE_TTL. INVALID_ARGUMENT naming every bad one.
absl::StatusOr<PricingSettings> ReadPricingSettings(common::ConfigReader& config);

}  // namespace accord::pricing
