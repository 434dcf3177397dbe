// Storage of account team memberships, behind an interface so the domain logic is tested
// against a fake.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "accord/account/v1/team.pb.h"
#include "accord/common/filter.h"
#include "account_access.h"
#include "account_repository.h"

namespace accord::account {

using v1::TeamMember;

enum class TeamOrder { kMember, kCreateTime };

// Whether the membership in row alias `t` is active today (the server's date): filters and the
// Postgres repository share it, so `active = true` and TeamMember.active always agree.
#define ACCORD_TEAM_MEMBER_ACTIVE_SQL \
  "(COALESCE(t.start_date <= current_date, TRUE) AND COALESCE(t.end_date >= current_date, TRUE))"
inline constexpr const char* kTeamMemberActiveSql = ACCORD_TEAM_MEMBER_ACTIVE_SQL;

struct TeamListQuery {
  // The account whose team to list; nullopt lists every (live) account's.
  std::optional<std::string> account_id;
  int limit = 50;  // rows to return; the repository returns up to limit + 1 to tell if more exist
  TeamOrder order = TeamOrder::kMember;
  bool descending = false;
  // A compiled filter (see filter.h): SQL over the team_members row alias `t`, with $N
  // parameters numbered from 1.
  std::string filter_sql;
  std::vector<std::string> filter_params;
  // Keyset position: the sort key and id of the last membership of the previous page.
  std::optional<std::vector<std::string>> after;
};

struct TeamPage {
  std::vector<TeamMember> team_members;
  // Sort key of each returned membership (same order), for the next page token.
  std::vector<std::vector<std::string>> keys;
};

// Every write runs in one transaction that first locks the live parent account (NOT_FOUND
// naming it when it is missing or deleted), so writes to one account's team are serialised and
// the callbacks below see a team that cannot change under them.
class TeamRepository {
 public:
  virtual ~TeamRepository() = default;

  // How a List filter maps to this store's SQL (the logic compiles request filters against it).
  virtual const common::filter::Schema& FilterSchema() const = 0;

  // `others` are the memberships the same person already holds on the account (any role).
  using CreateCheck = std::function<absl::Status(const AccountAccessFacts& facts,
                                                 const std::vector<TeamMember>& others)>;
  // Stores a new membership of account `account_id` (name, etag and times are assigned here)
  // once `check` agrees. With a request_id already used, returns the first call's result and
  // stores nothing. `subject` is the caller, for the access facts.
  virtual absl::StatusOr<TeamMember> Create(const std::string& account_id, const TeamMember& member,
                                            const std::string& subject, const CreateCheck& check,
                                            const WriteMeta& meta) = 0;
  // NOT_FOUND (naming the membership) when it is missing or its account is deleted.
  virtual absl::StatusOr<TeamMember> Get(const std::string& account_id,
                                         const std::string& member_id) = 0;
  // NOT_FOUND naming the account when query.account_id is missing or deleted.
  virtual absl::StatusOr<TeamPage> List(const TeamListQuery& query) = 0;

  // Loads the membership, passes it (with the access facts and the person's other memberships
  // on the account, this one excluded) to `mutate`, and stores what it returns with the next
  // version. An error from `mutate` aborts the change.
  using Mutation = std::function<absl::StatusOr<TeamMember>(const AccountAccessFacts& facts,
                                                            const TeamMember& current,
                                                            const std::vector<TeamMember>& others)>;
  virtual absl::StatusOr<TeamMember> Update(const std::string& account_id,
                                            const std::string& member_id,
                                            const std::string& subject, const Mutation& mutate,
                                            const WriteMeta& meta) = 0;
  // As Update, then removes the membership for good; `check` may refuse (etag, permission).
  using DeleteCheck =
      std::function<absl::Status(const AccountAccessFacts& facts, const TeamMember& current)>;
  virtual absl::Status Delete(const std::string& account_id, const std::string& member_id,
                              const std::string& subject, const DeleteCheck& check,
                              const WriteMeta& meta) = 0;
};

}  // namespace accord::account
