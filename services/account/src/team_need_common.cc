#include "team_need_common.h"

#include <algorithm>
#include <cctype>

#include "accord/common/ids.h"
#include "resource_names.h"

namespace accord::account {
namespace {

constexpr std::string_view kAccountsPrefix = "accounts/";

std::string Lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

}  // namespace

absl::StatusOr<ChildName> ParseChildName(std::string_view name, std::string_view collection,
                                         const std::string& field) {
  const std::string example =
      "accounts/{account_id}/" + std::string(collection) + "/{" + std::string(collection) + "_id}";
  if (name.empty()) return common::InvalidArgument(field, "required, e.g. " + example);
  if (name.substr(0, kAccountsPrefix.size()) != kAccountsPrefix) {
    return common::InvalidArgument(field, "must look like " + example);
  }
  std::string_view rest = name.substr(kAccountsPrefix.size());
  const size_t slash = rest.find('/');
  if (slash == std::string_view::npos) {
    return common::InvalidArgument(field, "must look like " + example);
  }
  const std::string account_id = Lower(rest.substr(0, slash));
  rest = rest.substr(slash + 1);
  if (rest.substr(0, collection.size()) != collection || rest.substr(collection.size(), 1) != "/") {
    return common::InvalidArgument(field, "must look like " + example);
  }
  const std::string id = Lower(rest.substr(collection.size() + 1));
  if (!common::IsUuid(account_id) || !common::IsUuid(id)) {
    return common::InvalidArgument(field, "both ids in " + example + " must be UUIDs");
  }
  return ChildName{account_id, id};
}

std::string ChildResourceName(std::string_view account_id, std::string_view collection,
                              std::string_view id) {
  return AccountName(account_id) + "/" + std::string(collection) + "/" + std::string(id);
}

absl::StatusOr<std::optional<std::string>> ParseListParent(std::string_view parent,
                                                           const std::string& field) {
  if (parent == "accounts/-") return std::optional<std::string>();
  ACCORD_ASSIGN_OR_RETURN(std::string id, ParseAccountName(parent, field));
  return std::optional<std::string>(std::move(id));
}

}  // namespace accord::account
