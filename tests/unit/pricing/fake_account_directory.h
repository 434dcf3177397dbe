// An in-memory AccountDirectory for unit tests of the pricing logic: accounts by id with an
// owner, team members, merges and deletions, and a switch that makes it answer as a down
// account service does.
#pragma once

#include <map>
#include <set>
#include <string>
#include <utility>

#include "accord/common/errors.h"
#include "account_directory.h"
#include "pricing_common.h"

namespace accord::pricing::testing {

class FakeAccountDirectory final : public AccountDirectory {
 public:
  struct Account {
    std::string owner;
    std::set<std::string> team;
    std::string merged_into;
    bool deleted = false;
  };

  absl::Status CheckLive(const common::CallIdentity&, const std::string& id) override {
    ++calls_;
    if (down_) return common::Unavailable("ACCOUNT_SERVICE_UNAVAILABLE", "down");
    auto found = accounts_.find(id);
    if (found == accounts_.end() || found->second.deleted) {
      return common::WithReason(common::NotFound(AccountName(id)), "ACCOUNT_NOT_FOUND");
    }
    if (!found->second.merged_into.empty()) {
      return common::WithReason(common::FailedPrecondition("ACCOUNT_MERGED", "merged"),
                                "ACCOUNT_MERGED", {{"merged_into", found->second.merged_into}});
    }
    return absl::OkStatus();
  }
  absl::StatusOr<bool> Manages(const common::CallIdentity&, const std::string& subject,
                               const std::string& id) override {
    ++calls_;
    if (down_) return common::Unavailable("ACCOUNT_SERVICE_UNAVAILABLE", "down");
    auto found = accounts_.find(id);
    if (found == accounts_.end()) return false;
    return found->second.owner == subject || found->second.team.count(subject) > 0;
  }

  std::map<std::string, Account> accounts_;
  bool down_ = false;
  int calls_ = 0;
};

}  // namespace accord::pricing::testing
