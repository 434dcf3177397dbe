#include "pg_contact_repository.h"

#include <google/protobuf/util/time_util.h>

#include <nlohmann/json.hpp>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "access_log.h"
#include "accord/common/errors.h"
#include "accord/common/ids.h"
#include "accord/common/message_diff.h"
#include "accord/common/page_token.h"
#include "accord/common/pg_array.h"
#include "contact_fields.h"
#include "contact_sql.h"
#include "pg_filter_schemas.h"
#include "stewardship_rules.h"

namespace accord::contact {
namespace {

using google::protobuf::util::TimeUtil;

std::string BytesParam(std::string_view bytes) { return "\\x" + common::LowerHex(bytes); }

std::vector<std::string> Split(const std::string& text) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    parts.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return parts;
}

// The non-personal remainder of a contact, as stored in `attributes`.
std::string Attributes(Contact contact) {
  TakePersonal(contact);
  contact.clear_name();
  contact.clear_etag();
  contact.clear_create_time();
  contact.clear_update_time();
  contact.clear_delete_time();
  contact.clear_personal_data_masked();
  return contact.SerializeAsString();
}

}  // namespace

absl::Status ContactGone(const std::string& id, const pqxx::result& tombstone) {
  const std::string name = ContactName(id);
  if (tombstone.empty()) return common::NotFound(name);
  const std::string merged_into = tombstone[0][0].as<std::string>();
  if (!merged_into.empty()) {
    return common::WithReason(common::NotFound(name), "CONTACT_MERGED",
                              {{"merged_into", ContactName(merged_into)}});
  }
  if (tombstone[0][1].as<bool>()) {
    return common::WithReason(common::NotFound(name), "CONTACT_ERASED");
  }
  return common::NotFound(name);
}

SealedContact SealedFromRow(const pqxx::row& row, int first) {
  SealedContact sealed;
  for (int i = 0; i < sql::kContactColumnCount; ++i) {
    const auto field = row[first + i];
    if (field.is_null()) continue;
    // The two bytea columns as their bytes; every other column as Postgres's text.
    sealed.columns[i] =
        (i == 1 || i == 3) ? pqxx::binarystring(field).str() : std::string(field.c_str());
  }
  return sealed;
}

namespace {

// `cipher` null: the personal fields stay sealed and the contact comes back masked.
absl::StatusOr<ContactRecord> Open(const SealedContact& sealed, const PiiCipher* cipher) {
  const auto text = [&](int i) -> const std::string& {
    static const std::string kEmpty;
    return sealed.columns[i] ? *sealed.columns[i] : kEmpty;
  };
  const auto number = [&](int i) {
    int64_t value = 0;
    return absl::SimpleAtoi(text(i), &value) ? value : 0;
  };
  const std::string& id = text(0);
  const std::string name = ContactName(id);
  ContactRecord record;
  Contact& contact = record.contact;
  if (!contact.ParseFromString(text(3))) {
    return common::Internal("corrupt attributes of " + name);
  }
  if (cipher != nullptr) {
    ACCORD_ASSIGN_OR_RETURN(std::string opened, cipher->Open(Sealed{text(2), text(1)}, name));
    Contact personal;
    if (!personal.ParseFromString(opened))
      return common::Internal("corrupt personal data of " + name);
    contact.MergeFrom(personal);
    // Split across the two columns, an unset address or accessibility comes back as an empty
    // message; present it unset, as it was sent.
    if (contact.has_address() && contact.address().ByteSizeLong() == 0) contact.clear_address();
    if (contact.has_accessibility() && contact.accessibility().ByteSizeLong() == 0) {
      contact.clear_accessibility();
    }
  } else {
    MaskPersonal(contact);
  }
  contact.set_name(name);
  contact.set_etag(text(4));
  *contact.mutable_create_time() = TimeUtil::MicrosecondsToTimestamp(number(5));
  *contact.mutable_update_time() = TimeUtil::MicrosecondsToTimestamp(number(6));
  if (sealed.columns[7]) {
    *contact.mutable_delete_time() = TimeUtil::MicrosecondsToTimestamp(number(7));
  }
  record.facts.owner = contact.owner();
  record.facts.account_ids = Split(text(8));
  contact.set_purchase_count(static_cast<int32_t>(number(9)));
  contact.set_conversation_count(static_cast<int32_t>(number(10)));
  contact.set_repeat_customer(text(11) == "t");
  contact.set_relationship_strength(static_cast<int32_t>(number(12)));
  record.cache_version = number(13);
  return record;
}

}  // namespace

absl::StatusOr<ContactRecord> OpenContact(const SealedContact& sealed, const PiiCipher& cipher) {
  return Open(sealed, &cipher);
}

