// Pure rules of data stewardship: the trigrams of a name as PostgreSQL's pg_trgm extracts them,
// their similarity, the score of a duplicate candidate, what the survivor of a merge keeps, and
// what erasure leaves. No gRPC or database types; unit-tested.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "accord/contact/v1/contact.pb.h"

namespace accord::contact {

// pg_trgm's default similarity threshold (pg_trgm.similarity_threshold).
inline constexpr float kDefaultNameSimilarity = 0.3f;
inline constexpr int kDefaultDuplicateResults = 20;
inline constexpr int kMaxDuplicateResults = 100;

// The distinct trigrams of `name` as pg_trgm's show_trgm() lists them, after folding the text
// so that spelling variants meet: compatibility decomposition (NFKD), accents dropped, lower
// case. Words are runs of letters and digits; each is padded with two spaces in front and one
// behind ("  ada "), so a word of n characters gives n + 1 trigrams. UTF-8 in and out.
std::vector<std::string> NameTrigrams(std::string_view name);
// The name a contact is compared by: given and family name, space-separated.
std::string FullName(const v1::Contact& contact);

// pg_trgm's similarity of two sets of trigrams (sorted, distinct): shared / (|a| + |b| - shared),
// 0 when both are empty.
float TrigramSimilarity(int shared, int count_a, int count_b);
int SharedCount(const std::vector<int32_t>& a, const std::vector<int32_t>& b);

// 1 - (1 - e)(1 - p)(1 - n): e = 0.9 for the same email, p = 0.8 for the same phone, n the name
// similarity (0 unless it counts).
double DuplicateScore(bool same_email, bool same_phone, float name_similarity);

// The survivor of a merge, given both contacts as they are: the survivor's values win; it gains
// the duplicate's emails and phones it lacks (up to 10 each, without a second primary), labels
// (up to 50), external ids of systems it has none for, and every field it leaves empty.
v1::Contact MergeContactFields(const v1::Contact& survivor, const v1::Contact& duplicate);

// What erasure leaves of a contact: no personal field, and nothing that could single the person
// out with a little outside knowledge either (job title, department, the whole address, the
// accessibility flags, which are health data, external ids). Kind, status, channel, language,
// time zone, labels and owner stay for statistics.
v1::Contact AnonymousRemainder(const v1::Contact& contact);

}  // namespace accord::contact
