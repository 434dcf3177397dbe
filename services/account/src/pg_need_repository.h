#pragma once

#include <pqxx/pqxx>

#include "accord/common/pg.h"
#include "accord/common/write.h"
#include "need_repository.h"
#include "pg_filter_schemas.h"

namespace accord::account {

// Event types of needs; the payload is the Need after the change (with delete_time for a
// deletion).
inline constexpr char kNeedCreated[] = "accord.account.v1.NeedCreated";
inline constexpr char kNeedUpdated[] = "accord.account.v1.NeedUpdated";
inline constexpr char kNeedDeleted[] = "accord.account.v1.NeedDeleted";

// A need from a row of ACCORD_NEED_COLUMNS (need_sql.h).
Need NeedFromRow(const pqxx::row& row);

class PgNeedRepository final : public NeedRepository {
 public:
  const common::filter::Schema& FilterSchema() const override { return NeedFilterSchema(); }
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
  common::PgPool& pool_;
  common::IdempotentWrite write_;
};

}  // namespace accord::account
