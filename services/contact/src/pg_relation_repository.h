// RelationRepository over PostgreSQL (schema `contact`).
#pragma once

#include "accord/common/pg.h"
#include "pii_cipher.h"
#include "relation_repository.h"
#include "write_path.h"

namespace accord::contact {

inline constexpr char kRelationCreated[] = "accord.contact.v1.AccountRelationCreated";
inline constexpr char kRelationUpdated[] = "accord.contact.v1.AccountRelationUpdated";
inline constexpr char kRelationDeleted[] = "accord.contact.v1.AccountRelationDeleted";

// A row of sql::kRelationColumns.
AccountRelation RelationFromRow(const pqxx::row& row);
// The relation's roles as a smallint[] literal, "{1,6}".
std::string RolesLiteral(const AccountRelation& relation);

// Every relation of a contact, removed ones too, oldest first; for its data export.
std::vector<AccountRelation> ReadContactRelations(pqxx::transaction_base& transaction,
                                                  const std::string& contact_id);

class PgRelationRepository final : public RelationRepository {
 public:
  const common::filter::Schema& FilterSchema() const override;
  PgRelationRepository(common::PgPool& pool, const PiiCipher& cipher,
                       common::IdempotentWrite& writes);

  absl::StatusOr<AccountRelation> Create(const std::string& contact_id,
                                         const AccountRelation& relation,
                                         const WriteMeta& meta) override;
  absl::StatusOr<AccountRelation> Get(const std::string& contact_id,
                                      const std::string& id) override;
  absl::StatusOr<RelationPage> List(const RelationListQuery& query) override;
  absl::StatusOr<AccountRelation> Update(const std::string& contact_id, const std::string& id,
                                         const Mutation& mutate, const WriteMeta& meta) override;
  absl::StatusOr<AccountRelation> Delete(const std::string& contact_id, const std::string& id,
                                         const Mutation& check, const WriteMeta& meta) override;
  absl::StatusOr<std::vector<KeyContactRow>> KeyContacts(const std::string& account_id) override;

 private:
  common::PgPool& pool_;
  const PiiCipher& cipher_;
  common::IdempotentWrite& writes_;
};

}  // namespace accord::contact
