#include "caching_contact_repository.h"

#include "resource_names.h"

namespace accord::contact {

CachingContactRepository::CachingContactRepository(ContactRepository& inner,
                                                   SealedContactStore& store,
                                                   common::VersionedCache& cache,
                                                   const ContactCacheNotices& notices)
    : inner_(inner), store_(store), cache_(cache), notices_(notices) {}

std::string CachingContactRepository::KeyOf(const std::string& id) {
  return "sealed/" + ContactName(id);
}

void CachingContactRepository::Drop(common::VersionedCache& cache, const std::string& id,
                                    int64_t version) {
  cache.Invalidate(KeyOf(id), version);
}

absl::StatusOr<ContactRecord> CachingContactRepository::Get(const std::string& id) {
  if (!notices_.fresh()) return inner_.Get(id);
  const std::string key = KeyOf(id);
  if (auto cached = cache_.Get(key)) {
    if (auto sealed = SealedContact::Decode(cached->bytes)) {
      auto record = store_.Open(*sealed);
      // A copy that cannot be opened (its key retired since) is read again from PostgreSQL.
      if (record.ok()) return record;
    }
  }
  ACCORD_ASSIGN_OR_RETURN(SealedContact sealed, store_.GetSealed(id));
  ACCORD_ASSIGN_OR_RETURN(ContactRecord record, store_.Open(sealed));
  // Versioned: refused in either level if a write or notice got there with a newer version.
  cache_.Put(key, {sealed.cache_version(), sealed.Encode()});
  return record;
}

std::optional<ContactRecord> CachingContactRepository::PeekLocalMasked(const std::string& id) {
  if (!notices_.fresh()) return std::nullopt;
  // Get follows a miss here and counts it.
  const auto decoded = cache_.GetLocalDecoded(
      KeyOf(id),
      [this](const std::string& bytes) -> std::shared_ptr<const void> {
        auto sealed = SealedContact::Decode(bytes);
        if (!sealed) return nullptr;
        auto record = store_.OpenMasked(*sealed);
        if (!record.ok()) return nullptr;
        return std::make_shared<const ContactRecord>(std::move(*record));
      },
      /*count_miss=*/false);
  if (!decoded) return std::nullopt;
  // Only sealed contact rows are kept under these keys, decoded by the function above.
  return *static_cast<const ContactRecord*>(decoded.get());
}

void CachingContactRepository::Written(const absl::StatusOr<ContactRecord>& record) {
  if (!record.ok()) return;
  const std::string& name = record->contact.name();
  // The tombstone at the written version keeps out any read of an older row still in flight.
  cache_.Invalidate("sealed/" + name, record->cache_version);
}

absl::StatusOr<ContactRecord> CachingContactRepository::Create(const Contact& contact,
                                                               const WriteMeta& meta,
                                                               const Caller* shown_to) {
  // A new contact has no copies to drop.
  return inner_.Create(contact, meta, shown_to);
}

absl::StatusOr<ContactRecord> CachingContactRepository::Update(const std::string& id,
                                                               const Mutation& mutate,
                                                               const WriteMeta& meta) {
  auto updated = inner_.Update(id, mutate, meta);
  Written(updated);
  return updated;
}

absl::StatusOr<ContactRecord> CachingContactRepository::Delete(const std::string& id,
                                                               const Mutation& check,
                                                               const WriteMeta& meta) {
  auto deleted = inner_.Delete(id, check, meta);
  Written(deleted);
  return deleted;
}

absl::StatusOr<ContactRepository::Upserted> CachingContactRepository::Upsert(
    const std::string& system, const std::string& external_id, const Build& build,
    const WriteMeta& meta) {
  auto upserted = inner_.Upsert(system, external_id, build, meta);
  if (upserted.ok() && upserted->changed) Written(upserted->record);
  return upserted;
}

absl::StatusOr<ContactPage> CachingContactRepository::List(const ContactListQuery& query) {
  return inner_.List(query);
}

absl::StatusOr<std::vector<ContactRecord>> CachingContactRepository::Lookup(
    LookupKind kind, const std::string& value) {
  return inner_.Lookup(kind, value);
}

absl::StatusOr<ContactRecord> CachingContactRepository::LookupByExternalId(
    const std::string& system, const std::string& external_id) {
  return inner_.LookupByExternalId(system, external_id);
}

}  // namespace accord::contact
