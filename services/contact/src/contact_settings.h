// Settings of the contact service beyond the shared ones (README "Contact service").
#pragma once

#include <chrono>
#include <string>

#include "absl/status/statusor.h"
#include "accord/common/config.h"
#include "accord/common/service_client.h"
#include "pii_cipher.h"

namespace accord::contact {

// How BuildCallList works through the contacts (PgCampaignRepository::BuildCallList).
struct CallListBuildLimits {
  // One call goes on batch after batch until this much time has passed, then answers BUILDING
  // (at least one batch per call): well inside a connection's age and a caller's deadline.
  std::chrono::milliseconds slice{20000};
  // Contacts judged by a call's first statement; the size then adapts to how long each takes.
  int first_batch = 5000;
};

struct ContactSettings {
  PiiKeys keys;
  // Region for phone numbers written without a country code, when the contact's address has
  // no region_code.
  std::string default_region = "US";
  common::ServiceClientOptions account;  // the account service
  // pricing-terms, whose sale events are followed (with ACCORD_SERVICE_TOKEN set).
  common::ServiceClientOptions pricing;
  std::chrono::milliseconds access_cache_ttl{30000};
  CallListBuildLimits call_list;
};

// ACCORD_CONTACT_PII_KEYS or ACCORD_CONTACT_PII_KEYS_FILE (`id:BASE64` items, the first is used
// for new writes), ACCORD_CONTACT_BLIND_INDEX_KEY or ..._FILE, ACCORD_CONTACT_DEFAULT_REGION,
// ACCORD_CONTACT_ACCESS_CACHE_TTL, ACCORD_ACCOUNT_ADDRESS, ACCORD_ACCOUNT_DEADLINE,
// ACCORD_PRICING_TERMS_ADDRESS, ACCORD_CONTACT_CALL_LIST_SLICE, ACCORD_CONTACT_CALL_LIST_BATCH,
// ACCORD_SERVICE_TOKEN[_FILE]. INVALID_ARGUMENT naming every bad or missing one.
absl::StatusOr<ContactSettings> ReadContactSettings(common::ConfigReader& config);

}  // namespace accord::contact
