// `accordctl webhooks ...`: the WebhookService (accord.webhooks.v1), on ACCORD_WEBHOOKS_ADDR
// (default 127.0.0.1:50056). Needs the integration or admin role (--as integration).
#include <limits>
#include <ostream>

#include "accord/webhooks/v1/webhooks.grpc.pb.h"
#include "commands.h"
#include "resource_cli.h"
#include "rpc.h"

namespace accord::accordctl {
namespace {

namespace v1 = ::accord::webhooks::v1;
using cli::EnumName;

const ServiceInfo& kWebhooksService = *FindService("webhooks");

constexpr EnumName kStates[] = {
    {"active", v1::WEBHOOK_STATE_ACTIVE},
    {"disabled", v1::WEBHOOK_STATE_DISABLED},
};
constexpr EnumName kDeliveryStates[] = {
    {"pending", v1::DELIVERY_STATE_PENDING},
    {"delivered", v1::DELIVERY_STATE_DELIVERED},
    {"failed", v1::DELIVERY_STATE_FAILED},
};

struct Client {
  CallOptions call;
  std::unique_ptr<v1::WebhookService::Stub> stub;
};

std::optional<Client> Connect(const Invocation& inv) {
  auto call = CallOptionsFor(inv, kWebhooksService);
  if (!call) return std::nullopt;
  Client client{std::move(*call), nullptr};
  client.stub = v1::WebhookService::NewStub(client.call.NewChannel());
  return client;
}

// "webhooks/ID" or a bare "ID".
std::string WebhookName(const std::string& text) {
  return text.rfind("webhooks/", 0) == 0 ? text : "webhooks/" + text;
}

std::vector<std::string> SplitComma(const std::string& text) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t comma = text.find(',', start);
    const std::string part =
        text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (!part.empty()) parts.push_back(part);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return parts;
}

// Reads the webhook's field flags into `webhook`, naming each in `mask` (when given). False
// (after a usage error) on a bad --state.
bool FillWebhook(const Invocation& inv, v1::Webhook* webhook, google::protobuf::FieldMask* mask) {
  auto touch = [&](const char* path) {
    if (mask != nullptr) mask->add_paths(path);
  };
  if (auto value = inv.args.Get("url")) {
    webhook->set_url(*value);
    touch("url");
  }
  if (auto value = inv.args.Get("display-name")) {
    webhook->set_display_name(*value);
    touch("display_name");
  }
  if (auto value = inv.args.Get("secret")) {
    webhook->set_secret(*value);
    touch("secret");
  }
  if (auto value = inv.args.Get("types")) {
    for (const auto& prefix : SplitComma(*value)) webhook->add_event_type_prefixes(prefix);
    touch("event_type_prefixes");
  }
  if (auto value = inv.args.Get("subjects")) {
    for (const auto& prefix : SplitComma(*value)) webhook->add_subject_prefixes(prefix);
    touch("subject_prefixes");
  }
  if (auto value = inv.args.Get("state")) {
    auto state = cli::ParseEnum(kStates, *value);
    if (!state) {
      inv.UsageError("bad --state '" + *value + "' (" + cli::Choices(kStates) + ")");
      return false;
    }
    webhook->set_state(static_cast<v1::WebhookState>(*state));
    touch("state");
  }
  return true;
}

template <typename Message>
int Print(const Invocation& inv, const Message& message) {
  inv.out << ToJson(message, /*pretty=*/true) << "\n";
  return kExitOk;
}

// Sets filter, page_size and page_token from the flags (the webhooks' lists have one order);
// false (after a usage error) on a bad size.
template <typename Request>
bool FillPage(const Invocation& inv, Request* request) {
  request->set_page_token(inv.args.GetOr("page-token", ""));
  request->set_filter(inv.args.GetOr("filter", ""));
  const std::string text = inv.args.GetOr("page-size", "0");
  const auto size = ParseInt(text, 0, std::numeric_limits<int32_t>::max());
  if (size)
    request->set_page_size(static_cast<int32_t>(*size));
  else
    inv.UsageError("bad --page-size '" + text + "'");
  return size.has_value();
}

int RunCreate(const Invocation& inv) {
  if (!inv.args.Has("url")) return inv.UsageError("--url is required");
  if (!inv.args.Has("secret")) return inv.UsageError("--secret is required (16 to 256 characters)");
  v1::CreateWebhookRequest request;
  if (!FillWebhook(inv, request.mutable_webhook(), nullptr)) return kExitUsage;
  request.set_request_id(inv.args.GetOr("request-id", ""));
  auto client = Connect(inv);
  if (!client) return kExitUsage;
  auto context = client->call.NewContext();
  v1::Webhook response;
  grpc::Status status = client->stub->CreateWebhook(context.get(), request, &response);
  if (!status.ok()) return ReportRpcError(status, inv.err);
  return Print(inv, response);
}

int RunGet(const Invocation& inv) {
  v1::GetWebhookRequest request;
  request.set_name(WebhookName(inv.args.positional()[0]));
  auto client = Connect(inv);
  if (!client) return kExitUsage;
  auto context = client->call.NewContext();
  v1::Webhook response;
  grpc::Status status = client->stub->GetWebhook(context.get(), request, &response);
  if (!status.ok()) return ReportRpcError(status, inv.err);
  return Print(inv, response);
}

int RunList(const Invocation& inv) {
  v1::ListWebhooksRequest request;
  if (!FillPage(inv, &request)) return kExitUsage;
  auto client = Connect(inv);
  if (!client) return kExitUsage;
  return cli::RunListPages<v1::ListWebhooksRequest, v1::Webhook>(
      inv, request,
      [&](const v1::ListWebhooksRequest& page_request, std::vector<v1::Webhook>* items,
          std::string* next_page_token) {
        auto context = client->call.NewContext();
        v1::ListWebhooksResponse response;
        grpc::Status status = client->stub->ListWebhooks(context.get(), page_request, &response);
        items->assign(response.webhooks().begin(), response.webhooks().end());
        *next_page_token = response.next_page_token();
        return status;
      },
      {"NAME", "STATE", "URL", "FAILING SINCE"},
      [](const v1::Webhook& webhook) -> std::vector<std::string> {
        return {webhook.name(), cli::EnumText(kStates, webhook.state()), webhook.url(),
                webhook.has_failing_since() ? ToJson(webhook.failing_since(), false) : "-"};
      });
}

int RunUpdate(const Invocation& inv) {
  auto etag = inv.args.Get("etag");
  if (!etag) return inv.UsageError("--etag is required (from get or list)");
  v1::UpdateWebhookRequest request;
  request.mutable_webhook()->set_name(WebhookName(inv.args.positional()[0]));
  if (!FillWebhook(inv, request.mutable_webhook(), request.mutable_update_mask())) {
    return kExitUsage;
  }
  if (request.update_mask().paths_size() == 0) {
    return inv.UsageError(
        "nothing to update: give at least one of --url, --secret, --types, --subjects, --state, "
        "--display-name");
  }
  request.set_etag(*etag);
  request.set_request_id(inv.args.GetOr("request-id", ""));
  auto client = Connect(inv);
  if (!client) return kExitUsage;
  auto context = client->call.NewContext();
  v1::Webhook response;
  grpc::Status status = client->stub->UpdateWebhook(context.get(), request, &response);
  if (!status.ok()) return ReportRpcError(status, inv.err);
  return Print(inv, response);
}

int RunDelete(const Invocation& inv) {
  v1::DeleteWebhookRequest request;
  request.set_name(WebhookName(inv.args.positional()[0]));
  request.set_etag(inv.args.GetOr("etag", ""));
  request.set_request_id(inv.args.GetOr("request-id", ""));
  auto client = Connect(inv);
  if (!client) return kExitUsage;
  auto context = client->call.NewContext();
  v1::Webhook response;
  grpc::Status status = client->stub->DeleteWebhook(context.get(), request, &response);
  if (!status.ok()) return ReportRpcError(status, inv.err);
  inv.out << "deleted " << response.name() << "\n";
  return kExitOk;
}

int RunDeliveries(const Invocation& inv) {
  v1::ListWebhookDeliveriesRequest request;
  request.set_parent(WebhookName(inv.args.positional()[0]));
  if (!FillPage(inv, &request)) return kExitUsage;
  auto client = Connect(inv);
  if (!client) return kExitUsage;
  return cli::RunListPages<v1::ListWebhookDeliveriesRequest, v1::WebhookDelivery>(
      inv, request,
      [&](const v1::ListWebhookDeliveriesRequest& page_request,
          std::vector<v1::WebhookDelivery>* items, std::string* next_page_token) {
        auto context = client->call.NewContext();
        v1::ListWebhookDeliveriesResponse response;
        grpc::Status status =
            client->stub->ListWebhookDeliveries(context.get(), page_request, &response);
        items->assign(response.deliveries().begin(), response.deliveries().end());
        *next_page_token = response.next_page_token();
        return status;
      },
      {"NAME", "EVENT", "TYPE", "STATE", "ATTEMPTS", "LAST STATUS"},
      [](const v1::WebhookDelivery& delivery) -> std::vector<std::string> {
        const int attempts = delivery.attempts_size();
        return {
            delivery.name(),
            delivery.event_id(),
            delivery.event_type(),
            cli::EnumText(kDeliveryStates, delivery.state()),
            std::to_string(attempts),
            attempts == 0 ? "-" : std::to_string(delivery.attempts(attempts - 1).status_code())};
      });
}

int RunRedeliver(const Invocation& inv) {
  auto event = inv.args.Get("event");
  if (!event) return inv.UsageError("--event is required (an event id from `deliveries`)");
  v1::RedeliverWebhookEventRequest request;
  request.set_name(WebhookName(inv.args.positional()[0]));
  request.set_event_id(*event);
  request.set_request_id(inv.args.GetOr("request-id", ""));
  auto client = Connect(inv);
  if (!client) return kExitUsage;
  auto context = client->call.NewContext();
  v1::WebhookDelivery response;
  grpc::Status status = client->stub->RedeliverWebhookEvent(context.get(), request, &response);
  if (!status.ok()) return ReportRpcError(status, inv.err);
  return Print(inv, response);
}

}  // namespace

