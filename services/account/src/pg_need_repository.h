#pragma once

#include "accord/common/idempotency.h"
#include "accord/common/pg.h"
#include "need_repository.h"

namespace accord::account {

class PgNeedRepository final : public NeedRepository {
 public:
  explicit PgNeedRepository(common::PgPool& pool);

  absl::StatusOr<Need> Create(const std::string& account_id, const Need& need,
                              const std::string& subject, const CreateCheck& check,
                              const WriteMeta& meta) override;
  absl::StatusOr<Need> Get(const std::string& account_id, const std::string& need_id) override;
  absl::StatusOr<NeedPage> List(const NeedListQuery& query) override;
  absl::StatusOr<Need> Update(const std::string& account_id, const std::string& need_id,
                              const std::string& subject, const Mutation& mutate,
                              const WriteMeta& meta) override;
  absl::StatusOr<Need> Delete(const std::string& account_id, const std::string& need_id,
                              const std::string& subject, const Mutation& check,
                              const WriteMeta& meta) override;

 private:
  // Runs `change` in a transaction, honouring meta.request_id: a repeated request returns the
  // stored response of the first one.
  absl::StatusOr<Need> Write(
      const WriteMeta& meta,
      const std::function<absl::Status(common::WriteTransaction&, Need*)>& change);

  common::PgPool& pool_;
  common::IdempotencyKeys idempotency_;
};

}  // namespace accord::account
