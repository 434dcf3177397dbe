// The webhooks' rules, pure: who may manage them, what a valid webhook is, which events it
// takes, how a delivery is signed, when it is retried, which delivery goes next, and when a
// failing webhook is disabled. Unit-tested without a database or a network.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "accord/common/auth.h"
#include "accord/common/errors.h"
#include "accord/webhooks/v1/webhooks.pb.h"

namespace accord::webhooks {

using v1::Webhook;

std::string WebhookName(std::string_view id);
// The id of "webhooks/{id}"; INVALID_ARGUMENT on `field` otherwise.
absl::StatusOr<std::string> ParseWebhookName(std::string_view name, const std::string& field);
std::string DeliveryName(std::string_view webhook_id, int64_t delivery_id);

// Only the integration and admin roles manage webhooks.
absl::Status CheckManage(const common::Principal& caller);

// Fills defaults (state ACTIVE).
void ApplyWebhookDefaults(Webhook& webhook);
// Field violations under `prefix` ("webhook."). The secret is checked when `with_secret`.
void ValidateWebhook(const Webhook& webhook, const std::string& prefix, bool with_secret,
                     common::Violations& violations);
// http(s)://host[:port][/path]: "" when fine, else what is wrong.
std::string CheckUrl(std::string_view url);

// Whether `webhook` takes the event: any type prefix (or none) and any subject prefix (or none).
bool Matches(const Webhook& webhook, std::string_view type, std::string_view subject);

// The X-Accord-Signature header: "v1=" and the lower-case hex HMAC-SHA256 of
// `timestamp` "." `body` under `secret`.
std::string Signature(std::string_view secret, std::string_view timestamp, std::string_view body);

struct RetryPolicy {
  std::chrono::milliseconds min_backoff{1000};
  std::chrono::milliseconds max_backoff{std::chrono::hours(1)};
  // A delivery failing for longer is given up (FAILED) and the subject's next one goes.
  std::chrono::milliseconds retry_period{std::chrono::hours(24)};
  // A webhook whose every attempt failed for this long is disabled.
  std::chrono::milliseconds disable_after{std::chrono::hours(24)};
};

// Exponential backoff with full jitter: a delay uniformly in [0, min(max, min * 2^(n-1))] after
// the n-th failed attempt, `random01` drawn from [0, 1).
std::chrono::milliseconds Backoff(const RetryPolicy& policy, int failed_attempts, double random01);

// Whether a delivery created at `created` and failing at `now` is given up.
bool GiveUp(const RetryPolicy& policy, std::chrono::system_clock::time_point created,
            std::chrono::system_clock::time_point now);
// Whether a webhook failing since `failing_since` is disabled by a failure at `now`.
bool ShouldDisable(const RetryPolicy& policy,
                   std::optional<std::chrono::system_clock::time_point> failing_since,
                   std::chrono::system_clock::time_point now);

// A pending delivery, as the worker sees the queue.
struct Pending {
  int64_t id = 0;
  std::string webhook_id;
  std::string subject;
  bool due = false;  // its next attempt time has come
};

// The deliveries to send now, from `pending` in id order: the first pending one of each
// (webhook, subject), when it is due. A later event of a subject waits while an earlier one is
// retrying: that is the order per subject.
std::vector<int64_t> DueHeads(const std::vector<Pending>& pending);

}  // namespace accord::webhooks
