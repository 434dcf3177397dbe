#include "insights_settings.h"

#include "absl/strings/ascii.h"
#include "accord/common/errors.h"

namespace accord::account {

common::ServiceClientOptions DefaultPeer(const std::string& service, const std::string& address) {
  common::ServiceClientOptions options;
  options.service = service;
  options.address = address;
  return options;
}

absl::StatusOr<InsightsSettings> ReadInsightsSettings(common::ConfigReader& config) {
  InsightsSettings settings;
  settings.currency = absl::AsciiStrToUpper(config.String(
      "ACCORD_INSIGHTS_CURRENCY", settings.currency,
      "ISO 4217 code of the insights' money figures; sales in another currency are not counted"));
  if (settings.currency.size() != 3 || !absl::ascii_isalpha(settings.currency[0]) ||
      !absl::ascii_isalpha(settings.currency[1]) || !absl::ascii_isalpha(settings.currency[2])) {
    config.AddError("ACCORD_INSIGHTS_CURRENCY: `" + settings.currency +
                    "` is not a three-letter currency code");
  }
  settings.clv.margin_rate =
      config.Int("ACCORD_INSIGHTS_MARGIN_PERCENT", 25, 1, 100,
                 "gross margin, percent of revenue, used by the lifetime value") /
      100.0;
  settings.clv.annual_discount_rate =
      config.Int("ACCORD_INSIGHTS_DISCOUNT_PERCENT", 10, 0, 100,
                 "yearly discount rate, percent, used by the lifetime value") /
      100.0;
  settings.overview_deadline =
      config.Millis("ACCORD_INSIGHTS_OVERVIEW_DEADLINE", settings.overview_deadline,
                    "GetAccountOverview waits this long for the other services, all in parallel; "
                    "a part not back by then is named missing");
  settings.overview_cache_ttl = std::chrono::seconds(config.Int(
      "ACCORD_INSIGHTS_OVERVIEW_CACHE_TTL", static_cast<int>(settings.overview_cache_ttl.count()),
      0, 86400,
      "seconds GetAccountOverview keeps a peer's part in Redis at most; that peer's events "
      "replace it sooner (0: ask the peers on every call)"));
  settings.overview_local_ttl = config.Millis(
      "ACCORD_INSIGHTS_OVERVIEW_LOCAL_TTL", settings.overview_local_ttl,
      "GetAccountOverview keeps an account's own parts in each replica's memory at most this long; "
      "writes drop them sooner (0: read PostgreSQL on every call)");
  settings.feeds = config.Bool("ACCORD_INSIGHTS_FEEDS", true,
                               "follow the other services' events (needs ACCORD_SERVICE_TOKEN "
                               "with the integration role)");
  settings.contact = common::ReadServiceClientOptions(config, "contact", settings.contact.address);
  settings.pricing =
      common::ReadServiceClientOptions(config, "pricing-terms", settings.pricing.address);
  settings.quality =
      common::ReadServiceClientOptions(config, "service-quality", settings.quality.address);
  if (settings.contact.service_token.empty()) settings.feeds = false;
  ACCORD_RETURN_IF_ERROR(config.Finish());
  return settings;
}

}  // namespace accord::account