void RegisterWebhookCommands(Registry& registry) {
  registry.AddGroup("webhooks", "Webhooks (accord.webhooks.v1.WebhookService).");
  const FlagSpec request_id{"request-id", "UUID",
                            "Idempotency key: a retry with the same id changes nothing twice."};
  const std::vector<FlagSpec> fields = {
      {"url", "URL", "Where events are POSTed (http:// or https://)."},
      {"secret", "TEXT", "The signing secret, 16 to 256 characters (write-only)."},
      {"types", "P1,P2", "Event type prefixes, e.g. accord.account.v1. (none: every type)."},
      {"subjects", "P1,P2", "Subject prefixes, e.g. accounts/ (none: every subject)."},
      {"state", "STATE", "active|disabled."},
      {"display-name", "TEXT", "A name for people."},
  };
  auto with = [&](std::vector<FlagSpec> flags) {
    for (const auto& flag : fields) flags.push_back(flag);
    return cli::WithRpcFlags(std::move(flags));
  };
  const std::vector<FlagSpec> page_flags = cli::WithRpcFlags({
      {"filter", "F",
       "Filter expression (README \"Filtering\"): state; deliveries also event_id, "
       "event_type, subject."},
      {"page-size", "N", "Items per page (server default 50, at most 1000)."},
      {"page-token", "T", "Continue from a previous page."},
      {"all", "", "Follow next_page_token until the last page."},
      {"table", "", "Print aligned columns."},
  });

  registry.Add({
      .path = {"webhooks", "create"},
      .synopsis = "--url URL --secret TEXT",
      .summary = "Register an endpoint; prints the webhook as JSON (never the secret).",
      .flags = with({request_id}),
      .run = RunCreate,
  });
  registry.Add({
      .path = {"webhooks", "get"},
      .synopsis = "NAME",
      .summary = "Show one webhook as JSON (NAME is webhooks/ID or ID).",
      .flags = cli::WithRpcFlags({}),
      .min_positional = 1,
      .max_positional = 1,
      .run = RunGet,
  });
  registry.Add({
      .path = {"webhooks", "list"},
      .summary = "List the webhooks: JSON lines, or a table.",
      .flags = page_flags,
      .run = RunList,
  });
  registry.Add({
      .path = {"webhooks", "update"},
      .synopsis = "NAME --etag ETAG",
      .summary = "Change a webhook; only the flags given are updated (--state active resumes).",
      .flags = with({{"etag", "ETAG", "The etag last read (required)."}, request_id}),
      .min_positional = 1,
      .max_positional = 1,
      .run = RunUpdate,
  });
  registry.Add({
      .path = {"webhooks", "delete"},
      .synopsis = "NAME",
      .summary = "Delete a webhook and its queued deliveries.",
      .flags = cli::WithRpcFlags({{"etag", "ETAG", "Only if still at this etag."}, request_id}),
      .min_positional = 1,
      .max_positional = 1,
      .run = RunDelete,
  });
  registry.Add({
      .path = {"webhooks", "deliveries"},
      .synopsis = "NAME",
      .summary = "The webhook's deliveries, newest first, with their attempts.",
      .flags = page_flags,
      .min_positional = 1,
      .max_positional = 1,
      .run = RunDeliveries,
  });
  registry.Add({
      .path = {"webhooks", "redeliver"},
      .synopsis = "NAME --event EVENT_ID",
      .summary = "Send an event the webhook was sent before once more.",
      .flags = cli::WithRpcFlags({{"event", "EVENT_ID", "The event's id (required)."}, request_id}),
      .min_positional = 1,
      .max_positional = 1,
      .run = RunRedeliver,
  });
}

}  // namespace accord::accordctl
