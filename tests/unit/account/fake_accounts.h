// The accounts that team and need fakes hang off: owner, deleted or not, and who is on which
// team today. Stands in for the account row the Postgres repositories lock and read.
#pragma once

#include <map>
#include <set>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "accord/common/errors.h"
#include "accord/common/ids.h"
#include "account_access.h"
#include "account_logic.h"

namespace accord::account {

struct FakeAccounts {
  struct Account {
    std::string owner;
    bool deleted = false;
  };

  // Adds a live account owned by `owner`; returns its id.
  std::string Add(const std::string& owner) {
    std::string id = common::NewUuidV7();
    accounts[id] = {owner, false};
    return id;
  }

  // As the repositories' LoadAccountAccessFacts: NOT_FOUND naming a missing or deleted account.
  absl::StatusOr<AccountAccessFacts> Facts(const std::string& id, const std::string& subject,
                                           bool on_team) const {
    auto it = accounts.find(id);
    if (it == accounts.end() || it->second.deleted) return common::NotFound(AccountName(id));
    return AccountAccessFacts{AccountName(id), it->second.owner,
                              on_team || active_team.count({id, subject}) > 0};
  }

  bool IsLive(const std::string& id) const {
    auto it = accounts.find(id);
    return it != accounts.end() && !it->second.deleted;
  }

  std::map<std::string, Account> accounts;
  // (account id, subject) pairs on the account's team today.
  std::set<std::pair<std::string, std::string>> active_team;
};

}  // namespace accord::account
