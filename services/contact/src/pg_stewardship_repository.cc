#include "pg_stewardship_repository.h"

#include <google/protobuf/util/time_util.h>

#include "absl/strings/str_split.h"
#include "accord/common/errors.h"
#include "accord/common/page_token.h"
#include "accord/common/pg_array.h"
#include "contact_fields.h"
#include "contact_sql.h"
#include "pg_appointment_repository.h"
#include "pg_engagement_repository.h"
#include "pg_relation_repository.h"
#include "resource_names.h"
#include "stewardship_rules.h"
#include "stewardship_sql.h"

namespace accord::contact {
namespace {

std::string TextArray(const std::vector<std::string>& values) {
  std::string out = "{";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += ",";
    out += "\"" + values[i] + "\"";  // hex digests and UUIDs: nothing to escape
  }
  return out + "}";
}

std::vector<std::string> Digests(const PiiCipher& cipher, std::string_view kind,
                                 const std::vector<std::string>& values) {
  std::vector<std::string> out;
  for (const auto& value : values) out.push_back(common::LowerHex(cipher.BlindIndex(kind, value)));
  return out;
}

// Both contacts of a merge, locked in id order so that two merges of the same pair cannot
// deadlock.
constexpr char kLockPair[] =
    "SELECT " ACCORD_CONTACT_COLUMNS
    " FROM contact.contacts c WHERE c.id = ANY($1::uuid[]) AND c.delete_time IS NULL "
    "ORDER BY c.id FOR UPDATE OF c";

// A relation of the duplicate to an account the survivor already works with adds its roles
// (and primacy, and the wider dates) to the survivor's relation and is removed.
constexpr char kCombineRelations[] =
    "WITH pairs AS (SELECT d.id AS did, s.id AS sid, d.roles AS roles, d.is_primary AS is_primary, "
    "d.start_date AS start_date, d.end_date AS end_date FROM contact.account_relations d "
    "JOIN contact.account_relations s ON s.account_id = d.account_id "
    "AND s.contact_id = $1::uuid AND s.delete_time IS NULL "
    "WHERE d.contact_id = $2::uuid AND d.delete_time IS NULL), "
    "kept AS (UPDATE contact.account_relations r SET "
    "roles = ARRAY(SELECT DISTINCT x FROM unnest(r.roles || p.roles) x ORDER BY x), "
    "is_primary = r.is_primary OR p.is_primary, start_date = LEAST(r.start_date, p.start_date), "
    "end_date = CASE WHEN r.end_date IS NULL OR p.end_date IS NULL THEN NULL "
    "ELSE GREATEST(r.end_date, p.end_date) END, version = r.version + 1, update_time = now() "
    "FROM pairs p WHERE r.id = p.sid RETURNING r.id), "
    "removed AS (UPDATE contact.account_relations r SET delete_time = now(), update_time = now(), "
    "version = r.version + 1 FROM pairs p WHERE r.id = p.did RETURNING r.id) "
    "SELECT (SELECT count(*) FROM removed)::integer, (SELECT count(*) FROM kept)::integer";

constexpr char kMoveRelations[] =
    "UPDATE contact.account_relations SET contact_id = $1::uuid, version = version + 1, "
    "update_time = now() WHERE contact_id = $2::uuid RETURNING delete_time IS NULL";

constexpr char kMoveFollowUps[] =
    "UPDATE contact.follow_ups SET contact_id = $1::uuid, version = version + 1, "
    "update_time = now() WHERE contact_id = $2::uuid";

constexpr char kMoveAppointments[] =
    "UPDATE contact.appointments SET contact_ids = ARRAY(SELECT DISTINCT x FROM "
    "unnest(array_replace(contact_ids, $2::uuid, $1::uuid)) x), version = version + 1, "
    "update_time = now() WHERE $2::uuid = ANY(contact_ids)";

// The ledger is append-only: the duplicate's decisions are copied, with their decision times, so
// the survivor's current consent is derived from both.
constexpr char kCopyConsents[] =
    "INSERT INTO contact.consent_ledger (id, contact_id, channel, purpose, decision, "
    "decision_time, source, recorded_by) SELECT gen_random_uuid(), $1::uuid, channel, purpose, "
    "decision, decision_time, left('merged from contacts/' || $2 || ': ' || source, 200), "
    "recorded_by FROM contact.consent_ledger WHERE contact_id = $2::uuid "
    "ORDER BY record_time, id";

constexpr char kMoveCallList[] =
    "UPDATE contact.call_list l SET contact_id = $1::uuid WHERE l.contact_id = $2::uuid AND "
    "NOT EXISTS (SELECT 1 FROM contact.call_list x WHERE x.campaign_id = l.campaign_id AND "
    "x.contact_id = $1::uuid)";

constexpr char kCarryFlags[] =
    "UPDATE contact.contacts s SET do_not_call = s.do_not_call OR d.do_not_call, "
    "do_not_email = s.do_not_email OR d.do_not_email, flags_version = s.flags_version + "
    "CASE WHEN (d.do_not_call AND NOT s.do_not_call) OR (d.do_not_email AND NOT s.do_not_email) "
    "THEN 1 ELSE 0 END FROM contact.contacts d WHERE s.id = $1::uuid AND d.id = $2::uuid";

constexpr char kTombstone[] =
    "UPDATE contact.contacts AS c SET delete_time = now(), update_time = now(), "
    "merged_into = $2::uuid, version = c.version + 1 WHERE c.id = $1::uuid "
    "RETURNING " ACCORD_CONTACT_COLUMNS;

constexpr char kMarkErased[] =
    "UPDATE contact.contacts AS c SET delete_time = now(), erase_time = now(), "
    "update_time = now(), do_not_call = true, do_not_email = true WHERE c.id = $1::uuid "
    "RETURNING " ACCORD_CONTACT_COLUMNS;

int Count(common::WriteTransaction& transaction, const std::string& query, const std::string& id) {
  return transaction.exec_params1(query, id)[0].as<int>();
}

}  // namespace

