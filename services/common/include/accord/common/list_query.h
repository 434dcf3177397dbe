// Pieces of a List request that every service parses the same way: order_by (AIP-132) and the
// enum values a filter (filter.h) accepts.
#pragma once

#include <google/protobuf/descriptor.h>

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace accord::common {

// A parsed order_by: one of the allowed fields, optionally followed by ` asc` or ` desc`.
struct OrderBy {
  std::string field;
  bool descending = false;
  std::string canonical;  // for the page token's query fingerprint
};
// Empty `order_by` means `fields.front()` ascending. Case-insensitive. INVALID_ARGUMENT on field
// "order_by" naming the choices otherwise.
absl::StatusOr<OrderBy> ParseOrderBy(const std::string& order_by,
                                     const std::vector<std::string>& fields);

// Name -> stored number of every value of an enum but the zero one, under both its full name
// (TEAM_ROLE_SALES) and its name without `prefix` (SALES), for filter::FieldSpec::enum_values.
std::map<std::string, std::string> FilterEnumValues(
    const google::protobuf::EnumDescriptor* descriptor, std::string_view prefix);

}  // namespace accord::common
