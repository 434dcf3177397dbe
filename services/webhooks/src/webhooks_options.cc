#include "webhooks_options.h"

#include <map>
#include <sstream>

namespace accord::webhooks {

WebhooksOptions WebhooksOptions::Read(common::ConfigReader& config) {
  static const std::map<std::string, std::string> kDefaultAddresses = {
      {"account", "dns:///127.0.0.1:50051"},
      {"contact", "dns:///127.0.0.1:50052"},
      {"pricing-terms", "dns:///127.0.0.1:50053"},
      {"service-quality", "dns:///127.0.0.1:50054"},
  };
  WebhooksOptions options;
  options.secret_key_base64 = config.RequiredString(
      "ACCORD_WEBHOOKS_SECRET_KEY", "32 bytes in base64 sealing the webhooks' secrets");
  const std::string sources =
      config.String("ACCORD_WEBHOOKS_SOURCES", "account,contact,pricing-terms,service-quality",
                    "services whose events are delivered, comma-separated");
  std::stringstream list(sources);
  std::string source;
  while (std::getline(list, source, ',')) {
    if (source.empty()) continue;
    auto address = kDefaultAddresses.find(source);
    if (address == kDefaultAddresses.end()) {
      config.AddError("ACCORD_WEBHOOKS_SOURCES: unknown service `" + source + "`");
      continue;
    }
    options.sources.push_back(common::ReadServiceClientOptions(config, source, address->second));
  }
  options.timeout = config.Millis("ACCORD_WEBHOOKS_TIMEOUT_MS", options.timeout, "per POST");
  options.ca_file = config.String(
      "ACCORD_WEBHOOKS_CA_FILE", "",
      "PEM file of the CAs https receivers are verified against (empty: the system's)");
  options.retry.min_backoff = config.Millis("ACCORD_WEBHOOKS_MIN_BACKOFF_MS",
                                            options.retry.min_backoff, "first retry's ceiling");
  options.retry.max_backoff = config.Millis("ACCORD_WEBHOOKS_MAX_BACKOFF_MS",
                                            options.retry.max_backoff, "any retry's ceiling");
  options.retry.retry_period =
      config.Millis("ACCORD_WEBHOOKS_RETRY_PERIOD_MS", options.retry.retry_period,
                    "a delivery failing this long is given up");
  options.retry.disable_after =
      config.Millis("ACCORD_WEBHOOKS_DISABLE_AFTER_MS", options.retry.disable_after,
                    "a webhook failing this long is disabled");
  options.concurrency =
      config.Int("ACCORD_WEBHOOKS_CONCURRENCY", options.concurrency, 1, 256, "deliveries at once");
  options.poll_interval = config.Millis("ACCORD_WEBHOOKS_POLL_MS", options.poll_interval,
                                        "queue poll interval when idle");
  return options;
}

}  // namespace accord::webhooks