absl::StatusOr<ContactRecord> OpenContactMasked(const SealedContact& sealed) {
  return Open(sealed, nullptr);
}

absl::StatusOr<ContactRecord> RowToContact(const pqxx::row& row, const PiiCipher& cipher,
                                           int first) {
  return OpenContact(SealedFromRow(row, first), cipher);
}

PgContactRepository::PgContactRepository(common::PgPool& pool, const PiiCipher& cipher,
                                         common::IdempotentWrite& writes)
    : pool_(pool), cipher_(cipher), writes_(writes) {}

common::Event PgContactRepository::Event(const char* type, const ContactRecord& record,
                                         const Contact* before) const {
  Contact payload = record.contact;
  MaskPersonal(payload);
  common::Event event =
      common::MakeEvent(type, record.contact.name(), std::stoll(record.contact.etag()), payload);
  if (before != nullptr) {
    event.changed_fields =
        common::ChangedFields(*before, record.contact, {"etag", "update_time", "delete_time"});
  }
  return event;
}

absl::Status PgContactRepository::SaveExternalIds(common::WriteTransaction& transaction,
                                                  const std::string& id, const Contact& contact) {
  transaction.exec_prepared0(sql::kDeleteExternalIds.name, id);
  for (const auto& [system, external_id] : contact.external_ids()) {
    auto owner = transaction.exec_prepared(sql::kFindByExternalId.name, system, external_id);
    if (!owner.empty()) {
      const std::string other = ContactName(owner[0][0].as<std::string>());
      return common::WithReason(
          common::AlreadyExists("EXTERNAL_ID_TAKEN", "external id " + system + ":" + external_id +
                                                         " already belongs to " + other),
          "EXTERNAL_ID_TAKEN", {{"owner", other}});
    }
    transaction.exec_prepared0(sql::kInsertExternalId.name, system, external_id, id);
  }
  return absl::OkStatus();
}

absl::StatusOr<ContactRecord> PgContactRepository::Store(common::WriteTransaction& transaction,
                                                         const std::string& id,
                                                         const Contact& contact, bool insert) {
  Contact personal_source = contact;
  const Contact personal = TakePersonal(personal_source);
  const Sealed sealed = cipher_.Seal(personal.SerializeAsString(), ContactName(id));
  nlohmann::json external_ids = nlohmann::json::object();
  for (const auto& [system, external_id] : contact.external_ids())
    external_ids[system] = external_id;
  const auto& statement = insert ? sql::kInsertContact : sql::kUpdateContact;
  auto row = transaction.exec_prepared1(
      statement.name, id, BytesParam(sealed.bytes), sealed.key_id, BytesParam(Attributes(contact)),
      contact.job_title(), contact.department(), contact.owner(),
      static_cast<int>(contact.status()), static_cast<int>(contact.customer_kind()),
      static_cast<int>(contact.preferred_channel()), contact.time_zone(),
      common::TextArrayLiteral(contact.labels()), external_ids.dump(),
      common::IntArrayLiteral(cipher_.BlindTrigrams(FullName(contact))));
  // The blind index: one keyed hash per email and phone, rewritten with the contact.
  transaction.exec_prepared0(sql::kDeleteLookups.name, id);
  for (const auto& email : contact.emails()) {
    transaction.exec_prepared0(sql::kInsertLookup.name, static_cast<int>(LookupKind::kEmail),
                               BytesParam(cipher_.BlindIndex("email", email.address())), id);
  }
  for (const auto& phone : contact.phones()) {
    transaction.exec_prepared0(sql::kInsertLookup.name, static_cast<int>(LookupKind::kPhone),
                               BytesParam(cipher_.BlindIndex("phone", phone.number())), id);
  }
  ACCORD_RETURN_IF_ERROR(SaveExternalIds(transaction, id, contact));
  return RowToContact(row, cipher_);
}

absl::StatusOr<ContactRecord> PgContactRepository::Create(const Contact& contact,
                                                          const WriteMeta& meta,
                                                          const Caller* shown_to) {
  ContactRecord record;
  ACCORD_ASSIGN_OR_RETURN(
      Contact stored,
      writes_.Run<Contact>(
          meta,
          [&](common::WriteTransaction& transaction) -> absl::StatusOr<common::Written<Contact>> {
            const std::string id = common::NewUuidV7();
            ACCORD_ASSIGN_OR_RETURN(record, Store(transaction, id, contact, true));
            if (shown_to != nullptr) {
              auto fields = PersonalFieldsPresent(record.contact);
              if (!fields.empty())
                AppendAccessIn(transaction, *shown_to, {{id, std::move(fields)}});
              record.access_logged = true;
            }
            return common::Written<Contact>(record.contact,
                                            Event(kContactCreated, record, nullptr));
          }));
  record.contact = std::move(stored);
  record.facts.owner = record.contact.owner();
  return record;
}

