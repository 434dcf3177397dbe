#include "contact_fields.h"

#include <phonenumbers/phonenumberutil.h>
#include <unicode/timezone.h>
#include <unicode/unistr.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <iterator>
#include <set>

#include "accord/common/ids.h"
#include "accord/common/resource_name.h"

namespace accord::contact {
namespace {

using i18n::phonenumbers::PhoneNumberUtil;

bool IsLabel(std::string_view label) {
  return !label.empty() && label.size() <= 64 &&
         std::all_of(label.begin(), label.end(), [](unsigned char c) {
           return std::islower(c) || std::isdigit(c) || c == '-' || c == '_' || c == ':' ||
                  c == '.';
         });
}

bool IsAlnum(std::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](unsigned char c) { return std::isalnum(c) != 0; });
}

}  // namespace

absl::StatusOr<std::string> NormalizeEmail(std::string_view email) {
  if (email.size() > 254) return absl::InvalidArgumentError("longer than 254 characters");
  const size_t at = email.rfind('@');
  if (at == std::string_view::npos || email.find('@') != at) {
    return absl::InvalidArgumentError("must contain exactly one @, as in name@example.com");
  }
  const std::string_view local = email.substr(0, at);
  const std::string_view domain = email.substr(at + 1);
  if (local.empty() || local.size() > 64) {
    return absl::InvalidArgumentError("the part before @ must be 1 to 64 characters");
  }
  static const std::string kLocalSpecials = "!#$%&'*+/=?^_`{|}~.-";
  for (unsigned char c : local) {
    if (!std::isalnum(c) && kLocalSpecials.find(static_cast<char>(c)) == std::string::npos) {
      return absl::InvalidArgumentError(std::string("the part before @ may not contain `") +
                                        static_cast<char>(c) + "`");
    }
  }
  if (local.front() == '.' || local.back() == '.' || local.find("..") != std::string_view::npos) {
    return absl::InvalidArgumentError("dots before @ may not lead, trail or repeat");
  }
  if (domain.find('.') == std::string_view::npos) {
    return absl::InvalidArgumentError("the domain after @ needs a dot, as in example.com");
  }
  size_t start = 0;
  while (start <= domain.size()) {
    size_t end = domain.find('.', start);
    if (end == std::string_view::npos) end = domain.size();
    const std::string_view label = domain.substr(start, end - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-' ||
        !std::all_of(label.begin(), label.end(),
                     [](unsigned char c) { return std::isalnum(c) || c == '-'; })) {
      return absl::InvalidArgumentError("the domain after @ is not a valid host name");
    }
    start = end + 1;
  }
  return common::Lower(email);
}

// libphonenumber's supported regions (Debian 12's 8.12), sorted. Kept here so that checking a
// setting or an address's region_code does not load the metadata of every region: that happens
// at the first phone parsed, so a replica that parses none (reads only) never holds it (3-4 MB of
// its idle RSS; docs/performance.md, "Idle RSS"). A unit test compares it with the library's.
constexpr std::string_view kPhoneRegions[] = {
    "AC", "AD", "AE", "AF", "AG", "AI", "AL", "AM", "AO", "AR", "AS", "AT", "AU", "AW", "AX", "AZ",
    "BA", "BB", "BD", "BE", "BF", "BG", "BH", "BI", "BJ", "BL", "BM", "BN", "BO", "BQ", "BR", "BS",
    "BT", "BW", "BY", "BZ", "CA", "CC", "CD", "CF", "CG", "CH", "CI", "CK", "CL", "CM", "CN", "CO",
    "CR", "CU", "CV", "CW", "CX", "CY", "CZ", "DE", "DJ", "DK", "DM", "DO", "DZ", "EC", "EE", "EG",
    "EH", "ER", "ES", "ET", "FI", "FJ", "FK", "FM", "FO", "FR", "GA", "GB", "GD", "GE", "GF", "GG",
    "GH", "GI", "GL", "GM", "GN", "GP", "GQ", "GR", "GT", "GU", "GW", "GY", "HK", "HN", "HR", "HT",
    "HU", "ID", "IE", "IL", "IM", "IN", "IO", "IQ", "IR", "IS", "IT", "JE", "JM", "JO", "JP", "KE",
    "KG", "KH", "KI", "KM", "KN", "KP", "KR", "KW", "KY", "KZ", "LA", "LB", "LC", "LI", "LK", "LR",
    "LS", "LT", "LU", "LV", "LY", "MA", "MC", "MD", "ME", "MF", "MG", "MH", "MK", "ML", "MM", "MN",
    "MO", "MP", "MQ", "MR", "MS", "MT", "MU", "MV", "MW", "MX", "MY", "MZ", "NA", "NC", "NE", "NF",
    "NG", "NI", "NL", "NO", "NP", "NR", "NU", "NZ", "OM", "PA", "PE", "PF", "PG", "PH", "PK", "PL",
    "PM", "PR", "PS", "PT", "PW", "PY", "QA", "RE", "RO", "RS", "RU", "RW", "SA", "SB", "SC", "SD",
    "SE", "SG", "SH", "SI", "SJ", "SK", "SL", "SM", "SN", "SO", "SR", "SS", "ST", "SV", "SX", "SY",
    "SZ", "TA", "TC", "TD", "TG", "TH", "TJ", "TK", "TL", "TM", "TN", "TO", "TR", "TT", "TV", "TW",
    "TZ", "UA", "UG", "US", "UY", "UZ", "VA", "VC", "VE", "VG", "VI", "VN", "VU", "WF", "WS", "XK",
    "YE", "YT", "ZA", "ZM", "ZW",
};

