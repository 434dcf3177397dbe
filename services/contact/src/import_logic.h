// ImportContacts: rows applied one streamed message at a time through the same upsert as
// UpsertContactByExternalId, each row on its own, with a tally and a result per row. Holds only
// the tally and at most kMaxImportResults results, however long the import.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "accord/contact/v1/stewardship.pb.h"
#include "contact_logic.h"

namespace accord::contact {

inline constexpr int kMaxImportResults = 10000;
inline constexpr int kMaxImportRowsPerMessage = 500;

class ContactImport {
 public:
  // Upserts come from `upsert`: ContactLogic::UpsertRecord in the service, a fake in tests.
  using Upsert = std::function<absl::StatusOr<ContactRepository::Upserted>(
      const v1::UpsertContactByExternalIdRequest& request)>;

  explicit ContactImport(Upsert upsert) : upsert_(std::move(upsert)) {}

  // PERMISSION_DENIED unless the caller may import (admin, integration).
  static absl::Status CheckCaller(const common::Principal& caller);
  // Applies one message's rows. An error here (a bad import_id, too many rows) ends the import;
  // a bad row does not: it is counted and reported.
  absl::Status Apply(const v1::ImportContactsRequest& message);
  // The tally and results so far; INVALID_ARGUMENT when the stream carried no import_id.
  absl::StatusOr<v1::ImportContactsResponse> Result() const;

 private:
  void Record(v1::ImportRowResult result);

  Upsert upsert_;
  v1::ImportContactsResponse response_;
};

}  // namespace accord::contact
