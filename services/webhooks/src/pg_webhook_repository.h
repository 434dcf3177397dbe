// WebhookRepository over PostgreSQL (schema `webhooks`); writes go through common::IdempotentWrite.
#pragma once

#include "accord/common/pg.h"
#include "accord/common/write.h"
#include "secret_box.h"
#include "webhook_repository.h"

namespace accord::webhooks {

class PgWebhookRepository final : public WebhookRepository {
 public:
  PgWebhookRepository(common::PgPool& pool, common::IdempotentWrite& writes,
                      const SecretBox& secrets);

  const common::filter::Schema& WebhookFilterSchema() const override;
  const common::filter::Schema& DeliveryFilterSchema() const override;

  absl::StatusOr<Webhook> Create(const Webhook& webhook, const WriteMeta& meta) override;
  absl::StatusOr<Webhook> Get(const std::string& id) override;
  absl::StatusOr<std::vector<Webhook>> List(const common::filter::SqlFilter& filter,
                                            const std::optional<std::string>& after_id,
                                            int limit) override;
  absl::StatusOr<Webhook> Update(const std::string& id, const Mutation& mutate,
                                 const WriteMeta& meta) override;
  absl::StatusOr<Webhook> Delete(const std::string& id, const Check& check,
                                 const WriteMeta& meta) override;
  absl::StatusOr<std::vector<v1::WebhookDelivery>> ListDeliveries(
      const std::string& webhook_id, const common::filter::SqlFilter& filter,
      const std::optional<int64_t>& before_id, int limit) override;
  absl::StatusOr<v1::WebhookDelivery> Redeliver(const std::string& webhook_id,
                                                const std::string& event_id,
                                                const WriteMeta& meta) override;

  absl::Status Enqueue(common::WriteTransaction& transaction,
                       const common::v1::EventEnvelope& event) override;
  absl::StatusOr<std::vector<ClaimedDelivery>> Claim(int limit,
                                                     std::chrono::milliseconds lease) override;
  absl::Status Record(const ClaimedDelivery& delivery, const AttemptResult& result,
                      const RetryPolicy& policy, std::chrono::milliseconds retry_delay,
                      Clock::time_point now) override;

 private:
  common::PgPool& pool_;
  common::IdempotentWrite& writes_;
  const SecretBox& secrets_;
};

}  // namespace accord::webhooks