bool IsPhoneRegion(std::string_view region) {
  return std::binary_search(std::begin(kPhoneRegions), std::end(kPhoneRegions), region);
}

std::vector<std::string> PhoneRegions() {
  return {std::begin(kPhoneRegions), std::end(kPhoneRegions)};
}

namespace {

std::atomic<void (*)()> phone_metadata_loaded_hook{nullptr};

const PhoneNumberUtil& PhoneUtil() {
  static const PhoneNumberUtil* const util = [] {
    const PhoneNumberUtil* loaded = PhoneNumberUtil::GetInstance();
    if (auto* hook = phone_metadata_loaded_hook.load()) hook();
    return loaded;
  }();
  return *util;
}

}  // namespace

void SetPhoneMetadataLoadedHook(void (*hook)()) { phone_metadata_loaded_hook.store(hook); }

absl::StatusOr<std::string> NormalizePhone(std::string_view number, std::string_view region) {
  const PhoneNumberUtil& util = PhoneUtil();
  i18n::phonenumbers::PhoneNumber parsed;
  const auto error = util.Parse(std::string(number), std::string(region), &parsed);
  switch (error) {
    case PhoneNumberUtil::NO_PARSING_ERROR:
      break;
    case PhoneNumberUtil::INVALID_COUNTRY_CODE_ERROR:
      return absl::InvalidArgumentError(
          "has no valid country code; write it as +<country code> <number> or give the "
          "contact's address a region_code (read in region " +
          std::string(region) + ")");
    case PhoneNumberUtil::TOO_SHORT_NSN:
    case PhoneNumberUtil::TOO_SHORT_AFTER_IDD:
      return absl::InvalidArgumentError("is too short to be a phone number");
    case PhoneNumberUtil::TOO_LONG_NSN:
      return absl::InvalidArgumentError("is too long to be a phone number");
    default:
      return absl::InvalidArgumentError("is not a phone number");
  }
  if (!util.IsValidNumber(parsed)) {
    return absl::InvalidArgumentError("is not a valid number in its country (read in region " +
                                      std::string(region) + ")");
  }
  std::string e164;
  util.Format(parsed, PhoneNumberUtil::E164, &e164);
  return e164;
}

bool IsTimeZone(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  icu::UnicodeString canonical;
  UBool is_system = false;
  UErrorCode error = U_ZERO_ERROR;
  icu::TimeZone::getCanonicalID(icu::UnicodeString::fromUTF8(std::string(name)), canonical,
                                is_system, error);
  // Custom ids such as "GMT+05:00" parse too; only ids of the tz database are accepted.
  return U_SUCCESS(error) && is_system;
}

bool IsLanguageTag(std::string_view tag) {
  if (tag.empty() || tag.size() > 35) return false;
  size_t start = 0;
  bool first = true;
  while (start <= tag.size()) {
    size_t end = tag.find('-', start);
    if (end == std::string_view::npos) end = tag.size();
    const std::string_view part = tag.substr(start, end - start);
    if (first) {
      if (part.size() < 2 || part.size() > 3 ||
          !std::all_of(part.begin(), part.end(), [](unsigned char c) { return std::isalpha(c); })) {
        return false;
      }
    } else if (part.empty() || part.size() > 8 || !IsAlnum(part)) {
      return false;
    }
    first = false;
    start = end + 1;
  }
  return true;
}

bool IsUnset(const common::v1::Date& date) {
  return date.year() == 0 && date.month() == 0 && date.day() == 0;
}

