// The last step of every response that carries contacts: personal fields are masked for callers
// who may not see them, and every contact shown unmasked is written to the access log first.
#pragma once

#include <vector>

#include "absl/status/statusor.h"
#include "access_log.h"
#include "contact_access.h"
#include "contact_repository.h"

namespace accord::contact {

class ContactPresenter {
 public:
  ContactPresenter(ContactAccess& access, AccessLog& log) : access_(access), log_(log) {}

  absl::StatusOr<std::vector<Contact>> Present(const Caller& caller,
                                               std::vector<ContactRecord> records);
  absl::StatusOr<Contact> Present(const Caller& caller, ContactRecord record);

 private:
  ContactAccess& access_;
  AccessLog& log_;
};

}  // namespace accord::contact
