#include "webhook_policy.h"

#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <set>
#include <utility>

#include "accord/common/ids.h"
#include "accord/common/page_token.h"

namespace accord::webhooks {

std::string WebhookName(std::string_view id) { return "webhooks/" + std::string(id); }

absl::StatusOr<std::string> ParseWebhookName(std::string_view name, const std::string& field) {
  constexpr std::string_view kPrefix = "webhooks/";
  if (name.substr(0, kPrefix.size()) == kPrefix && common::IsUuid(name.substr(kPrefix.size()))) {
    return std::string(name.substr(kPrefix.size()));
  }
  return common::InvalidArgument(field, "expected webhooks/{uuid}");
}

std::string DeliveryName(std::string_view webhook_id, int64_t delivery_id) {
  return WebhookName(webhook_id) + "/deliveries/" + std::to_string(delivery_id);
}

absl::Status CheckManage(const common::Principal& caller) {
  if (caller.HasAny({common::Role::kIntegration, common::Role::kAdmin})) return absl::OkStatus();
  return common::PermissionDenied("NOT_ALLOWED", caller.subject + " may not manage webhooks");
}

void ApplyWebhookDefaults(Webhook& webhook) {
  if (webhook.state() == v1::WEBHOOK_STATE_UNSPECIFIED) {
    webhook.set_state(v1::WEBHOOK_STATE_ACTIVE);
  }
}

std::string CheckUrl(std::string_view url) {
  if (url.empty()) return "required";
  if (url.size() > 2048) return "at most 2048 characters";
  std::unique_ptr<CURLU, decltype(&curl_url_cleanup)> parsed(curl_url(), curl_url_cleanup);
  // No scheme guessing: "example.com/hook" is refused rather than taken for http.
  if (curl_url_set(parsed.get(), CURLUPART_URL, std::string(url).c_str(), 0) != CURLUE_OK) {
    return "not a URL";
  }
  char* scheme = nullptr;
  char* host = nullptr;
  curl_url_get(parsed.get(), CURLUPART_SCHEME, &scheme, 0);
  const bool has_host = curl_url_get(parsed.get(), CURLUPART_HOST, &host, 0) == CURLUE_OK &&
                        host != nullptr && host[0] != '\0';
  const std::string scheme_text = scheme == nullptr ? "" : scheme;
  curl_free(scheme);
  curl_free(host);
  if (scheme_text != "http" && scheme_text != "https") return "the scheme must be http or https";
  if (!has_host) return "a host is required";
  return "";
}

void ValidateWebhook(const Webhook& webhook, const std::string& prefix, bool with_secret,
                     common::Violations& violations) {
  if (std::string problem = CheckUrl(webhook.url()); !problem.empty()) {
    violations.Add(prefix + "url", problem);
  }
  if (webhook.display_name().size() > 200) {
    violations.Add(prefix + "display_name", "at most 200 bytes");
  }
  auto check_prefixes = [&](const google::protobuf::RepeatedPtrField<std::string>& prefixes,
                            const std::string& field) {
    if (prefixes.size() > 20) violations.Add(prefix + field, "at most 20");
    for (int i = 0; i < prefixes.size(); ++i) {
      if (prefixes[i].empty() || prefixes[i].size() > 200) {
        violations.Add(prefix + field + "[" + std::to_string(i) + "]", "1 to 200 characters");
      }
    }
  };
  check_prefixes(webhook.event_type_prefixes(), "event_type_prefixes");
  check_prefixes(webhook.subject_prefixes(), "subject_prefixes");
  if (with_secret && (webhook.secret().size() < 16 || webhook.secret().size() > 256)) {
    violations.Add(prefix + "secret", "required: 16 to 256 characters");
  }
  if (webhook.state() == v1::WEBHOOK_STATE_UNSPECIFIED ||
      !v1::WebhookState_IsValid(webhook.state())) {
    violations.Add(prefix + "state", "ACTIVE or DISABLED");
  }
}

bool Matches(const Webhook& webhook, std::string_view type, std::string_view subject) {
  auto any = [](const google::protobuf::RepeatedPtrField<std::string>& prefixes,
                std::string_view text) {
    if (prefixes.empty()) return true;
    return std::any_of(prefixes.begin(), prefixes.end(), [&](const std::string& prefix) {
      return text.substr(0, prefix.size()) == prefix;
    });
  };
  return any(webhook.event_type_prefixes(), type) && any(webhook.subject_prefixes(), subject);
}

std::string Signature(std::string_view secret, std::string_view timestamp, std::string_view body) {
  std::string message;
  message.reserve(timestamp.size() + 1 + body.size());
  message.append(timestamp).append(".").append(body);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), digest, &length);
  return "v1=" + common::LowerHex(std::string_view(reinterpret_cast<const char*>(digest), length));
}

std::chrono::milliseconds Backoff(const RetryPolicy& policy, int failed_attempts, double random01) {
  const double base = static_cast<double>(policy.min_backoff.count());
  const double cap = static_cast<double>(policy.max_backoff.count());
  const int doublings = std::clamp(failed_attempts - 1, 0, 62);
  const double ceiling = std::min(cap, base * std::ldexp(1.0, doublings));
  const double jittered = ceiling * std::clamp(random01, 0.0, 1.0);
  return std::chrono::milliseconds(static_cast<int64_t>(jittered));
}

bool GiveUp(const RetryPolicy& policy, std::chrono::system_clock::time_point created,
            std::chrono::system_clock::time_point now) {
  return now - created >= policy.retry_period;
}

bool ShouldDisable(const RetryPolicy& policy,
                   std::optional<std::chrono::system_clock::time_point> failing_since,
                   std::chrono::system_clock::time_point now) {
  return failing_since.has_value() && now - *failing_since >= policy.disable_after;
}

std::vector<int64_t> DueHeads(const std::vector<Pending>& pending) {
  std::set<std::pair<std::string_view, std::string_view>> seen;
  std::vector<int64_t> due;
  for (const auto& row : pending) {
    // Only the first of its (webhook, subject) may go; a later one waits behind it.
    if (!seen.emplace(row.webhook_id, row.subject).second) continue;
    if (row.due) due.push_back(row.id);
  }
  return due;
}

}  // namespace accord::webhooks
