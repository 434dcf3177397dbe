// Where webhooks and their deliveries live. The logic calls the management half; the dispatcher
// and the delivery worker the queue half. PgWebhookRepository is the one implementation.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "accord/common/filter.h"
#include "accord/common/pg.h"
#include "accord/common/v1/event.pb.h"
#include "accord/common/write_meta.h"
#include "accord/webhooks/v1/webhooks.pb.h"
#include "webhook_policy.h"

namespace accord::webhooks {

using common::WriteMeta;
using Clock = std::chrono::system_clock;

// A delivery taken by the worker: everything it needs to POST it.
struct ClaimedDelivery {
  int64_t id = 0;
  std::string webhook_id;
  std::string url;
  std::string secret;  // opened
  common::v1::EventEnvelope envelope;
  int attempts = 0;  // made before this one
  Clock::time_point create_time;
};

struct AttemptResult {
  bool delivered = false;
  int status_code = 0;
  std::string error;
  std::chrono::microseconds duration{0};
};

class WebhookRepository {
 public:
  using Mutation = std::function<absl::StatusOr<Webhook>(const Webhook& locked)>;
  using Check = std::function<absl::Status(const Webhook& locked)>;
  virtual ~WebhookRepository() = default;

  // How List's and ListDeliveries' filters map to this store's columns; the logic compiles a
  // request's filter against them.
  virtual const common::filter::Schema& WebhookFilterSchema() const = 0;
  virtual const common::filter::Schema& DeliveryFilterSchema() const = 0;

  // `webhook` carries its name and secret; the secret is sealed, never returned.
  virtual absl::StatusOr<Webhook> Create(const Webhook& webhook, const WriteMeta& meta) = 0;
  virtual absl::StatusOr<Webhook> Get(const std::string& id) = 0;
  // Up to `limit` webhooks matching `filter` in id (creation) order after `after_id`.
  virtual absl::StatusOr<std::vector<Webhook>> List(const common::filter::SqlFilter& filter,
                                                    const std::optional<std::string>& after_id,
                                                    int limit) = 0;
  // Locks the webhook, applies `mutate` and stores the result (a non-empty secret replaces the
  // stored one).
  virtual absl::StatusOr<Webhook> Update(const std::string& id, const Mutation& mutate,
                                         const WriteMeta& meta) = 0;
  virtual absl::StatusOr<Webhook> Delete(const std::string& id, const Check& check,
                                         const WriteMeta& meta) = 0;
  // Newest first, matching `filter`, before `before_id`.
  virtual absl::StatusOr<std::vector<v1::WebhookDelivery>> ListDeliveries(
      const std::string& webhook_id, const common::filter::SqlFilter& filter,
      const std::optional<int64_t>& before_id, int limit) = 0;
  // A new delivery of an event the webhook was owed before; NOT_FOUND when it never was.
  virtual absl::StatusOr<v1::WebhookDelivery> Redeliver(const std::string& webhook_id,
                                                        const std::string& event_id,
                                                        const WriteMeta& meta) = 0;

  // In the dispatcher's transaction: a delivery of `event` for every ACTIVE webhook it matches.
  virtual absl::Status Enqueue(common::WriteTransaction& transaction,
                               const common::v1::EventEnvelope& event) = 0;
  // Takes up to `limit` deliveries whose turn has come (DueHeads), leasing each for `lease` so
  // that no other worker sends it meanwhile.
  virtual absl::StatusOr<std::vector<ClaimedDelivery>> Claim(int limit,
                                                             std::chrono::milliseconds lease) = 0;
  // Logs the attempt and moves the delivery on: delivered, retried after `retry_delay`, or given
  // up; marks the webhook failing or healthy, and disables it (with its event) when `policy`
  // says so.
  virtual absl::Status Record(const ClaimedDelivery& delivery, const AttemptResult& result,
                              const RetryPolicy& policy, std::chrono::milliseconds retry_delay,
                              Clock::time_point now) = 0;
};

}  // namespace accord::webhooks
