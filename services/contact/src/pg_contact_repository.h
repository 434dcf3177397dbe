// ContactRepository over PostgreSQL (schema `contact`), sealing personal fields with PiiCipher.
#pragma once

#include <pqxx/pqxx>

#include "accord/common/pg.h"
#include "contact_repository.h"
#include "pii_cipher.h"
#include "sealed_contact.h"
#include "write_path.h"

namespace accord::contact {

inline constexpr char kContactCreated[] = "accord.contact.v1.ContactCreated";
inline constexpr char kContactUpdated[] = "accord.contact.v1.ContactUpdated";
inline constexpr char kContactDeleted[] = "accord.contact.v1.ContactDeleted";

// One row of sql::kContactColumns as stored (personal fields still sealed), and opening it.
SealedContact SealedFromRow(const pqxx::row& row, int first = 0);
absl::StatusOr<ContactRecord> OpenContact(const SealedContact& sealed, const PiiCipher& cipher);
// As OpenContact followed by MaskPersonal, without opening the personal fields (no key needed).
absl::StatusOr<ContactRecord> OpenContactMasked(const SealedContact& sealed);
// Reads one row of sql::kContactColumns starting at column `first`, opening the personal fields.
absl::StatusOr<ContactRecord> RowToContact(const pqxx::row& row, const PiiCipher& cipher,
                                           int first = 0);

// The error for a contact that is not live, from the rows of sql::kContactTombstone: NOT_FOUND
// naming it, with reason CONTACT_MERGED (metadata `merged_into`) or CONTACT_ERASED.
absl::Status ContactGone(const std::string& id, const pqxx::result& tombstone);

class PgContactRepository final : public ContactRepository, public SealedContactStore {
 public:
  absl::StatusOr<SealedContact> GetSealed(const std::string& id) override;
  absl::StatusOr<ContactRecord> Open(const SealedContact& sealed) const override {
    return OpenContact(sealed, cipher_);
  }
  absl::StatusOr<ContactRecord> OpenMasked(const SealedContact& sealed) const override {
    return OpenContactMasked(sealed);
  }
  const common::filter::Schema& FilterSchema() const override;
  PgContactRepository(common::PgPool& pool, const PiiCipher& cipher,
                      common::IdempotentWrite& writes);

  absl::StatusOr<ContactRecord> Create(const Contact& contact, const WriteMeta& meta,
                                       const Caller* shown_to) override;
  absl::StatusOr<ContactRecord> Get(const std::string& id) override;
  absl::StatusOr<ContactPage> List(const ContactListQuery& query) override;
  absl::StatusOr<ContactRecord> Update(const std::string& id, const Mutation& mutate,
                                       const WriteMeta& meta) override;
  absl::StatusOr<ContactRecord> Delete(const std::string& id, const Mutation& check,
                                       const WriteMeta& meta) override;
  absl::StatusOr<std::vector<ContactRecord>> Lookup(LookupKind kind,
                                                    const std::string& value) override;
  absl::StatusOr<ContactRecord> LookupByExternalId(const std::string& system,
                                                   const std::string& external_id) override;
  absl::StatusOr<Upserted> Upsert(const std::string& system, const std::string& external_id,
                                  const Build& build, const WriteMeta& meta) override;

  // Inserts or rewrites the row of `contact` (with its lookups, name trigrams and external ids),
  // in a transaction that holds its row lock; also the merge's and the key rotation's way in.
  absl::StatusOr<ContactRecord> Store(common::WriteTransaction& transaction, const std::string& id,
                                      const Contact& contact, bool insert);
  common::Event Event(const char* type, const ContactRecord& record, const Contact* before) const;

 private:
  absl::Status SaveExternalIds(common::WriteTransaction& transaction, const std::string& id,
                               const Contact& contact);

  common::PgPool& pool_;
  const PiiCipher& cipher_;
  common::IdempotentWrite& writes_;
};

}  // namespace accord::contact
