#include "pg_team_repository.h"

#include <google/protobuf/util/time_util.h>

#include "absl/strings/str_cat.h"
#include "accord/common/errors.h"
#include "accord/common/ids.h"
#include "pg_account_access.h"
#include "resource_names.h"
#include "team_sql.h"

namespace accord::account {
namespace {

using google::protobuf::util::TimeUtil;

// "$n": the n-th bind parameter.
std::string Placeholder(size_t n) { return absl::StrCat("$", n); }

}  // namespace

TeamMember TeamMemberFromRow(const pqxx::row& row) {
  TeamMember member;
  member.set_name(TeamMemberName(row[1].as<std::string>(), row[0].as<std::string>()));
  member.set_member(row[2].as<std::string>());
  member.set_role(static_cast<v1::TeamRole>(row[3].as<int>()));
  member.set_start_date(row[4].as<std::string>());
  member.set_end_date(row[5].as<std::string>());
  member.set_note(row[6].as<std::string>());
  member.set_etag(row[7].as<std::string>());
  *member.mutable_create_time() = TimeUtil::MicrosecondsToTimestamp(row[8].as<int64_t>());
  *member.mutable_update_time() = TimeUtil::MicrosecondsToTimestamp(row[9].as<int64_t>());
  member.set_active(row[10].as<bool>());
  return member;
}

namespace {

using TeamWrite = absl::StatusOr<common::Written<TeamMember>>;

std::vector<TeamMember> MembershipsOf(common::WriteTransaction& transaction,
                                      const std::string& account_id, const std::string& member,
                                      const std::string& except_id) {
  std::vector<TeamMember> memberships;
  for (const auto& row :
       transaction.exec_prepared(sql::kMembershipsOfMember.name, account_id, member, except_id)) {
    memberships.push_back(TeamMemberFromRow(row));
  }
  return memberships;
}

}  // namespace

PgTeamRepository::PgTeamRepository(common::PgPool& pool)
    : pool_(pool), write_(pool, "account", "account") {}

absl::StatusOr<TeamMember> PgTeamRepository::Create(const std::string& account_id,
                                                    const TeamMember& member,
                                                    const std::string& subject,
                                                    const CreateCheck& check,
                                                    const WriteMeta& meta) {
  return write_.Run<TeamMember>(meta, [&](common::WriteTransaction& transaction) -> TeamWrite {
    ACCORD_ASSIGN_OR_RETURN(
        AccountAccessFacts facts,
        LoadAccountAccessFacts(transaction, account_id, subject, AccountLock::kUpdate));
    ACCORD_RETURN_IF_ERROR(
        check(facts, MembershipsOf(transaction, account_id, member.member(), "")));
    auto row = transaction.exec_prepared1(
        sql::kInsertTeamMember.name, common::NewUuidV7(), account_id, member.member(),
        static_cast<int>(member.role()), member.start_date(), member.end_date(), member.note());
    TeamMember created = TeamMemberFromRow(row);
    common::Event event = common::ResourceEvent(kTeamMemberCreated, created);
    return common::Written<TeamMember>(std::move(created), std::move(event));
  });
}

absl::StatusOr<TeamMember> PgTeamRepository::Get(const std::string& account_id,
                                                 const std::string& member_id) {
  TeamMember member;
  ACCORD_RETURN_IF_ERROR(pool_.Read(
      [&](pqxx::transaction_base& transaction) -> absl::Status {
        auto rows = transaction.exec_prepared(sql::kGetTeamMember.name, account_id, member_id);
        if (rows.empty()) return common::NotFound(TeamMemberName(account_id, member_id));
        member = TeamMemberFromRow(rows[0]);
        return absl::OkStatus();
      },
      common::ReadScope::kOneStatement));
  return member;
}

absl::StatusOr<TeamPage> PgTeamRepository::List(const TeamListQuery& query) {
  const bool by_member = query.order == TeamOrder::kMember;
  const common::KeysetOrder order{by_member ? "t.member" : "t.create_time", "t.id",
                                  by_member ? "{}" : common::kMicrosToTimestamptz,
                                  query.descending};
  const std::string sort_key = by_member ? "t.member" : common::MicrosText("t.create_time");
  std::string statement = std::string("SELECT ") + sql::kTeamMemberColumns + ", " + sort_key +
                          " FROM account.team_members t JOIN account.accounts a ON a.id = "
                          "t.account_id WHERE a.delete_time IS NULL";
  std::vector<std::string> params = query.filter_params;
  if (!query.filter_sql.empty()) statement += " AND " + query.filter_sql;
  if (query.account_id) {
    params.push_back(*query.account_id);
    statement += " AND t.account_id = " + Placeholder(params.size()) + "::uuid";
  }
  common::AppendKeyset(statement, params, order, query.after, query.limit);

  TeamPage page;
  ACCORD_RETURN_IF_ERROR(pool_.Read([&](pqxx::transaction_base& transaction) -> absl::Status {
    if (query.account_id &&
        transaction.exec_prepared(sql::kAccountIsLive.name, *query.account_id).empty()) {
      return common::NotFound(AccountName(*query.account_id));
    }
    auto rows = transaction.exec(common::InlineParams(transaction.conn(), statement, params));
    page.team_members.reserve(rows.size());
    for (const auto& row : rows) {
      page.team_members.push_back(TeamMemberFromRow(row));
      page.keys.push_back({row[11].as<std::string>(), row[0].as<std::string>()});
    }
    return absl::OkStatus();
  }));
  return page;
}

absl::StatusOr<TeamMember> PgTeamRepository::Update(const std::string& account_id,
                                                    const std::string& member_id,
                                                    const std::string& subject,
                                                    const Mutation& mutate, const WriteMeta& meta) {
  return write_.Run<TeamMember>(meta, [&](common::WriteTransaction& transaction) -> TeamWrite {
    ACCORD_ASSIGN_OR_RETURN(
        AccountAccessFacts facts,
        LoadAccountAccessFacts(transaction, account_id, subject, AccountLock::kUpdate));
    auto rows = transaction.exec_prepared(sql::kLockTeamMember.name, account_id, member_id);
    if (rows.empty()) return common::NotFound(TeamMemberName(account_id, member_id));
    const TeamMember current = TeamMemberFromRow(rows[0]);
    ACCORD_ASSIGN_OR_RETURN(TeamMember next, mutate(facts, current,
                                                    MembershipsOf(transaction, account_id,
                                                                  current.member(), member_id)));
    auto row = transaction.exec_prepared1(sql::kUpdateTeamMember.name, account_id, member_id,
                                          static_cast<int>(next.role()), next.start_date(),
                                          next.end_date(), next.note());
    TeamMember updated = TeamMemberFromRow(row);
    common::Event event = common::ResourceEvent(kTeamMemberUpdated, updated, &current);
    return common::Written<TeamMember>(std::move(updated), std::move(event));
  });
}

absl::Status PgTeamRepository::Delete(const std::string& account_id, const std::string& member_id,
                                      const std::string& subject, const DeleteCheck& check,
                                      const WriteMeta& meta) {
  return write_
      .Run<TeamMember>(
          meta,
          [&](common::WriteTransaction& transaction) -> TeamWrite {
            ACCORD_ASSIGN_OR_RETURN(
                AccountAccessFacts facts,
                LoadAccountAccessFacts(transaction, account_id, subject, AccountLock::kUpdate));
            auto rows = transaction.exec_prepared(sql::kLockTeamMember.name, account_id, member_id);
            if (rows.empty()) return common::NotFound(TeamMemberName(account_id, member_id));
            TeamMember last = TeamMemberFromRow(rows[0]);
            ACCORD_RETURN_IF_ERROR(check(facts, last));
            transaction.exec_prepared0(sql::kDeleteTeamMember.name, account_id, member_id);
            // The row is gone: the event carries its last state, at the version its removal
            // would have had.
            common::Event event = common::MakeEvent(kTeamMemberDeleted, last.name(),
                                                    std::stoll(last.etag()) + 1, last);
            return common::Written<TeamMember>(std::move(last), std::move(event));
          })
      .status();
}

}  // namespace accord::account
