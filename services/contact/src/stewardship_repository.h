// Storage side of duplicates, merges, exports and erasure, behind an interface so the logic is
// tested against a fake. Takes and returns plaintext, as ContactRepository does.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "accord/contact/v1/stewardship.pb.h"
#include "contact_repository.h"
#include "stewardship_rules.h"

namespace accord::contact {

// What a duplicate search compares: normalised emails, E.164 phones, the full name and the
// accounts the name comparison is limited to.
struct DuplicateProbe {
  std::string exclude_id;  // the contact searched for, so it does not find itself
  std::vector<std::string> emails;
  std::vector<std::string> phones;
  std::string full_name;
  std::vector<std::string> account_ids;
  // A similar name counts from this similarity on: candidates below it (and without the same
  // email or phone) are not read.
  float min_name_similarity = kDefaultNameSimilarity;
};

struct DuplicateMatch {
  ContactRecord record;
  bool same_email = false;
  bool same_phone = false;
  int shared_trigrams = 0;  // with the probe's name
  int trigram_count = 0;    // of this contact's name
  int probe_trigram_count = 0;
  std::vector<std::string> shared_accounts;  // of the probe's, the ones this contact works with
};

// Given both contacts locked (survivor, duplicate), the survivor as it is to be stored; an error
// (stale etag, permission) rolls the merge back.
using MergeBuild = std::function<absl::StatusOr<Contact>(const ContactRecord& survivor,
                                                         const ContactRecord& duplicate)>;
// Given the contact locked, OK to go on.
using EraseCheck = std::function<absl::Status(const ContactRecord& current)>;

class StewardshipRepository {
 public:
  virtual ~StewardshipRepository() = default;

  // Live contacts other than probe.exclude_id sharing an email or phone with the probe, or
  // working with one of its accounts and sharing a name trigram; at most `limit` (1000).
  virtual absl::StatusOr<std::vector<DuplicateMatch>> FindDuplicates(const DuplicateProbe& probe,
                                                                     int limit) = 0;
  virtual absl::StatusOr<v1::MergeContactsResponse> Merge(const std::string& survivor_id,
                                                          const std::string& duplicate_id,
                                                          const MergeBuild& build,
                                                          const WriteMeta& meta) = 0;
  // Everything stored about a live contact, opened.
  virtual absl::StatusOr<v1::ContactDataExport> Export(const std::string& id) = 0;
  // Re-seals up to `batch` contacts and `batch` interaction summaries still under another key
  // than the active one, skipping rows locked by writers; `remaining` counts what is left.
  virtual absl::StatusOr<v1::RotateContactKeysResponse> RotateKeys(int batch) = 0;
  virtual absl::StatusOr<v1::EraseContactResponse> Erase(const std::string& id,
                                                         const EraseCheck& check,
                                                         const std::string& reason,
                                                         const std::string& erased_by,
                                                         const WriteMeta& meta) = 0;
};

}  // namespace accord::contact