bool IsValidDate(const common::v1::Date& date) {
  if (IsUnset(date)) return true;
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const int year = date.year(), month = date.month(), day = date.day();
  if (year < 1 || year > 9999 || month < 1 || month > 12 || day < 1) return false;
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return day <= kDays[month - 1] + (month == 2 && leap ? 1 : 0);
}

std::string DateText(const common::v1::Date& date) {
  if (IsUnset(date)) return "";
  char text[16];
  std::snprintf(text, sizeof text, "%04d-%02d-%02d", date.year(), date.month(), date.day());
  return text;
}

common::v1::Date DateFromText(std::string_view text) {
  common::v1::Date date;
  if (text.size() == 10) {
    date.set_year(std::stoi(std::string(text.substr(0, 4))));
    date.set_month(std::stoi(std::string(text.substr(5, 2))));
    date.set_day(std::stoi(std::string(text.substr(8, 2))));
  }
  return date;
}

void NormalizeAndValidate(Contact& contact, const std::string& prefix,
                          const std::string& default_region, common::Violations& violations) {
  if (IsBlank(contact.given_name()) && IsBlank(contact.family_name())) {
    violations.Add(prefix + "family_name", "required: give a family name or a given name");
  }
  CheckText(contact.given_name(), prefix + "given_name", kMaxNameLength, false, violations);
  CheckText(contact.family_name(), prefix + "family_name", kMaxNameLength, false, violations);
  CheckText(contact.job_title(), prefix + "job_title", kMaxTextLength, false, violations);
  CheckText(contact.department(), prefix + "department", kMaxTextLength, false, violations);
  CheckText(contact.notes(), prefix + "notes", kMaxNotesLength, false, violations);
  CheckText(contact.accessibility().needs(), prefix + "accessibility.needs", kMaxNeedsLength, false,
            violations);
  CheckText(contact.owner(), prefix + "owner", kMaxTextLength, false, violations);
  if (IsBlank(contact.owner())) violations.Add(prefix + "owner", "required");

  const auto& address = contact.address();
  if (address.address_lines_size() > 5) {
    violations.Add(prefix + "address.address_lines", "at most 5 lines");
  }
  for (int i = 0; i < address.address_lines_size(); ++i) {
    CheckText(address.address_lines(i), prefix + "address.address_lines[" + std::to_string(i) + "]",
              200, false, violations);
  }
  CheckText(address.locality(), prefix + "address.locality", 100, false, violations);
  CheckText(address.administrative_area(), prefix + "address.administrative_area", 100, false,
            violations);
  CheckText(address.postal_code(), prefix + "address.postal_code", 20, false, violations);
  std::string region = default_region;
  if (!address.region_code().empty()) {
    if (!IsPhoneRegion(address.region_code())) {
      violations.Add(prefix + "address.region_code",
                     "must be an upper-case ISO 3166 alpha-2 code, e.g. GB");
    } else {
      region = address.region_code();
    }
  }

  if (contact.emails_size() > kMaxEmails) {
    violations.Add(prefix + "emails", "at most " + std::to_string(kMaxEmails) + " emails");
  }
  std::set<std::string> emails;
  for (int i = 0; i < contact.emails_size(); ++i) {
    auto* email = contact.mutable_emails(i);
    const std::string field = prefix + "emails[" + std::to_string(i) + "]";
    CheckText(email->label(), field + ".label", 50, false, violations);
    auto normalized = NormalizeEmail(email->address());
    if (!normalized.ok()) {
      violations.Add(field + ".address", "`" + email->address().substr(0, 254) + "` " +
                                             std::string(normalized.status().message()));
      continue;
    }
    email->set_address(*normalized);
    if (!emails.insert(*normalized).second) {
      violations.Add(field + ".address", "`" + *normalized + "` is listed twice");
    }
  }
  if (contact.phones_size() > kMaxPhones) {
    violations.Add(prefix + "phones", "at most " + std::to_string(kMaxPhones) + " phones");
  }
  std::set<std::string> phones;
  for (int i = 0; i < contact.phones_size(); ++i) {
    auto* phone = contact.mutable_phones(i);
    const std::string field = prefix + "phones[" + std::to_string(i) + "]";
    CheckText(phone->label(), field + ".label", 50, false, violations);
    if (phone->number().size() > 40) {
      violations.Add(field + ".number", "at most 40 characters");
      continue;
    }
    auto normalized = NormalizePhone(phone->number(), region);
    if (!normalized.ok()) {
      violations.Add(field + ".number",
                     "`" + phone->number() + "` " + std::string(normalized.status().message()));
      continue;
    }
    phone->set_number(*normalized);
    if (!phones.insert(*normalized).second) {
      violations.Add(field + ".number", "`" + *normalized + "` is listed twice");
    }
  }

  if (!common::v1::CommunicationChannel_IsValid(contact.preferred_channel())) {
    violations.Add(prefix + "preferred_channel",
                   "unknown channel " + std::to_string(contact.preferred_channel()));
  }
  if (!contact.preferred_language().empty() && !IsLanguageTag(contact.preferred_language())) {
    violations.Add(prefix + "preferred_language", "must be a BCP 47 tag such as en or pt-BR");
  }
  if (!contact.time_zone().empty() && !IsTimeZone(contact.time_zone())) {
    violations.Add(prefix + "time_zone",
                   "`" + contact.time_zone().substr(0, 64) +
                       "` is not an IANA time zone name such as Europe/Paris");
  }
  if (!v1::CustomerKind_IsValid(contact.customer_kind())) {
    violations.Add(prefix + "customer_kind",
                   "unknown customer kind " + std::to_string(contact.customer_kind()));
  }
  if (contact.status() == v1::CONTACT_STATUS_UNSPECIFIED ||
      !v1::ContactStatus_IsValid(contact.status())) {
    violations.Add(prefix + "status", "must be ACTIVE or LEFT_ORGANIZATION");
  }
  if (contact.labels_size() > kMaxLabels) {
    violations.Add(prefix + "labels", "at most " + std::to_string(kMaxLabels) + " labels");
  }
  for (int i = 0; i < contact.labels_size(); ++i) {
    if (!IsLabel(contact.labels(i))) {
      violations.Add(prefix + "labels[" + std::to_string(i) + "]",
                     "1 to 64 characters of a-z, 0-9, -, _, : and .");
    }
  }
  if (contact.external_ids_size() > kMaxExternalIds) {
    violations.Add(prefix + "external_ids",
                   "at most " + std::to_string(kMaxExternalIds) + " systems");
  }
  for (const auto& [system, id] : contact.external_ids()) {
    if (!IsLabel(system) || system.size() > 50) {
      violations.Add(prefix + "external_ids", "system `" + system.substr(0, 50) +
                                                  "` must be 1 to 50 characters of a-z, 0-9, "
                                                  "-, _, : and .");
    }
    if (id.empty() || IsBlank(id) || CodePoints(id) > 200) {
      violations.Add(prefix + "external_ids." + system.substr(0, 50),
                     "must be 1 to 200 characters, not blank");
    }
  }
}

