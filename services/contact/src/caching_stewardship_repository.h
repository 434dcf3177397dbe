// Keeps the contact cache honest across the stewardship writes: a merge or an erasure changes
// rows that GetContact may hold in either cache level, and ContactCacheNotices drops them only
// once the commit's notice arrives, milliseconds after the call returned. Personal data of an
// erased contact must not be readable after EraseContact answered, so these writes drop the
// copies themselves before they return, as CachingContactRepository's writes do.
#pragma once

#include <string>
#include <vector>

#include "accord/common/cache.h"
#include "stewardship_repository.h"

namespace accord::contact {

class CachingStewardshipRepository final : public StewardshipRepository {
 public:
  CachingStewardshipRepository(StewardshipRepository& inner, common::VersionedCache& cache);

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
  void DropAll(const std::vector<std::string>& ids);

  StewardshipRepository& inner_;
  common::VersionedCache& cache_;
};

}  // namespace accord::contact
