// Storage of contacts, behind an interface so the domain logic is tested against a fake. The
// repository takes and returns plaintext contacts; sealing the personal fields and keeping the
// blind index are its business (it holds the PiiCipher), so nothing above it sees ciphertext.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "accord/common/filter.h"
#include "accord/contact/v1/contact.pb.h"
#include "contact_access.h"
#include "write_path.h"

namespace accord::contact {

using v1::Contact;

// A contact with the facts its access rules need.
struct ContactRecord {
  Contact contact;
  ContactFacts facts;
  // Moves with every change of what Get shows (the contact, its relations' accounts, the counts
  // other writes keep): the version caches hold it under (migration 0012).
  int64_t cache_version = 0;
  // The write that returned this record appended the read of its personal fields by the caller
  // it was shown to (Create's `shown_to`) in its own transaction: the presenter does not append
  // it again. False for reads, and for a retried write answered from its kept response.
  bool access_logged = false;
};

enum class ContactOrder { kCreateTime, kUpdateTime };
enum class LookupKind { kEmail = 1, kPhone = 2 };

struct ContactListQuery {
  int limit = 50;  // rows to return; the repository returns up to limit + 1
  ContactOrder order = ContactOrder::kCreateTime;
  bool descending = false;
  // A compiled filter (filter.h) over the contacts row alias `c`, $N numbered from 1.
  std::string filter_sql;
  std::vector<std::string> filter_params;
  std::optional<std::vector<std::string>> after;
};

struct ContactPage {
  std::vector<ContactRecord> contacts;
  std::vector<std::vector<std::string>> keys;
};

class ContactRepository {
 public:
  virtual ~ContactRepository() = default;

  // How List's filter maps onto this repository's tables (pg_filter_schemas.h).
  virtual const common::filter::Schema& FilterSchema() const = 0;

  // Stores a new contact (name, etag and times assigned here). ALREADY_EXISTS when one of its
  // external ids belongs to another contact. `shown_to`: the caller the response will show the
  // contact to unmasked (nullptr: masked, or nobody); its read is appended to the access log in
  // the same transaction, so that a create commits once.
  virtual absl::StatusOr<ContactRecord> Create(const Contact& contact, const WriteMeta& meta,
                                               const Caller* shown_to) = 0;
  // NOT_FOUND naming the contact when missing or deleted.
  virtual absl::StatusOr<ContactRecord> Get(const std::string& id) = 0;
  // What Get would return with the personal fields masked (never opened), when this process
  // holds the contact in memory; nullopt when answering needs I/O. For the answers that mask
  // them anyway, finished on gRPC's thread. A repository without a cache has nothing to peek.
  virtual std::optional<ContactRecord> PeekLocalMasked(const std::string& id) {
    return std::nullopt;
  }
  virtual absl::StatusOr<ContactPage> List(const ContactListQuery& query) = 0;

  // Loads the live contact under a row lock, passes it to `mutate`, stores what it returns.
  using Mutation = std::function<absl::StatusOr<Contact>(const Contact& current)>;
  virtual absl::StatusOr<ContactRecord> Update(const std::string& id, const Mutation& mutate,
                                               const WriteMeta& meta) = 0;
  // As Update, then marks the contact deleted and frees its lookups and external ids.
  virtual absl::StatusOr<ContactRecord> Delete(const std::string& id, const Mutation& check,
                                               const WriteMeta& meta) = 0;

  // Live contacts whose normalised email or E.164 phone is `value` (at most 100).
  virtual absl::StatusOr<std::vector<ContactRecord>> Lookup(LookupKind kind,
                                                            const std::string& value) = 0;
  virtual absl::StatusOr<ContactRecord> LookupByExternalId(const std::string& system,
                                                           const std::string& external_id) = 0;
  // Creates or updates the contact carrying the external id, serialised per key: `build` gets
  // the current contact (nullptr when there is none) and returns what to store.
  using Build = std::function<absl::StatusOr<Contact>(const Contact* current)>;
  struct Upserted {
    ContactRecord record;
    bool created = false;
    bool changed = false;  // false: the stored contact already matched; nothing was written
  };
  virtual absl::StatusOr<Upserted> Upsert(const std::string& system, const std::string& external_id,
                                          const Build& build, const WriteMeta& meta) = 0;
};

}  // namespace accord::contact
