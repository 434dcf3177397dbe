#include "pg_account_repository.h"

#include <google/protobuf/util/time_util.h>

#include "accord/common/errors.h"
#include "accord/common/ids.h"
#include "account_logic.h"
#include "account_sql.h"

namespace accord::account {
namespace {

using google::protobuf::util::TimeUtil;

Account RowToAccount(const pqxx::row& row) {
  Account account;
  account.set_name(AccountName(row[0].as<std::string>()));
  account.set_display_name(row[1].as<std::string>());
  account.set_legal_name(row[2].as<std::string>());
  account.set_type(static_cast<common::v1::OrganizationType>(row[3].as<int>()));
  account.set_lifecycle_stage(static_cast<v1::LifecycleStage>(row[4].as<int>()));
  account.set_owner(row[5].as<std::string>());
  account.set_etag(row[6].as<std::string>());
  *account.mutable_create_time() = TimeUtil::MicrosecondsToTimestamp(row[7].as<int64_t>());
  *account.mutable_update_time() = TimeUtil::MicrosecondsToTimestamp(row[8].as<int64_t>());
  if (!row[9].is_null()) {
    *account.mutable_delete_time() = TimeUtil::MicrosecondsToTimestamp(row[9].as<int64_t>());
  }
  return account;
}

}  // namespace

PgAccountRepository::PgAccountRepository(common::PgPool& pool)
    : pool_(pool), idempotency_("account") {}

absl::StatusOr<Account> PgAccountRepository::Write(
    const WriteMeta& meta, const std::function<absl::Status(pqxx::work&, Account*)>& change) {
  Account result;
  ACCORD_RETURN_IF_ERROR(pool_.Transact([&](pqxx::work& transaction) -> absl::Status {
    if (!meta.request_id.empty()) {
      ACCORD_ASSIGN_OR_RETURN(
          auto previous,
          idempotency_.Claim(transaction, meta.request_id, meta.method, meta.fingerprint));
      if (previous) {
        if (!result.ParseFromString(*previous)) return common::Internal("corrupt stored response");
        return absl::OkStatus();
      }
    }
    ACCORD_RETURN_IF_ERROR(change(transaction, &result));
    if (!meta.request_id.empty()) {
      idempotency_.Store(transaction, meta.request_id, result.SerializeAsString());
    }
    return absl::OkStatus();
  }));
  return result;
}

absl::StatusOr<Account> PgAccountRepository::Create(const Account& account,
                                                    const WriteMeta& meta) {
  return Write(meta, [&](pqxx::work& transaction, Account* out) {
    auto row = transaction.exec_prepared1(
        sql::kInsertAccount.name, common::NewUuidV7(), account.display_name(),
        account.legal_name(), static_cast<int>(account.type()),
        static_cast<int>(account.lifecycle_stage()), account.owner());
    *out = RowToAccount(row);
    return absl::OkStatus();
  });
}

absl::StatusOr<Account> PgAccountRepository::Get(const std::string& id) {
  Account account;
  ACCORD_RETURN_IF_ERROR(pool_.Read([&](pqxx::read_transaction& transaction) -> absl::Status {
    auto rows = transaction.exec_prepared(sql::kGetAccount.name, id);
    if (rows.empty()) return common::NotFound(AccountName(id));
    account = RowToAccount(rows[0]);
    return absl::OkStatus();
  }));
  return account;
}

absl::StatusOr<AccountPage> PgAccountRepository::List(const AccountListQuery& query) {
  const bool by_name = query.order == AccountOrder::kDisplayName;
  const std::string sort_column = by_name ? "a.display_name" : "a.create_time";
  // The sort key travels in page tokens as text; create_time as exact epoch microseconds.
  const std::string sort_key =
      by_name ? "a.display_name" : "(extract(epoch FROM a.create_time) * 1000000)::bigint::text";
  std::string statement = std::string("SELECT ") + sql::kAccountColumns + ", " + sort_key +
                          " FROM account.accounts a WHERE a.delete_time IS NULL";
  std::vector<std::string> params = query.filter_params;
  if (!query.filter_sql.empty()) statement += " AND " + query.filter_sql;
  if (query.after) {
    const std::string key_param = "$" + std::to_string(params.size() + 1);
    const std::string id_param = "$" + std::to_string(params.size() + 2) + "::uuid";
    const std::string key_value =
        by_name ? key_param
                : "(timestamptz 'epoch' + " + key_param + "::bigint * interval '1 microsecond')";
    statement += " AND (" + sort_column + ", a.id) " + (query.descending ? "<" : ">") + " (" +
                 key_value + ", " + id_param + ")";
    params.push_back((*query.after)[0]);
    params.push_back((*query.after)[1]);
  }
  const char* direction = query.descending ? " DESC" : " ASC";
  statement += " ORDER BY " + sort_column + direction + ", a.id" + direction + " LIMIT " +
               std::to_string(query.limit + 1);

  AccountPage page;
  ACCORD_RETURN_IF_ERROR(pool_.Read([&](pqxx::read_transaction& transaction) -> absl::Status {
    auto rows = transaction.exec_params(statement, pqxx::prepare::make_dynamic_params(params));
    page.accounts.reserve(rows.size());
    for (const auto& row : rows) {
      page.accounts.push_back(RowToAccount(row));
      page.keys.push_back({row[10].as<std::string>(), row[0].as<std::string>()});
    }
    return absl::OkStatus();
  }));
  return page;
}

absl::StatusOr<Account> PgAccountRepository::Update(const std::string& id, const Mutation& mutate,
                                                    const WriteMeta& meta) {
  return Write(meta, [&](pqxx::work& transaction, Account* out) -> absl::Status {
    auto rows = transaction.exec_prepared(sql::kLockAccount.name, id);
    if (rows.empty()) return common::NotFound(AccountName(id));
    ACCORD_ASSIGN_OR_RETURN(Account next, mutate(RowToAccount(rows[0])));
    auto row = transaction.exec_prepared1(
        sql::kUpdateAccount.name, id, next.display_name(), next.legal_name(),
        static_cast<int>(next.type()), static_cast<int>(next.lifecycle_stage()), next.owner());
    *out = RowToAccount(row);
    return absl::OkStatus();
  });
}

absl::StatusOr<Account> PgAccountRepository::Delete(const std::string& id, const Mutation& check,
                                                    const WriteMeta& meta) {
  return Write(meta, [&](pqxx::work& transaction, Account* out) -> absl::Status {
    auto rows = transaction.exec_prepared(sql::kLockAccount.name, id);
    if (rows.empty()) return common::NotFound(AccountName(id));
    ACCORD_RETURN_IF_ERROR(check(RowToAccount(rows[0])).status());
    *out = RowToAccount(transaction.exec_prepared1(sql::kDeleteAccount.name, id));
    return absl::OkStatus();
  });
}

}  // namespace accord::account
