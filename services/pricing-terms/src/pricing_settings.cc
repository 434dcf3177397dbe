#include "pricing_settings.h"

#include "accord/common/errors.h"

namespace accord::pricing {

absl::StatusOr<PricingSettings> ReadPricingSettings(common::ConfigReader& config) {
  PricingSettings settings;
  settings.account = common::ReadServiceClientOptions(config, "account", "dns:///127.0.0.1:50051");
  settings.access_cache_ttl =
      config.Millis("ACCORD_PRICING_ACCESS_CACHE_TTL", settings.access_cache_ttl,
                    "how long an answer of the account service about ownership and teams is "
                    "reused (how long an account manager taken off a team keeps drafting terms)");
  ACCORD_RETURN_IF_ERROR(config.Finish());
  return settings;
}

}  // namespace accord::pricing