absl::StatusOr<SealedContact> PgContactRepository::GetSealed(const std::string& id) {
  std::optional<pqxx::result> rows;
  ACCORD_RETURN_IF_ERROR(pool_.Read(
      [&](pqxx::transaction_base& transaction) -> absl::Status {
        rows = transaction.exec_prepared(sql::kGetContact.name, id);
        return absl::OkStatus();
      },
      common::ReadScope::kOneStatement));
  if (rows->empty()) {
    // Only a miss pays for the second statement that says why.
    ACCORD_RETURN_IF_ERROR(pool_.Read(
        [&](pqxx::transaction_base& transaction) -> absl::Status {
          return ContactGone(id, transaction.exec_prepared(sql::kContactTombstone.name, id));
        },
        common::ReadScope::kOneStatement));
    return common::NotFound(ContactName(id));
  }
  return SealedFromRow((*rows)[0]);
}

absl::StatusOr<ContactRecord> PgContactRepository::Get(const std::string& id) {
  ACCORD_ASSIGN_OR_RETURN(SealedContact sealed, GetSealed(id));
  return OpenContact(sealed, cipher_);
}

absl::StatusOr<ContactPage> PgContactRepository::List(const ContactListQuery& query) {
  const std::string column =
      query.order == ContactOrder::kUpdateTime ? "c.update_time" : "c.create_time";
  std::string statement = std::string("SELECT ") + sql::kContactColumns + ", " +
                          common::MicrosText(column) +
                          " FROM contact.contacts c WHERE c.delete_time IS NULL";
  std::vector<std::string> params = query.filter_params;
  if (!query.filter_sql.empty()) statement += " AND " + query.filter_sql;
  const common::KeysetOrder order{column, "c.id", common::kMicrosToTimestamptz, query.descending};
  common::AppendKeyset(statement, params, order, query.after, query.limit);
  std::optional<pqxx::result> rows;
  ACCORD_RETURN_IF_ERROR(pool_.Read(
      [&](pqxx::transaction_base& transaction) -> absl::Status {
        rows = transaction.exec(common::InlineParams(transaction.conn(), statement, params));
        return absl::OkStatus();
      },
      common::ReadScope::kOneStatement));
  ContactPage page;
  for (const auto& row : *rows) {
    ACCORD_ASSIGN_OR_RETURN(ContactRecord record, RowToContact(row, cipher_));
    page.contacts.push_back(std::move(record));
    page.keys.push_back(
        {row[sql::kContactColumnCount].as<std::string>(), row[0].as<std::string>()});
  }
  return page;
}

absl::StatusOr<ContactRecord> PgContactRepository::Update(const std::string& id,
                                                          const Mutation& mutate,
                                                          const WriteMeta& meta) {
  ContactRecord record;
  ACCORD_ASSIGN_OR_RETURN(
      Contact stored,
      writes_.Run<Contact>(
          meta,
          [&](common::WriteTransaction& transaction) -> absl::StatusOr<common::Written<Contact>> {
            auto rows = transaction.exec_prepared(sql::kLockContact.name, id);
            if (rows.empty()) {
              return ContactGone(id, transaction.exec_prepared(sql::kContactTombstone.name, id));
            }
            ACCORD_ASSIGN_OR_RETURN(ContactRecord current, RowToContact(rows[0], cipher_));
            ACCORD_ASSIGN_OR_RETURN(Contact next, mutate(current.contact));
            ACCORD_ASSIGN_OR_RETURN(record, Store(transaction, id, next, false));
            return common::Written<Contact>(record.contact,
                                            Event(kContactUpdated, record, &current.contact));
          }));
  record.contact = std::move(stored);
  record.facts.owner = record.contact.owner();
  return record;
}