PgStewardshipRepository::PgStewardshipRepository(common::PgPool& pool, const PiiCipher& cipher,
                                                 common::IdempotentWrite& writes,
                                                 PgContactRepository& contacts)
    : pool_(pool), cipher_(cipher), writes_(writes), contacts_(contacts) {}

absl::StatusOr<std::vector<DuplicateMatch>> PgStewardshipRepository::FindDuplicates(
    const DuplicateProbe& probe, int limit) {
  const std::vector<int32_t> trigrams = cipher_.BlindTrigrams(probe.full_name);
  std::optional<pqxx::result> rows;
  ACCORD_RETURN_IF_ERROR(pool_.Read(
      [&](pqxx::transaction_base& transaction) -> absl::Status {
        rows = transaction.exec_params(sql::kFindDuplicates, common::IntArrayLiteral(trigrams),
                                       TextArray(Digests(cipher_, "email", probe.emails)),
                                       TextArray(Digests(cipher_, "phone", probe.phones)),
                                       TextArray(probe.account_ids), probe.exclude_id, limit,
                                       probe.min_name_similarity - 1e-4f);
        return absl::OkStatus();
      },
      common::ReadScope::kOneStatement));
  std::vector<DuplicateMatch> matches;
  constexpr int kAt = sql::kContactColumnCount;
  for (const auto& row : *rows) {
    DuplicateMatch match;
    ACCORD_ASSIGN_OR_RETURN(match.record, RowToContact(row, cipher_));
    match.same_email = row[kAt].as<bool>();
    match.same_phone = row[kAt + 1].as<bool>();
    match.shared_trigrams = row[kAt + 2].as<int>();
    match.trigram_count = row[kAt + 3].is_null() ? 0 : row[kAt + 3].as<int>();
    match.probe_trigram_count = static_cast<int>(trigrams.size());
    const std::string shared = row[kAt + 4].as<std::string>();
    if (!shared.empty()) match.shared_accounts = absl::StrSplit(shared, ',');
    matches.push_back(std::move(match));
  }
  return matches;
}

