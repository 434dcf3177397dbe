#include "webhooks_service.h"

#include <stdexcept>

namespace accord::webhooks {

const std::vector<common::Migration>& Migrations();  // generated from migrations/*.sql

namespace {

using common::MetaFor;

constexpr char kSchema[] = "webhooks";

}  // namespace

WebhooksCore::WebhooksCore(common::Runtime& runtime, WebhooksOptions options, SecretBox secrets)
    : runtime(runtime),
      options(std::move(options)),
      secrets(std::move(secrets)),
      writes(runtime.pg(), kSchema, "webhooks"),
      repository(runtime.pg(), writes, this->secrets),
      logic(repository, runtime.page_tokens()),
      worker(repository, this->options) {
  for (const auto& source : this->options.sources) {
    sources.push_back(std::make_unique<common::ServiceClient>(source));
    common::PeerFeedOptions feed;
    feed.name = source.service + "-events";
    feed.schema = kSchema;
    feeds.push_back(std::make_unique<common::PeerEventFeed>(
        feed, runtime.pg(), *sources.back(),
        [this](common::WriteTransaction& transaction, const common::v1::EventEnvelope& event) {
          auto queued = repository.Enqueue(transaction, event);
          worker.Wake();
          return queued;
        }));
  }
  worker.Start();
  for (auto& feed : feeds) feed->Start();
}

WebhooksCore::~WebhooksCore() {
  for (auto& feed : feeds) feed->Stop();
  worker.Stop();
}

// A read: logic.Method(principal, request).
#define ACCORD_READ(Method, LogicMethod, Request, Response)                                       \
  grpc::ServerUnaryReactor* WebhookServiceImpl::Method(                                           \
      grpc::CallbackServerContext* context, const v1::Request* request, v1::Response* response) { \
    static common::RpcMethod method("accord.webhooks.v1.WebhookService", #Method);                \
    return core_->runtime.Respond(context, method, response,                                      \
                                  [core = core_, request](const common::RpcContext& rpc) {        \
                                    return core->logic.LogicMethod(rpc.principal, *request);      \
                                  });                                                             \
  }
// A write: logic.Method(principal, request, meta).
#define ACCORD_WRITE(Method, LogicMethod, Request, Response)                                       \
  grpc::ServerUnaryReactor* WebhookServiceImpl::Method(                                            \
      grpc::CallbackServerContext* context, const v1::Request* request, v1::Response* response) {  \
    static common::RpcMethod method("accord.webhooks.v1.WebhookService", #Method);                 \
    return core_->runtime.Respond(context, method, response,                                       \
                                  [core = core_, request](const common::RpcContext& rpc) {         \
                                    return core->logic.LogicMethod(                                \
                                        rpc.principal, *request, MetaFor(rpc, #Method, *request)); \
                                  });                                                              \
  }

WebhookServiceImpl::WebhookServiceImpl(std::shared_ptr<WebhooksCore> core)
    : core_(std::move(core)) {}
ACCORD_WRITE(CreateWebhook, Create, CreateWebhookRequest, Webhook)
ACCORD_READ(GetWebhook, Get, GetWebhookRequest, Webhook)
ACCORD_READ(ListWebhooks, List, ListWebhooksRequest, ListWebhooksResponse)
ACCORD_WRITE(UpdateWebhook, Update, UpdateWebhookRequest, Webhook)
ACCORD_WRITE(DeleteWebhook, Delete, DeleteWebhookRequest, Webhook)
ACCORD_READ(ListWebhookDeliveries, ListDeliveries, ListWebhookDeliveriesRequest,
            ListWebhookDeliveriesResponse)
ACCORD_WRITE(RedeliverWebhookEvent, Redeliver, RedeliverWebhookEventRequest, WebhookDelivery)

#undef ACCORD_READ
#undef ACCORD_WRITE

common::ServiceDefinition WebhooksServiceDefinition(WebhooksOptions options) {
  common::ServiceDefinition definition;
  definition.name = "webhooks";
  definition.schema = kSchema;
  definition.default_grpc_port = 50056;
  definition.default_metrics_port = 9096;
  definition.migrations = []() -> const std::vector<common::Migration>& { return Migrations(); };
  // Webhooks are managed by the systems that receive them and by admins only.
  definition.access = {
      {"accord.webhooks.v1.*",
       common::MethodAccess::Only({common::Role::kIntegration, common::Role::kAdmin})}};
  definition.make_services = [options = std::move(options)](common::Runtime& runtime) {
    auto secrets = SecretBox::Create(options.secret_key_base64);
    // main() validated the key already; this guards definitions built some other way.
    if (!secrets.ok()) throw std::runtime_error(std::string(secrets.status().message()));
    auto core = std::make_shared<WebhooksCore>(runtime, options, std::move(*secrets));
    std::vector<std::unique_ptr<grpc::Service>> services;
    services.push_back(std::make_unique<WebhookServiceImpl>(core));
    return services;
  };
  return definition;
}

}  // namespace accord::webhooks