absl::StatusOr<ContactRecord> PgContactRepository::Delete(const std::string& id,
                                                          const Mutation& check,
                                                          const WriteMeta& meta) {
  ContactRecord record;
  ACCORD_ASSIGN_OR_RETURN(
      Contact stored,
      writes_.Run<Contact>(
          meta,
          [&](common::WriteTransaction& transaction) -> absl::StatusOr<common::Written<Contact>> {
            auto rows = transaction.exec_prepared(sql::kLockContact.name, id);
            if (rows.empty()) {
              return ContactGone(id, transaction.exec_prepared(sql::kContactTombstone.name, id));
            }
            ACCORD_ASSIGN_OR_RETURN(ContactRecord current, RowToContact(rows[0], cipher_));
            ACCORD_RETURN_IF_ERROR(check(current.contact).status());
            auto row = transaction.exec_prepared1(sql::kDeleteContact.name, id);
            // A deleted contact is found by no lookup, and its external ids may be reused.
            transaction.exec_prepared0(sql::kDeleteLookups.name, id);
            transaction.exec_prepared0(sql::kDeleteExternalIds.name, id);
            ACCORD_ASSIGN_OR_RETURN(record, RowToContact(row, cipher_));
            return common::Written<Contact>(record.contact,
                                            Event(kContactDeleted, record, nullptr));
          }));
  record.contact = std::move(stored);
  record.facts.owner = record.contact.owner();
  return record;
}

absl::StatusOr<std::vector<ContactRecord>> PgContactRepository::Lookup(LookupKind kind,
                                                                       const std::string& value) {
  const std::string digest =
      cipher_.BlindIndex(kind == LookupKind::kEmail ? "email" : "phone", value);
  std::optional<pqxx::result> rows;
  ACCORD_RETURN_IF_ERROR(pool_.Read(
      [&](pqxx::transaction_base& transaction) -> absl::Status {
        rows = transaction.exec_prepared(sql::kLookup.name, static_cast<int>(kind),
                                         BytesParam(digest));
        return absl::OkStatus();
      },
      common::ReadScope::kOneStatement));
  std::vector<ContactRecord> records;
  for (const auto& row : *rows) {
    ACCORD_ASSIGN_OR_RETURN(ContactRecord record, RowToContact(row, cipher_));
    records.push_back(std::move(record));
  }
  return records;
}

absl::StatusOr<ContactRecord> PgContactRepository::LookupByExternalId(
    const std::string& system, const std::string& external_id) {
  std::optional<pqxx::result> rows;
  ACCORD_RETURN_IF_ERROR(pool_.Read([&](pqxx::transaction_base& transaction) -> absl::Status {
    auto found = transaction.exec_prepared(sql::kFindByExternalId.name, system, external_id);
    if (found.empty()) return absl::OkStatus();
    rows = transaction.exec_prepared(sql::kGetContact.name, found[0][0].as<std::string>());
    return absl::OkStatus();
  }));
  if (!rows || rows->empty()) {
    return common::WithReason(
        absl::NotFoundError("no contact carries external id " + system + ":" + external_id),
        "NOT_FOUND");
  }
  return RowToContact((*rows)[0], cipher_);
}

absl::StatusOr<ContactRepository::Upserted> PgContactRepository::Upsert(
    const std::string& system, const std::string& external_id, const Build& build,
    const WriteMeta& meta) {
  ContactRecord record;
  bool created = false;
  bool changed = false;
  ACCORD_ASSIGN_OR_RETURN(
      Contact stored,
      writes_.Run<Contact>(
          meta,
          [&](common::WriteTransaction& transaction) -> absl::StatusOr<common::Written<Contact>> {
            transaction.exec_prepared(sql::kLockExternalId.name, system, external_id);
            auto found =
                transaction.exec_prepared(sql::kFindByExternalId.name, system, external_id);
            if (found.empty()) {
              ACCORD_ASSIGN_OR_RETURN(Contact next, build(nullptr));
              ACCORD_ASSIGN_OR_RETURN(record, Store(transaction, common::NewUuidV7(), next, true));
              created = true;
              changed = true;
              return common::Written<Contact>(record.contact,
                                              Event(kContactCreated, record, nullptr));
            }
            const std::string id = found[0][0].as<std::string>();
            auto rows = transaction.exec_prepared(sql::kLockContact.name, id);
            if (rows.empty()) return common::Internal("external id points at a deleted contact");
            ACCORD_ASSIGN_OR_RETURN(ContactRecord current, RowToContact(rows[0], cipher_));
            ACCORD_ASSIGN_OR_RETURN(Contact next, build(&current.contact));
            if (common::ChangedFields(current.contact, next).empty()) {
              record = std::move(current);
              return common::Written<Contact>::Unchanged(record.contact);
            }
            ACCORD_ASSIGN_OR_RETURN(record, Store(transaction, id, next, false));
            changed = true;
            return common::Written<Contact>(record.contact,
                                            Event(kContactUpdated, record, &current.contact));
          }));
  record.contact = std::move(stored);
  record.facts.owner = record.contact.owner();
  return Upserted{std::move(record), created, changed};
}

const common::filter::Schema& PgContactRepository::FilterSchema() const {
  return ContactFilterSchema();
}

}  // namespace accord::contact
