// The contacts domain: validation and normalisation, permissions, update masks, paging, and
// masking of personal data on the way out. Pure logic over messages, a repository and the
// account directory; no gRPC types, so it is unit-tested against fakes.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "accord/common/page_token.h"
#include "accord/contact/v1/contact.pb.h"
#include "contact_access.h"
#include "contact_presenter.h"
#include "contact_repository.h"

namespace accord::contact {

class ContactLogic {
 public:
  ContactLogic(ContactRepository& repository, ContactAccess& access, ContactPresenter& presenter,
               const common::PageTokenCodec& page_tokens, std::string default_region);

  absl::StatusOr<Contact> Create(const Caller& caller, const v1::CreateContactRequest& request,
                                 WriteMeta meta);
  absl::StatusOr<Contact> Get(const Caller& caller, const v1::GetContactRequest& request);
  // Get's answer when it needs no I/O: a bad name, or a contact held in this process that the
  // caller sees masked (nothing to log, no account to ask about). nullopt: ask Get.
  std::optional<absl::StatusOr<Contact>> GetWithoutIo(const Caller& caller,
                                                      const v1::GetContactRequest& request);
  absl::StatusOr<v1::ListContactsResponse> List(const Caller& caller,
                                                const v1::ListContactsRequest& request);
  absl::StatusOr<Contact> Update(const Caller& caller, const v1::UpdateContactRequest& request,
                                 WriteMeta meta);
  absl::StatusOr<Contact> Delete(const Caller& caller, const v1::DeleteContactRequest& request,
                                 WriteMeta meta);
  absl::StatusOr<v1::LookupContactsResponse> Lookup(const Caller& caller,
                                                    const v1::LookupContactsRequest& request);
  absl::StatusOr<Contact> LookupByExternalId(const Caller& caller,
                                             const v1::LookupContactByExternalIdRequest& request);
  absl::StatusOr<v1::UpsertContactByExternalIdResponse> Upsert(
      const Caller& caller, const v1::UpsertContactByExternalIdRequest& request, WriteMeta meta);
  // Upsert without presenting the contact (nor logging it as read): for imports, which answer
  // with names only.
  absl::StatusOr<ContactRepository::Upserted> UpsertRecord(
      const Caller& caller, const v1::UpsertContactByExternalIdRequest& request, WriteMeta meta);

 private:
  ContactRepository& repository_;
  ContactAccess& access_;
  ContactPresenter& presenter_;
  const common::PageTokenCodec& page_tokens_;
  std::string default_region_;
};

// The fields UpdateContact may change, in the order of the message.
const std::vector<std::string>& UpdatableContactPaths();
// Copies `paths` of `patch` onto `target`.
void ApplyContactPaths(const Contact& patch, const std::vector<std::string>& paths,
                       Contact& target);

}  // namespace accord::contact
