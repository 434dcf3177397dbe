// accord-bench-seed-contacts: COPY files of N contacts for scripts/bench.sh --scale (contacts),
// written with the contact service's own code: personal fields sealed by PiiCipher under the
// keys the service runs with (ACCORD_CONTACT_PII_KEYS, ACCORD_CONTACT_BLIND_INDEX_KEY), the blind
// index of every email and phone, and the keyed name trigrams, so that Get, lookups and
// FindDuplicateContacts work on the seeded rows as on stored ones. See --help.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "accord/common/pg_array.h"
#include "accord/contact/v1/contact.pb.h"
#include "bench_args.h"
#include "contact_fields.h"
#include "google/protobuf/util/json_util.h"
#include "pii_cipher.h"
#include "stewardship_rules.h"

namespace {

namespace v1 = accord::contact::v1;
using accord::contact::PiiCipher;

constexpr const char* kUsage = R"(usage: accord-bench-seed-contacts --rows=N --out=DIR
       accord-bench-seed-contacts --show=I

Writes DIR/contacts.copy, DIR/lookups.copy and DIR/relations.copy (PostgreSQL COPY text) for
contact.contacts (id, pii, pii_key_id, attributes, job_title, department, owner, status,
customer_kind, preferred_channel, time_zone, labels, external_ids, name_trigrams, create_time,
update_time, purchase_count, conversation_count; created over the last four years), contact.contact_lookup (kind, digest, contact_id) and contact.account_relations
(id, contact_id, account_id, is_primary, name_trigrams: the contact's, as contact migration
0012's triggers keep them). Keys from ACCORD_CONTACT_PII_KEYS and
ACCORD_CONTACT_BLIND_INDEX_KEY, as the service reads them. Contact i (from 1) has the id
00000000-0003-7000-8000-<i in 12 hex digits>; 60 % have Chinese names (family and two-character
given names of Taiwan's most common), the rest Latin; a fifth have a second email, a third a
second (office) phone; 500 owners, eight job titles, six departments, eight customer kinds,
nine channels, six time zones (90 % Asia/Taipei), labels common and rare; every contact relates
to account 00000000-0001-7000-8000-<1 + i * 7919 % 20000> (primary for a third), a fifth also to
a second account; one in a hundred repeats the previous contact's name, email and phone (a
duplicate to find). Deterministic: --show=I prints contact I as JSON (the Contact message, with
its accounts) without writing anything, for building requests about it.
)";

constexpr const char* kFamilyZh[] = {"陳", "林", "黃", "張", "李", "王", "吳", "劉", "蔡", "楊",
                                     "許", "鄭", "謝", "郭", "洪", "曾", "邱", "廖", "賴", "周",
                                     "徐", "蘇", "葉", "莊", "呂", "江", "何", "蕭", "羅", "高"};
constexpr const char* kGivenZh[] = {"志", "明", "家", "豪", "怡", "君", "俊", "宏", "雅", "婷",
                                    "淑", "芬", "建", "華", "美", "玲", "冠", "宇", "佳", "蓉",
                                    "承", "翰", "欣", "妤", "柏", "瑋", "詩", "涵", "文", "傑"};
constexpr const char* kRomanised[] = {
    "chen", "lin",   "huang", "zhang",  "li",   "wang",  "wu",  "liu",  "cai", "yang",
    "xu",   "zheng", "xie",   "guo",    "hong", "zeng",  "qiu", "liao", "lai", "zhou",
    "xu",   "su",    "ye",    "zhuang", "lu",   "jiang", "he",  "xiao", "luo", "gao"};
constexpr const char* kFamilyEn[] = {"Smith",   "Chen",   "Müller", "Tanaka", "Garcia",
                                     "Lee",     "Brown",  "Wang",   "Kim",    "Nguyen",
                                     "Johnson", "Dubois", "Rossi",  "Suzuki", "Novák",
                                     "O'Brien", "Silva",  "Jensen", "Okafor", "Patel"};
constexpr const char* kGivenEn[] = {"Alice",  "Bob",   "Carol", "David", "Emma",  "Frank", "Grace",
                                    "Henry",  "Iris",  "James", "Kevin", "Laura", "Maria", "Nathan",
                                    "Olivia", "Peter", "Quinn", "Rosa",  "Sofia", "Thomas"};
// Job titles and departments, the first of each in the filter list (scale/contacts.filters).
constexpr const char* kJobTitles[] = {"Purchasing Manager",
                                      "Engineer",
                                      "Engineer",
                                      "Sales Director",
                                      "Engineer",
                                      "Office Manager",
                                      "Chief Financial Officer",
                                      "Purchasing Manager",
                                      "Project Manager",
                                      "Engineer",
                                      "Buyer",
                                      "Purchasing Manager"};
constexpr const char* kDepartments[] = {"Procurement", "Operations", "Operations",
                                        "Procurement", "Finance",    "Engineering",
                                        "Procurement", "Sales",      "Administration"};
constexpr const char* kTimeZones[] = {"Asia/Tokyo", "Asia/Shanghai", "Asia/Singapore",
                                      "America/Los_Angeles", "Europe/London"};
constexpr const char* kMailDomains[] = {"gmail.com", "yahoo.com.tw", "outlook.com"};

// A fixed pseudo-random stream (splitmix64), so that every run writes the same contacts.
uint64_t Mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

template <typename T, size_t N>
const char* Pick(const T (&values)[N], uint64_t r) {
  return values[r % N];
}

std::string Uuid(const char* prefix, uint64_t i) {
  char tail[13];
  std::snprintf(tail, sizeof tail, "%012llx", static_cast<unsigned long long>(i));
  return absl::StrCat(prefix, tail);
}

std::string Bytea(const std::string& bytes) {
  return absl::StrCat("\\\\x", absl::BytesToHexString(bytes));
}

// The contact's non-personal remainder, as the repository stores it in `attributes`.
std::string Attributes(v1::Contact contact) {
  accord::contact::TakePersonal(contact);
  return contact.SerializeAsString();
}

// The accounts contact i works with: one for every contact, a second for a fifth of them.
std::vector<uint64_t> Accounts(uint64_t i) {
  std::vector<uint64_t> accounts = {1 + i * 7919 % 20000};
  if (Mix(i + 17) % 5 == 0) accounts.push_back(1 + (i * 7919 + 1 + Mix(i + 19) % 19998) % 20000);
  return accounts;
}

v1::Contact MakeContact(uint64_t i) {
  const uint64_t r = Mix(i), s = Mix(i + 3);
  v1::Contact contact;
  const bool zh = r % 10 < 6;
  const uint64_t family = (r >> 8) % 30;
  if (zh) {
    contact.set_family_name(kFamilyZh[family]);
    contact.set_given_name(absl::StrCat(kGivenZh[(r >> 16) % 30], kGivenZh[(r >> 24) % 30]));
  } else {
    contact.set_family_name(Pick(kFamilyEn, r >> 8));
    contact.set_given_name(Pick(kGivenEn, r >> 16));
  }
  const std::string local = zh ? absl::StrCat(kRomanised[family], ".", i) : absl::StrCat("user", i);
  contact.add_emails()->set_address(absl::StrCat(local, "@company-", i % 20000, ".example"));
  if (s % 5 == 0) {
    contact.add_emails()->set_address(
        absl::StrCat(local, "-", i % 977, "@", Pick(kMailDomains, s >> 4)));
  }
  contact.add_phones()->set_number(absl::StrCat("+8869", 10000000 + i % 90000000));
  if ((s >> 8) % 3 == 0) {  // an office line: a switchboard shared by the account's contacts
    contact.add_phones()->set_number(
        absl::StrCat("+8862", 20000000 + (i * 7919 % 20000) * 100 + (s >> 12) % 100));
  }
  contact.set_job_title(Pick(kJobTitles, r >> 32));
  contact.set_department(Pick(kDepartments, r >> 36));
  contact.set_owner(absl::StrCat("am-", i % 500));
  contact.set_status((r >> 40) % 20 == 0 ? v1::CONTACT_STATUS_LEFT_ORGANIZATION
                                         : v1::CONTACT_STATUS_ACTIVE);
  contact.set_customer_kind(static_cast<v1::CustomerKind>(1 + (r >> 44) % 8));
  contact.set_preferred_channel(
      static_cast<accord::common::v1::CommunicationChannel>(1 + (s >> 20) % 9));
  contact.set_time_zone((s >> 24) % 10 == 0 ? Pick(kTimeZones, s >> 28) : "Asia/Taipei");
  const uint64_t label = (r >> 48) % 100;
  if (label < 5) contact.add_labels("vip");
  if (label >= 5 && label < 15) contact.add_labels("spring-campaign");
  if (label == 99) contact.add_labels("rare");
  if ((s >> 32) % 4 == 0) contact.add_labels("newsletter");
  if ((s >> 36) % 50 == 0) contact.add_labels("trade-show-2026");
  if ((r >> 56) % 3 == 0) (*contact.mutable_external_ids())["crm"] = absl::StrCat("K-", i);
  return contact;
}

// The repeat-customer counts kept by triggers (no purchase or interaction rows are seeded): 70 %
// never bought, 15 % once, 10 % two or three times, 5 % four to nine times.
uint64_t Purchases(uint64_t i) {
  const uint64_t r = Mix(i + 29) % 100;
  if (r < 70) return 0;
  if (r < 85) return 1;
  if (r < 95) return 2 + r % 2;
  return 4 + r % 6;
}

// Contact i as stored: the contacts that repeat the one before carry its personal fields.
v1::Contact Seeded(uint64_t i) {
  v1::Contact contact = MakeContact(i);
  if (i % 100 == 0) {  // the previous contact entered again
    const v1::Contact previous = MakeContact(i - 1);
    contact.set_given_name(previous.given_name());
    contact.set_family_name(previous.family_name());
    *contact.mutable_emails() = previous.emails();
    *contact.mutable_phones() = previous.phones();
  }
  return contact;
}

// COPY's text form of a timestamptz, in UTC.
std::string Timestamp(int64_t epoch_seconds) {
  const std::time_t t = static_cast<std::time_t>(epoch_seconds);
  std::tm parts{};
  gmtime_r(&t, &parts);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S+00", &parts);
  return text;
}

}  // namespace

