#include "caching_stewardship_repository.h"

#include <limits>

#include "caching_contact_repository.h"

namespace accord::contact {

CachingStewardshipRepository::CachingStewardshipRepository(StewardshipRepository& inner,
                                                           common::VersionedCache& cache)
    : inner_(inner), cache_(cache) {}

void CachingStewardshipRepository::DropAll(const std::vector<std::string>& ids) {
  // The written rows' cache versions are not known here; a tombstone above every version keeps
  // out any read still in flight. The merged and erased contacts are never cached again anyway;
  // a survivor is read from PostgreSQL until the tombstone expires (merges are rare).
  for (const auto& id : ids) {
    CachingContactRepository::Drop(cache_, id, std::numeric_limits<int64_t>::max());
  }
}

absl::StatusOr<std::vector<DuplicateMatch>> CachingStewardshipRepository::FindDuplicates(
    const DuplicateProbe& probe, int limit) {
  return inner_.FindDuplicates(probe, limit);
}

absl::StatusOr<v1::MergeContactsResponse> CachingStewardshipRepository::Merge(
    const std::string& survivor_id, const std::string& duplicate_id, const MergeBuild& build,
    const WriteMeta& meta) {
  auto merged = inner_.Merge(survivor_id, duplicate_id, build, meta);
  if (merged.ok()) DropAll({survivor_id, duplicate_id});
  return merged;
}

absl::StatusOr<v1::ContactDataExport> CachingStewardshipRepository::Export(const std::string& id) {
  return inner_.Export(id);
}

absl::StatusOr<v1::RotateContactKeysResponse> CachingStewardshipRepository::RotateKeys(int batch) {
  // A reseal changes no field a reader sees; the notices drop the old sealed copies.
  return inner_.RotateKeys(batch);
}

absl::StatusOr<v1::EraseContactResponse> CachingStewardshipRepository::Erase(
    const std::string& id, const EraseCheck& check, const std::string& reason,
    const std::string& erased_by, const WriteMeta& meta) {
  auto erased = inner_.Erase(id, check, reason, erased_by, meta);
  if (erased.ok()) DropAll({id});
  return erased;
}

}  // namespace accord::contact
