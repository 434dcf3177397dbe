#include "webhook_logic.h"

#include <algorithm>

#include "absl/strings/numbers.h"
#include "accord/common/errors.h"
#include "accord/common/filter.h"
#include "accord/common/idempotency.h"
#include "accord/common/ids.h"
#include "accord/common/list_query.h"
#include "accord/common/paging.h"

namespace accord::webhooks {
namespace {

// Adds the field violations of `status` (a parse or a request id check) to `violations`.
void Collect(const absl::Status& status, common::Violations& violations) {
  for (auto& violation : common::FieldViolationsOf(status)) {
    violations.Add(violation.field, violation.description);
  }
}

}  // namespace

WebhookLogic::WebhookLogic(WebhookRepository& repository, const common::PageTokenCodec& tokens)
    : repository_(repository), tokens_(tokens) {}

absl::StatusOr<Webhook> WebhookLogic::Create(const common::Principal& caller,
                                             const v1::CreateWebhookRequest& request,
                                             WriteMeta meta) {
  ACCORD_RETURN_IF_ERROR(CheckManage(caller));
  Webhook webhook = request.webhook();
  ApplyWebhookDefaults(webhook);
  common::Violations violations;
  ValidateWebhook(webhook, "webhook.", /*with_secret=*/true, violations);
  Collect(common::IdempotencyKeys::Validate(request.request_id()), violations);
  ACCORD_RETURN_IF_ERROR(violations.ToStatus());
  webhook.set_name(WebhookName(common::NewUuidV7()));
  webhook.clear_failing_since();
  return repository_.Create(webhook, meta);
}

absl::StatusOr<Webhook> WebhookLogic::Get(const common::Principal& caller,
                                          const v1::GetWebhookRequest& request) {
  ACCORD_RETURN_IF_ERROR(CheckManage(caller));
  ACCORD_ASSIGN_OR_RETURN(std::string id, ParseWebhookName(request.name(), "name"));
  return repository_.Get(id);
}

absl::StatusOr<v1::ListWebhooksResponse> WebhookLogic::List(
    const common::Principal& caller, const v1::ListWebhooksRequest& request) {
  ACCORD_RETURN_IF_ERROR(CheckManage(caller));
  ACCORD_ASSIGN_OR_RETURN(
      common::filter::SqlFilter filter,
      common::filter::Compile(request.filter(), repository_.WebhookFilterSchema()));
  ACCORD_ASSIGN_OR_RETURN(common::PageStart start,
                          common::StartPage(tokens_, request.page_size(), request.page_token(),
                                            "webhooks\n" + request.filter()));
  std::optional<std::string> after;
  if (start.after && !start.after->empty()) after = start.after->back();
  ACCORD_ASSIGN_OR_RETURN(auto webhooks, repository_.List(filter, after, start.limit + 1));
  v1::ListWebhooksResponse response;
  std::vector<std::vector<std::string>> keys;
  for (const auto& webhook : webhooks) {
    // (sort key, id): both the id here, the lists' one order.
    const std::string id = *ParseWebhookName(webhook.name(), "name");
    keys.push_back({id, id});
  }
  const size_t returned = common::PageRows(start, webhooks);
  for (size_t i = 0; i < returned; ++i) *response.add_webhooks() = webhooks[i];
  response.set_next_page_token(
      common::NextPageToken(tokens_, start, returned, webhooks.size(), keys));
  return response;
}

absl::StatusOr<Webhook> WebhookLogic::Update(const common::Principal& caller,
                                             const v1::UpdateWebhookRequest& request,
                                             WriteMeta meta) {
  static const std::vector<std::string> kUpdatable = {
      "url", "event_type_prefixes", "subject_prefixes", "secret", "state", "display_name"};
  ACCORD_RETURN_IF_ERROR(CheckManage(caller));
  common::Violations violations;
  auto id = ParseWebhookName(request.webhook().name(), "webhook.name");
  Collect(id.status(), violations);
  if (request.etag().empty()) violations.Add("etag", "required");
  if (request.update_mask().paths_size() == 0) {
    violations.Add("update_mask", "required: name the fields to change");
  }
  bool secret_changes = false;
  for (const auto& path : request.update_mask().paths()) {
    if (std::find(kUpdatable.begin(), kUpdatable.end(), path) == kUpdatable.end()) {
      violations.Add("update_mask", "`" + path + "` cannot be updated");
    }
    if (path == "secret") secret_changes = true;
  }
  Collect(common::IdempotencyKeys::Validate(request.request_id()), violations);
  ACCORD_RETURN_IF_ERROR(violations.ToStatus());
  return repository_.Update(
      *id,
      [&](const Webhook& locked) -> absl::StatusOr<Webhook> {
        if (request.etag() != locked.etag()) return common::EtagMismatch(locked.name());
        Webhook next = locked;
        const Webhook& patch = request.webhook();
        for (const auto& path : request.update_mask().paths()) {
          if (path == "url") next.set_url(patch.url());
          if (path == "event_type_prefixes") {
            *next.mutable_event_type_prefixes() = patch.event_type_prefixes();
          }
          if (path == "subject_prefixes") {
            *next.mutable_subject_prefixes() = patch.subject_prefixes();
          }
          if (path == "secret") next.set_secret(patch.secret());
          if (path == "state") next.set_state(patch.state());
          if (path == "display_name") next.set_display_name(patch.display_name());
        }
        common::Violations field_violations;
        ValidateWebhook(next, "webhook.", secret_changes, field_violations);
        ACCORD_RETURN_IF_ERROR(field_violations.ToStatus());
        return next;
      },
      meta);
}

absl::StatusOr<Webhook> WebhookLogic::Delete(const common::Principal& caller,
                                             const v1::DeleteWebhookRequest& request,
                                             WriteMeta meta) {
  ACCORD_RETURN_IF_ERROR(CheckManage(caller));
  common::Violations violations;
  auto id = ParseWebhookName(request.name(), "name");
  Collect(id.status(), violations);
  Collect(common::IdempotencyKeys::Validate(request.request_id()), violations);
  ACCORD_RETURN_IF_ERROR(violations.ToStatus());
  return repository_.Delete(
      *id,
      [&](const Webhook& locked) -> absl::Status {
        if (!request.etag().empty() && request.etag() != locked.etag()) {
          return common::EtagMismatch(locked.name());
        }
        return absl::OkStatus();
      },
      meta);
}

absl::StatusOr<v1::ListWebhookDeliveriesResponse> WebhookLogic::ListDeliveries(
    const common::Principal& caller, const v1::ListWebhookDeliveriesRequest& request) {
  ACCORD_RETURN_IF_ERROR(CheckManage(caller));
  ACCORD_ASSIGN_OR_RETURN(std::string id, ParseWebhookName(request.parent(), "parent"));
  ACCORD_ASSIGN_OR_RETURN(
      common::filter::SqlFilter filter,
      common::filter::Compile(request.filter(), repository_.DeliveryFilterSchema()));
  ACCORD_ASSIGN_OR_RETURN(common::PageStart start,
                          common::StartPage(tokens_, request.page_size(), request.page_token(),
                                            "deliveries/" + id + "\n" + request.filter()));
  std::optional<int64_t> before;
  if (start.after && !start.after->empty()) {
    int64_t value = 0;
    if (!absl::SimpleAtoi(start.after->back(), &value)) {
      return common::InvalidArgument("page_token", "not a token of this list");
    }
    before = value;
  }
  ACCORD_ASSIGN_OR_RETURN(auto deliveries,
                          repository_.ListDeliveries(id, filter, before, start.limit + 1));
  v1::ListWebhookDeliveriesResponse response;
  std::vector<std::vector<std::string>> keys;
  for (const auto& delivery : deliveries) {
    const std::string id = delivery.name().substr(delivery.name().rfind('/') + 1);
    keys.push_back({id, id});
  }
  const size_t returned = common::PageRows(start, deliveries);
  for (size_t i = 0; i < returned; ++i) *response.add_deliveries() = deliveries[i];
  response.set_next_page_token(
      common::NextPageToken(tokens_, start, returned, deliveries.size(), keys));
  return response;
}

absl::StatusOr<v1::WebhookDelivery> WebhookLogic::Redeliver(
    const common::Principal& caller, const v1::RedeliverWebhookEventRequest& request,
    WriteMeta meta) {
  ACCORD_RETURN_IF_ERROR(CheckManage(caller));
  common::Violations violations;
  auto id = ParseWebhookName(request.name(), "name");
  Collect(id.status(), violations);
  if (request.event_id().empty() || request.event_id().size() > 100) {
    violations.Add("event_id", "required, at most 100 characters");
  }
  Collect(common::IdempotencyKeys::Validate(request.request_id()), violations);
  ACCORD_RETURN_IF_ERROR(violations.ToStatus());
  return repository_.Redeliver(*id, request.event_id(), meta);
}

}  // namespace accord::webhooks