int main(int argc, char** argv) {
  accord::bench::Flags flags(argc, argv, kUsage);
  const int64_t show = flags.Int("show", 0);
  const int64_t rows = flags.Int("rows", 1000000);
  const std::string out = show > 0 ? "" : flags.Required("out");
  flags.Finish();
  if (show > 0) {
    std::string json;
    if (!google::protobuf::util::MessageToJsonString(Seeded(static_cast<uint64_t>(show)), &json)
             .ok()) {
      flags.Fail("contact " + std::to_string(show) + " has no JSON form");
    }
    nlohmann::json shown = nlohmann::json::parse(json);
    shown["name"] = accord::contact::ContactName(Uuid("00000000-0003-7000-8000-", show));
    for (uint64_t account : Accounts(static_cast<uint64_t>(show))) {
      shown["accounts"].push_back(
          absl::StrCat("accounts/", Uuid("00000000-0001-7000-8000-", account)));
    }
    std::cout << shown.dump() << '\n';
    return 0;
  }
  const char* sealing = std::getenv("ACCORD_CONTACT_PII_KEYS");
  const char* blind = std::getenv("ACCORD_CONTACT_BLIND_INDEX_KEY");
  if (sealing == nullptr || blind == nullptr) {
    flags.Fail("ACCORD_CONTACT_PII_KEYS and ACCORD_CONTACT_BLIND_INDEX_KEY must be set");
  }
  auto keys = accord::contact::ParsePiiKeys(sealing, blind);
  if (!keys.ok()) flags.Fail(std::string(keys.status().message()));
  auto cipher = PiiCipher::Create(*keys);
  if (!cipher.ok()) flags.Fail(std::string(cipher.status().message()));

  const int64_t now = static_cast<int64_t>(std::time(nullptr));
  std::ofstream contacts(out + "/contacts.copy"), lookups(out + "/lookups.copy"),
      relations(out + "/relations.copy");
  for (int64_t i = 1; i <= rows; ++i) {
    const v1::Contact contact = Seeded(static_cast<uint64_t>(i));
    const std::string id = Uuid("00000000-0003-7000-8000-", static_cast<uint64_t>(i));
    v1::Contact personal_source = contact;
    const v1::Contact personal = accord::contact::TakePersonal(personal_source);
    const auto sealed =
        cipher->Seal(personal.SerializeAsString(), accord::contact::ContactName(id));
    // As PgContactRepository stores them: a JSON object, and the array literals of pg_array.h
    // (COPY's text format reads them as the statement's parameters would be read).
    nlohmann::json external = nlohmann::json::object();
    for (const auto& [system, value] : contact.external_ids()) external[system] = value;
    // Created over four years; updated since, for some.
    const uint64_t age = Mix(i + 7) % (4 * 365 * 86400);
    const int64_t created = now - static_cast<int64_t>(age);
    const int64_t updated =
        created + (Mix(i + 11) % 2 == 0 ? 0 : static_cast<int64_t>(Mix(i + 13) % (age + 1)));
    const std::string trigrams =
        accord::common::IntArrayLiteral(cipher->BlindTrigrams(accord::contact::FullName(contact)));
    contacts << id << '\t' << Bytea(sealed.bytes) << '\t' << sealed.key_id << '\t'
             << Bytea(Attributes(contact)) << '\t' << contact.job_title() << '\t'
             << contact.department() << '\t' << contact.owner() << '\t'
             << static_cast<int>(contact.status()) << '\t'
             << static_cast<int>(contact.customer_kind()) << '\t'
             << static_cast<int>(contact.preferred_channel()) << '\t' << contact.time_zone() << '\t'
             << accord::common::TextArrayLiteral(contact.labels()) << '\t' << external.dump()
             << '\t' << trigrams << '\t' << Timestamp(created) << '\t' << Timestamp(updated) << '\t'
             << Purchases(static_cast<uint64_t>(i)) << '\t' << Mix(i + 23) % 9 << '\n';
    for (const auto& email : contact.emails()) {
      lookups << "1\t" << Bytea(cipher->BlindIndex("email", email.address())) << '\t' << id << '\n';
    }
    for (const auto& phone : contact.phones()) {
      lookups << "2\t" << Bytea(cipher->BlindIndex("phone", phone.number())) << '\t' << id << '\n';
    }
    const std::vector<uint64_t> accounts = Accounts(static_cast<uint64_t>(i));
    for (size_t k = 0; k < accounts.size(); ++k) {
      // Relation ids: the contact's number, its second relation's with 1 in the top hex digit.
      relations << Uuid("00000000-0006-7000-8000-", static_cast<uint64_t>(i) | (k << 44)) << '\t'
                << id << '\t' << Uuid("00000000-0001-7000-8000-", accounts[k]) << '\t'
                << (k == 0 && i % 3 == 0 ? "t" : "f") << '\t' << trigrams << '\n';
    }
  }
  if (!contacts || !lookups || !relations) {
    std::cerr << "accord-bench-seed-contacts: writing " << out << " failed\n";
    return 1;
  }
  return 0;
}
