// The rule that keeps the account hierarchy a tree. Pure; the logic states it and storage applies
// it under the hierarchy lock, where the ancestry it needs can be read without racing a move.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"

namespace accord::account {

// Whether `account` may move under the account whose ancestry (itself first, then its parent,
// and so on up) is `new_parent_ancestry`: not when the account is in that chain, since it would
// then be its own ancestor. FAILED_PRECONDITION, reason HIERARCHY_CYCLE.
absl::Status CheckMove(const std::string& account_name,
                       const std::vector<std::string>& new_parent_ancestry);

}  // namespace accord::account
