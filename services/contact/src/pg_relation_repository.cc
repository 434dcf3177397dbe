#include "pg_relation_repository.h"

#include <google/protobuf/util/time_util.h>

#include "accord/common/errors.h"
#include "accord/common/ids.h"
#include "accord/common/message_diff.h"
#include "contact_fields.h"
#include "pg_contact_repository.h"
#include "pg_filter_schemas.h"
#include "relation_sql.h"
#include "resource_names.h"

namespace accord::contact {

using google::protobuf::util::TimeUtil;

AccountRelation RelationFromRow(const pqxx::row& row) {
  AccountRelation relation;
  relation.set_name(RelationName(row[1].as<std::string>(), row[0].as<std::string>()));
  relation.set_account(AccountName(row[2].as<std::string>()));
  const std::string roles = row[3].as<std::string>();
  size_t start = 0;
  while (start < roles.size()) {
    size_t end = roles.find(',', start);
    if (end == std::string::npos) end = roles.size();
    relation.add_roles(
        static_cast<v1::AccountRelationRole>(std::stoi(roles.substr(start, end - start))));
    start = end + 1;
  }
  *relation.mutable_start_date() = DateFromText(row[4].as<std::string>());
  *relation.mutable_end_date() = DateFromText(row[5].as<std::string>());
  if (IsUnset(relation.start_date())) relation.clear_start_date();
  if (IsUnset(relation.end_date())) relation.clear_end_date();
  relation.set_is_primary(row[6].as<bool>());
  relation.set_etag(row[7].as<std::string>());
  *relation.mutable_create_time() = TimeUtil::MicrosecondsToTimestamp(row[8].as<int64_t>());
  *relation.mutable_update_time() = TimeUtil::MicrosecondsToTimestamp(row[9].as<int64_t>());
  if (!row[10].is_null()) {
    *relation.mutable_delete_time() = TimeUtil::MicrosecondsToTimestamp(row[10].as<int64_t>());
  }
  return relation;
}

std::string RolesLiteral(const AccountRelation& relation) {
  std::string out = "{";
  for (int i = 0; i < relation.roles_size(); ++i) {
    if (i > 0) out += ",";
    out += std::to_string(static_cast<int>(relation.roles(i)));
  }
  return out + "}";
}

namespace {

common::Event Event(const char* type, const AccountRelation& relation,
                    const AccountRelation* before) {
  return common::MakeEvent(type, relation.name(), std::stoll(relation.etag()), relation, before);
}

}  // namespace

std::vector<AccountRelation> ReadContactRelations(pqxx::transaction_base& transaction,
                                                  const std::string& contact_id) {
  std::vector<AccountRelation> out;
  for (const auto& row : transaction.exec_params(
           std::string("SELECT ") + sql::kRelationColumns +
               " FROM contact.account_relations r WHERE r.contact_id = $1::uuid "
               "ORDER BY r.create_time, r.id LIMIT 10000",
           contact_id)) {
    out.push_back(RelationFromRow(row));
  }
  return out;
}

PgRelationRepository::PgRelationRepository(common::PgPool& pool, const PiiCipher& cipher,
                                           common::IdempotentWrite& writes)
    : pool_(pool), cipher_(cipher), writes_(writes) {}

absl::StatusOr<AccountRelation> PgRelationRepository::Create(const std::string& contact_id,
                                                             const AccountRelation& relation,
                                                             const WriteMeta& meta) {
  ACCORD_ASSIGN_OR_RETURN(const std::string account_id,
                          ParseAccountName(relation.account(), "account_relation.account"));
  return writes_.Run<AccountRelation>(
      meta,
      [&](common::WriteTransaction& transaction)
          -> absl::StatusOr<common::Written<AccountRelation>> {
        AccountRelation result;
        AccountRelation* out = &result;
        // The contact stays live until this commits.
        if (transaction.exec_prepared(sql::kContactIsLive.name, contact_id).empty()) {
          return common::NotFound(ContactName(contact_id));
        }
        auto existing =
            transaction.exec_prepared(sql::kFindLiveRelation.name, contact_id, account_id);
        if (!existing.empty()) {
          const std::string name = RelationName(contact_id, existing[0][0].as<std::string>());
          return common::WithReason(
              common::AlreadyExists("RELATION_EXISTS", ContactName(contact_id) +
                                                           " already works with " +
                                                           relation.account() + ": " + name),
              "RELATION_EXISTS", {{"relation", name}});
        }
        *out = RelationFromRow(transaction.exec_prepared1(
            sql::kInsertRelation.name, common::NewUuidV7(), contact_id, account_id,
            RolesLiteral(relation), DateText(relation.start_date()), DateText(relation.end_date()),
            relation.is_primary()));
        return common::Written<AccountRelation>(result, Event(kRelationCreated, *out, nullptr));
      });
}

absl::StatusOr<AccountRelation> PgRelationRepository::Get(const std::string& contact_id,
                                                          const std::string& id) {
  std::optional<pqxx::result> rows;
  ACCORD_RETURN_IF_ERROR(pool_.Read(
      [&](pqxx::transaction_base& transaction) -> absl::Status {
        rows = transaction.exec_prepared(sql::kGetRelation.name, contact_id, id);
        return absl::OkStatus();
      },
      common::ReadScope::kOneStatement));
  if (rows->empty()) return common::NotFound(RelationName(contact_id, id));
  return RelationFromRow((*rows)[0]);
}

absl::StatusOr<RelationPage> PgRelationRepository::List(const RelationListQuery& query) {
  std::string statement = std::string("SELECT ") + sql::kRelationColumns + ", " +
                          common::MicrosText("r.create_time") +
                          " FROM contact.account_relations r JOIN contact.contacts c ON "
                          "c.id = r.contact_id WHERE r.delete_time IS NULL AND "
                          "c.delete_time IS NULL";
  std::vector<std::string> params = query.filter_params;
  if (!query.filter_sql.empty()) statement += " AND " + query.filter_sql;
  if (query.contact_id) {
    params.push_back(*query.contact_id);
    statement += " AND r.contact_id = $" + std::to_string(params.size()) + "::uuid";
  }
  const common::KeysetOrder order{"r.create_time", "r.id", common::kMicrosToTimestamptz,
                                  query.descending};
  common::AppendKeyset(statement, params, order, query.after, query.limit);
  RelationPage page;
  ACCORD_RETURN_IF_ERROR(pool_.Read([&](pqxx::transaction_base& transaction) -> absl::Status {
    if (query.contact_id &&
        transaction.exec_prepared(sql::kGetContact.name, *query.contact_id).empty()) {
      return common::NotFound(ContactName(*query.contact_id));
    }
    auto rows = transaction.exec(common::InlineParams(transaction.conn(), statement, params));
    for (const auto& row : rows) {
      page.relations.push_back(RelationFromRow(row));
      page.keys.push_back(
          {row[sql::kRelationColumnCount].as<std::string>(), row[0].as<std::string>()});
    }
    return absl::OkStatus();
  }));
  return page;
}

absl::StatusOr<AccountRelation> PgRelationRepository::Update(const std::string& contact_id,
                                                             const std::string& id,
                                                             const Mutation& mutate,
                                                             const WriteMeta& meta) {
  return writes_.Run<AccountRelation>(
      meta,
      [&](common::WriteTransaction& transaction)
          -> absl::StatusOr<common::Written<AccountRelation>> {
        AccountRelation result;
        AccountRelation* out = &result;
        if (transaction.exec_prepared(sql::kContactIsLive.name, contact_id).empty()) {
          return common::NotFound(ContactName(contact_id));
        }
        auto rows = transaction.exec_prepared(sql::kLockRelation.name, contact_id, id);
        if (rows.empty()) return common::NotFound(RelationName(contact_id, id));
        const AccountRelation current = RelationFromRow(rows[0]);
        ACCORD_ASSIGN_OR_RETURN(AccountRelation next, mutate(current));
        *out = RelationFromRow(transaction.exec_prepared1(
            sql::kUpdateRelation.name, contact_id, id, RolesLiteral(next),
            DateText(next.start_date()), DateText(next.end_date()), next.is_primary()));
        return common::Written<AccountRelation>(result, Event(kRelationUpdated, *out, &current));
      });
}

absl::StatusOr<AccountRelation> PgRelationRepository::Delete(const std::string& contact_id,
                                                             const std::string& id,
                                                             const Mutation& check,
                                                             const WriteMeta& meta) {
  return writes_.Run<AccountRelation>(
      meta,
      [&](common::WriteTransaction& transaction)
          -> absl::StatusOr<common::Written<AccountRelation>> {
        AccountRelation result;
        AccountRelation* out = &result;
        auto rows = transaction.exec_prepared(sql::kLockRelation.name, contact_id, id);
        if (rows.empty()) return common::NotFound(RelationName(contact_id, id));
        ACCORD_RETURN_IF_ERROR(check(RelationFromRow(rows[0])).status());
        *out =
            RelationFromRow(transaction.exec_prepared1(sql::kDeleteRelation.name, contact_id, id));
        return common::Written<AccountRelation>(result, Event(kRelationDeleted, *out, nullptr));
      });
}

absl::StatusOr<std::vector<KeyContactRow>> PgRelationRepository::KeyContacts(
    const std::string& account_id) {
  std::optional<pqxx::result> rows;
  ACCORD_RETURN_IF_ERROR(pool_.Read(
      [&](pqxx::transaction_base& transaction) -> absl::Status {
        rows = transaction.exec_prepared(sql::kKeyContacts.name, account_id);
        return absl::OkStatus();
      },
      common::ReadScope::kOneStatement));
  std::vector<KeyContactRow> out;
  for (const auto& row : *rows) {
    KeyContactRow item;
    item.relation = RelationFromRow(row);
    ACCORD_ASSIGN_OR_RETURN(item.contact, RowToContact(row, cipher_, sql::kRelationColumnCount));
    out.push_back(std::move(item));
  }
  return out;
}

const common::filter::Schema& PgRelationRepository::FilterSchema() const {
  return RelationFilterSchema();
}

}  // namespace accord::contact