Contact TakePersonal(Contact& contact) {
  Contact personal;
  personal.set_given_name(contact.given_name());
  personal.set_family_name(contact.family_name());
  *personal.mutable_emails() = contact.emails();
  *personal.mutable_phones() = contact.phones();
  *personal.mutable_address()->mutable_address_lines() = contact.address().address_lines();
  personal.set_notes(contact.notes());
  personal.mutable_accessibility()->set_needs(contact.accessibility().needs());
  contact.clear_given_name();
  contact.clear_family_name();
  contact.clear_emails();
  contact.clear_phones();
  if (contact.has_address()) contact.mutable_address()->clear_address_lines();
  contact.clear_notes();
  if (contact.has_accessibility()) contact.mutable_accessibility()->clear_needs();
  return personal;
}

void MaskPersonal(Contact& contact) {
  TakePersonal(contact);
  // An address or accessibility that held only personal fields is left empty: shown unset, so a
  // masked contact reads the same whether it was opened first or never (OpenContactMasked).
  if (contact.has_address() && contact.address().ByteSizeLong() == 0) contact.clear_address();
  if (contact.has_accessibility() && contact.accessibility().ByteSizeLong() == 0) {
    contact.clear_accessibility();
  }
  contact.set_personal_data_masked(true);
}

std::vector<std::string> PersonalFieldsPresent(const Contact& contact) {
  std::vector<std::string> fields;
  if (!contact.given_name().empty()) fields.push_back("given_name");
  if (!contact.family_name().empty()) fields.push_back("family_name");
  if (contact.emails_size() > 0) fields.push_back("emails");
  if (contact.phones_size() > 0) fields.push_back("phones");
  if (contact.address().address_lines_size() > 0) fields.push_back("address.address_lines");
  if (!contact.notes().empty()) fields.push_back("notes");
  if (!contact.accessibility().needs().empty()) fields.push_back("accessibility.needs");
  return fields;
}

}  // namespace accord::contact
