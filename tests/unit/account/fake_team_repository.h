// An in-memory TeamRepository for unit tests of the team logic. It honours parents, access
// facts (membership is active on `today`), ordering, keyset paging, versions and request ids;
// it ignores SQL filters (those are covered against Postgres in the integration tests).
#pragma once

#include <algorithm>
#include <map>

#include "accord/common/errors.h"
#include "accord/common/ids.h"
#include "fake_accounts.h"
#include "pg_filter_schemas.h"
#include "team_logic.h"
#include "team_repository.h"

namespace accord::account {

class FakeTeamRepository final : public TeamRepository {
 public:
  // The real stores' mapping: filters are validated exactly as in production.
  const common::filter::Schema& FilterSchema() const override { return TeamFilterSchema(); }
  explicit FakeTeamRepository(FakeAccounts& accounts) : accounts_(accounts) {}

  absl::StatusOr<TeamMember> Create(const std::string& account_id, const TeamMember& member,
                                    const std::string& subject, const CreateCheck& check,
                                    const WriteMeta& meta) override {
    if (auto it = responses_.find(meta.request_id);
        !meta.request_id.empty() && it != responses_.end()) {
      return it->second;
    }
    auto facts = Facts(account_id, subject);
    if (!facts.ok()) return facts.status();
    auto checked = check(*facts, MembershipsOf(account_id, member.member(), ""));
    if (!checked.ok()) return checked;
    TeamMember stored = member;
    const std::string id = common::NewUuidV7();
    stored.set_name(TeamMemberName(account_id, id));
    stored.set_etag("1");
    stored.mutable_create_time()->set_seconds(++clock_);
    *stored.mutable_update_time() = stored.create_time();
    stored.set_active(IsActive(stored));
    members_[id] = {account_id, stored};
    if (!meta.request_id.empty()) responses_[meta.request_id] = stored;
    ++writes;
    return stored;
  }

  absl::StatusOr<TeamMember> Get(const std::string& account_id,
                                 const std::string& member_id) override {
    auto it = members_.find(member_id);
    if (it == members_.end() || it->second.account_id != account_id ||
        !accounts_.IsLive(account_id)) {
      return common::NotFound(TeamMemberName(account_id, member_id));
    }
    TeamMember member = it->second.member;
    member.set_active(IsActive(member));
    return member;
  }

  absl::StatusOr<TeamPage> List(const TeamListQuery& query) override {
    if (query.account_id && !accounts_.IsLive(*query.account_id)) {
      return common::NotFound(AccountName(*query.account_id));
    }
    std::vector<std::pair<std::vector<std::string>, TeamMember>> rows;
    for (const auto& [id, row] : members_) {
      if (query.account_id && row.account_id != *query.account_id) continue;
      if (!accounts_.IsLive(row.account_id)) continue;
      std::string key = query.order == TeamOrder::kMember
                            ? row.member.member()
                            : std::to_string(row.member.create_time().seconds());
      TeamMember member = row.member;
      member.set_active(IsActive(member));
      rows.push_back({{key, id}, member});
    }
    std::sort(rows.begin(), rows.end(), [&](const auto& a, const auto& b) {
      return query.descending ? a.first > b.first : a.first < b.first;
    });
    TeamPage page;
    for (const auto& [key, member] : rows) {
      if (query.after && (query.descending ? !(key < *query.after) : !(key > *query.after))) {
        continue;
      }
      if (static_cast<int>(page.team_members.size()) > query.limit) break;
      page.team_members.push_back(member);
      page.keys.push_back(key);
    }
    return page;
  }

  absl::StatusOr<TeamMember> Update(const std::string& account_id, const std::string& member_id,
                                    const std::string& subject, const Mutation& mutate,
                                    const WriteMeta& meta) override {
    if (auto it = responses_.find(meta.request_id);
        !meta.request_id.empty() && it != responses_.end()) {
      return it->second;
    }
    auto facts = Facts(account_id, subject);
    if (!facts.ok()) return facts.status();
    auto current = Get(account_id, member_id);
    if (!current.ok()) return current.status();
    auto next = mutate(*facts, *current, MembershipsOf(account_id, current->member(), member_id));
    if (!next.ok()) return next.status();
    next->set_etag(std::to_string(std::stoll(current->etag()) + 1));
    next->mutable_update_time()->set_seconds(++clock_);
    next->set_active(IsActive(*next));
    members_[member_id].member = *next;
    if (!meta.request_id.empty()) responses_[meta.request_id] = *next;
    ++writes;
    return *next;
  }

  absl::Status Delete(const std::string& account_id, const std::string& member_id,
                      const std::string& subject, const DeleteCheck& check,
                      const WriteMeta& meta) override {
    if (!meta.request_id.empty() && responses_.count(meta.request_id)) return absl::OkStatus();
    auto facts = Facts(account_id, subject);
    if (!facts.ok()) return facts.status();
    auto current = Get(account_id, member_id);
    if (!current.ok()) return current.status();
    auto checked = check(*facts, *current);
    if (!checked.ok()) return checked;
    members_.erase(member_id);
    if (!meta.request_id.empty()) responses_[meta.request_id] = TeamMember();
    ++writes;
    return absl::OkStatus();
  }

  int writes = 0;
  std::string today = "2024-06-15";

 private:
  struct Row {
    std::string account_id;
    TeamMember member;
  };

  bool IsActive(const TeamMember& member) const {
    return (member.start_date().empty() || member.start_date() <= today) &&
           (member.end_date().empty() || member.end_date() >= today);
  }

  absl::StatusOr<AccountAccessFacts> Facts(const std::string& account_id,
                                           const std::string& subject) const {
    bool on_team = false;
    for (const auto& [id, row] : members_) {
      on_team = on_team || (row.account_id == account_id && row.member.member() == subject &&
                            IsActive(row.member));
    }
    return accounts_.Facts(account_id, subject, on_team);
  }

  std::vector<TeamMember> MembershipsOf(const std::string& account_id, const std::string& member,
                                        const std::string& except_id) const {
    std::vector<TeamMember> out;
    for (const auto& [id, row] : members_) {
      if (row.account_id == account_id && row.member.member() == member && id != except_id) {
        out.push_back(row.member);
      }
    }
    return out;
  }

  FakeAccounts& accounts_;
  std::map<std::string, Row> members_;
  std::map<std::string, TeamMember> responses_;
  int64_t clock_ = 1700000000;
};

}  // namespace accord::account
