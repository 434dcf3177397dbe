// Helpers shared by the resources that live under an account (team members, needs): child
// resource names, parents that may be `accounts/-`, calendar dates, text limits, order_by and
// filter enums. Pure functions; no gRPC or database types.
#pragma once

#include <google/protobuf/descriptor.h>

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "accord/common/errors.h"

namespace accord::account {

// `accounts/{account_id}/{collection}/{id}`, both ids UUIDs (lower case).
struct ChildName {
  std::string account_id;
  std::string id;
};

// Parses `accounts/{uuid}/{collection}/{uuid}`; INVALID_ARGUMENT naming `field` otherwise.
absl::StatusOr<ChildName> ParseChildName(std::string_view name, std::string_view collection,
                                         const std::string& field);
std::string ChildResourceName(std::string_view account_id, std::string_view collection,
                              std::string_view id);

// A List parent: `accounts/{uuid}` -> its id; `accounts/-` -> nullopt (every account, AIP-159).
absl::StatusOr<std::optional<std::string>> ParseListParent(std::string_view parent,
                                                           const std::string& field);

// "YYYY-MM-DD" naming a real day of the years 0001-9999.
bool IsCalendarDate(std::string_view text);
// Adds a violation on `field` unless `value` is empty or a calendar date.
void ValidateOptionalDate(const std::string& value, const std::string& field,
                          common::Violations& violations);

// Unicode code points in UTF-8 text (the unit of every length limit).
size_t CodePoints(const std::string& text);
bool IsBlank(const std::string& text);

// Name -> stored number of every value of an enum but the zero one, under both its full name
// (TEAM_ROLE_SALES) and its short one (SALES), for filter::FieldSpec::enum_values.
std::map<std::string, std::string> FilterEnumValues(
    const google::protobuf::EnumDescriptor* descriptor, std::string_view prefix);

// A parsed order_by: one of `fields`, optionally followed by ` asc` or ` desc`.
struct OrderBy {
  std::string field;
  bool descending = false;
  std::string canonical;  // for the page token's query fingerprint
};
// Empty `order_by` means `fields.front()` ascending. INVALID_ARGUMENT on field "order_by".
absl::StatusOr<OrderBy> ParseOrderBy(const std::string& order_by,
                                     const std::vector<std::string>& fields);

// Copies the field violations of `status` (from a parse helper) into `violations`.
void MergeViolations(const absl::Status& status, common::Violations& violations);

}  // namespace accord::account