absl::StatusOr<v1::MergeContactsResponse> PgStewardshipRepository::Merge(
    const std::string& survivor_id, const std::string& duplicate_id, const MergeBuild& build,
    const WriteMeta& meta) {
  using Written = common::Written<v1::MergeContactsResponse>;
  return writes_.Run<v1::MergeContactsResponse>(
      meta, [&](common::WriteTransaction& transaction) -> absl::StatusOr<Written> {
        auto rows = transaction.exec_params(kLockPair, TextArray({survivor_id, duplicate_id}));
        std::optional<ContactRecord> survivor, duplicate;
        for (const auto& row : rows) {
          ACCORD_ASSIGN_OR_RETURN(ContactRecord record, RowToContact(row, cipher_));
          if (row[0].as<std::string>() == survivor_id) {
            survivor = std::move(record);
          } else {
            duplicate = std::move(record);
          }
        }
        for (const auto& [found, id] : {std::pair{survivor.has_value(), survivor_id},
                                        {duplicate.has_value(), duplicate_id}}) {
          if (!found) {
            return ContactGone(id, transaction.exec_prepared(sql::kContactTombstone.name, id));
          }
        }
        ACCORD_ASSIGN_OR_RETURN(Contact merged, build(*survivor, *duplicate));

        v1::ContactsMerged moved;
        moved.set_survivor(ContactName(survivor_id));
        moved.set_duplicate(ContactName(duplicate_id));
        auto combined = transaction.exec_params1(kCombineRelations, survivor_id, duplicate_id);
        moved.set_relations_combined(combined[0].as<int>());
        for (const auto& row : transaction.exec_params(kMoveRelations, survivor_id, duplicate_id)) {
          if (row[0].as<bool>()) moved.set_relations_moved(moved.relations_moved() + 1);
        }
        // A summary is sealed to its interaction's name, which changes with the contact: reseal.
        for (const auto& row : transaction.exec_params(
                 "SELECT id::text, summary FROM contact.interactions WHERE contact_id = $1::uuid "
                 "AND summary IS NOT NULL",
                 duplicate_id)) {
          const std::string id = row[0].as<std::string>();
          ACCORD_ASSIGN_OR_RETURN(std::string summary,
                                  cipher_.OpenString(pqxx::binarystring(row[1]).str(),
                                                     ChildName(duplicate_id, "interactions", id)));
          transaction.exec_params0(
              "UPDATE contact.interactions SET summary = $2::bytea WHERE id = $1::uuid", id,
              "\\x" + common::LowerHex(cipher_.SealToString(
                          summary, ChildName(survivor_id, "interactions", id))));
        }
        moved.set_interactions_moved(static_cast<int>(
            transaction
                .exec_params0("UPDATE contact.interactions SET contact_id = $1::uuid "
                              "WHERE contact_id = $2::uuid",
                              survivor_id, duplicate_id)
                .affected_rows()));
        moved.set_follow_ups_moved(static_cast<int>(
            transaction.exec_params0(kMoveFollowUps, survivor_id, duplicate_id).affected_rows()));
        moved.set_appointments_changed(
            static_cast<int>(transaction.exec_params0(kMoveAppointments, survivor_id, duplicate_id)
                                 .affected_rows()));
        moved.set_consents_copied(static_cast<int>(
            transaction.exec_params0(kCopyConsents, survivor_id, duplicate_id).affected_rows()));
        moved.set_call_list_entries_moved(static_cast<int>(
            transaction.exec_params0(kMoveCallList, survivor_id, duplicate_id).affected_rows()));
        transaction.exec_params0("DELETE FROM contact.call_list WHERE contact_id = $1::uuid",
                                 duplicate_id);
        transaction.exec_params0(kCarryFlags, survivor_id, duplicate_id);

        // The tombstone gives up its lookups and external ids first, so the survivor can take
        // them over.
        transaction.exec_prepared0(sql::kDeleteLookups.name, duplicate_id);
        transaction.exec_prepared0(sql::kDeleteExternalIds.name, duplicate_id);
        ACCORD_ASSIGN_OR_RETURN(
            ContactRecord tombstone,
            RowToContact(transaction.exec_params1(kTombstone, duplicate_id, survivor_id), cipher_));
        tombstone.contact.set_merged_into(ContactName(survivor_id));
        ACCORD_ASSIGN_OR_RETURN(ContactRecord stored,
                                contacts_.Store(transaction, survivor_id, merged, false));

        v1::MergeContactsResponse response;
        *response.mutable_survivor() = stored.contact;
        *response.mutable_duplicate() = tombstone.contact;
        *response.mutable_moved() = moved;
        std::vector<common::Event> events;
        events.push_back(common::MakeEvent(kContactsMerged, tombstone.contact.name(),
                                           std::stoll(tombstone.contact.etag()), moved));
        events.push_back(contacts_.Event(kContactUpdated, stored, &survivor->contact));
        return Written(std::move(response), std::move(events));
      });
}

