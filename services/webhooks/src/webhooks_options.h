// The webhooks service's own settings (beyond the shared ones, README "Webhooks"):
//   ACCORD_WEBHOOKS_SECRET_KEY          32 bytes in base64: seals the webhooks' secrets (required)
//   ACCORD_WEBHOOKS_SOURCES             services whose events are delivered (default
//                                       account,contact,pricing-terms,service-quality); each is
//                                       reached at ACCORD_<SERVICE>_ADDRESS with
//                                       ACCORD_SERVICE_TOKEN (integration role)
//   ACCORD_WEBHOOKS_TIMEOUT_MS          per POST (default 10000)
//   ACCORD_WEBHOOKS_CA_FILE             PEM file of the CAs https receivers' certificates are
//                                       verified against (default: the system's)
//   ACCORD_WEBHOOKS_MIN_BACKOFF_MS      first retry delay's ceiling (default 1000)
//   ACCORD_WEBHOOKS_MAX_BACKOFF_MS      any retry delay's ceiling (default 3600000)
//   ACCORD_WEBHOOKS_RETRY_PERIOD_MS     a delivery failing this long is given up (default 24 h)
//   ACCORD_WEBHOOKS_DISABLE_AFTER_MS    a webhook failing this long is disabled (default 24 h)
//   ACCORD_WEBHOOKS_CONCURRENCY         deliveries in flight at once (default 8)
//   ACCORD_WEBHOOKS_POLL_MS             how often the queue is looked at when idle (default 250)
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "accord/common/config.h"
#include "accord/common/service_client.h"
#include "webhook_policy.h"

namespace accord::webhooks {

struct WebhooksOptions {
  std::string secret_key_base64;
  std::vector<common::ServiceClientOptions> sources;
  RetryPolicy retry;
  std::chrono::milliseconds timeout{10000};
  std::string ca_file;  // "" = the system's CA certificates
  int concurrency = 8;
  std::chrono::milliseconds poll_interval{250};

  // Reads the settings above; every problem is recorded in `config` (see ConfigReader::Finish).
  static WebhooksOptions Read(common::ConfigReader& config);
};

}  // namespace accord::webhooks
