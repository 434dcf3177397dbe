// An in-memory NeedRepository for unit tests of the need logic. It honours parents, access
// facts (team membership from FakeAccounts::active_team), ordering, keyset paging, versions and
// request ids; it ignores SQL filters (those are covered against Postgres in the integration
// tests).
#pragma once

#include <algorithm>
#include <map>

#include "accord/common/errors.h"
#include "accord/common/ids.h"
#include "fake_accounts.h"
#include "need_logic.h"
#include "need_repository.h"
#include "pg_filter_schemas.h"

namespace accord::account {

class FakeNeedRepository final : public NeedRepository {
 public:
  // The real stores' mapping: filters are validated exactly as in production.
  const common::filter::Schema& FilterSchema() const override { return NeedFilterSchema(); }
  explicit FakeNeedRepository(FakeAccounts& accounts) : accounts_(accounts) {}

  absl::StatusOr<Need> Create(const std::string& account_id, const Need& need,
                              const std::string& subject, const CreateCheck& check,
                              const WriteMeta& meta) override {
    if (auto it = responses_.find(meta.request_id);
        !meta.request_id.empty() && it != responses_.end()) {
      return it->second;
    }
    auto facts = accounts_.Facts(account_id, subject, false);
    if (!facts.ok()) return facts.status();
    auto checked = check(*facts);
    if (!checked.ok()) return checked;
    Need stored = need;
    const std::string id = common::NewUuidV7();
    stored.set_name(NeedName(account_id, id));
    stored.set_etag("1");
    stored.mutable_create_time()->set_seconds(++clock_);
    *stored.mutable_update_time() = stored.create_time();
    needs_[id] = {account_id, stored};
    if (!meta.request_id.empty()) responses_[meta.request_id] = stored;
    ++writes;
    return stored;
  }

  absl::StatusOr<Need> Get(const std::string& account_id, const std::string& need_id) override {
    auto it = needs_.find(need_id);
    if (it == needs_.end() || it->second.account_id != account_id ||
        it->second.need.has_delete_time() || !accounts_.IsLive(account_id)) {
      return common::NotFound(NeedName(account_id, need_id));
    }
    return it->second.need;
  }

  absl::StatusOr<NeedPage> List(const NeedListQuery& query) override {
    if (query.account_id && !accounts_.IsLive(*query.account_id)) {
      return common::NotFound(AccountName(*query.account_id));
    }
    std::vector<std::pair<std::vector<std::string>, Need>> rows;
    for (const auto& [id, row] : needs_) {
      if (query.account_id && row.account_id != *query.account_id) continue;
      if (row.need.has_delete_time() || !accounts_.IsLive(row.account_id)) continue;
      std::string key;
      switch (query.order) {
        case NeedOrder::kDueDate:
          key = row.need.due_date().empty() ? "infinity" : row.need.due_date();
          break;
        case NeedOrder::kPriority:
          key = std::to_string(row.need.priority());
          break;
        case NeedOrder::kCreateTime:
          key = std::to_string(row.need.create_time().seconds());
          break;
      }
      rows.push_back({{key, id}, row.need});
    }
    std::sort(rows.begin(), rows.end(), [&](const auto& a, const auto& b) {
      return query.descending ? a.first > b.first : a.first < b.first;
    });
    NeedPage page;
    for (const auto& [key, need] : rows) {
      if (query.after && (query.descending ? !(key < *query.after) : !(key > *query.after))) {
        continue;
      }
      if (static_cast<int>(page.needs.size()) > query.limit) break;
      page.needs.push_back(need);
      page.keys.push_back(key);
    }
    return page;
  }

  absl::StatusOr<Need> Update(const std::string& account_id, const std::string& need_id,
                              const std::string& subject, const Mutation& mutate,
                              const WriteMeta& meta) override {
    if (auto it = responses_.find(meta.request_id);
        !meta.request_id.empty() && it != responses_.end()) {
      return it->second;
    }
    auto facts = accounts_.Facts(account_id, subject, false);
    if (!facts.ok()) return facts.status();
    auto current = Get(account_id, need_id);
    if (!current.ok()) return current.status();
    auto next = mutate(*facts, *current);
    if (!next.ok()) return next.status();
    next->set_etag(std::to_string(std::stoll(current->etag()) + 1));
    next->mutable_update_time()->set_seconds(++clock_);
    needs_[need_id].need = *next;
    if (!meta.request_id.empty()) responses_[meta.request_id] = *next;
    ++writes;
    return *next;
  }

  absl::StatusOr<Need> Delete(const std::string& account_id, const std::string& need_id,
                              const std::string& subject, const Mutation& check,
                              const WriteMeta& meta) override {
    return Update(
        account_id, need_id, subject,
        [&](const AccountAccessFacts& facts, const Need& current) -> absl::StatusOr<Need> {
          auto checked = check(facts, current);
          if (!checked.ok()) return checked.status();
          Need deleted = current;
          deleted.mutable_delete_time()->set_seconds(clock_ + 1);
          return deleted;
        },
        meta);
  }

  int writes = 0;

 private:
  struct Row {
    std::string account_id;
    Need need;
  };

  FakeAccounts& accounts_;
  std::map<std::string, Row> needs_;
  std::map<std::string, Need> responses_;
  int64_t clock_ = 1700000000;
};

}  // namespace accord::account
