// Helpers shared by the resources that live under an account (team members, needs): child
// resource names and parents that may be `accounts/-`. Pure functions; no gRPC or database
// types. Text limits, dates, order_by and filter enums are common (fields.h, list_query.h).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "accord/common/errors.h"
#include "accord/common/fields.h"
#include "accord/common/list_query.h"

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

// The field and list helpers every service shares, under the names this service's logic uses.
using common::CodePoints;
using common::FilterEnumValues;
using common::IsBlank;
using common::IsCalendarDate;
using common::MergeViolations;
using common::OrderBy;
using common::ParseOrderBy;
using common::ValidateOptionalDate;

}  // namespace accord::account
