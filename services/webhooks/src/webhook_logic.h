// The webhooks' API rules: permission first, then validation (every problem as a field
// violation), then the repository; rules that depend on the stored webhook (etag) are checked
// under its row lock.
#pragma once

#include "absl/status/statusor.h"
#include "accord/common/auth.h"
#include "accord/common/page_token.h"
#include "webhook_repository.h"

namespace accord::webhooks {

class WebhookLogic {
 public:
  WebhookLogic(WebhookRepository& repository, const common::PageTokenCodec& tokens);

  absl::StatusOr<Webhook> Create(const common::Principal& caller,
                                 const v1::CreateWebhookRequest& request, WriteMeta meta);
  absl::StatusOr<Webhook> Get(const common::Principal& caller,
                              const v1::GetWebhookRequest& request);
  absl::StatusOr<v1::ListWebhooksResponse> List(const common::Principal& caller,
                                                const v1::ListWebhooksRequest& request);
  absl::StatusOr<Webhook> Update(const common::Principal& caller,
                                 const v1::UpdateWebhookRequest& request, WriteMeta meta);
  absl::StatusOr<Webhook> Delete(const common::Principal& caller,
                                 const v1::DeleteWebhookRequest& request, WriteMeta meta);
  absl::StatusOr<v1::ListWebhookDeliveriesResponse> ListDeliveries(
      const common::Principal& caller, const v1::ListWebhookDeliveriesRequest& request);
  absl::StatusOr<v1::WebhookDelivery> Redeliver(const common::Principal& caller,
                                                const v1::RedeliverWebhookEventRequest& request,
                                                WriteMeta meta);

 private:
  WebhookRepository& repository_;
  const common::PageTokenCodec& tokens_;
};

}  // namespace accord::webhooks
