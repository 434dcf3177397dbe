// StewardshipRepository over PostgreSQL (schema `contact`).
#pragma once

#include "accord/common/pg.h"
#include "pg_contact_repository.h"
#include "pii_cipher.h"
#include "stewardship_repository.h"

namespace accord::contact {

inline constexpr char kContactsMerged[] = "accord.contact.v1.ContactsMerged";
inline constexpr char kContactErased[] = "accord.contact.v1.ContactErased";

class PgStewardshipRepository final : public StewardshipRepository {
 public:
  PgStewardshipRepository(common::PgPool& pool, const PiiCipher& cipher,
                          common::IdempotentWrite& writes, PgContactRepository& contacts);

  absl::StatusOr<std::vector<DuplicateMatch>> FindDuplicates(const DuplicateProbe& probe,
                                                             int limit) override;
  absl::StatusOr<v1::MergeContactsResponse> Merge(const std::string& survivor_id,
                                                  const std::string& duplicate_id,
                                                  const MergeBuild& build,
                                                  const WriteMeta& meta) override;
  absl::StatusOr<v1::ContactDataExport> Export(const std::string& id) override;
  absl::StatusOr<v1::RotateContactKeysResponse> RotateKeys(int batch) override;
  absl::StatusOr<v1::EraseContactResponse> Erase(const std::string& id, const EraseCheck& check,
                                                 const std::string& reason,
                                                 const std::string& erased_by,
                                                 const WriteMeta& meta) override;

 private:
  common::PgPool& pool_;
  const PiiCipher& cipher_;
  common::IdempotentWrite& writes_;
  PgContactRepository& contacts_;
};

}  // namespace accord::contact
