#include "resource_names.h"

#include <algorithm>
#include <cctype>

#include "accord/common/errors.h"
#include "accord/common/resource_name.h"

namespace accord::account {
namespace {

constexpr std::string_view kNamePrefix = "accounts/";

std::string ChildOf(std::string_view account_id, std::string_view collection, std::string_view id) {
  return AccountName(account_id) + "/" + std::string(collection) + "/" + std::string(id);
}

}  // namespace

absl::StatusOr<std::string> ParseAccountName(std::string_view name, const std::string& field) {
  return common::ParseTopName(name, "accounts", field);
}

std::string AccountName(std::string_view id) { return std::string(kNamePrefix) + std::string(id); }

std::string TeamMemberName(std::string_view account_id, std::string_view member_id) {
  return ChildOf(account_id, kTeamMembersCollection, member_id);
}

std::string NeedName(std::string_view account_id, std::string_view need_id) {
  return ChildOf(account_id, kNeedsCollection, need_id);
}

}  // namespace accord::account
