// Settings of account insights (README "Account insights"): the reporting currency, the
// lifetime-value inputs, and the peer services it follows and asks.
#pragma once

#include <chrono>
#include <string>

#include "absl/status/statusor.h"
#include "accord/common/config.h"
#include "accord/common/service_client.h"
#include "insights_logic.h"

namespace accord::account {

// A peer at its default local address (what ReadInsightsSettings starts from).
common::ServiceClientOptions DefaultPeer(const std::string& service, const std::string& address);

struct InsightsSettings {
  // Money figures are in this currency; sales in another are counted apart.
  std::string currency = "EUR";
  ClvInputs clv;
  // The peers: their event feeds (with service_token, role integration) and the overview's calls
  // (with the caller's own identity).
  common::ServiceClientOptions contact = DefaultPeer("contact", "dns:///127.0.0.1:50052");
  common::ServiceClientOptions pricing = DefaultPeer("pricing-terms", "dns:///127.0.0.1:50053");
  common::ServiceClientOptions quality = DefaultPeer("service-quality", "dns:///127.0.0.1:50054");
  // One deadline for the whole fan-out of GetAccountOverview.
  std::chrono::milliseconds overview_deadline{1500};
  // Follow the peers' events. Off without a service token (nothing could subscribe).
  bool feeds = true;
  // How long the overview keeps a peer's part in Redis at most (0: not at all). Events of that
  // peer replace it sooner; only with the feeds on.
  std::chrono::seconds overview_cache_ttl{300};
  // How long a replica keeps the overview's local parts in memory at most (0: read them on every
  // call). Their writers' announcements drop them sooner (insights_local_cache.h); this bounds only
  // what changes with the clock (team memberships' dates, the baskets' window).
  std::chrono::milliseconds overview_local_ttl{10000};
};

// ACCORD_INSIGHTS_CURRENCY, ACCORD_INSIGHTS_MARGIN_PERCENT, ACCORD_INSIGHTS_DISCOUNT_PERCENT,
// ACCORD_INSIGHTS_OVERVIEW_DEADLINE, ACCORD_INSIGHTS_OVERVIEW_CACHE_TTL,
// ACCORD_INSIGHTS_OVERVIEW_LOCAL_TTL, ACCORD_INSIGHTS_FEEDS,
// ACCORD_CONTACT_ADDRESS, ACCORD_PRICING_TERMS_ADDRESS, ACCORD_SERVICE_QUALITY_ADDRESS (and their
// _DEADLINE), ACCORD_SERVICE_TOKEN[_FILE]. INVALID_ARGUMENT naming every bad one.
absl::StatusOr<InsightsSettings> ReadInsightsSettings(common::ConfigReader& config);

}  // namespace accord::account
