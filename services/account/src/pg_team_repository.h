#pragma once

#include "accord/common/idempotency.h"
#include "accord/common/pg.h"
#include "team_repository.h"

namespace accord::account {

class PgTeamRepository final : public TeamRepository {
 public:
  explicit PgTeamRepository(common::PgPool& pool);

  absl::StatusOr<TeamMember> Create(const std::string& account_id, const TeamMember& member,
                                    const std::string& subject, const CreateCheck& check,
                                    const WriteMeta& meta) override;
  absl::StatusOr<TeamMember> Get(const std::string& account_id,
                                 const std::string& member_id) override;
  absl::StatusOr<TeamPage> List(const TeamListQuery& query) override;
  absl::StatusOr<TeamMember> Update(const std::string& account_id, const std::string& member_id,
                                    const std::string& subject, const Mutation& mutate,
                                    const WriteMeta& meta) override;
  absl::Status Delete(const std::string& account_id, const std::string& member_id,
                      const std::string& subject, const DeleteCheck& check,
                      const WriteMeta& meta) override;

 private:
  // Runs `change` in a transaction, honouring meta.request_id: a repeated request returns the
  // stored response of the first one.
  absl::StatusOr<TeamMember> Write(
      const WriteMeta& meta,
      const std::function<absl::Status(common::WriteTransaction&, TeamMember*)>& change);

  common::PgPool& pool_;
  common::IdempotencyKeys idempotency_;
};

}  // namespace accord::account
