// A contact's row as stored: its personal fields still sealed (PiiCipher), so it may be kept in
// a shared cache (Redis) without a plaintext name, email or phone leaving the process. Opening it
// is the repository's business, as it is for rows read from PostgreSQL.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "contact_repository.h"

namespace accord::contact {

struct SealedContact {
  // The columns of sql::kContactColumns: the two bytea columns (sealed personal fields, the
  // non-personal attributes) as bytes, the others as PostgreSQL's text; nullopt for NULL.
  static constexpr int kColumns = 14;
  std::array<std::optional<std::string>, kColumns> columns;

  int64_t cache_version() const;
  // A self-delimiting encoding (per column: a presence byte, a 4-byte length, the bytes).
  std::string Encode() const;
  // nullopt when `bytes` is not an encoding of kColumns columns.
  static std::optional<SealedContact> Decode(std::string_view bytes);
};

// Where a cache of sealed rows reads them and opens them (PgContactRepository).
class SealedContactStore {
 public:
  virtual ~SealedContactStore() = default;
  // The live contact's row; NOT_FOUND as ContactRepository::Get.
  virtual absl::StatusOr<SealedContact> GetSealed(const std::string& id) = 0;
  virtual absl::StatusOr<ContactRecord> Open(const SealedContact& sealed) const = 0;
  // As Open followed by MaskPersonal, leaving the personal fields sealed.
  virtual absl::StatusOr<ContactRecord> OpenMasked(const SealedContact& sealed) const = 0;
};

}  // namespace accord::contact
