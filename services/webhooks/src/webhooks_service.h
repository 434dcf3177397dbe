// gRPC handlers of accord.webhooks.v1.WebhookService: authenticate (via the runtime), call
// WebhookLogic, map the result. WebhooksServiceDefinition wires them, the event feeds from the
// other services (one common::PeerEventFeed each, enqueuing deliveries in the feed's
// transaction) and the delivery worker into ServiceMain.
#pragma once

#include <memory>
#include <vector>

#include "accord/common/peer_events.h"
#include "accord/common/server.h"
#include "accord/common/service_client.h"
#include "accord/common/write.h"
#include "accord/webhooks/v1/webhooks.grpc.pb.h"
#include "delivery_worker.h"
#include "pg_webhook_repository.h"
#include "secret_box.h"
#include "webhook_logic.h"
#include "webhooks_options.h"

namespace accord::webhooks {

// Everything of one process; the feeds stop first, then the worker, when the service goes.
struct WebhooksCore {
  WebhooksCore(common::Runtime& runtime, WebhooksOptions options, SecretBox secrets);
  ~WebhooksCore();
  common::Runtime& runtime;
  WebhooksOptions options;
  SecretBox secrets;
  common::IdempotentWrite writes;
  PgWebhookRepository repository;
  WebhookLogic logic;
  DeliveryWorker worker;
  std::vector<std::unique_ptr<common::ServiceClient>> sources;
  std::vector<std::unique_ptr<common::PeerEventFeed>> feeds;
};

#define ACCORD_WEBHOOKS_RPC(Method, Request, Response)                   \
  grpc::ServerUnaryReactor* Method(grpc::CallbackServerContext* context, \
                                   const v1::Request* request, v1::Response* response) override;

class WebhookServiceImpl final : public v1::WebhookService::CallbackService {
 public:
  explicit WebhookServiceImpl(std::shared_ptr<WebhooksCore> core);
  ACCORD_WEBHOOKS_RPC(CreateWebhook, CreateWebhookRequest, Webhook)
  ACCORD_WEBHOOKS_RPC(GetWebhook, GetWebhookRequest, Webhook)
  ACCORD_WEBHOOKS_RPC(ListWebhooks, ListWebhooksRequest, ListWebhooksResponse)
  ACCORD_WEBHOOKS_RPC(UpdateWebhook, UpdateWebhookRequest, Webhook)
  ACCORD_WEBHOOKS_RPC(DeleteWebhook, DeleteWebhookRequest, Webhook)
  ACCORD_WEBHOOKS_RPC(ListWebhookDeliveries, ListWebhookDeliveriesRequest,
                      ListWebhookDeliveriesResponse)
  ACCORD_WEBHOOKS_RPC(RedeliverWebhookEvent, RedeliverWebhookEventRequest, WebhookDelivery)

 private:
  std::shared_ptr<WebhooksCore> core_;
};

#undef ACCORD_WEBHOOKS_RPC

// The service for ServiceMain, with its settings read (a bad one stops start-up).
common::ServiceDefinition WebhooksServiceDefinition(WebhooksOptions options);

}  // namespace accord::webhooks
