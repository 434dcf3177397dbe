// Read-through caching around the account repository. Get is served from the in-process cache,
// then Redis, then Postgres; writes store the new version in both levels right after commit (the
// events then invalidate older copies on every other replica). Versions are the accounts' etags,
// so a slow reader can never put an older account over a newer one.
#pragma once

#include "accord/common/cache.h"
#include "account_repository.h"

namespace accord::account {

class CachingAccountRepository final : public AccountRepository {
 public:
  CachingAccountRepository(AccountRepository& inner, common::VersionedCache& cache);

  absl::StatusOr<Account> Create(const Account& account, const WriteMeta& meta) override;
  absl::StatusOr<Account> Get(const std::string& id) override;
  std::optional<std::string> PeekLocalEncoded(const std::string& id) override;
  absl::StatusOr<AccountPage> List(const AccountListQuery& query) override;
  absl::StatusOr<Account> Update(const std::string& id, const Mutation& mutate,
                                 const WriteMeta& meta) override;
  absl::StatusOr<Account> Delete(const std::string& id, const Mutation& check,
                                 const WriteMeta& meta) override;
  absl::StatusOr<std::vector<Account>> BatchGet(const std::vector<std::string>& ids) override;
  absl::StatusOr<Account> GetByExternalId(const std::string& system,
                                          const std::string& external_id) override;
  absl::StatusOr<std::pair<Account, bool>> UpsertByExternalId(const std::string& system,
                                                              const std::string& external_id,
                                                              const Account& create,
                                                              const Mutation& update,
                                                              const WriteMeta& meta) override;
  absl::StatusOr<std::vector<TreeRow>> Subtree(const std::string& id, int max_depth) override;
  absl::StatusOr<MergeResult> Merge(const std::string& survivor_id, const std::string& duplicate_id,
                                    const MergeCheck& check, const WriteMeta& meta) override;

 private:
  void Remember(const Account& account);

  AccountRepository& inner_;
  common::VersionedCache& cache_;
};

}  // namespace accord::account
