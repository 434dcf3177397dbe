// Storage of accounts, behind an interface so the domain logic is tested against a fake.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "accord/account/v1/account.pb.h"

namespace accord::account {

using v1::Account;

// Who is writing and how to retry: stamped on the change (and its event).
struct WriteMeta {
  std::string actor;
  std::string trace_id;
  std::string method;       // e.g. "CreateAccount", scopes the request_id
  std::string request_id;   // empty: not idempotent
  std::string fingerprint;  // of the request, to refuse a request_id reused for another request
};

enum class AccountOrder { kDisplayName, kCreateTime };

struct AccountListQuery {
  int limit = 50;  // rows to return; the repository returns up to limit + 1 to tell if more exist
  AccountOrder order = AccountOrder::kDisplayName;
  bool descending = false;
  // A compiled filter (see filter.h): SQL over the accounts row alias `a`, with $N parameters
  // numbered from 1.
  std::string filter_sql;
  std::vector<std::string> filter_params;
  // Keyset position: the sort key and id of the last account of the previous page.
  std::optional<std::vector<std::string>> after;
};

struct AccountPage {
  std::vector<Account> accounts;
  // Sort key of each returned account (same order), for the next page token.
  std::vector<std::vector<std::string>> keys;
};

class AccountRepository {
 public:
  virtual ~AccountRepository() = default;

  // Stores a new account (name, etag and times are assigned here). With a request_id already
  // used, returns the first call's result and stores nothing.
  virtual absl::StatusOr<Account> Create(const Account& account, const WriteMeta& meta) = 0;
  // NOT_FOUND for a missing or deleted account.
  virtual absl::StatusOr<Account> Get(const std::string& id) = 0;
  virtual absl::StatusOr<AccountPage> List(const AccountListQuery& query) = 0;

  // Loads the live account under a row lock, passes it to `mutate`, and stores what it returns
  // with the next version. An error from `mutate` aborts the change.
  using Mutation = std::function<absl::StatusOr<Account>(const Account& current)>;
  virtual absl::StatusOr<Account> Update(const std::string& id, const Mutation& mutate,
                                         const WriteMeta& meta) = 0;
  // As Update, then marks the account deleted; `check` may refuse (etag, permission).
  virtual absl::StatusOr<Account> Delete(const std::string& id, const Mutation& check,
                                         const WriteMeta& meta) = 0;
};

}  // namespace accord::account
