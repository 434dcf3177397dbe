#include "stewardship_rules.h"

#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>

#include <algorithm>
#include <set>

#include "contact_fields.h"

namespace accord::contact {
namespace {

void AppendUtf8(std::string& out, UChar32 c) {
  icu::UnicodeString one(c);
  one.toUTF8String(out);
}

// Appends the entries of `from` whose key `to` lacks, up to `limit`, keeping one primary.
template <typename Entry, typename Key>
void AddMissing(const google::protobuf::RepeatedPtrField<Entry>& from,
                google::protobuf::RepeatedPtrField<Entry>& to, int limit, Key key) {
  bool has_primary =
      std::any_of(to.begin(), to.end(), [](const Entry& entry) { return entry.primary(); });
  for (const auto& entry : from) {
    if (to.size() >= limit) break;
    if (std::any_of(to.begin(), to.end(),
                    [&](const Entry& kept) { return key(kept) == key(entry); })) {
      continue;
    }
    Entry* added = to.Add();
    *added = entry;
    if (has_primary) added->set_primary(false);
    has_primary = has_primary || added->primary();
  }
}

}  // namespace

std::vector<std::string> NameTrigrams(std::string_view name) {
  UErrorCode error = U_ZERO_ERROR;
  const icu::Normalizer2* nfkd = icu::Normalizer2::getNFKDInstance(error);
  icu::UnicodeString text =
      icu::UnicodeString::fromUTF8(icu::StringPiece(name.data(), name.size()));
  if (U_SUCCESS(error)) {
    icu::UnicodeString decomposed = nfkd->normalize(text, error);
    if (U_SUCCESS(error)) text = decomposed;
  }
  std::vector<std::vector<UChar32>> words(1);
  for (int32_t i = 0; i < text.length(); i = text.moveIndex32(i, 1)) {
    const UChar32 c = text.char32At(i);
    if (u_charType(c) == U_NON_SPACING_MARK) continue;  // accents, after NFKD
    if (u_isalnum(c)) {
      words.back().push_back(u_tolower(c));
    } else if (!words.back().empty()) {
      words.emplace_back();
    }
  }
  std::set<std::string> trigrams;
  for (const auto& word : words) {
    if (word.empty()) continue;
    std::vector<UChar32> padded = {' ', ' '};
    padded.insert(padded.end(), word.begin(), word.end());
    padded.push_back(' ');
    for (size_t i = 0; i + 3 <= padded.size(); ++i) {
      std::string trigram;
      for (size_t k = i; k < i + 3; ++k) AppendUtf8(trigram, padded[k]);
      trigrams.insert(std::move(trigram));
    }
  }
  return {trigrams.begin(), trigrams.end()};
}

std::string FullName(const v1::Contact& contact) {
  if (contact.given_name().empty()) return contact.family_name();
  if (contact.family_name().empty()) return contact.given_name();
  return contact.given_name() + " " + contact.family_name();
}

float TrigramSimilarity(int shared, int count_a, int count_b) {
  const int all = count_a + count_b - shared;
  if (all <= 0) return 0;
  return static_cast<float>(shared) / static_cast<float>(all);
}

int SharedCount(const std::vector<int32_t>& a, const std::vector<int32_t>& b) {
  int shared = 0;
  auto i = a.begin();
  auto j = b.begin();
  while (i != a.end() && j != b.end()) {
    if (*i < *j) {
      ++i;
    } else if (*j < *i) {
      ++j;
    } else {
      ++shared;
      ++i;
      ++j;
    }
  }
  return shared;
}

double DuplicateScore(bool same_email, bool same_phone, float name_similarity) {
  double apart = 1.0;
  if (same_email) apart *= 1.0 - 0.9;
  if (same_phone) apart *= 1.0 - 0.8;
  apart *= 1.0 - std::clamp(static_cast<double>(name_similarity), 0.0, 1.0);
  return 1.0 - apart;
}

v1::Contact MergeContactFields(const v1::Contact& survivor, const v1::Contact& duplicate) {
  v1::Contact merged = survivor;
  auto fill = [](const std::string& from, std::string* to) {
    if (to->empty()) *to = from;
  };
  fill(duplicate.given_name(), merged.mutable_given_name());
  fill(duplicate.family_name(), merged.mutable_family_name());
  fill(duplicate.job_title(), merged.mutable_job_title());
  fill(duplicate.department(), merged.mutable_department());
  fill(duplicate.preferred_language(), merged.mutable_preferred_language());
  fill(duplicate.time_zone(), merged.mutable_time_zone());
  fill(duplicate.notes(), merged.mutable_notes());
  if (!merged.has_address() && duplicate.has_address()) {
    *merged.mutable_address() = duplicate.address();
  }
  if (!merged.has_accessibility() && duplicate.has_accessibility()) {
    *merged.mutable_accessibility() = duplicate.accessibility();
  }
  if (merged.preferred_channel() == 0) merged.set_preferred_channel(duplicate.preferred_channel());
  if (merged.customer_kind() == v1::CUSTOMER_KIND_UNSPECIFIED) {
    merged.set_customer_kind(duplicate.customer_kind());
  }
  AddMissing(duplicate.emails(), *merged.mutable_emails(), kMaxEmails,
             [](const auto& email) -> const std::string& { return email.address(); });
  AddMissing(duplicate.phones(), *merged.mutable_phones(), kMaxPhones,
             [](const auto& phone) -> const std::string& { return phone.number(); });
  for (const auto& label : duplicate.labels()) {
    if (merged.labels_size() >= kMaxLabels) break;
    if (std::find(merged.labels().begin(), merged.labels().end(), label) == merged.labels().end()) {
      merged.add_labels(label);
    }
  }
  for (const auto& [system, id] : duplicate.external_ids()) {
    if (merged.external_ids_size() >= kMaxExternalIds) break;
    if (!merged.external_ids().contains(system)) (*merged.mutable_external_ids())[system] = id;
  }
  return merged;
}

v1::Contact AnonymousRemainder(const v1::Contact& contact) {
  v1::Contact rest = contact;
  TakePersonal(rest);
  rest.clear_job_title();
  rest.clear_department();
  rest.clear_address();
  rest.clear_accessibility();
  rest.clear_external_ids();
  return rest;
}

}  // namespace accord::contact
