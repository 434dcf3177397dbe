// Resource names (AIP-122), parsed one way by every service: "accounts/{account}",
// "contacts/{contact}/interactions/{interaction}". Every id is a UUID, read case-insensitively and
// returned lower-cased; a name that does not fit is INVALID_ARGUMENT naming the request field.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "accord/common/errors.h"

namespace accord::common {

// The ids of `name` in order, for a pattern of literal collections and {variables}, e.g.
// ParseName("accounts/0190.../needs/0190...", "accounts/{account}/needs/{need}", "name").
absl::StatusOr<std::vector<std::string>> ParseName(std::string_view name, std::string_view pattern,
                                                   const std::string& field);

// "collection/{id}" -> id.
absl::StatusOr<std::string> ParseTopName(std::string_view name, std::string_view collection,
                                         const std::string& field);

// ABORTED (ETAG_MISMATCH) unless the etag a caller supplied is the resource's current one.
template <typename Resource>
absl::Status CheckEtag(const std::string& supplied, const Resource& current) {
  if (supplied != current.etag()) return EtagMismatch(current.name());
  return absl::OkStatus();
}
inline absl::Status CheckEtag(const std::string& supplied, const std::string& name,
                              const std::string& current_etag) {
  if (supplied != current_etag) return EtagMismatch(name);
  return absl::OkStatus();
}

}  // namespace accord::common
