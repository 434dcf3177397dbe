#include "pg_campaign_repository.h"

#include <google/protobuf/util/time_util.h>

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>

#include "access_log.h"
#include "accord/common/errors.h"
#include "accord/common/ids.h"
#include "accord/common/message_diff.h"
#include "campaign_logic.h"
#include "contact_fields.h"
#include "engagement_logic.h"
#include "pg_engagement_repository.h"
#include "pg_filter_schemas.h"

namespace accord::contact {
namespace {

using google::protobuf::util::TimeUtil;

#define ACCORD_MICROS(column) "(extract(epoch FROM " column ") * 1000000)::bigint"

// The last call-list build rides along (migration 0010): GetCampaign shows it, NextCall reads it.
constexpr char kColumns[] = "t.id::text, t.attributes, t.status, t.version, " ACCORD_MICROS(
    "t.create_time") ", " ACCORD_MICROS("t.update_time") ", (SELECT b.progress FROM "
                                                         "contact.call_list_builds b WHERE "
                                                         "b.campaign_id = t.id)";

std::string Hex(std::string_view bytes) { return "\\x" + common::LowerHex(bytes); }

absl::StatusOr<Campaign> RowToCampaign(const pqxx::row& row) {
  Campaign campaign;
  const std::string name = CampaignName(row[0].as<std::string>());
  if (!campaign.ParseFromString(pqxx::binarystring(row[1]).str())) {
    return common::Internal("corrupt attributes of " + name);
  }
  campaign.set_name(name);
  campaign.set_status(static_cast<v1::CampaignStatus>(row[2].as<int>()));
  campaign.set_etag(row[3].as<std::string>());
  *campaign.mutable_create_time() = TimeUtil::MicrosecondsToTimestamp(row[4].as<int64_t>());
  *campaign.mutable_update_time() = TimeUtil::MicrosecondsToTimestamp(row[5].as<int64_t>());
  if (!row[6].is_null() &&
      !campaign.mutable_call_list_build()->ParseFromString(pqxx::binarystring(row[6]).str())) {
    return common::Internal("corrupt call-list build of " + name);
  }
  return campaign;
}

// What the attributes column keeps: the campaign without what has columns of its own.
std::string Attributes(const Campaign& campaign) {
  Campaign stored = campaign;
  stored.clear_name();
  stored.clear_etag();
  stored.clear_create_time();
  stored.clear_update_time();
  stored.clear_call_list_build();
  return Hex(stored.SerializeAsString());
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

// Contacts judged per statement of BuildCallList. A statement of 10 000 took 0.9 s at a million
// contacts on a busy 2-core machine but passed the 5 s statement timeout under heavier I/O
// (docs/performance.md, "Call lists at scale"), so the batch adapts: halved after a statement
// slower than kSlowBatch, doubled after one faster than kFastBatch, within these bounds.
constexpr int64_t kFirstCallListBatch = 5000;
constexpr int64_t kMinCallListBatch = 500;
constexpr int64_t kMaxCallListBatch = 20000;
constexpr auto kSlowBatch = std::chrono::milliseconds(1000);
constexpr auto kFastBatch = std::chrono::milliseconds(250);

int64_t NextBatch(int64_t batch, std::chrono::steady_clock::duration took) {
  if (took > kSlowBatch) return std::max(kMinCallListBatch, batch / 2);
  if (took < kFastBatch) return std::min(kMaxCallListBatch, batch * 2);
  return batch;
}

// One statement per batch of contacts in creation order (contacts_by_create_time), so that
// each stays well inside the statement timeout whatever the number of contacts. Within a
// batch every rule is a join over the batch, not a lookup per contact: the phones' blind
// index, the latest phone/marketing decision of the ledger, outbound calls since the
// cool-off and the list itself (probed by its key for each contact of the batch: OFFSET 0 keeps
// the planner from hashing the whole list, which grows in the transaction unseen by its
// statistics and made each batch cost the list so far at a million contacts). The CASE gives the
// first exclusion in ExcludedBy's order: 1 do-not-call, 2 left the organisation, 3 no valid phone,
// 4 no consent, 5 cool-off, 6 outside calling hours. Constants: CONTACT_STATUS_LEFT_ORGANIZATION 2,
// phone lookups kind 2, CONSENT_CHANNEL_PHONE 1, CONSENT_PURPOSE_MARKETING 1, GRANTED 1,
// INTERACTION_CHANNEL_OUTBOUND_CALL 1.
constexpr char kCallListBatchSql[] =
    "WITH batch AS MATERIALIZED ("
    "  SELECT c.id, c.create_time, c.do_not_call, c.status, c.phone_unverified, c.time_zone "
    "  FROM contact.contacts c WHERE c.delete_time IS NULL "
    "  AND (c.create_time, c.id) > ($2::timestamptz, $3::uuid) "
    "  AND (json_array_length($4::json) = 0 OR c.labels && ARRAY(SELECT "
    "  json_array_elements_text($4::json))) "
    "  ORDER BY c.create_time, c.id LIMIT $5), "
    "fresh AS MATERIALIZED (SELECT b.* FROM batch b LEFT JOIN LATERAL (SELECT 1 AS listed "
    "  FROM contact.call_list l WHERE l.campaign_id = $1::uuid AND l.contact_id = b.id "
    "  OFFSET 0) x ON true WHERE x.listed IS NULL), "
    "phones AS (SELECT DISTINCT k.contact_id FROM contact.contact_lookup k "
    "  WHERE k.kind = 2 AND k.contact_id IN (SELECT id FROM fresh)), "
    "consent AS (SELECT DISTINCT ON (g.contact_id) g.contact_id, g.decision "
    "  FROM contact.consent_ledger g WHERE g.channel = 1 AND g.purpose = 1 "
    "  AND g.contact_id IN (SELECT id FROM fresh) "
    "  ORDER BY g.contact_id, g.decision_time DESC, g.record_time DESC, g.id DESC), "
    "called AS (SELECT DISTINCT i.contact_id FROM contact.interactions i WHERE i.channel = 1 "
    "  AND i.interaction_time > timestamptz 'epoch' + $6::bigint * interval '1 microsecond' "
    "  AND i.contact_id IN (SELECT id FROM fresh)), "
    "judged AS MATERIALIZED (SELECT f.id, f.create_time, CASE "
    "  WHEN f.do_not_call THEN 1 WHEN f.status = 2 THEN 2 "
    "  WHEN f.phone_unverified OR p.contact_id IS NULL THEN 3 "
    "  WHEN g.decision IS DISTINCT FROM 1 THEN 4 "
    "  WHEN r.contact_id IS NOT NULL THEN 5 "
    "  WHEN NOT f.time_zone = ANY (ARRAY(SELECT json_array_elements_text($7::json))) THEN 6 "
    "  ELSE 0 END AS reason FROM fresh f "
    "  LEFT JOIN phones p ON p.contact_id = f.id LEFT JOIN consent g ON g.contact_id = f.id "
    "  LEFT JOIN called r ON r.contact_id = f.id), "
    "added AS (INSERT INTO contact.call_list (campaign_id, contact_id) "
    "  SELECT $1::uuid, j.id FROM judged j WHERE j.reason = 0 ORDER BY j.create_time, j.id "
    "  ON CONFLICT DO NOTHING RETURNING 1) "
    "SELECT (SELECT count(*) FROM batch), (SELECT count(*) FROM added), "
    "  (SELECT count(*) FROM judged WHERE reason = 1), "
    "  (SELECT count(*) FROM judged WHERE reason = 2), "
    "  (SELECT count(*) FROM judged WHERE reason = 3), "
    "  (SELECT count(*) FROM judged WHERE reason = 4), "
    "  (SELECT count(*) FROM judged WHERE reason = 5), "
    "  (SELECT count(*) FROM judged WHERE reason = 6), "
    "  last.create_time::text, last.id::text "
    "FROM (SELECT 1) one LEFT JOIN LATERAL (SELECT b.create_time, b.id FROM batch b "
    "  ORDER BY b.create_time DESC, b.id DESC LIMIT 1) last ON true";

// NextCall's reads of the facts HandOutNow needs, each over its partial index (migration 0008).
constexpr char kNextCallFacts[] =
    "SELECT l.contact_id::text, c.do_not_call, c.status, c.phone_unverified, c.time_zone, "
    "c.delete_time IS NULL, COALESCE((SELECT g.decision FROM contact.consent_ledger g WHERE "
    "g.contact_id = c.id AND g.channel = 1 AND g.purpose = 1 ORDER BY g.decision_time DESC, "
    "g.record_time DESC, g.id DESC LIMIT 1), 0), c.pii, c.pii_key_id "
    "FROM contact.call_list l JOIN contact.contacts c "
    "ON c.id = l.contact_id WHERE l.campaign_id = $1::uuid AND l.state = 0 AND ";

std::string JsonArray(const std::vector<std::string>& values) {
  nlohmann::json array = nlohmann::json::array();
  for (const auto& value : values) array.push_back(value);
  return array.dump();
}

// The answer of BuildCallList for a build as it stands.
v1::BuildCallListResponse BuildResponseOf(const v1::CallListBuild& build) {
  v1::BuildCallListResponse out;
  out.set_added(build.added());
  out.set_on_list(build.on_list());
  out.set_excluded_do_not_call(build.excluded_do_not_call());
  out.set_excluded_no_consent(build.excluded_no_consent());
  out.set_excluded_left_organization(build.excluded_left_organization());
  out.set_excluded_no_valid_phone(build.excluded_no_valid_phone());
  out.set_excluded_cool_off(build.excluded_cool_off());
  out.set_excluded_outside_calling_hours(build.excluded_outside_calling_hours());
  out.set_state(build.state());
  out.set_contacts_judged(build.contacts_judged());
  return out;
}

// One batch of a build, in its own transaction: the campaign's build row is locked (a second
// caller, on this replica or another, waits for the batch and goes on after it), a build that is
// READY (or none) is started afresh with `rules`, one BUILDING goes on from its stored keyset
// with the rules it started with; the next `batch` contacts are judged, and the counts and the
// keyset stored with them. The batch that finds no more contacts makes the build READY and
// names CallListBuilt.
absl::StatusOr<ChangeEvent> BuildStep(common::WriteTransaction& transaction,
                                      const std::string& campaign_id, const CallListRules& rules,
                                      int64_t batch, v1::CallListBuild* build) {
  if (transaction
          .exec_params("SELECT 1 FROM contact.campaigns WHERE id = $1::uuid FOR SHARE", campaign_id)
          .empty()) {
    return common::NotFound(CampaignName(campaign_id));
  }
  const pqxx::result rows = transaction.exec_params(
      "SELECT state, labels::text, zones::text, called_after_micros, after_time::text, "
      "after_id::text, progress FROM contact.call_list_builds WHERE campaign_id = $1::uuid "
      "FOR UPDATE",
      campaign_id);
  std::string labels = JsonArray(rules.labels);
  std::string zones = JsonArray(rules.zones_in_hours);
  int64_t called_after = rules.called_after_micros;
  // The session's own text form of a timestamptz reads back exactly (microseconds).
  std::string after_time = "-infinity";
  std::string after_id = "00000000-0000-0000-0000-000000000000";
  const auto now = TimeUtil::GetCurrentTime();
  if (!rows.empty() && rows[0][0].as<int>() == v1::CALL_LIST_BUILD_STATE_BUILDING) {
    const pqxx::row& row = rows[0];
    labels = row[1].as<std::string>();
    zones = row[2].as<std::string>();
    called_after = row[3].as<int64_t>();
    after_time = row[4].as<std::string>();
    after_id = row[5].as<std::string>();
    if (!build->ParseFromString(pqxx::binarystring(row[6]).str())) {
      return common::Internal("corrupt call-list build of " + CampaignName(campaign_id));
    }
  } else {
    build->Clear();
    build->set_state(v1::CALL_LIST_BUILD_STATE_BUILDING);
    *build->mutable_start_time() = now;
  }
  // Literals, not bound parameters: the session forces generic plans, and one blind to the batch
  // size and the labels joined the ledger and the calls by nested loops (past the statement
  // timeout at 25 000 contacts).
  const pqxx::row row = transaction.exec1(
      common::InlineParams(transaction.conn(), kCallListBatchSql,
                           {campaign_id, after_time, after_id, labels, std::to_string(batch),
                            std::to_string(called_after), zones}));
  build->set_contacts_judged(build->contacts_judged() + row[0].as<int64_t>());
  build->set_added(build->added() + row[1].as<int64_t>());
  build->set_excluded_do_not_call(build->excluded_do_not_call() + row[2].as<int64_t>());
  build->set_excluded_left_organization(build->excluded_left_organization() + row[3].as<int64_t>());
  build->set_excluded_no_valid_phone(build->excluded_no_valid_phone() + row[4].as<int64_t>());
  build->set_excluded_no_consent(build->excluded_no_consent() + row[5].as<int64_t>());
  build->set_excluded_cool_off(build->excluded_cool_off() + row[6].as<int64_t>());
  build->set_excluded_outside_calling_hours(build->excluded_outside_calling_hours() +
                                            row[7].as<int64_t>());
  *build->mutable_update_time() = now;
  const bool done = row[0].as<int64_t>() < batch;
  if (done) {
    build->set_state(v1::CALL_LIST_BUILD_STATE_READY);
    build->set_on_list(transaction
                           .exec_params1("SELECT count(*) FROM contact.call_list WHERE "
                                         "campaign_id = $1::uuid",
                                         campaign_id)[0]
                           .as<int64_t>());
  } else {
    after_time = row[8].as<std::string>();
    after_id = row[9].as<std::string>();
  }
  transaction.exec_params(
      "INSERT INTO contact.call_list_builds AS b (campaign_id, state, labels, zones, "
      "called_after_micros, after_time, after_id, progress) VALUES ($1::uuid, $2, $3::json, "
      "$4::json, $5, $6::timestamptz, $7::uuid, $8::bytea) ON CONFLICT (campaign_id) DO UPDATE "
      "SET state = EXCLUDED.state, labels = EXCLUDED.labels, zones = EXCLUDED.zones, "
      "called_after_micros = EXCLUDED.called_after_micros, after_time = EXCLUDED.after_time, "
      "after_id = EXCLUDED.after_id, progress = EXCLUDED.progress",
      campaign_id, static_cast<int>(build->state()), labels, zones, called_after, after_time,
      after_id, Hex(build->SerializeAsString()));
  if (!done) return ChangeEvent{};
  return EventOf(kCallListBuilt, CampaignName(campaign_id), 0,
                 std::make_shared<v1::BuildCallListResponse>(BuildResponseOf(*build)));
}

}  // namespace

std::string CallListBatchStatement() { return kCallListBatchSql; }

const std::vector<std::string>& NextCallReadTexts() {
  static const std::vector<std::string> kReads = {
      std::string(kNextCallFacts) +
          "l.lease_until IS NOT NULL AND l.lease_until < now() ORDER BY l.lease_until, "
          "l.position LIMIT 20 FOR UPDATE OF l SKIP LOCKED",
      std::string(kNextCallFacts) +
          "l.lease_until IS NULL ORDER BY l.position LIMIT 20 FOR UPDATE OF l SKIP LOCKED"};
  return kReads;
}

std::vector<std::string> NextCallReads() { return NextCallReadTexts(); }

std::vector<common::PreparedStatement> CampaignStatements() {
  static const std::string kGet =
      std::string("SELECT ") + kColumns + " FROM contact.campaigns t WHERE t.id = $1::uuid";
  const auto& reads = NextCallReadTexts();
  return {{kGetCampaign, kGet.c_str()},
          {kNextCallExpired, reads[0].c_str()},
          {kNextCallWaiting, reads[1].c_str()},
          {kNextCallLease,
           "UPDATE contact.call_list l SET agent = $3, lease_until = now() + $4 * interval "
           "'1 second', attempts = l.attempts + 1 WHERE campaign_id = $1::uuid AND contact_id = "
           "$2::uuid RETURNING " ACCORD_MICROS("l.lease_until")}};
}

PgCampaignRepository::PgCampaignRepository(common::PgPool& pool, const PiiCipher& cipher,
                                           common::IdempotentWrite& writes,
                                           CallListBuildLimits limits)
    : pool_(pool), cipher_(cipher), writes_(writes), limits_(limits) {}

absl::StatusOr<Campaign> PgCampaignRepository::Create(const Campaign& campaign,
                                                      const WriteMeta& meta) {
  ACCORD_ASSIGN_OR_RETURN(const std::string id, ParseCampaignName(campaign.name(), "name"));
  return writes_.Run<Campaign>(
      meta,
      [&](common::WriteTransaction& transaction, Campaign* out) -> absl::StatusOr<ChangeEvent> {
        ACCORD_ASSIGN_OR_RETURN(
            *out, RowToCampaign(transaction.exec_params1(
                      std::string("INSERT INTO contact.campaigns AS t (id, attributes, status) "
                                  "VALUES ($1::uuid, $2::bytea, $3) RETURNING ") +
                          kColumns,
                      id, Attributes(campaign), static_cast<int>(campaign.status()))));
        return EventOf(kCampaignCreated, out->name(), 1, std::make_shared<Campaign>(*out));
      });
}

absl::StatusOr<Campaign> PgCampaignRepository::Get(const std::string& id) {
  std::optional<pqxx::result> rows;
  ACCORD_RETURN_IF_ERROR(pool_.Read(
      [&](pqxx::transaction_base& transaction) -> absl::Status {
        rows = transaction.exec_prepared(kGetCampaign, id);
        return absl::OkStatus();
      },
      common::ReadScope::kOneStatement));
  if (rows->empty()) return common::NotFound(CampaignName(id));
  return RowToCampaign((*rows)[0]);
}

const common::filter::Schema& PgCampaignRepository::FilterSchema() const {
  return CampaignFilterSchema();
}

absl::StatusOr<CampaignPage> PgCampaignRepository::List(const CampaignListQuery& query) {
  const std::string key = query.by_update_time ? "t.update_time" : "t.create_time";
  std::string statement = std::string("SELECT ") + kColumns + ", " + common::MicrosText(key) +
                          " FROM contact.campaigns t WHERE true";
  std::vector<std::string> params = query.filter_params;
  if (!query.filter_sql.empty()) statement += " AND " + query.filter_sql;
  const common::KeysetOrder order{key, "t.id", common::kMicrosToTimestamptz, query.descending};
  common::AppendKeyset(statement, params, order, query.after, query.limit);
  CampaignPage page;
  ACCORD_RETURN_IF_ERROR(pool_.Read(
      [&](pqxx::transaction_base& transaction) -> absl::Status {
        for (const auto& row :
             transaction.exec(common::InlineParams(transaction.conn(), statement, params))) {
          ACCORD_ASSIGN_OR_RETURN(Campaign campaign, RowToCampaign(row));
          page.campaigns.push_back(std::move(campaign));
          page.keys.push_back({row[7].as<std::string>(), row[0].as<std::string>()});
        }
        return absl::OkStatus();
      },
      common::ReadScope::kOneStatement));
  return page;
}

absl::StatusOr<CampaignTallies> PgCampaignRepository::Tallies(const std::string& id) {
  CampaignTallies tallies;
  ACCORD_RETURN_IF_ERROR(pool_.Read([&](pqxx::transaction_base& transaction) -> absl::Status {
    if (transaction.exec_params("SELECT 1 FROM contact.campaigns WHERE id = $1::uuid", id)
            .empty()) {
      return common::NotFound(CampaignName(id));
    }
    // Outcomes: 1 no answer, 5 sale, 8 wrong number (InteractionOutcome).
    for (const auto& row : transaction.exec_params(
             "SELECT i.owner, to_char(i.interaction_time AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, "
             "count(*), count(*) FILTER (WHERE i.outcome NOT IN (1, 8)), "
             "count(*) FILTER (WHERE i.outcome = 5) FROM contact.interactions i "
             "WHERE i.campaign_id = $1::uuid GROUP BY 1, 2 ORDER BY 1, 2 LIMIT 100000",
             id)) {
      tallies.calls.push_back({row[0].as<std::string>(), row[1].as<std::string>(),
                               row[2].as<int64_t>(), row[3].as<int64_t>(), row[4].as<int64_t>()});
    }
    // A purchase belongs to the campaign when one of its SALE calls to the contact came at most
    // 30 days before the sale (or within a day after: clocks and paperwork); the latest such call
    // is credited.
    for (const auto& row : transaction.exec_params(
             "SELECT c.owner, c.day, p.currency, div(sum(p.total_nanos), 1000000000)::bigint, "
             "mod(sum(p.total_nanos), 1000000000)::integer, count(*) "
             "FROM contact.purchases p CROSS JOIN LATERAL ("
             "  SELECT i.owner, to_char(i.interaction_time AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS "
             "day "
             "  FROM contact.interactions i WHERE i.campaign_id = $1::uuid "
             "  AND i.contact_id = p.contact_id AND i.outcome = 5 "
             "  AND i.interaction_time BETWEEN p.sale_time - interval '30 days' "
             "  AND p.sale_time + interval '1 day' "
             "  ORDER BY i.interaction_time DESC LIMIT 1) c "
             "WHERE p.contact_id IN (SELECT contact_id FROM contact.interactions "
             "  WHERE campaign_id = $1::uuid AND outcome = 5) "
             "GROUP BY 1, 2, 3 ORDER BY 1, 2, 3 LIMIT 100000",
             id)) {
      RevenueTally tally;
      tally.agent = row[0].as<std::string>();
      tally.day = row[1].as<std::string>();
      tally.total.set_currency_code(row[2].as<std::string>());
      tally.total.set_units(row[3].as<int64_t>());
      tally.total.set_nanos(row[4].as<int32_t>());
      tally.purchases = row[5].as<int64_t>();
      tallies.revenue.push_back(std::move(tally));
    }
    return absl::OkStatus();
  }));
  return tallies;
}

absl::StatusOr<Campaign> PgCampaignRepository::Update(const std::string& id, const Mutation& mutate,
                                                      const WriteMeta& meta) {
  return writes_.Run<Campaign>(
      meta,
      [&](common::WriteTransaction& transaction, Campaign* out) -> absl::StatusOr<ChangeEvent> {
        auto rows = transaction.exec_params(
            std::string("SELECT ") + kColumns +
                " FROM contact.campaigns t WHERE t.id = $1::uuid FOR UPDATE",
            id);
        if (rows.empty()) return common::NotFound(CampaignName(id));
        ACCORD_ASSIGN_OR_RETURN(const Campaign current, RowToCampaign(rows[0]));
        ACCORD_ASSIGN_OR_RETURN(Campaign next, mutate(current));
        ACCORD_ASSIGN_OR_RETURN(
            *out, RowToCampaign(transaction.exec_params1(
                      std::string("UPDATE contact.campaigns AS t SET attributes = $2::bytea, "
                                  "status = $3, version = t.version + 1, update_time = now() "
                                  "WHERE t.id = $1::uuid RETURNING ") +
                          kColumns,
                      id, Attributes(next), static_cast<int>(next.status()))));
        ChangeEvent event = EventOf(kCampaignUpdated, out->name(), std::stoll(out->etag()),
                                    std::make_shared<Campaign>(*out));
        event.changed_fields = common::ChangedFields(current, *out, {"etag", "update_time"});
        return event;
      });
}

absl::StatusOr<std::vector<std::string>> PgCampaignRepository::CandidateTimeZones(
    const std::vector<std::string>& labels) {
  std::vector<std::string> zones;
  ACCORD_RETURN_IF_ERROR(pool_.Read(
      [&](pqxx::transaction_base& transaction) -> absl::Status {
        for (const auto& row : transaction.exec_params(
                 "SELECT DISTINCT c.time_zone FROM contact.contacts c WHERE c.delete_time IS NULL "
                 "AND (json_array_length($1::json) = 0 OR c.labels && ARRAY(SELECT "
                 "json_array_elements_text($1::json)))",
                 JsonArray(labels))) {
          zones.push_back(row[0].as<std::string>());
        }
        return absl::OkStatus();
      },
      common::ReadScope::kOneStatement));
  return zones;
}

absl::StatusOr<v1::BuildCallListResponse> PgCampaignRepository::BuildCallList(
    const std::string& campaign_id, const CallListRules& rules, const WriteMeta& meta) {
  // A retry of a call already answered gets that answer and does no work: the probe's
  // transaction finds the kept response, or claims the request id and rolls back.
  if (!meta.request_id.empty()) {
    bool claimed = false;
    auto kept = writes_.Run<v1::BuildCallListResponse>(
        meta,
        [&](common::WriteTransaction&, v1::BuildCallListResponse*) -> absl::StatusOr<ChangeEvent> {
          claimed = true;
          return absl::CancelledError("probe");
        });
    if (!claimed) return kept;
  }
  // Each batch commits on its own (no request id: going on with a build is the same whoever
  // asks); the last one of the build appends CallListBuilt.
  WriteMeta step = meta;
  step.request_id.clear();
  step.fingerprint.clear();
  const auto until = std::chrono::steady_clock::now() + limits_.slice;
  int64_t batch = limits_.first_batch;
  v1::CallListBuild build;
  do {
    const auto started = std::chrono::steady_clock::now();
    ACCORD_ASSIGN_OR_RETURN(build, writes_.Run<v1::CallListBuild>(
                                       step,
                                       [&](common::WriteTransaction& transaction,
                                           v1::CallListBuild* out) -> absl::StatusOr<ChangeEvent> {
                                         return BuildStep(transaction, campaign_id, rules, batch,
                                                          out);
                                       }));
    batch = NextBatch(batch, std::chrono::steady_clock::now() - started);
  } while (build.state() == v1::CALL_LIST_BUILD_STATE_BUILDING &&
           std::chrono::steady_clock::now() < until);
  // The call's answer: where the build stands, kept for a retry with its request id.
  return writes_.Run<v1::BuildCallListResponse>(
      meta,
      [&](common::WriteTransaction&,
          v1::BuildCallListResponse* out) -> absl::StatusOr<ChangeEvent> {
        *out = BuildResponseOf(build);
        return ChangeEvent{};
      });
}

absl::StatusOr<std::optional<Lease>> PgCampaignRepository::NextCall(const std::string& campaign_id,
                                                                    const Caller& agent,
                                                                    int lease_seconds,
                                                                    const Decide& decide,
                                                                    const WriteMeta& meta) {
  std::optional<Lease> lease;
  std::optional<std::vector<std::string>> phones;  // set only when the transaction ran
  ACCORD_ASSIGN_OR_RETURN(
      v1::CallAssignment taken,
      writes_.Run<v1::CallAssignment>(
          meta,
          [&](common::WriteTransaction& transaction,
              v1::CallAssignment* out) -> absl::StatusOr<ChangeEvent> {
            // SKIP LOCKED: rows another agent's transaction is taking are passed over, not
            // waited for; a row it has taken carries a lease in the future and is filtered out
            // (PostgreSQL re-checks the condition on the latest row version it locks). Two
            // reads, each over a partial index that holds only what it may take (migration
            // 0008): leases run out, by expiry, then rows never leased or put back, by
            // position. Leased and deferred rows are in neither, so the walk does not grow as
            // the list is worked through.
            for (const char* read : {kNextCallExpired, kNextCallWaiting}) {
              for (const auto& row : transaction.exec_prepared(read, campaign_id)) {
                CallCandidate candidate;
                candidate.contact_id = row[0].as<std::string>();
                candidate.do_not_call = row[1].as<bool>();
                candidate.status = static_cast<v1::ContactStatus>(row[2].as<int>());
                candidate.phone_unverified = row[3].as<bool>();
                candidate.time_zone = row[4].as<std::string>();
                candidate.has_phone = row[5].as<bool>();
                candidate.phone_marketing = static_cast<v1::ConsentDecision>(row[6].as<int>());
                const HandOut verdict = decide(candidate);
                if (verdict == HandOut::kDrop) {
                  transaction.exec_params0(
                      "UPDATE contact.call_list SET state = 2 WHERE campaign_id = $1::uuid AND "
                      "contact_id = $2::uuid",
                      campaign_id, candidate.contact_id);
                  continue;
                }
                if (verdict == HandOut::kLater) {
                  transaction.exec_params0(
                      "UPDATE contact.call_list SET agent = NULL, lease_until = now() + interval "
                      "'15 minutes' WHERE campaign_id = $1::uuid AND contact_id = $2::uuid",
                      campaign_id, candidate.contact_id);
                  continue;
                }
                auto leased =
                    transaction.exec_prepared1(kNextCallLease, campaign_id, candidate.contact_id,
                                               agent.principal.subject, lease_seconds);
                // The agent sees the phones of the contact handed to it: opened from the row the
                // read above returned, and that read logged with the lease (no second round trip
                // for the contact, no second commit for the log).
                const std::string contact_name = ContactName(candidate.contact_id);
                ACCORD_ASSIGN_OR_RETURN(
                    std::string opened,
                    cipher_.Open(Sealed{row[8].as<std::string>(), pqxx::binarystring(row[7]).str()},
                                 contact_name));
                v1::Contact personal;
                if (!personal.ParseFromString(opened)) {
                  return common::Internal("corrupt personal data of " + contact_name);
                }
                phones.emplace();
                for (const auto& phone : personal.phones()) phones->push_back(phone.number());
                if (!phones->empty()) {
                  AppendAccessIn(transaction, agent,
                                 {AccessRecord{candidate.contact_id, {"phones"}}});
                }
                out->set_campaign(CampaignName(campaign_id));
                out->set_contact(ContactName(candidate.contact_id));
                *out->mutable_lease_expire_time() =
                    TimeUtil::MicrosecondsToTimestamp(leased[0].as<int64_t>());
                return EventOf(kCallHandedOut, CampaignName(campaign_id), 0,
                               std::make_shared<v1::CallAssignment>(*out));
              }
            }
            return ChangeEvent{};  // nobody handed out; dropped or deferred rows still commit
          }));
  if (taken.contact().empty()) return lease;
  lease = Lease{taken.contact().substr(9),
                TimeUtil::TimestampToMicroseconds(taken.lease_expire_time()), std::move(phones)};
  return lease;
}

absl::StatusOr<Interaction> PgCampaignRepository::RecordOutcome(
    const std::string& campaign_id, const std::string& contact_id, const std::string& agent,
    const Interaction& interaction, const InteractionEffects& effects, bool back_on_list,
    const WriteMeta& meta) {
  return writes_.Run<Interaction>(
      meta,
      [&](common::WriteTransaction& transaction, Interaction* out) -> absl::StatusOr<ChangeEvent> {
        auto rows = transaction.exec_params(
            "SELECT state, COALESCE(agent, '') FROM contact.call_list WHERE campaign_id = "
            "$1::uuid AND contact_id = $2::uuid FOR UPDATE",
            campaign_id, contact_id);
        if (rows.empty() || rows[0][0].as<int>() != 0 || rows[0][1].as<std::string>() != agent) {
          return common::FailedPrecondition(
              "NOT_YOUR_CALL", ContactName(contact_id) + " is not handed to " + agent + " in " +
                                   CampaignName(campaign_id) + " (ask NextCall)");
        }
        if (transaction
                .exec_params("SELECT 1 FROM contact.contacts WHERE id = $1::uuid AND "
                             "delete_time IS NULL FOR SHARE",
                             contact_id)
                .empty()) {
          return common::NotFound(ContactName(contact_id));
        }
        ACCORD_ASSIGN_OR_RETURN(
            *out, InsertInteraction(transaction, cipher_, contact_id, interaction, effects));
        transaction.exec_params0(
            "UPDATE contact.call_list SET state = $3, agent = NULL, lease_until = NULL WHERE "
            "campaign_id = $1::uuid AND contact_id = $2::uuid",
            campaign_id, contact_id, back_on_list ? 0 : 1);
        auto payload = std::make_shared<Interaction>(*out);
        payload->clear_summary();
        return EventOf(kInteractionLogged, out->name(), 1, std::move(payload));
      });
}

}  // namespace accord::contact
