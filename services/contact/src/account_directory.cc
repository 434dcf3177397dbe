#include "account_directory.h"

#include "contact_fields.h"

namespace accord::contact {

GrpcAccountDirectory::GrpcAccountDirectory(common::ServiceClientOptions options,
                                           std::chrono::milliseconds ttl)
    : client_({.service = std::move(options), .access_ttl = ttl}) {}

absl::Status GrpcAccountDirectory::CheckRelatable(const common::CallIdentity& identity,
                                                  const std::string& account_id) {
  return client_.CheckLive(identity, AccountName(account_id));
}

absl::StatusOr<bool> GrpcAccountDirectory::Manages(const common::CallIdentity& identity,
                                                   const std::string& subject,
                                                   const std::string& account_id) {
  auto manages = client_.Manages(identity, subject, AccountName(account_id));
  // A missing, deleted or merged account is managed by nobody.
  if (absl::IsNotFound(manages.status()) || absl::IsFailedPrecondition(manages.status())) {
    return false;
  }
  return manages;
}

}  // namespace accord::contact
