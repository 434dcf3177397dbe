// Resource names of the account service, shared by the logic (which parses what callers send)
// and storage (which names what it reads), so that storage needs nothing from the logic layer.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace accord::account {

inline constexpr std::string_view kTeamMembersCollection = "teamMembers";
inline constexpr std::string_view kNeedsCollection = "needs";

// "accounts/{uuid}" -> uuid (lower case). INVALID_ARGUMENT naming `field` otherwise.
absl::StatusOr<std::string> ParseAccountName(std::string_view name, const std::string& field);
std::string AccountName(std::string_view id);
// "accounts/{account_id}/teamMembers/{member_id}"
std::string TeamMemberName(std::string_view account_id, std::string_view member_id);
// "accounts/{account_id}/needs/{need_id}"
std::string NeedName(std::string_view account_id, std::string_view need_id);

}  // namespace accord::account
