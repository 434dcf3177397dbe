// Storage of accounts, behind an interface so the domain logic is tested against a fake.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "accord/account/v1/account.pb.h"
#include "accord/common/filter.h"
#include "accord/common/write_meta.h"

namespace accord::account {

using v1::Account;

// Who is writing and how to retry: stamped on the change (and its event). may_move: the write
// may move the account in the hierarchy, so the hierarchy lock is taken before any row lock.
using WriteMeta = common::WriteMeta;

enum class AccountOrder { kDisplayName, kCreateTime, kUpdateTime };

struct AccountListQuery {
  int limit = 50;  // rows to return; the repository returns up to limit + 1 to tell if more exist
  AccountOrder order = AccountOrder::kDisplayName;
  bool descending = false;
  // A compiled filter (see filter.h): SQL over the accounts row alias `a`, with $N parameters
  // numbered from 1.
  std::string filter_sql;
  std::vector<std::string> filter_params;
  // The filter matches a two-character value through the pair index (SqlFilter::matches_pairs).
  bool filter_matches_pairs = false;
  // The filter tests a label (SqlFilter::matches_elements).
  bool filter_matches_elements = false;
  // Keyset position: the sort key and id of the last account of the previous page.
  std::optional<std::vector<std::string>> after;
};

struct AccountPage {
  std::vector<Account> accounts;
  // Sort key of each returned account (same order), for the next page token.
  std::vector<std::vector<std::string>> keys;
};

// What a write decision needs beyond the account itself.
struct AccountFacts {
  bool actor_on_team = false;  // meta.actor is an active member of the account's team
};

struct MergeResult {
  Account survivor;
  Account duplicate;                    // the tombstone
  std::vector<Account> moved_children;  // now under the survivor
};

struct TreeRow {
  Account account;
  int depth = 0;
};

class AccountRepository {
 public:
  virtual ~AccountRepository() = default;

  // How a List filter maps to this store's SQL (the logic compiles request filters against it).
  virtual const common::filter::Schema& FilterSchema() const = 0;

  // Stores a new account (name, etag and times are assigned here). With a request_id already
  // used, returns the first call's result and stores nothing.
  virtual absl::StatusOr<Account> Create(const Account& account, const WriteMeta& meta) = 0;
  // NOT_FOUND for a missing or deleted account.
  virtual absl::StatusOr<Account> Get(const std::string& id) = 0;
  // Get for many distinct ids at once: one result per id, in order, each what Get would answer.
  // A failed status means none could be read (the database is down, say). This default asks Get
  // for each; storage overrides it with one round trip.
  virtual absl::StatusOr<std::vector<absl::StatusOr<Account>>> GetMany(
      const std::vector<std::string>& ids) {
    std::vector<absl::StatusOr<Account>> results;
    results.reserve(ids.size());
    for (const auto& id : ids) results.push_back(Get(id));
    return results;
  }
  // As Get, answering through `done` exactly once with the serialized Account, maybe later and
  // on another thread: concurrent calls may be gathered into one fetch. Serialized, because that
  // is what a cache holds and what the caller sends. This default answers at once, on the
  // caller's thread.
  using GetEncodedCallback = std::function<void(absl::StatusOr<std::string>)>;
  virtual void GetEncodedAsync(const std::string& id, GetEncodedCallback done) {
    auto account = Get(id);
    if (!account.ok()) return done(account.status());
    done(account->SerializeAsString());
  }
  // A live account this process already holds, as its serialized Account, answered without any
  // I/O (so a hot read is neither parsed nor re-serialized); nullopt otherwise.
  virtual std::optional<std::string> PeekLocalEncoded(const std::string& id) {
    return std::nullopt;
  }
  virtual absl::StatusOr<AccountPage> List(const AccountListQuery& query) = 0;

  // Loads the live account under a row lock, passes it to `mutate`, and stores what it returns
  // with the next version. An error from `mutate` aborts the change. `facts` tell what the
  // storage knows about the writer (meta.actor) and the account.
  using Mutation =
      std::function<absl::StatusOr<Account>(const Account& current, const AccountFacts& facts)>;
  virtual absl::StatusOr<Account> Update(const std::string& id, const Mutation& mutate,
                                         const WriteMeta& meta) = 0;
  // As Update, then marks the account deleted; `check` may refuse (etag, permission).
  virtual absl::StatusOr<Account> Delete(const std::string& id, const Mutation& check,
                                         const WriteMeta& meta) = 0;

  // Live accounts by id, in the order asked; NOT_FOUND naming the first one missing.
  virtual absl::StatusOr<std::vector<Account>> BatchGet(const std::vector<std::string>& ids) = 0;
  virtual absl::StatusOr<Account> GetByExternalId(const std::string& system,
                                                  const std::string& external_id) = 0;
  // Serialised per (system, external_id): creates `create` (with the external id) when no account
  // carries it, else applies `update` to that account. Returns the account and whether it was
  // created.
  virtual absl::StatusOr<std::pair<Account, bool>> UpsertByExternalId(
      const std::string& system, const std::string& external_id, const Account& create,
      const Mutation& update, const WriteMeta& meta) = 0;
  // The live descendants of `id` down to `max_depth` levels, depth first by display name.
  virtual absl::StatusOr<std::vector<TreeRow>> Subtree(const std::string& id, int max_depth) = 0;
  // Locks both accounts, lets `check` refuse (etags, permission), moves children, team, needs
  // and external ids to the survivor and turns the duplicate into a tombstone pointing at it.
  using MergeCheck = std::function<absl::Status(const Account& survivor, const Account& duplicate,
                                                const AccountFacts& survivor_facts,
                                                const AccountFacts& duplicate_facts)>;
  virtual absl::StatusOr<MergeResult> Merge(const std::string& survivor_id,
                                            const std::string& duplicate_id,
                                            const MergeCheck& check, const WriteMeta& meta) = 0;
};

}  // namespace accord::account
