#pragma once

#include "accord/common/idempotency.h"
#include "accord/common/pg.h"
#include "account_repository.h"

namespace accord::account {

class PgAccountRepository final : public AccountRepository {
 public:
  explicit PgAccountRepository(common::PgPool& pool);

  absl::StatusOr<Account> Create(const Account& account, const WriteMeta& meta) override;
  absl::StatusOr<Account> Get(const std::string& id) override;
  absl::StatusOr<AccountPage> List(const AccountListQuery& query) override;
  absl::StatusOr<Account> Update(const std::string& id, const Mutation& mutate,
                                 const WriteMeta& meta) override;
  absl::StatusOr<Account> Delete(const std::string& id, const Mutation& check,
                                 const WriteMeta& meta) override;

 private:
  // Runs `change` in a transaction, honouring meta.request_id: a repeated request returns the
  // stored response of the first one.
  absl::StatusOr<Account> Write(const WriteMeta& meta,
                                const std::function<absl::Status(pqxx::work&, Account*)>& change);

  common::PgPool& pool_;
  common::IdempotencyKeys idempotency_;
};

}  // namespace accord::account