absl::StatusOr<v1::ContactDataExport> PgStewardshipRepository::Export(const std::string& id) {
  v1::ContactDataExport out;
  ACCORD_RETURN_IF_ERROR(pool_.Read([&](pqxx::transaction_base& transaction) -> absl::Status {
    auto rows = transaction.exec_prepared(sql::kGetContact.name, id);
    if (rows.empty()) {
      return ContactGone(id, transaction.exec_prepared(sql::kContactTombstone.name, id));
    }
    ACCORD_ASSIGN_OR_RETURN(ContactRecord record, RowToContact(rows[0], cipher_));
    *out.mutable_contact() = std::move(record.contact);
    for (auto& relation : ReadContactRelations(transaction, id)) {
      *out.add_relations() = std::move(relation);
    }
    ContactHistory history;
    ACCORD_RETURN_IF_ERROR(ReadContactHistory(transaction, cipher_, id, history));
    for (auto& consent : history.consents) *out.add_consents() = std::move(consent);
    for (auto& interaction : history.interactions) *out.add_interactions() = std::move(interaction);
    for (auto& follow_up : history.follow_ups) *out.add_follow_ups() = std::move(follow_up);
    for (auto& appointment : ReadContactAppointments(transaction, id)) {
      *out.add_appointments() = std::move(appointment);
    }
    return absl::OkStatus();
  }));
  *out.mutable_export_time() = google::protobuf::util::TimeUtil::GetCurrentTime();
  return out;
}

absl::StatusOr<v1::RotateContactKeysResponse> PgStewardshipRepository::RotateKeys(int batch) {
  const std::string& active = cipher_.active_key_id();
  v1::RotateContactKeysResponse response;
  response.set_active_key_id(active);
  // One short transaction: SKIP LOCKED passes over rows a writer holds (it seals them with the
  // active key anyway), so the service keeps serving while the rotation runs.
  ACCORD_RETURN_IF_ERROR(pool_.Transact([&](common::WriteTransaction& transaction) -> absl::Status {
    response.set_contacts_resealed(0);
    response.set_interactions_resealed(0);
    auto contacts = transaction.exec_params("SELECT " ACCORD_CONTACT_COLUMNS
                                            " FROM contact.contacts c WHERE (c.pii_key_id <> $1 OR "
                                            "NOT c.name_trigrams_built) "
                                            "ORDER BY c.id LIMIT $2 FOR UPDATE OF c SKIP LOCKED",
                                            active, batch);
    for (const auto& row : contacts) {
      ACCORD_ASSIGN_OR_RETURN(ContactRecord record, RowToContact(row, cipher_));
      Contact personal_source = record.contact;
      const Contact personal = TakePersonal(personal_source);
      const Sealed sealed = cipher_.Seal(personal.SerializeAsString(), record.contact.name());
      transaction.exec_params0(
          "UPDATE contact.contacts SET pii = $2::bytea, pii_key_id = $3, "
          "name_trigrams = $4::integer[], name_trigrams_built = true WHERE id = $1::uuid",
          row[0].as<std::string>(), "\\x" + common::LowerHex(sealed.bytes), sealed.key_id,
          common::IntArrayLiteral(cipher_.BlindTrigrams(FullName(record.contact))));
      response.set_contacts_resealed(response.contacts_resealed() + 1);
    }
    // Summaries carry their key id in front ("id\0sealed").
    auto summaries = transaction.exec_params(
        "SELECT id::text, contact_id::text, summary FROM contact.interactions WHERE summary IS "
        "NOT NULL AND substring(summary FROM 1 FOR octet_length($1::bytea) + 1) <> "
        "($1::bytea || '\\x00'::bytea) ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED",
        active, batch);
    for (const auto& row : summaries) {
      const std::string name =
          ChildName(row[1].as<std::string>(), "interactions", row[0].as<std::string>());
      ACCORD_ASSIGN_OR_RETURN(std::string summary,
                              cipher_.OpenString(pqxx::binarystring(row[2]).str(), name));
      transaction.exec_params0(
          "UPDATE contact.interactions SET summary = $2::bytea WHERE id = $1::uuid",
          row[0].as<std::string>(), "\\x" + common::LowerHex(cipher_.SealToString(summary, name)));
      response.set_interactions_resealed(response.interactions_resealed() + 1);
    }
    return absl::OkStatus();
  }));
  ACCORD_RETURN_IF_ERROR(pool_.Read(
      [&](pqxx::transaction_base& transaction) -> absl::Status {
        response.set_remaining(
            transaction
                .exec_params1(
                    "SELECT (SELECT count(*) FROM contact.contacts WHERE pii_key_id <> $1 OR "
                    "NOT name_trigrams_built) + "
                    "(SELECT count(*) FROM contact.interactions WHERE summary IS NOT NULL AND "
                    "substring(summary FROM 1 FOR octet_length($1::bytea) + 1) <> "
                    "($1::bytea || '\\x00'::bytea))",
                    active)[0]
                .as<int64_t>());
        return absl::OkStatus();
      },
      common::ReadScope::kOneStatement));
  return response;
}

