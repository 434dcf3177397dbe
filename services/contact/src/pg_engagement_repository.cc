#include "pg_engagement_repository.h"

#include <google/protobuf/util/time_util.h>

#include "accord/common/errors.h"
#include "accord/common/ids.h"
#include "accord/common/message_diff.h"
#include "contact_fields.h"
#include "pg_filter_schemas.h"
#include "resource_names.h"

namespace accord::contact {
namespace {

using google::protobuf::util::TimeUtil;

#define ACCORD_MICROS(column) "(extract(epoch FROM " column ") * 1000000)::bigint"

constexpr char kConsentColumns[] =
    "t.id::text, t.contact_id::text, t.channel, t.purpose, t.decision, " ACCORD_MICROS(
        "t.decision_time") ", t.source, t.recorded_by, " ACCORD_MICROS("t.record_time");
constexpr int kConsentColumnCount = 9;

constexpr char kInteractionColumns[] =
    "t.id::text, t.contact_id::text, t.channel, " ACCORD_MICROS(
        "t.interaction_time") ", t.duration_seconds, t.subject, t.summary, t.outcome, "
                              "COALESCE(t.campaign_id::text, ''), COALESCE(t.account_id::text, "
                              "''), t.owner, " ACCORD_MICROS("t.create_time");
constexpr int kInteractionColumnCount = 12;

constexpr char kFollowUpColumns[] =
    "t.id::text, t.contact_id::text, COALESCE(t.interaction_id::text, ''), " ACCORD_MICROS(
        "t.due_time") ", t.owner, t.subject, t.status, t.version, " ACCORD_MICROS(
        "t.create_time") ", " ACCORD_MICROS("t.update_time");
constexpr int kFollowUpColumnCount = 10;

constexpr char kContactLive[] =
    "SELECT 1 FROM contact.contacts WHERE id = $1::uuid AND delete_time IS NULL FOR SHARE";

std::string Hex(std::string_view bytes) { return "\\x" + common::LowerHex(bytes); }

google::protobuf::Timestamp FromMicros(const pqxx::field& field) {
  return TimeUtil::MicrosecondsToTimestamp(field.as<int64_t>());
}

ConsentRecord RowToConsent(const pqxx::row& row) {
  ConsentRecord record;
  record.set_name(ChildName(row[1].as<std::string>(), "consents", row[0].as<std::string>()));
  record.set_channel(static_cast<v1::ConsentChannel>(row[2].as<int>()));
  record.set_purpose(static_cast<v1::ConsentPurpose>(row[3].as<int>()));
  record.set_decision(static_cast<v1::ConsentDecision>(row[4].as<int>()));
  *record.mutable_decision_time() = FromMicros(row[5]);
  record.set_source(row[6].as<std::string>());
  record.set_recorded_by(row[7].as<std::string>());
  *record.mutable_record_time() = FromMicros(row[8]);
  return record;
}

FollowUp RowToFollowUp(const pqxx::row& row) {
  FollowUp follow_up;
  const std::string contact_id = row[1].as<std::string>();
  follow_up.set_name(ChildName(contact_id, "followUps", row[0].as<std::string>()));
  const std::string interaction_id = row[2].as<std::string>();
  if (!interaction_id.empty()) {
    follow_up.set_interaction(ChildName(contact_id, "interactions", interaction_id));
  }
  *follow_up.mutable_due_time() = FromMicros(row[3]);
  follow_up.set_owner(row[4].as<std::string>());
  follow_up.set_subject(row[5].as<std::string>());
  follow_up.set_status(static_cast<v1::FollowUpStatus>(row[6].as<int>()));
  follow_up.set_etag(row[7].as<std::string>());
  *follow_up.mutable_create_time() = FromMicros(row[8]);
  *follow_up.mutable_update_time() = FromMicros(row[9]);
  return follow_up;
}

// The decision time as epoch microseconds, '' for "now".
std::string MicrosParam(const google::protobuf::Timestamp& time, bool set) {
  return set ? std::to_string(TimeUtil::TimestampToMicroseconds(time)) : "";
}

constexpr char kInsertConsent[] =
    "INSERT INTO contact.consent_ledger AS t (id, contact_id, channel, purpose, decision, "
    "decision_time, source, recorded_by) VALUES ($1::uuid, $2::uuid, $3, $4, $5, "
    "COALESCE(timestamptz 'epoch' + NULLIF($6, '')::bigint * interval '1 microsecond', now()), "
    "$7, $8) RETURNING ";

ConsentRecord InsertConsent(common::WriteTransaction& transaction, const std::string& contact_id,
                            const ConsentRecord& record, const std::string& actor) {
  return RowToConsent(transaction.exec_params1(
      std::string(kInsertConsent) + kConsentColumns, common::NewUuidV7(), contact_id,
      static_cast<int>(record.channel()), static_cast<int>(record.purpose()),
      static_cast<int>(record.decision()),
      MicrosParam(record.decision_time(), record.has_decision_time()), record.source(), actor));
}

// Every List here: rows of `table` as `t` joined to live contacts, keyset on (column, id).
template <typename T, typename Convert>
absl::StatusOr<ChildPage<T>> ListChildren(common::PgPool& pool, const std::string& table,
                                          const char* columns, int column_count,
                                          const std::string& order_column,
                                          const ChildListQuery& query, Convert convert) {
  std::string statement = std::string("SELECT ") + columns + ", " +
                          common::MicrosText(order_column) + " FROM contact." + table +
                          " t JOIN contact.contacts c ON c.id = t.contact_id WHERE "
                          "c.delete_time IS NULL";
  std::vector<std::string> params = query.filter_params;
  if (!query.filter_sql.empty()) statement += " AND " + query.filter_sql;
  if (query.contact_id) {
    params.push_back(*query.contact_id);
    statement += " AND t.contact_id = $" + std::to_string(params.size()) + "::uuid";
  }
  const common::KeysetOrder order{order_column, "t.id", common::kMicrosToTimestamptz,
                                  query.descending};
  common::AppendKeyset(statement, params, order, query.after, query.limit);
  ChildPage<T> page;
  ACCORD_RETURN_IF_ERROR(pool.Read([&](pqxx::transaction_base& transaction) -> absl::Status {
    if (query.contact_id &&
        transaction
            .exec_params("SELECT 1 FROM contact.contacts WHERE id = $1::uuid AND delete_time "
                         "IS NULL",
                         *query.contact_id)
            .empty()) {
      return common::NotFound(ContactName(*query.contact_id));
    }
    auto rows = transaction.exec(common::InlineParams(transaction.conn(), statement, params));
    for (const auto& row : rows) {
      ACCORD_ASSIGN_OR_RETURN(T item, convert(row));
      page.items.push_back(std::move(item));
      page.keys.push_back({row[column_count].as<std::string>(), row[0].as<std::string>()});
    }
    return absl::OkStatus();
  }));
  return page;
}

ChangeEvent EventOf(const char* type, std::string subject, int64_t version,
                    std::shared_ptr<const google::protobuf::Message> payload) {
  ChangeEvent event;
  event.type = type;
  event.subject = std::move(subject);
  event.version = version;
  event.payload = std::move(payload);
  return event;
}

}  // namespace

PgEngagementRepository::PgEngagementRepository(common::PgPool& pool, const PiiCipher& cipher,
                                               common::IdempotentWrite& writes)
    : pool_(pool), cipher_(cipher), writes_(writes) {}

absl::StatusOr<ContactFacts> PgEngagementRepository::Facts(const std::string& contact_id) {
  return ReadContactFacts(pool_, contact_id);
}

absl::StatusOr<ContactFacts> ReadContactFacts(common::PgPool& pool, const std::string& contact_id) {
  std::optional<pqxx::result> rows;
  ACCORD_RETURN_IF_ERROR(pool.Read(
      [&](pqxx::transaction_base& transaction) -> absl::Status {
        rows = transaction.exec_params(
            "SELECT c.owner, COALESCE((SELECT string_agg(r.account_id::text, ',') FROM "
            "contact.account_relations r WHERE r.contact_id = c.id AND r.delete_time IS NULL), "
            "'') FROM contact.contacts c WHERE c.id = $1::uuid AND c.delete_time IS NULL",
            contact_id);
        return absl::OkStatus();
      },
      common::ReadScope::kOneStatement));
  if (rows->empty()) return common::NotFound(ContactName(contact_id));
  ContactFacts facts;
  facts.owner = (*rows)[0][0].as<std::string>();
  const std::string accounts = (*rows)[0][1].as<std::string>();
  for (size_t start = 0; start < accounts.size();) {
    size_t end = accounts.find(',', start);
    if (end == std::string::npos) end = accounts.size();
    facts.account_ids.push_back(accounts.substr(start, end - start));
    start = end + 1;
  }
  return facts;
}

absl::StatusOr<ConsentRecord> PgEngagementRepository::AppendConsent(const std::string& contact_id,
                                                                    const ConsentRecord& record,
                                                                    const WriteMeta& meta) {
  return writes_.Run<ConsentRecord>(
      meta,
      [&](common::WriteTransaction& transaction,
          ConsentRecord* out) -> absl::StatusOr<ChangeEvent> {
        if (transaction.exec_params(kContactLive, contact_id).empty()) {
          return common::NotFound(ContactName(contact_id));
        }
        *out = InsertConsent(transaction, contact_id, record, record.recorded_by());
        return EventOf(kConsentRecorded, out->name(), 1, std::make_shared<ConsentRecord>(*out));
      });
}

absl::StatusOr<ChildPage<ConsentRecord>> PgEngagementRepository::ListConsents(
    const ChildListQuery& query) {
  return ListChildren<ConsentRecord>(
      pool_, "consent_ledger", kConsentColumns, kConsentColumnCount, "t.record_time", query,
      [](const pqxx::row& row) -> absl::StatusOr<ConsentRecord> { return RowToConsent(row); });
}

absl::StatusOr<ConsentSnapshot> PgEngagementRepository::Consents(const std::string& contact_id) {
  ConsentSnapshot snapshot;
  ACCORD_RETURN_IF_ERROR(pool_.Read([&](pqxx::transaction_base& transaction) -> absl::Status {
    auto flags = transaction.exec_params(
        "SELECT do_not_call, do_not_email, phone_unverified, flags_version FROM "
        "contact.contacts WHERE id = $1::uuid AND delete_time IS NULL",
        contact_id);
    if (flags.empty()) return common::NotFound(ContactName(contact_id));
    snapshot.flags = {flags[0][0].as<bool>(), flags[0][1].as<bool>(), flags[0][2].as<bool>(),
                      flags[0][3].as<int64_t>()};
    for (const auto& row :
         transaction.exec_params(std::string("SELECT ") + kConsentColumns +
                                     " FROM contact.consent_ledger t WHERE t.contact_id = $1::uuid "
                                     "ORDER BY t.record_time, t.id",
                                 contact_id)) {
      snapshot.ledger.push_back(RowToConsent(row));
    }
    return absl::OkStatus();
  }));
  return snapshot;
}

absl::StatusOr<ConsentSnapshot> PgEngagementRepository::UpdateFlags(const std::string& contact_id,
                                                                    const FlagsMutation& mutate,
                                                                    const WriteMeta& meta) {
  ACCORD_ASSIGN_OR_RETURN(
      v1::ConsentState stored,
      writes_.Run<v1::ConsentState>(
          meta,
          [&](common::WriteTransaction& transaction,
              v1::ConsentState* out) -> absl::StatusOr<ChangeEvent> {
            auto rows = transaction.exec_params(
                "SELECT do_not_call, do_not_email, phone_unverified, flags_version FROM "
                "contact.contacts WHERE id = $1::uuid AND delete_time IS NULL FOR UPDATE",
                contact_id);
            if (rows.empty()) return common::NotFound(ContactName(contact_id));
            const ContactFlags current{rows[0][0].as<bool>(), rows[0][1].as<bool>(),
                                       rows[0][2].as<bool>(), rows[0][3].as<int64_t>()};
            ACCORD_ASSIGN_OR_RETURN(ContactFlags next, mutate(current));
            auto row = transaction.exec_params1(
                "UPDATE contact.contacts SET do_not_call = $2, do_not_email = $3, "
                "flags_version = flags_version + 1 WHERE id = $1::uuid RETURNING flags_version",
                contact_id, next.do_not_call, next.do_not_email);
            out->set_contact(ContactName(contact_id));
            out->set_do_not_call(next.do_not_call);
            out->set_do_not_email(next.do_not_email);
            out->set_phone_unverified(next.phone_unverified);
            out->set_etag(row[0].as<std::string>());
            return EventOf(kContactFlagsUpdated, ContactName(contact_id), row[0].as<int64_t>(),
                           std::make_shared<v1::ConsentState>(*out));
          }));
  // The ledger is read after the write; the response of a retried request keeps its flags.
  ACCORD_ASSIGN_OR_RETURN(ConsentSnapshot snapshot, Consents(contact_id));
  snapshot.flags = {stored.do_not_call(), stored.do_not_email(), stored.phone_unverified(),
                    std::stoll(stored.etag())};
  return snapshot;
}

absl::StatusOr<Interaction> RowToInteraction(const pqxx::row& row, const PiiCipher& cipher) {
  Interaction interaction;
  const std::string name =
      ChildName(row[1].as<std::string>(), "interactions", row[0].as<std::string>());
  interaction.set_name(name);
  interaction.set_channel(static_cast<v1::InteractionChannel>(row[2].as<int>()));
  *interaction.mutable_interaction_time() = FromMicros(row[3]);
  interaction.set_duration_seconds(row[4].as<int>());
  interaction.set_subject(row[5].as<std::string>());
  if (!row[6].is_null()) {
    ACCORD_ASSIGN_OR_RETURN(std::string summary,
                            cipher.OpenString(pqxx::binarystring(row[6]).str(), name));
    interaction.set_summary(std::move(summary));
  }
  interaction.set_outcome(static_cast<v1::InteractionOutcome>(row[7].as<int>()));
  if (const auto campaign = row[8].as<std::string>(); !campaign.empty()) {
    interaction.set_campaign("campaigns/" + campaign);
  }
  if (const auto account = row[9].as<std::string>(); !account.empty()) {
    interaction.set_account(AccountName(account));
  }
  interaction.set_owner(row[10].as<std::string>());
  *interaction.mutable_create_time() = FromMicros(row[11]);
  return interaction;
}

absl::Status ReadContactHistory(pqxx::transaction_base& transaction, const PiiCipher& cipher,
                                const std::string& contact_id, ContactHistory& out) {
  for (const auto& row :
       transaction.exec_params(std::string("SELECT ") + kConsentColumns +
                                   " FROM contact.consent_ledger t WHERE t.contact_id = $1::uuid "
                                   "ORDER BY t.record_time, t.id LIMIT 10000",
                               contact_id)) {
    out.consents.push_back(RowToConsent(row));
  }
  for (const auto& row :
       transaction.exec_params(std::string("SELECT ") + kInteractionColumns +
                                   " FROM contact.interactions t WHERE t.contact_id = $1::uuid "
                                   "ORDER BY t.interaction_time, t.id LIMIT 10000",
                               contact_id)) {
    ACCORD_ASSIGN_OR_RETURN(Interaction interaction, RowToInteraction(row, cipher));
    out.interactions.push_back(std::move(interaction));
  }
  for (const auto& row :
       transaction.exec_params(std::string("SELECT ") + kFollowUpColumns +
                                   " FROM contact.follow_ups t WHERE t.contact_id = $1::uuid "
                                   "ORDER BY t.create_time, t.id LIMIT 10000",
                               contact_id)) {
    out.follow_ups.push_back(RowToFollowUp(row));
  }
  return absl::OkStatus();
}

absl::StatusOr<Interaction> InsertInteraction(common::WriteTransaction& transaction,
                                              const PiiCipher& cipher,
                                              const std::string& contact_id,
                                              const Interaction& interaction,
                                              const InteractionEffects& effects) {
  ACCORD_ASSIGN_OR_RETURN(ChildId id, ParseChildName(interaction.name(), "interactions", "name"));
  std::string campaign_id, account_id;
  if (!interaction.campaign().empty()) {
    ACCORD_ASSIGN_OR_RETURN(campaign_id, ParseCampaignName(interaction.campaign(), "campaign"));
  }
  if (!interaction.account().empty()) {
    ACCORD_ASSIGN_OR_RETURN(account_id, ParseAccountName(interaction.account(), "account"));
  }
  // Sealed with the interaction's name as associated data: it opens on its row only.
  const std::string summary =
      interaction.summary().empty()
          ? ""
          : Hex(cipher.SealToString(interaction.summary(), interaction.name()));
  auto row = transaction.exec_params1(
      std::string("INSERT INTO contact.interactions AS t (id, contact_id, channel, "
                  "interaction_time, duration_seconds, subject, summary, outcome, "
                  "campaign_id, account_id, owner) VALUES ($1::uuid, $2::uuid, $3, "
                  "timestamptz 'epoch' + $4::bigint * interval '1 microsecond', $5, $6, "
                  "NULLIF($7, '')::bytea, $8, NULLIF($9, '')::uuid, NULLIF($10, '')::uuid, "
                  "$11) RETURNING ") +
          kInteractionColumns,
      id.id, contact_id, static_cast<int>(interaction.channel()),
      TimeUtil::TimestampToMicroseconds(interaction.interaction_time()),
      interaction.duration_seconds(), interaction.subject(), summary,
      static_cast<int>(interaction.outcome()), campaign_id, account_id, interaction.owner());
  ACCORD_ASSIGN_OR_RETURN(Interaction out, RowToInteraction(row, cipher));
  if (effects.set_do_not_call || effects.mark_phone_unverified) {
    transaction.exec_params0(
        "UPDATE contact.contacts SET do_not_call = do_not_call OR $2, phone_unverified = "
        "phone_unverified OR $3, flags_version = flags_version + 1 WHERE id = $1::uuid",
        contact_id, effects.set_do_not_call, effects.mark_phone_unverified);
  }
  for (const auto& consent : effects.consents) {
    InsertConsent(transaction, contact_id, consent, interaction.owner());
  }
  return out;
}

absl::StatusOr<Interaction> PgEngagementRepository::CreateInteraction(
    const std::string& contact_id, const Interaction& interaction,
    const InteractionEffects& effects, const WriteMeta& meta) {
  return writes_.Run<Interaction>(
      meta,
      [&](common::WriteTransaction& transaction, Interaction* out) -> absl::StatusOr<ChangeEvent> {
        if (transaction.exec_params(kContactLive, contact_id).empty()) {
          return common::NotFound(ContactName(contact_id));
        }
        ACCORD_ASSIGN_OR_RETURN(
            *out, InsertInteraction(transaction, cipher_, contact_id, interaction, effects));
        // The event carries no personal text.
        auto payload = std::make_shared<Interaction>(*out);
        payload->clear_summary();
        return EventOf(kInteractionLogged, out->name(), 1, std::move(payload));
      });
}

absl::StatusOr<Interaction> PgEngagementRepository::GetInteraction(const std::string& contact_id,
                                                                   const std::string& id) {
  std::optional<pqxx::result> rows;
  ACCORD_RETURN_IF_ERROR(pool_.Read(
      [&](pqxx::transaction_base& transaction) -> absl::Status {
        rows = transaction.exec_params(
            std::string("SELECT ") + kInteractionColumns +
                " FROM contact.interactions t JOIN contact.contacts c ON c.id = t.contact_id "
                "WHERE t.contact_id = $1::uuid AND t.id = $2::uuid AND c.delete_time IS NULL",
            contact_id, id);
        return absl::OkStatus();
      },
      common::ReadScope::kOneStatement));
  if (rows->empty()) return common::NotFound(ChildName(contact_id, "interactions", id));
  return RowToInteraction((*rows)[0], cipher_);
}

absl::StatusOr<ChildPage<Interaction>> PgEngagementRepository::ListInteractions(
    const ChildListQuery& query) {
  return ListChildren<Interaction>(
      pool_, "interactions", kInteractionColumns, kInteractionColumnCount, "t.interaction_time",
      query, [this](const pqxx::row& row) { return RowToInteraction(row, cipher_); });
}

absl::StatusOr<FollowUp> PgEngagementRepository::CreateFollowUp(const std::string& contact_id,
                                                                const FollowUp& follow_up,
                                                                const std::string& interaction_id,
                                                                const WriteMeta& meta) {
  return writes_.Run<FollowUp>(
      meta,
      [&](common::WriteTransaction& transaction, FollowUp* out) -> absl::StatusOr<ChangeEvent> {
        if (transaction.exec_params(kContactLive, contact_id).empty()) {
          return common::NotFound(ContactName(contact_id));
        }
        if (!interaction_id.empty() &&
            transaction
                .exec_params("SELECT 1 FROM contact.interactions WHERE id = $1::uuid AND "
                             "contact_id = $2::uuid",
                             interaction_id, contact_id)
                .empty()) {
          return common::NotFound(ChildName(contact_id, "interactions", interaction_id));
        }
        *out = RowToFollowUp(transaction.exec_params1(
            std::string("INSERT INTO contact.follow_ups AS t (id, contact_id, interaction_id, "
                        "due_time, owner, subject, status) VALUES ($1::uuid, $2::uuid, "
                        "NULLIF($3, '')::uuid, timestamptz 'epoch' + $4::bigint * interval "
                        "'1 microsecond', $5, $6, $7) RETURNING ") +
                kFollowUpColumns,
            common::NewUuidV7(), contact_id, interaction_id,
            TimeUtil::TimestampToMicroseconds(follow_up.due_time()), follow_up.owner(),
            follow_up.subject(), static_cast<int>(follow_up.status())));
        return EventOf(kFollowUpCreated, out->name(), 1, std::make_shared<FollowUp>(*out));
      });
}

absl::StatusOr<FollowUp> PgEngagementRepository::GetFollowUp(const std::string& contact_id,
                                                             const std::string& id) {
  std::optional<pqxx::result> rows;
  ACCORD_RETURN_IF_ERROR(pool_.Read(
      [&](pqxx::transaction_base& transaction) -> absl::Status {
        rows = transaction.exec_params(
            std::string("SELECT ") + kFollowUpColumns +
                " FROM contact.follow_ups t JOIN contact.contacts c ON c.id = t.contact_id "
                "WHERE t.contact_id = $1::uuid AND t.id = $2::uuid AND c.delete_time IS NULL",
            contact_id, id);
        return absl::OkStatus();
      },
      common::ReadScope::kOneStatement));
  if (rows->empty()) return common::NotFound(ChildName(contact_id, "followUps", id));
  return RowToFollowUp((*rows)[0]);
}

absl::StatusOr<ChildPage<FollowUp>> PgEngagementRepository::ListFollowUps(
    const ChildListQuery& query) {
  return ListChildren<FollowUp>(
      pool_, "follow_ups", kFollowUpColumns, kFollowUpColumnCount, "t.create_time", query,
      [](const pqxx::row& row) -> absl::StatusOr<FollowUp> { return RowToFollowUp(row); });
}

absl::StatusOr<FollowUp> PgEngagementRepository::UpdateFollowUp(const std::string& contact_id,
                                                                const std::string& id,
                                                                const FollowUpMutation& mutate,
                                                                const WriteMeta& meta) {
  return writes_.Run<FollowUp>(
      meta,
      [&](common::WriteTransaction& transaction, FollowUp* out) -> absl::StatusOr<ChangeEvent> {
        auto rows = transaction.exec_params(
            std::string("SELECT ") + kFollowUpColumns +
                " FROM contact.follow_ups t JOIN contact.contacts c ON c.id = t.contact_id "
                "WHERE t.contact_id = $1::uuid AND t.id = $2::uuid AND c.delete_time IS NULL "
                "FOR UPDATE OF t",
            contact_id, id);
        if (rows.empty()) return common::NotFound(ChildName(contact_id, "followUps", id));
        const FollowUp current = RowToFollowUp(rows[0]);
        ACCORD_ASSIGN_OR_RETURN(FollowUp next, mutate(current));
        *out = RowToFollowUp(transaction.exec_params1(
            std::string("UPDATE contact.follow_ups AS t SET due_time = timestamptz 'epoch' + "
                        "$3::bigint * interval '1 microsecond', owner = $4, subject = $5, "
                        "status = $6, version = t.version + 1, update_time = now() WHERE "
                        "t.contact_id = $1::uuid AND t.id = $2::uuid RETURNING ") +
                kFollowUpColumns,
            contact_id, id, TimeUtil::TimestampToMicroseconds(next.due_time()), next.owner(),
            next.subject(), static_cast<int>(next.status())));
        ChangeEvent event = EventOf(kFollowUpUpdated, out->name(), std::stoll(out->etag()),
                                    std::make_shared<FollowUp>(*out));
        event.changed_fields = common::ChangedFields(current, *out, {"etag", "update_time"});
        return event;
      });
}

absl::StatusOr<std::vector<FollowUp>> PgEngagementRepository::DueFollowUps(
    const std::string& owner, int64_t due_before_micros, int limit) {
  std::vector<FollowUp> out;
  ACCORD_RETURN_IF_ERROR(pool_.Read(
      [&](pqxx::transaction_base& transaction) -> absl::Status {
        for (const auto& row : transaction.exec_params(
                 std::string("SELECT ") + kFollowUpColumns +
                     " FROM contact.follow_ups t JOIN contact.contacts c ON c.id = t.contact_id "
                     "WHERE t.owner = $1 AND t.status = 1 AND t.due_time <= timestamptz 'epoch' "
                     "+ $2::bigint * interval '1 microsecond' AND c.delete_time IS NULL "
                     "ORDER BY t.due_time, t.id LIMIT $3",
                 owner, due_before_micros, limit)) {
          out.push_back(RowToFollowUp(row));
        }
        return absl::OkStatus();
      },
      common::ReadScope::kOneStatement));
  return out;
}

const common::filter::Schema& PgEngagementRepository::InteractionFilterSchema() const {
  return contact::InteractionFilterSchema();
}

const common::filter::Schema& PgEngagementRepository::FollowUpFilterSchema() const {
  return contact::FollowUpFilterSchema();
}

}  // namespace accord::contact
