#include "pg_need_repository.h"

#include <google/protobuf/util/time_util.h>

#include "absl/strings/str_cat.h"
#include "accord/common/errors.h"
#include "accord/common/ids.h"
#include "need_sql.h"
#include "pg_account_access.h"
#include "resource_names.h"
#include "team_sql.h"

namespace accord::account {
namespace {

using google::protobuf::util::TimeUtil;

// "$n": the n-th bind parameter.
std::string Placeholder(size_t n) { return absl::StrCat("$", n); }

}  // namespace

Need NeedFromRow(const pqxx::row& row) {
  Need need;
  need.set_name(NeedName(row[1].as<std::string>(), row[0].as<std::string>()));
  need.set_title(row[2].as<std::string>());
  need.set_description(row[3].as<std::string>());
  need.set_source(static_cast<v1::NeedSource>(row[4].as<int>()));
  need.set_priority(static_cast<v1::NeedPriority>(row[5].as<int>()));
  need.set_status(static_cast<v1::NeedStatus>(row[6].as<int>()));
  need.set_due_date(row[7].as<std::string>());
  need.set_owner(row[8].as<std::string>());
  need.set_etag(row[9].as<std::string>());
  *need.mutable_create_time() = TimeUtil::MicrosecondsToTimestamp(row[10].as<int64_t>());
  *need.mutable_update_time() = TimeUtil::MicrosecondsToTimestamp(row[11].as<int64_t>());
  if (!row[12].is_null()) {
    *need.mutable_delete_time() = TimeUtil::MicrosecondsToTimestamp(row[12].as<int64_t>());
  }
  return need;
}

namespace {

using NeedWrite = absl::StatusOr<common::Written<Need>>;

}  // namespace

PgNeedRepository::PgNeedRepository(common::PgPool& pool)
    : pool_(pool), write_(pool, "account", "account") {}

absl::StatusOr<Need> PgNeedRepository::Create(const std::string& account_id, const Need& need,
                                              const std::string& subject, const CreateCheck& check,
                                              const WriteMeta& meta) {
  return write_.Run<Need>(meta, [&](common::WriteTransaction& transaction) -> NeedWrite {
    ACCORD_ASSIGN_OR_RETURN(
        AccountAccessFacts facts,
        LoadAccountAccessFacts(transaction, account_id, subject, AccountLock::kShare));
    ACCORD_RETURN_IF_ERROR(check(facts));
    auto row = transaction.exec_prepared1(
        sql::kInsertNeed.name, common::NewUuidV7(), account_id, need.title(), need.description(),
        static_cast<int>(need.source()), static_cast<int>(need.priority()),
        static_cast<int>(need.status()), need.due_date(), need.owner());
    Need created = NeedFromRow(row);
    common::Event event = common::ResourceEvent(kNeedCreated, created);
    return common::Written<Need>(std::move(created), std::move(event));
  });
}

absl::StatusOr<Need> PgNeedRepository::Get(const std::string& account_id,
                                           const std::string& need_id) {
  Need need;
  ACCORD_RETURN_IF_ERROR(pool_.Read(
      [&](pqxx::transaction_base& transaction) -> absl::Status {
        auto rows = transaction.exec_prepared(sql::kGetNeed.name, account_id, need_id);
        if (rows.empty()) return common::NotFound(NeedName(account_id, need_id));
        need = NeedFromRow(rows[0]);
        return absl::OkStatus();
      },
      common::ReadScope::kOneStatement));
  return need;
}

absl::StatusOr<NeedPage> PgNeedRepository::List(const NeedListQuery& query) {
  // Each order's column, its text form for page tokens, and how a token's text is read back.
  std::string sort_column, sort_key, key_cast;
  switch (query.order) {
    case NeedOrder::kDueDate:
      // Needs without a due date sort last ascending (first descending).
      sort_column = "COALESCE(n.due_date, 'infinity'::date)";
      sort_key = sort_column + "::text";
      key_cast = "::date";
      break;
    case NeedOrder::kPriority:
      sort_column = "n.priority";
      sort_key = "n.priority::text";
      key_cast = "::smallint";
      break;
    case NeedOrder::kCreateTime:
      sort_column = "n.create_time";
      sort_key = common::MicrosText("n.create_time");
      break;
  }
  std::string statement = std::string("SELECT ") + sql::kNeedColumns + ", " + sort_key +
                          " FROM account.needs n JOIN account.accounts a ON a.id = n.account_id "
                          "WHERE n.delete_time IS NULL AND a.delete_time IS NULL";
  std::vector<std::string> params = query.filter_params;
  if (!query.filter_sql.empty()) statement += " AND " + query.filter_sql;
  if (query.account_id) {
    params.push_back(*query.account_id);
    statement += " AND n.account_id = " + Placeholder(params.size()) + "::uuid";
  }
  const common::KeysetOrder order{
      sort_column, "n.id",
      query.order == NeedOrder::kCreateTime ? common::kMicrosToTimestamptz : "{}" + key_cast,
      query.descending};
  common::AppendKeyset(statement, params, order, query.after, query.limit);

  NeedPage page;
  ACCORD_RETURN_IF_ERROR(pool_.Read([&](pqxx::transaction_base& transaction) -> absl::Status {
    if (query.account_id &&
        transaction.exec_prepared(sql::kAccountIsLive.name, *query.account_id).empty()) {
      return common::NotFound(AccountName(*query.account_id));
    }
    auto rows = transaction.exec(common::InlineParams(transaction.conn(), statement, params));
    page.needs.reserve(rows.size());
    for (const auto& row : rows) {
      page.needs.push_back(NeedFromRow(row));
      page.keys.push_back({row[13].as<std::string>(), row[0].as<std::string>()});
    }
    return absl::OkStatus();
  }));
  return page;
}

absl::StatusOr<Need> PgNeedRepository::Update(const std::string& account_id,
                                              const std::string& need_id,
                                              const std::string& subject, const Mutation& mutate,
                                              const WriteMeta& meta) {
  return write_.Run<Need>(meta, [&](common::WriteTransaction& transaction) -> NeedWrite {
    ACCORD_ASSIGN_OR_RETURN(
        AccountAccessFacts facts,
        LoadAccountAccessFacts(transaction, account_id, subject, AccountLock::kShare));
    auto rows = transaction.exec_prepared(sql::kLockNeed.name, account_id, need_id);
    if (rows.empty()) return common::NotFound(NeedName(account_id, need_id));
    const Need current = NeedFromRow(rows[0]);
    ACCORD_ASSIGN_OR_RETURN(Need next, mutate(facts, current));
    auto row = transaction.exec_prepared1(
        sql::kUpdateNeed.name, account_id, need_id, next.title(), next.description(),
        static_cast<int>(next.source()), static_cast<int>(next.priority()),
        static_cast<int>(next.status()), next.due_date(), next.owner());
    Need updated = NeedFromRow(row);
    common::Event event = common::ResourceEvent(kNeedUpdated, updated, &current);
    return common::Written<Need>(std::move(updated), std::move(event));
  });
}

absl::StatusOr<Need> PgNeedRepository::Delete(const std::string& account_id,
                                              const std::string& need_id,
                                              const std::string& subject, const Mutation& check,
                                              const WriteMeta& meta) {
  return write_.Run<Need>(meta, [&](common::WriteTransaction& transaction) -> NeedWrite {
    ACCORD_ASSIGN_OR_RETURN(
        AccountAccessFacts facts,
        LoadAccountAccessFacts(transaction, account_id, subject, AccountLock::kShare));
    auto rows = transaction.exec_prepared(sql::kLockNeed.name, account_id, need_id);
    if (rows.empty()) return common::NotFound(NeedName(account_id, need_id));
    const Need current = NeedFromRow(rows[0]);
    ACCORD_RETURN_IF_ERROR(check(facts, current).status());
    Need deleted =
        NeedFromRow(transaction.exec_prepared1(sql::kDeleteNeed.name, account_id, need_id));
    common::Event event = common::ResourceEvent(kNeedDeleted, deleted, &current);
    return common::Written<Need>(std::move(deleted), std::move(event));
  });
}

}  // namespace accord::account
