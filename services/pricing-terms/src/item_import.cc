#include "item_import.h"

#include "accord/common/errors.h"
#include "accord/common/field_limits.h"
#include "accord/common/idempotency.h"
#include "pricing_logic.h"

namespace accord::pricing {

absl::Status ItemImport::Apply(const v1::ImportPriceListItemsRequest& message) {
  const bool first = list_id_.empty();
  if (first) {
    common::Violations violations;
    auto list_id = ParseTopName(message.parent(), "priceLists", "parent");
    MergeViolations(list_id.status(), violations);
    if (message.batch_id().empty()) {
      violations.Add("batch_id", "required in the first message");
    } else {
      MergeViolations(common::IdempotencyKeys::Validate(message.batch_id(), "batch_id"),
                      violations);
    }
    ACCORD_RETURN_IF_ERROR(violations.ToStatus());
    // The currency never changes, so it is read once; the status is checked again under the
    // list's lock when the rows are written.
    ACCORD_ASSIGN_OR_RETURN(PriceList list, repository_.GetPriceList(*list_id));
    list_id_ = *list_id;
    currency_ = list.currency_code();
    response_.set_price_list(list.name());
    response_.set_batch_id(message.batch_id());
    // A batch id names one batch: its identity is the list and the id, so that a replay is
    // answered from the first import however its rows arrive.
    v1::ImportPriceListItemsRequest identity;
    identity.set_parent(list.name());
    identity.set_batch_id(message.batch_id());
    meta_.request_id = message.batch_id();
    meta_.fingerprint = common::RequestFingerprint(identity);
  } else {
    if (!message.parent().empty() && message.parent() != response_.price_list()) {
      return common::InvalidArgument("parent", "differs from the first message's");
    }
    if (!message.batch_id().empty() && message.batch_id() != response_.batch_id()) {
      return common::InvalidArgument("batch_id", "differs from the first message's");
    }
  }
  if (message.items_size() > kMaxImportItemsPerMessage) {
    return common::InvalidArgument("items", "at most 1000 items a message");
  }
  for (const auto& received : message.items()) {
    const int64_t row = response_.rows();
    response_.set_rows(row + 1);
    const std::string prefix = "items[" + std::to_string(row) + "].";
    // Client-streaming calls bypass the request guard: each row's sizes are checked here.
    if (absl::Status limits = common::CheckFieldLimits(received); !limits.ok()) {
      Refuse(row, received.sku().substr(0, 64), limits);
      continue;
    }
    PriceListItem item = received;
    item.clear_name();
    item.clear_etag();
    item.clear_create_time();
    item.clear_update_time();
    common::Violations violations;
    ValidateItemFields(item, prefix, currency_, violations);
    if (violations.empty() && skus_.count(item.sku())) {
      violations.Add(prefix + "sku", "appears earlier in the import");
    }
    if (!violations.empty()) {
      Refuse(row, item.sku(), violations.ToStatus());
      continue;
    }
    skus_.insert(item.sku());
    rows_.push_back(item.SerializeAsString());
  }
  return absl::OkStatus();
}

void ItemImport::Refuse(int64_t row, const std::string& sku, const absl::Status& status) {
  response_.set_failed(response_.failed() + 1);
  if (response_.errors_size() >= kMaxImportErrors) {
    response_.set_errors_truncated(true);
    return;
  }
  auto* error = response_.add_errors();
  error->set_row(row);
  error->set_sku(sku);
  *error->mutable_status() = ToRpcStatus(status);
}

absl::StatusOr<v1::ImportPriceListItemsResponse> ItemImport::Finish() {
  if (list_id_.empty()) {
    return common::InvalidArgument("parent", "required: the stream sent no message");
  }
  skus_.clear();
  return repository_.ImportItems(
      list_id_, rows_, response_,
      [](const PriceList& locked) -> absl::Status {
        if (locked.status() == v1::PRICE_LIST_STATUS_RETIRED) {
          return common::FailedPrecondition("PRICE_LIST_RETIRED",
                                            locked.name() + " is retired; its items are final");
        }
        return absl::OkStatus();
      },
      meta_);
}

}  // namespace accord::pricing
