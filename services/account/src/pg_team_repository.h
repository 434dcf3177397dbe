#pragma once

#include <pqxx/pqxx>

#include "accord/common/pg.h"
#include "accord/common/write.h"
#include "pg_filter_schemas.h"
#include "team_repository.h"

namespace accord::account {

// Event types of team memberships; the payload is the TeamMember after the change (its last
// state for a deletion).
inline constexpr char kTeamMemberCreated[] = "accord.account.v1.TeamMemberCreated";
inline constexpr char kTeamMemberUpdated[] = "accord.account.v1.TeamMemberUpdated";
inline constexpr char kTeamMemberDeleted[] = "accord.account.v1.TeamMemberDeleted";

// A membership from a row of ACCORD_TEAM_MEMBER_COLUMNS (team_sql.h).
TeamMember TeamMemberFromRow(const pqxx::row& row);

class PgTeamRepository final : public TeamRepository {
 public:
  const common::filter::Schema& FilterSchema() const override { return TeamFilterSchema(); }
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
  common::PgPool& pool_;
  common::IdempotentWrite write_;
};

}  // namespace accord::account
