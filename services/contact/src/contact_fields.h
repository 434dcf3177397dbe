// Pure rules about a contact's fields: names of resources, validation and normalisation of
// emails (lower case), phones (E.164 via libphonenumber), time zones (IANA, via ICU), languages,
// labels and external ids, and which fields are personal. No gRPC or database types.
#pragma once

#include <google/protobuf/descriptor.h>

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "accord/common/errors.h"
#include "accord/common/fields.h"
#include "accord/common/list_query.h"
#include "accord/common/v1/date.pb.h"
#include "accord/contact/v1/contact.pb.h"
#include "resource_names.h"

namespace accord::contact {

using v1::Contact;

inline constexpr size_t kMaxNameLength = 200;
inline constexpr size_t kMaxTextLength = 200;
inline constexpr size_t kMaxNotesLength = 4000;
inline constexpr size_t kMaxNeedsLength = 2000;
inline constexpr int kMaxEmails = 10;
inline constexpr int kMaxPhones = 10;
inline constexpr int kMaxLabels = 50;
inline constexpr int kMaxExternalIds = 20;

// Lower-cased address when `email` is a plausible mailbox (local@domain.tld, RFC 5321 sizes);
// otherwise the reason it is not.
absl::StatusOr<std::string> NormalizeEmail(std::string_view email);
// E.164 form of `number`, read in `region` (ISO 3166 alpha-2) unless it has a country code;
// otherwise the reason it is not a valid number.
absl::StatusOr<std::string> NormalizePhone(std::string_view number, std::string_view region);
// Called once, on the thread that parsed the first phone, right after libphonenumber loaded its
// metadata (of every region, which it parses and copies). The server sets it, before serving, to
// hand the buffers the load freed back to the system; tests and tools leave it unset.
void SetPhoneMetadataLoadedHook(void (*hook)());
// Whether `name` is an IANA time zone id known to ICU's tz database (e.g. "Europe/Paris").
bool IsTimeZone(std::string_view name);
// A well-formed BCP 47 tag in its common shape: language[-script][-region][-variant...].
bool IsLanguageTag(std::string_view tag);
// Whether `region` is an ISO 3166 alpha-2 code libphonenumber knows (without loading its
// metadata); PhoneRegions() is that list, sorted.
bool IsPhoneRegion(std::string_view region);
std::vector<std::string> PhoneRegions();

// Normalises emails and phones in place and checks every field, adding violations under
// `prefix` (e.g. "contact."). Phones without a country code use the address's region, else
// `default_region`.
void NormalizeAndValidate(Contact& contact, const std::string& prefix,
                          const std::string& default_region, common::Violations& violations);

// A date that is either unset (all zero) or a real day of the years 1-9999.
bool IsValidDate(const common::v1::Date& date);
bool IsUnset(const common::v1::Date& date);
std::string DateText(const common::v1::Date& date);  // "YYYY-MM-DD", "" when unset
common::v1::Date DateFromText(std::string_view text);

// Personal fields: names, emails, phones, address lines, notes, accessibility needs.
// Moves them out of `contact` into the returned message (the rest stays).
Contact TakePersonal(Contact& contact);
// Clears them and marks the contact masked.
void MaskPersonal(Contact& contact);
// The personal fields that hold a value, by field path, for the access log.
std::vector<std::string> PersonalFieldsPresent(const Contact& contact);

using common::CheckText;
using common::CodePoints;
using common::FilterEnumValues;
using common::IsBlank;
using common::MergeViolations;
using common::OrderBy;
using common::ParseOrderBy;

}  // namespace accord::contact