absl::StatusOr<v1::EraseContactResponse> PgStewardshipRepository::Erase(
    const std::string& id, const EraseCheck& check, const std::string& reason,
    const std::string& erased_by, const WriteMeta& meta) {
  using Written = common::Written<v1::EraseContactResponse>;
  return writes_.Run<v1::EraseContactResponse>(
      meta, [&](common::WriteTransaction& transaction) -> absl::StatusOr<Written> {
        auto rows = transaction.exec_prepared(sql::kLockContact.name, id);
        if (rows.empty()) {
          return ContactGone(id, transaction.exec_prepared(sql::kContactTombstone.name, id));
        }
        ACCORD_ASSIGN_OR_RETURN(ContactRecord current, RowToContact(rows[0], cipher_));
        ACCORD_RETURN_IF_ERROR(check(current));
        // Rewritten through the one store path: the sealed value, blind index, name trigrams
        // and external ids all follow the scrubbed contact.
        ACCORD_RETURN_IF_ERROR(
            contacts_.Store(transaction, id, AnonymousRemainder(current.contact), false).status());
        transaction.exec_params0(
            "UPDATE contact.interactions SET summary = NULL WHERE contact_id = $1::uuid", id);
        transaction.exec_params0(
            "DELETE FROM contact.call_list WHERE contact_id = $1::uuid AND state = 0", id);
        ACCORD_ASSIGN_OR_RETURN(ContactRecord erased,
                                RowToContact(transaction.exec_params1(kMarkErased, id), cipher_));
        v1::EraseContactResponse response;
        *response.mutable_contact() = erased.contact;
        *response.mutable_contact()->mutable_erase_time() = erased.contact.update_time();
        response.set_reason(reason);
        response.set_erased_by(erased_by);
        response.set_interactions_kept(Count(
            transaction,
            "SELECT count(*)::integer FROM contact.interactions WHERE contact_id = $1::uuid", id));
        response.set_follow_ups_kept(Count(
            transaction,
            "SELECT count(*)::integer FROM contact.follow_ups WHERE contact_id = $1::uuid", id));
        response.set_consents_kept(Count(
            transaction,
            "SELECT count(*)::integer FROM contact.consent_ledger WHERE contact_id = $1::uuid",
            id));
        response.set_relations_kept(
            Count(transaction,
                  "SELECT count(*)::integer FROM contact.account_relations WHERE contact_id = "
                  "$1::uuid AND delete_time IS NULL",
                  id));
        common::Event event = common::MakeEvent(kContactErased, erased.contact.name(),
                                                std::stoll(erased.contact.etag()), response);
        return Written(std::move(response), std::move(event));
      });
}

}  // namespace accord::contact
