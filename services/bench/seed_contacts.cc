// accord-bench-seed-contacts: COPY files of N contacts for scripts/bench.sh --scale (contacts),
// written with the contact service's own code: personal fields sealed by PiiCipher under the
// keys the service runs with (ACCORD_CONTACT_PII_KEYS, ACCORD_CONTACT_BLIND_INDEX_KEY), the blind
// index of every email and phone, and the keyed name trigrams, so that Get, lookups and
// FindDuplicateContacts work on the seeded rows as on stored ones. See --help.
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
#include "pii_cipher.h"
#include "stewardship_rules.h"

namespace {

namespace v1 = accord::contact::v1;
using accord::contact::PiiCipher;

constexpr const char* kUsage = R"(usage: accord-bench-seed-contacts --rows=N --out=DIR

Writes DIR/contacts.copy, DIR/lookups.copy and DIR/relations.copy (PostgreSQL COPY text) for
contact.contacts (id, pii, pii_key_id, attributes, job_title, department, owner, status,
customer_kind, preferred_channel, time_zone, labels, external_ids, name_trigrams, create_time,
update_time; created over the last four years), contact.contact_lookup (kind, digest, contact_id) and contact.account_relations
(id, contact_id, account_id, is_primary). Keys from ACCORD_CONTACT_PII_KEYS and
ACCORD_CONTACT_BLIND_INDEX_KEY, as the service reads them. Contact i (from 1) has the id
00000000-0003-7000-8000-<i in 12 hex digits>; 60 % have Chinese names, the rest Latin; every
contact relates to account 00000000-0001-7000-8000-<1 + i * 7919 % 20000>; one in a hundred
repeats the previous contact's name, email and phone (a duplicate to find). Deterministic.
)";

constexpr const char* kFamilyZh[] = {"陳", "林", "黃", "張", "李", "王", "吳", "劉", "蔡", "楊",
                                     "許", "鄭", "謝", "郭", "洪", "曾", "邱", "廖", "賴", "周"};
constexpr const char* kGivenZh[] = {"志", "明", "家", "豪", "怡", "君", "俊", "宏", "雅", "婷",
                                    "淑", "芬", "建", "華", "美", "玲", "冠", "宇", "佳", "蓉"};
constexpr const char* kFamilyEn[] = {"Smith", "Chen",  "Müller", "Tanaka", "Garcia",
                                     "Lee",   "Brown", "Wang",   "Kim",    "Nguyen"};
constexpr const char* kGivenEn[] = {"Alice", "Bob",   "Carol", "David", "Emma",
                                    "Frank", "Grace", "Henry", "Iris",  "James"};
constexpr const char* kRomanised[] = {"chen", "lin",  "huang", "zhang", "li",    "wang", "wu",
                                      "liu",  "cai",  "yang",  "xu",    "zheng", "xie",  "guo",
                                      "hong", "zeng", "qiu",   "liao",  "lai",   "zhou"};

// A fixed pseudo-random stream (splitmix64), so that every run writes the same contacts.
uint64_t Mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
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

v1::Contact MakeContact(uint64_t i) {
  const uint64_t r = Mix(i);
  v1::Contact contact;
  const bool zh = r % 10 < 6;
  const int family = static_cast<int>((r >> 8) % 20);
  if (zh) {
    contact.set_family_name(kFamilyZh[family]);
    contact.set_given_name(absl::StrCat(kGivenZh[(r >> 16) % 20], kGivenZh[(r >> 24) % 20]));
  } else {
    contact.set_family_name(kFamilyEn[family % 10]);
    contact.set_given_name(kGivenEn[(r >> 16) % 10]);
  }
  const std::string local = zh ? absl::StrCat(kRomanised[family], ".", i) : absl::StrCat("user", i);
  contact.add_emails()->set_address(absl::StrCat(local, "@company-", i % 20000, ".example"));
  contact.add_phones()->set_number(absl::StrCat("+8869", 10000000 + i % 90000000));
  contact.set_job_title((r >> 32) % 4 == 0 ? "Purchasing Manager" : "Engineer");
  contact.set_department((r >> 34) % 3 == 0 ? "Procurement" : "Operations");
  contact.set_owner(absl::StrCat("am-", i % 500));
  contact.set_status((r >> 36) % 20 == 0 ? v1::CONTACT_STATUS_LEFT_ORGANIZATION
                                         : v1::CONTACT_STATUS_ACTIVE);
  contact.set_customer_kind(static_cast<v1::CustomerKind>(1 + (r >> 40) % 4));
  contact.set_preferred_channel(
      static_cast<accord::common::v1::CommunicationChannel>(1 + (r >> 44) % 3));
  contact.set_time_zone("Asia/Taipei");
  const uint64_t label = (r >> 48) % 100;
  if (label < 5) contact.add_labels("vip");
  if (label >= 5 && label < 15) contact.add_labels("spring-campaign");
  if (label == 99) contact.add_labels("rare");
  if ((r >> 56) % 3 == 0) (*contact.mutable_external_ids())["crm"] = absl::StrCat("K-", i);
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
  const int64_t rows = flags.Int("rows", 1000000);
  const std::string out = flags.Required("out");
  flags.Finish();
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
  v1::Contact previous;
  for (int64_t i = 1; i <= rows; ++i) {
    v1::Contact contact = MakeContact(static_cast<uint64_t>(i));
    if (i % 100 == 0) {  // the previous contact entered again
      contact.set_given_name(previous.given_name());
      contact.set_family_name(previous.family_name());
      *contact.mutable_emails() = previous.emails();
      *contact.mutable_phones() = previous.phones();
    }
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
    contacts << id << '\t' << Bytea(sealed.bytes) << '\t' << sealed.key_id << '\t'
             << Bytea(Attributes(contact)) << '\t' << contact.job_title() << '\t'
             << contact.department() << '\t' << contact.owner() << '\t'
             << static_cast<int>(contact.status()) << '\t'
             << static_cast<int>(contact.customer_kind()) << '\t'
             << static_cast<int>(contact.preferred_channel()) << '\t' << contact.time_zone() << '\t'
             << accord::common::TextArrayLiteral(contact.labels()) << '\t' << external.dump()
             << '\t'
             << accord::common::IntArrayLiteral(
                    cipher->BlindTrigrams(accord::contact::FullName(contact)))
             << '\t' << Timestamp(created) << '\t' << Timestamp(updated) << '\n';
    for (const auto& email : contact.emails()) {
      lookups << "1\t" << Bytea(cipher->BlindIndex("email", email.address())) << '\t' << id << '\n';
    }
    for (const auto& phone : contact.phones()) {
      lookups << "2\t" << Bytea(cipher->BlindIndex("phone", phone.number())) << '\t' << id << '\n';
    }
    relations << Uuid("00000000-0006-7000-8000-", static_cast<uint64_t>(i)) << '\t' << id << '\t'
              << Uuid("00000000-0001-7000-8000-", 1 + static_cast<uint64_t>(i) * 7919 % 20000)
              << '\t' << (i % 3 == 0 ? "t" : "f") << '\n';
    previous = std::move(contact);
  }
  if (!contacts || !lookups || !relations) {
    std::cerr << "accord-bench-seed-contacts: writing " << out << " failed\n";
    return 1;
  }
  return 0;
}
