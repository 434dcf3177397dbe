#include "account_hierarchy.h"

#include <algorithm>

#include "accord/common/errors.h"

namespace accord::account {

absl::Status CheckMove(const std::string& account_name,
                       const std::vector<std::string>& new_parent_ancestry) {
  if (std::find(new_parent_ancestry.begin(), new_parent_ancestry.end(), account_name) ==
      new_parent_ancestry.end()) {
    return absl::OkStatus();
  }
  return common::FailedPrecondition(
      "HIERARCHY_CYCLE", account_name + " cannot move under " + new_parent_ancestry.front() +
                             ", which is the account itself or one of its descendants");
}

}  // namespace accord::account
