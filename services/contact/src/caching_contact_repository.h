// Read-through caching around the contact repository, as the account service caches accounts:
// Get is served from the runtime's two-level VersionedCache (in-process, then Redis), then
// PostgreSQL. What is cached is the row as stored (SealedContact): personal fields stay sealed in
// both levels and are opened on every read, so Redis never holds a plaintext name, email or
// phone. Entries carry the row's cache_version (migration 0012), which moves with every change of
// what Get shows, so a slow reader can never put an older row over a newer one.
//
// Invalidation: a write through this repository drops older copies in both levels before it
// returns (a tombstone at the version it wrote, so the next read on any replica without a local
// copy reads the new row); every other change (relations, counts kept by triggers, merges,
// erasure) and other replicas' local copies follow ContactCacheNotices within milliseconds of the
// commit. While the notices' connection is down the cache is not used at all.
#pragma once

#include <string>

#include "accord/common/cache.h"
#include "contact_cache_notices.h"
#include "contact_repository.h"
#include "sealed_contact.h"

namespace accord::contact {

class CachingContactRepository final : public ContactRepository {
 public:
  CachingContactRepository(ContactRepository& inner, SealedContactStore& store,
                           common::VersionedCache& cache, const ContactCacheNotices& notices);

  // The cache key of a contact's sealed row ("sealed/contacts/{id}": apart from the keys the
  // runtime's event fan-out invalidates at the etag's version).
  static std::string KeyOf(const std::string& id);
  // What ContactCacheNotices calls: drop copies of `id` older than `version`, in both levels.
  static void Drop(common::VersionedCache& cache, const std::string& id, int64_t version);

  const common::filter::Schema& FilterSchema() const override { return inner_.FilterSchema(); }
  absl::StatusOr<ContactRecord> Create(const Contact& contact, const WriteMeta& meta,
                                       const Caller* shown_to) override;
  absl::StatusOr<ContactRecord> Get(const std::string& id) override;
  // The in-process level only. The masked record is made once per cached version and shared by
  // later hits (it holds no personal data, so keeping it decoded keeps nothing in clear).
  std::optional<ContactRecord> PeekLocalMasked(const std::string& id) override;
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

 private:
  void Written(const absl::StatusOr<ContactRecord>& record);

  ContactRepository& inner_;
  SealedContactStore& store_;
  common::VersionedCache& cache_;
  const ContactCacheNotices& notices_;
};

}  // namespace accord::contact
