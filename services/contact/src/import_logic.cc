#include "import_logic.h"

#include <algorithm>

#include "accord/common/errors.h"
#include "accord/common/field_limits.h"
#include "accord/common/idempotency.h"
#include "accord/common/validation.h"

namespace accord::contact {
namespace {

// A row's failure as its result: the code, the message and the fields the violations name.
void Describe(const absl::Status& status, v1::ImportRowResult& result) {
  result.set_outcome(v1::ImportRowResult::OUTCOME_FAILED);
  result.set_error_code(absl::StatusCodeToString(status.code()));
  std::string message(status.message());
  if (message.size() > 2000) message.resize(2000);  // the messages here are ASCII
  result.set_error(std::move(message));
  for (const auto& violation : common::FieldViolationsOf(status)) {
    if (result.fields_size() >= 50) break;
    result.add_fields(violation.field.substr(0, 200));
  }
}

}  // namespace

absl::Status ContactImport::CheckCaller(const common::Principal& caller) {
  if (caller.HasAny({common::Role::kAdmin, common::Role::kIntegration})) return absl::OkStatus();
  return common::PermissionDenied("NOT_ALLOWED", "only admin and integration may import contacts");
}

absl::Status ContactImport::Apply(const v1::ImportContactsRequest& message) {
  if (response_.import_id().empty()) {
    if (message.import_id().empty()) {
      return common::InvalidArgument("import_id", "required in the first message");
    }
    ACCORD_RETURN_IF_ERROR(common::IdempotencyKeys::Validate(message.import_id(), "import_id"));
    response_.set_import_id(message.import_id());
  } else if (!message.import_id().empty() && message.import_id() != response_.import_id()) {
    return common::InvalidArgument("import_id", "differs from the first message's");
  }
  if (message.rows_size() > kMaxImportRowsPerMessage) {
    return common::InvalidArgument(
        "rows", "at most " + std::to_string(kMaxImportRowsPerMessage) + " rows per message");
  }
  for (const auto& row : message.rows()) {
    v1::ImportRowResult result;
    result.set_key(row.key().substr(0, 100));
    absl::Status checked = common::CheckFieldLimits(row);
    if (checked.ok()) checked = common::CheckTextFields(row);
    if (checked.ok() && row.key().empty()) {
      checked = common::InvalidArgument("key", "required: the row's key in the source");
    }
    if (!checked.ok()) {
      Describe(checked, result);
      Record(std::move(result));
      continue;
    }
    v1::UpsertContactByExternalIdRequest request;
    request.set_system(row.system());
    request.set_external_id(row.external_id());
    *request.mutable_contact() = row.contact();
    auto upserted = upsert_(request);
    if (!upserted.ok()) {
      Describe(upserted.status(), result);
    } else {
      result.set_contact(upserted->record.contact.name());
      result.set_outcome(upserted->created   ? v1::ImportRowResult::OUTCOME_CREATED
                         : upserted->changed ? v1::ImportRowResult::OUTCOME_UPDATED
                                             : v1::ImportRowResult::OUTCOME_UNCHANGED);
    }
    Record(std::move(result));
  }
  return absl::OkStatus();
}

void ContactImport::Record(v1::ImportRowResult result) {
  response_.set_rows(response_.rows() + 1);
  switch (result.outcome()) {
    case v1::ImportRowResult::OUTCOME_CREATED:
      response_.set_created(response_.created() + 1);
      break;
    case v1::ImportRowResult::OUTCOME_UPDATED:
      response_.set_updated(response_.updated() + 1);
      break;
    case v1::ImportRowResult::OUTCOME_UNCHANGED:
      response_.set_unchanged(response_.unchanged() + 1);
      break;
    default:
      response_.set_failed(response_.failed() + 1);
  }
  const bool failed = result.outcome() == v1::ImportRowResult::OUTCOME_FAILED;
  if (response_.rows() == kMaxImportResults + 1) {
    // Past the limit only failures are listed: drop the others listed so far.
    auto* results = response_.mutable_results();
    results->erase(std::remove_if(results->begin(), results->end(),
                                  [](const v1::ImportRowResult& kept) {
                                    return kept.outcome() != v1::ImportRowResult::OUTCOME_FAILED;
                                  }),
                   results->end());
    response_.set_results_truncated(true);
  }
  if (response_.rows() > kMaxImportResults && !failed) return;
  if (response_.results_size() >= kMaxImportResults) {
    response_.set_results_truncated(true);
    return;
  }
  *response_.add_results() = std::move(result);
}

absl::StatusOr<v1::ImportContactsResponse> ContactImport::Result() const {
  if (response_.import_id().empty()) {
    return common::InvalidArgument("import_id", "required: the stream sent no message");
  }
  return response_;
}

}  // namespace accord::contact
