// Read-through caching around the account repository. Get is served from the in-process cache,
// then Redis, then Postgres; writes store the new version in both levels right after commit (the
// events then invalidate older copies on every other replica). Versions are the accounts' etags,
// so a slow reader can never put an older account over a newer one. GetEncodedAsync gathers
// concurrent misses into one fetch: one MGET, one Postgres statement and one pipelined write-back
// for the whole batch, which a background thread sends while the batch's calls are answered. It
// answers with the bytes Redis held, or with the encoding it also writes back: an account is
// encoded once on its way through.
#pragma once

#include <memory>

#include "accord/common/batch_loader.h"
#include "accord/common/cache.h"
#include "account_repository.h"

namespace accord::account {

class CachingAccountRepository final : public AccountRepository {
 public:
  const common::filter::Schema& FilterSchema() const override { return inner_.FilterSchema(); }
  // `read_batch_threads`: how many gathered reads may be in flight at once.
  CachingAccountRepository(AccountRepository& inner, common::VersionedCache& cache,
                           int read_batch_threads = 1);

  absl::StatusOr<Account> Create(const Account& account, const WriteMeta& meta) override;
  absl::StatusOr<Account> Get(const std::string& id) override;
  absl::StatusOr<std::vector<absl::StatusOr<Account>>> GetMany(
      const std::vector<std::string>& ids) override;
  void GetEncodedAsync(const std::string& id, GetEncodedCallback done) override;
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
  // GetMany's work, answering each live account serialized.
  absl::StatusOr<std::vector<absl::StatusOr<std::string>>> GetManyEncoded(
      const std::vector<std::string>& ids);

  AccountRepository& inner_;
  common::VersionedCache& cache_;
  // Last, so that it stops (finishing what it holds) before the members it uses go.
  std::unique_ptr<common::BatchLoader<std::string>> loader_;
};

}  // namespace accord::account
