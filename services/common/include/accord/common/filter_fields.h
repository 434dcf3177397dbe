// Shorthands for declaring the fields of a filter::Schema that recur across services.
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include "accord/common/filter.h"

namespace accord::common::filter {

// A field naming another resource by its id column, e.g. ReferenceField("account", "accounts",
// "r.account_id") for `account = "accounts/ID"`: compared whole (= and !=), never by substring.
inline FieldSpec ReferenceField(std::string name, std::string_view collection,
                                std::string_view id_column) {
  FieldSpec field;
  field.name = std::move(name);
  field.column = "('" + std::string(collection) + "/' || " + std::string(id_column) + "::text)";
  field.type = FieldType::kString;
  field.allowed_ops = {"=", "!="};
  return field;
}

}  // namespace accord::common::filter
