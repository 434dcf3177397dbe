// Settings of the contact service beyond the shared ones (README "Contact service").
#pragma once

#include <chrono>
#include <string>

#include "absl/status/statusor.h"
#include "accord/common/config.h"
#include "accord/common/service_client.h"
#include "pii_cipher.h"

namespace accord::contact {

struct ContactSettings {
  PiiKeys keys;
  // Region for phone numbers written without a country code, when the contact's address has
  // no region_code.
  std::string default_region = "US";
  common::ServiceClientOptions account;  // the account service
  // pricing-terms, whose sale events are followed (with ACCORD_SERVICE_TOKEN set).
  common::ServiceClientOptions pricing;
  std::chrono::milliseconds access_cache_ttl{30000};
};

// ACCORD_CONTACT_PII_KEYS or ACCORD_CONTACT_PII_KEYS_FILE (`id:BASE64` items, the first is used
// for new writes), ACCORD_CONTACT_BLIND_INDEX_KEY or ..._FILE, ACCORD_CONTACT_DEFAULT_REGION,
// ACCORD_CONTACT_ACCESS_CACHE_TTL, ACCORD_ACCOUNT_ADDRESS, ACCORD_ACCOUNT_DEADLINE,
// ACCORD_PRICING_TERMS_ADDRESS,
// ACCORD_SERVICE_TOKEN[_FILE]. INVALID_ARGUMENT naming every bad or missing one.
absl::StatusOr<ContactSettings> ReadContactSettings(common::ConfigReader& config);

}  // namespace accord::contact
