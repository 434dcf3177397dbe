#include "account_directory.h"

#include "pricing_common.h"

namespace accord::pricing {

GrpcAccountDirectory::GrpcAccountDirectory(common::ServiceClientOptions options,
                                           std::chrono::milliseconds ttl)
    : client_({.service = std::move(options), .access_ttl = ttl}) {}

absl::Status GrpcAccountDirectory::CheckLive(const common::CallIdentity& identity,
                                             const std::string& account_id) {
  return client_.CheckLive(identity, AccountName(account_id));
}

absl::StatusOr<bool> GrpcAccountDirectory::Manages(const common::CallIdentity& identity,
                                                   const std::string& subject,
                                                   const std::string& account_id) {
  return client_.Manages(identity, subject, AccountName(account_id));
}

}  // namespace accord::pricing
