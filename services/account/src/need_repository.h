// Storage of account needs, behind an interface so the domain logic is tested against a fake.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "accord/account/v1/need.pb.h"
#include "accord/common/filter.h"
#include "account_access.h"
#include "account_repository.h"

namespace accord::account {

using v1::Need;

enum class NeedOrder { kCreateTime, kDueDate, kPriority };

struct NeedListQuery {
  // The account whose needs to list; nullopt lists every (live) account's.
  std::optional<std::string> account_id;
  int limit = 50;  // rows to return; the repository returns up to limit + 1 to tell if more exist
  NeedOrder order = NeedOrder::kCreateTime;
  bool descending = false;
  // A compiled filter (see filter.h): SQL over the needs row alias `n`, with $N parameters
  // numbered from 1.
  std::string filter_sql;
  std::vector<std::string> filter_params;
  // Keyset position: the sort key and id of the last need of the previous page.
  std::optional<std::vector<std::string>> after;
};

struct NeedPage {
  std::vector<Need> needs;
  // Sort key of each returned need (same order), for the next page token.
  std::vector<std::vector<std::string>> keys;
};

// Every write runs in one transaction that first locks the live parent account (NOT_FOUND
// naming it when it is missing or deleted) against changes of its owner, team or existence.
class NeedRepository {
 public:
  virtual ~NeedRepository() = default;

  // How a List filter maps to this store's SQL (the logic compiles request filters against it).
  virtual const common::filter::Schema& FilterSchema() const = 0;

  using CreateCheck = std::function<absl::Status(const AccountAccessFacts& facts)>;
  // Stores a new need of account `account_id` (name, etag and times are assigned here) once
  // `check` agrees. With a request_id already used, returns the first call's result and stores
  // nothing. `subject` is the caller, for the access facts.
  virtual absl::StatusOr<Need> Create(const std::string& account_id, const Need& need,
                                      const std::string& subject, const CreateCheck& check,
                                      const WriteMeta& meta) = 0;
  // NOT_FOUND (naming the need) for a missing or deleted need, or one of a deleted account.
  virtual absl::StatusOr<Need> Get(const std::string& account_id, const std::string& need_id) = 0;
  // NOT_FOUND naming the account when query.account_id is missing or deleted.
  virtual absl::StatusOr<NeedPage> List(const NeedListQuery& query) = 0;

  // Loads the live need under a row lock, passes it (with the access facts) to `mutate`, and
  // stores what it returns with the next version. An error from `mutate` aborts the change.
  using Mutation =
      std::function<absl::StatusOr<Need>(const AccountAccessFacts& facts, const Need& current)>;
  virtual absl::StatusOr<Need> Update(const std::string& account_id, const std::string& need_id,
                                      const std::string& subject, const Mutation& mutate,
                                      const WriteMeta& meta) = 0;
  // As Update, then marks the need deleted; `check` may refuse (etag, permission).
  virtual absl::StatusOr<Need> Delete(const std::string& account_id, const std::string& need_id,
                                      const std::string& subject, const Mutation& check,
                                      const WriteMeta& meta) = 0;
};

}  // namespace accord::account
