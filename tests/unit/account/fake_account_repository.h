// An in-memory AccountRepository for unit tests of the domain logic. It honours ordering,
// keyset paging, versions and request ids; it ignores SQL filters (those are covered against
// Postgres in the integration tests).
#pragma once

#include <algorithm>
#include <map>
#include <set>

#include "accord/common/errors.h"
#include "accord/common/ids.h"
#include "account_logic.h"
#include "account_repository.h"
#include "pg_filter_schemas.h"

namespace accord::account {

class FakeAccountRepository final : public AccountRepository {
 public:
  // The real stores' mapping: filters are validated exactly as in production.
  const common::filter::Schema& FilterSchema() const override { return AccountFilterSchema(); }
  absl::StatusOr<Account> Create(const Account& account, const WriteMeta& meta) override {
    if (auto it = responses_.find(meta.request_id);
        !meta.request_id.empty() && it != responses_.end()) {
      return it->second;
    }
    Account stored = account;
    std::string id = common::NewUuidV7();
    stored.set_name(AccountName(id));
    stored.set_etag("1");
    stored.mutable_create_time()->set_seconds(++clock_);
    *stored.mutable_update_time() = stored.create_time();
    accounts_[id] = stored;
    if (!meta.request_id.empty()) responses_[meta.request_id] = stored;
    ++writes;
    return stored;
  }

  absl::StatusOr<Account> Get(const std::string& id) override {
    auto it = accounts_.find(id);
    if (it == accounts_.end() || it->second.has_delete_time()) {
      return common::NotFound(AccountName(id));
    }
    return it->second;
  }

  absl::StatusOr<AccountPage> List(const AccountListQuery& query) override {
    std::vector<std::pair<std::vector<std::string>, Account>> rows;
    for (const auto& [id, account] : accounts_) {
      if (account.has_delete_time()) continue;
      std::string key = query.order == AccountOrder::kDisplayName
                            ? account.display_name()
                            : std::to_string(account.create_time().seconds());
      rows.push_back({{key, id}, account});
    }
    std::sort(rows.begin(), rows.end(), [&](const auto& a, const auto& b) {
      return query.descending ? a.first > b.first : a.first < b.first;
    });
    AccountPage page;
    for (const auto& [key, account] : rows) {
      if (query.after && (query.descending ? !(key < *query.after) : !(key > *query.after))) {
        continue;
      }
      if (static_cast<int>(page.accounts.size()) > query.limit) break;
      page.accounts.push_back(account);
      page.keys.push_back(key);
    }
    return page;
  }

  absl::StatusOr<Account> Update(const std::string& id, const Mutation& mutate,
                                 const WriteMeta& meta) override {
    if (auto it = responses_.find(meta.request_id);
        !meta.request_id.empty() && it != responses_.end()) {
      return it->second;
    }
    auto current = Get(id);
    if (!current.ok()) return current.status();
    AccountFacts facts;
    facts.actor_on_team = team_members.count({id, meta.actor}) > 0;
    auto next = mutate(*current, facts);
    if (!next.ok()) return next.status();
    next->set_etag(std::to_string(std::stoll(current->etag()) + 1));
    next->mutable_update_time()->set_seconds(++clock_);
    accounts_[id] = *next;
    if (!meta.request_id.empty()) responses_[meta.request_id] = *next;
    ++writes;
    return *next;
  }

  absl::StatusOr<Account> Delete(const std::string& id, const Mutation& check,
                                 const WriteMeta& meta) override {
    return Update(
        id,
        [&](const Account& current, const AccountFacts& facts) -> absl::StatusOr<Account> {
          auto checked = check(current, facts);
          if (!checked.ok()) return checked.status();
          Account deleted = current;
          deleted.mutable_delete_time()->set_seconds(clock_ + 1);
          return deleted;
        },
        meta);
  }

  absl::StatusOr<std::vector<Account>> BatchGet(const std::vector<std::string>& ids) override {
    std::vector<Account> out;
    for (const auto& id : ids) {
      auto account = Get(id);
      if (!account.ok()) return account.status();
      out.push_back(*account);
    }
    return out;
  }

  absl::StatusOr<Account> GetByExternalId(const std::string& system,
                                          const std::string& external_id) override {
    for (const auto& [id, account] : accounts_) {
      auto it = account.external_ids().find(system);
      if (!account.has_delete_time() && it != account.external_ids().end() &&
          it->second == external_id) {
        return account;
      }
    }
    return absl::NotFoundError("no account carries " + system + ":" + external_id);
  }

  absl::StatusOr<std::pair<Account, bool>> UpsertByExternalId(const std::string& system,
                                                              const std::string& external_id,
                                                              const Account& create,
                                                              const Mutation& update,
                                                              const WriteMeta& meta) override {
    auto existing = GetByExternalId(system, external_id);
    if (existing.ok()) {
      auto updated = Update(IdOf(existing->name()), update, meta);
      if (!updated.ok()) return updated.status();
      return std::make_pair(*updated, false);
    }
    auto created = Create(create, meta);
    if (!created.ok()) return created.status();
    return std::make_pair(*created, true);
  }

  absl::StatusOr<std::vector<TreeRow>> Subtree(const std::string& id, int max_depth) override {
    std::vector<TreeRow> rows;
    AddChildren(AccountName(id), 1, max_depth, rows);
    return rows;
  }

  absl::StatusOr<MergeResult> Merge(const std::string& survivor_id, const std::string& duplicate_id,
                                    const MergeCheck& check, const WriteMeta&) override {
    auto survivor = Get(survivor_id);
    auto duplicate = Get(duplicate_id);
    if (!survivor.ok()) return survivor.status();
    if (!duplicate.ok()) return duplicate.status();
    auto status = check(*survivor, *duplicate, {}, {});
    if (!status.ok()) return status;
    Account tombstone = *duplicate;
    tombstone.set_merged_into(survivor->name());
    tombstone.mutable_delete_time()->set_seconds(++clock_);
    accounts_[duplicate_id] = tombstone;
    return MergeResult{*survivor, tombstone, {}};
  }

  std::set<std::pair<std::string, std::string>> team_members;  // (account id, subject)
  int writes = 0;

 private:
  static std::string IdOf(const std::string& name) {
    return name.substr(std::string("accounts/").size());
  }

  void AddChildren(const std::string& parent, int depth, int max_depth,
                   std::vector<TreeRow>& rows) {
    if (depth > max_depth) return;
    for (const auto& [id, account] : accounts_) {
      if (account.parent() == parent && !account.has_delete_time()) {
        rows.push_back({account, depth});
        AddChildren(account.name(), depth + 1, max_depth, rows);
      }
    }
  }

  std::map<std::string, Account> accounts_;
  std::map<std::string, Account> responses_;
  int64_t clock_ = 1700000000;
};

}  // namespace accord::account
