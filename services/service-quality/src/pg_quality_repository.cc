#include "pg_quality_repository.h"

#include <google/protobuf/empty.pb.h>
#include <google/protobuf/util/time_util.h>

#include <array>
#include <cstdio>
#include <map>
#include <set>
#include <tuple>

#include "absl/strings/escaping.h"
#include "accord/common/errors.h"
#include "accord/common/ids.h"
#include "accord/common/pg_array.h"
#include "case_rules.h"

namespace accord::quality {
namespace {

using google::protobuf::util::TimeUtil;

// Timestamps travel as exact epoch microseconds in text; '' is NULL.
#define ACCORD_US(column) "(extract(epoch FROM " column ") * 1000000)::bigint"
#define ACCORD_TS(n) \
  "(timestamptz 'epoch' + NULLIF($" #n ", '')::bigint * interval '1 microsecond')"

std::string MicrosOf(Instant at) { return std::to_string(at.time_since_epoch().count()); }
std::string MicrosOf(const std::optional<Instant>& at) { return at ? MicrosOf(*at) : ""; }
std::string MicrosOf(const google::protobuf::Timestamp& at) {
  if (at.seconds() == 0 && at.nanos() == 0) return "";
  return std::to_string(TimeUtil::TimestampToMicroseconds(at));
}
// A double that reads back as the same double.
std::string ExactText(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.17g", value);
  return buffer;
}
template <typename T>
std::string TextOf(const std::optional<T>& value) {
  if (!value) return "";
  if constexpr (std::is_same_v<T, bool>) return *value ? "true" : "false";
  return std::to_string(*value);
}
std::optional<Instant> InstantOf(const pqxx::field& field) {
  if (field.is_null()) return std::nullopt;
  return Instant(Micros(field.as<int64_t>()));
}
google::protobuf::Timestamp TimestampOf(const pqxx::field& field) {
  return TimeUtil::MicrosecondsToTimestamp(field.as<int64_t>());
}
std::string Base64(const google::protobuf::Message& message) {
  return absl::Base64Escape(message.SerializeAsString());
}
template <typename T>
T ParseBody(const pqxx::field& field) {
  T message;
  message.ParseFromString(pqxx::binarystring(field).str());
  return message;
}
pqxx::result Exec(pqxx::transaction_base& transaction, const std::string& sql,
                  const std::vector<std::string>& params) {
  return transaction.exec_params(sql, pqxx::prepare::make_dynamic_params(params));
}

// ---- calendars ----------------------------------------------------------------------------------

#define ACCORD_CALENDAR_COLUMNS                                                \
  "k.id::text, k.body, k.version, " ACCORD_US("k.create_time") ", " ACCORD_US( \
      "k.update_time") ", " ACCORD_US("k.delete_time")

// A calendar or SLA policy in the six columns from `at` (ACCORD_CALENDAR_COLUMNS,
// ACCORD_POLICY_COLUMNS): id, body, version, create, update and delete time.
template <typename T>
T RowToVersioned(const pqxx::row& row, int at, const std::string& collection) {
  auto item = ParseBody<T>(row[at + 1]);
  item.set_name(collection + "/" + row[at].as<std::string>());
  item.set_etag(row[at + 2].as<std::string>());
  *item.mutable_create_time() = TimestampOf(row[at + 3]);
  *item.mutable_update_time() = TimestampOf(row[at + 4]);
  if (!row[at + 5].is_null()) *item.mutable_delete_time() = TimestampOf(row[at + 5]);
  return item;
}
v1::Calendar RowToCalendarAt(const pqxx::row& row, int at) {
  return RowToVersioned<v1::Calendar>(row, at, "calendars");
}
v1::Calendar RowToCalendar(const pqxx::row& row) { return RowToCalendarAt(row, 0); }

// What the body column keeps: everything but the columns of its own.
template <typename T>
T BodyOf(T item) {
  item.clear_name();
  item.clear_etag();
  item.clear_create_time();
  item.clear_update_time();
  item.clear_delete_time();
  return item;
}

constexpr common::PreparedStatement kGetCalendarAny{
    "quality_calendar_any",
    "SELECT " ACCORD_CALENDAR_COLUMNS " FROM service_quality.calendars k WHERE k.id = $1::uuid"};
constexpr common::PreparedStatement kGetLiveCalendar{
    "quality_calendar_live", "SELECT " ACCORD_CALENDAR_COLUMNS
                             " FROM service_quality.calendars k WHERE k.id = $1::uuid AND "
                             "k.delete_time IS NULL"};

// `with_deleted`: a case's clock keeps running on a calendar deleted after the case opened.
absl::StatusOr<v1::Calendar> LoadCalendar(pqxx::transaction_base& transaction,
                                          const std::string& id, bool lock,
                                          bool with_deleted = false) {
  if (!lock) {
    // Every case change and case read of a case with an SLA reads its calendar: prepared.
    auto rows =
        transaction.exec_prepared(with_deleted ? kGetCalendarAny.name : kGetLiveCalendar.name, id);
    if (rows.empty()) return common::NotFound("calendars/" + id);
    return RowToCalendar(rows[0]);
  }
  auto rows =
      Exec(transaction,
           std::string("SELECT " ACCORD_CALENDAR_COLUMNS
                       " FROM service_quality.calendars k WHERE k.id = $1::uuid") +
               (with_deleted ? "" : " AND k.delete_time IS NULL") + (lock ? " FOR UPDATE" : ""),
           {id});
  if (rows.empty()) return common::NotFound("calendars/" + id);
  return RowToCalendar(rows[0]);
}

CalendarLookup LookupIn(pqxx::transaction_base& transaction) {
  return [&transaction](const std::string& name) -> absl::StatusOr<v1::Calendar> {
    ACCORD_ASSIGN_OR_RETURN(std::string id, ParseSimpleName(name, "calendars", "calendar"));
    return LoadCalendar(transaction, id, false, /*with_deleted=*/true);
  };
}

// ---- SLA policies -------------------------------------------------------------------------------

#define ACCORD_POLICY_COLUMNS                                                  \
  "p.id::text, p.body, p.version, " ACCORD_US("p.create_time") ", " ACCORD_US( \
      "p.update_time") ", " ACCORD_US("p.delete_time")

v1::SlaPolicy RowToPolicy(const pqxx::row& row) {
  return RowToVersioned<v1::SlaPolicy>(row, 0, "slaPolicies");
}

// ---- cases --------------------------------------------------------------------------------------

#define ACCORD_CASE_COLUMNS \
  "c.id::text, c.body, c.version, " ACCORD_US("c.create_time") ", " ACCORD_US(                  \
      "c.update_time") ", " ACCORD_US("c.clock_start") ", c.sla_cycle, c.sla_recorded, " ACCORD_US( \
      "c.sla_next_check") ", " ACCORD_US("c.first_response_warn") ", " ACCORD_US(               \
      "c.first_response_due") ", " ACCORD_US("c.resolution_warn") ", " ACCORD_US(               \
      "c.resolution_due") ", c.first_response_seconds, c.first_response_met, "                  \
                          "c.resolution_seconds, c.resolution_met, c.resolved_ever"

constexpr int kCaseColumnCount = 18;

CaseRecord RowToCase(const pqxx::row& row) {
  CaseRecord record;
  record.value = ParseBody<v1::Case>(row[1]);
  record.value.set_name(CaseName(row[0].as<std::string>()));
  record.version = row[2].as<int64_t>();
  record.value.set_etag(row[2].as<std::string>());
  *record.value.mutable_create_time() = TimestampOf(row[3]);
  *record.value.mutable_update_time() = TimestampOf(row[4]);
  record.clock_start = Instant(Micros(row[5].as<int64_t>()));
  record.cycle = row[6].as<int>();
  record.recorded = row[7].as<int>();
  record.next_check = InstantOf(row[8]);
  record.deadlines.first_response_warn = InstantOf(row[9]);
  record.deadlines.first_response_due = InstantOf(row[10]);
  record.deadlines.resolution_warn = InstantOf(row[11]);
  record.deadlines.resolution_due = InstantOf(row[12]);
  if (!row[13].is_null()) record.first_response_seconds = row[13].as<int64_t>();
  record.first_response_met = !row[14].is_null() && row[14].as<bool>();
  if (!row[15].is_null()) record.resolution_seconds = row[15].as<int64_t>();
  record.resolution_met = !row[16].is_null() && row[16].as<bool>();
  record.resolved_ever = row[17].as<bool>();
  return record;
}

std::vector<std::string> CaseParams(const std::string& id, const CaseRecord& record) {
  const v1::Case& c = record.value;
  v1::Case body = c;
  body.clear_name();
  body.clear_etag();
  body.clear_create_time();
  body.clear_update_time();
  return {id,
          c.account(),
          c.contact(),
          std::to_string(c.channel()),
          std::to_string(c.kind()),
          std::to_string(c.category()),
          std::to_string(c.status()),
          std::to_string(c.priority()),
          std::to_string(c.impact()),
          std::to_string(c.urgency()),
          std::to_string(c.account_tier()),
          c.assignee(),
          c.team(),
          std::to_string(c.escalation_level()),
          c.description(),
          std::to_string(c.reopen_count()),
          Base64(body),
          MicrosOf(record.clock_start),
          std::to_string(record.cycle),
          std::to_string(record.recorded),
          MicrosOf(record.next_check),
          MicrosOf(record.deadlines.first_response_warn),
          MicrosOf(record.deadlines.first_response_due),
          MicrosOf(record.deadlines.resolution_warn),
          MicrosOf(record.deadlines.resolution_due),
          MicrosOf(c.sla().first_response_time()),
          TextOf(record.first_response_seconds),
          record.first_response_seconds ? (record.first_response_met ? "true" : "false") : "",
          MicrosOf(c.resolution().resolve_time()),
          TextOf(record.resolution_seconds),
          record.resolution_seconds ? (record.resolution_met ? "true" : "false") : "",
          record.resolved_ever ? "true" : "false"};
}

constexpr common::PreparedStatement kFindPolicy{
    "quality_policy_find",
    "SELECT " ACCORD_POLICY_COLUMNS ", " ACCORD_CALENDAR_COLUMNS
    " FROM service_quality.sla_policies p JOIN service_quality.calendars k ON k.id = "
    "p.calendar_id WHERE p.priority = $2::smallint AND p.tier IN ($1::smallint, 0) AND "
    "p.delete_time IS NULL AND k.delete_time IS NULL ORDER BY (p.tier = $1::smallint) DESC "
    "LIMIT 1"};

constexpr char kInsertCase[] =
    "INSERT INTO service_quality.cases AS c (id, account, contact, channel, kind, category, "
    "status, priority, impact, urgency, tier, assignee, team, escalation_level, description, "
    "reopen_count, body, clock_start, sla_cycle, sla_recorded, sla_next_check, "
    "first_response_warn, first_response_due, resolution_warn, resolution_due, "
    "first_response_time, first_response_seconds, first_response_met, resolve_time, "
    "resolution_seconds, resolution_met, resolved_ever) VALUES ($1::uuid, $2, $3, "
    "$4::smallint, $5::smallint, $6::smallint, $7::smallint, $8::smallint, $9::smallint, "
    "$10::smallint, $11::smallint, $12, $13, $14::smallint, $15, $16::int, decode($17, 'base64'), "
    ACCORD_TS(18) ", $19::int, $20::int, " ACCORD_TS(21) ", " ACCORD_TS(22) ", " ACCORD_TS(
        23) ", " ACCORD_TS(24) ", " ACCORD_TS(25) ", " ACCORD_TS(26) ", NULLIF($27, '')::bigint, "
    "NULLIF($28, '')::boolean, " ACCORD_TS(29) ", NULLIF($30, '')::bigint, "
    "NULLIF($31, '')::boolean, $32::boolean) RETURNING " ACCORD_CASE_COLUMNS;

constexpr char kUpdateCase[] =
    "UPDATE service_quality.cases AS c SET account = $2, contact = $3, channel = $4::smallint, "
    "kind = $5::smallint, category = $6::smallint, status = $7::smallint, "
    "priority = $8::smallint, impact = $9::smallint, urgency = $10::smallint, "
    "tier = $11::smallint, assignee = $12, team = $13, escalation_level = $14::smallint, "
    "description = $15, reopen_count = $16::int, body = decode($17, 'base64'), "
    "clock_start = " ACCORD_TS(18) ", sla_cycle = $19::int, sla_recorded = $20::int, "
    "sla_next_check = " ACCORD_TS(21) ", first_response_warn = " ACCORD_TS(
        22) ", first_response_due = " ACCORD_TS(23) ", resolution_warn = " ACCORD_TS(24) ", "
    "resolution_due = " ACCORD_TS(25) ", first_response_time = " ACCORD_TS(26) ", "
    "first_response_seconds = NULLIF($27, '')::bigint, "
    "first_response_met = NULLIF($28, '')::boolean, resolve_time = " ACCORD_TS(29) ", "
    "resolution_seconds = NULLIF($30, '')::bigint, resolution_met = NULLIF($31, '')::boolean, "
    "resolved_ever = $32::boolean, version = c.version + 1, update_time = now() "
    "WHERE c.id = $1::uuid RETURNING " ACCORD_CASE_COLUMNS;

constexpr common::PreparedStatement kInsertCaseStatement{"quality_case_insert", kInsertCase};
constexpr common::PreparedStatement kUpdateCaseStatement{"quality_case_update", kUpdateCase};

// kUpdateCase for many cases in one statement: the same SET with each $N read from the N-th
// text[] parameter's row (CaseParams of every case, column by column).
size_t UpdateColumnCount() { return CaseParams("", CaseRecord()).size(); }

const std::string& UpdateCasesSql() {
  static const std::string kSql = [] {
    const std::string update = kUpdateCase;
    const size_t set = update.find(" SET ");
    const size_t where = update.find(" WHERE c.id = $1::uuid");
    std::string assignments = update.substr(set, where - set);
    std::string rewritten;
    for (size_t i = 0; i < assignments.size(); ++i) {
      if (assignments[i] == '$') {
        rewritten += "v.p";
        continue;
      }
      rewritten += assignments[i];
    }
    const size_t columns = UpdateColumnCount();
    std::string arrays;
    std::string names;
    for (size_t n = 1; n <= columns; ++n) {
      if (n > 1) {
        arrays += ", ";
        names += ", ";
      }
      arrays += "$" + std::to_string(n) + "::text[]";
      names += "p" + std::to_string(n);
    }
    return update.substr(0, set) + rewritten + " FROM unnest(" + arrays + ") AS v(" + names +
           ") WHERE c.id = v.p1::uuid RETURNING " ACCORD_CASE_COLUMNS;
  }();
  return kSql;
}
constexpr common::PreparedStatement kGetCase{"quality_case_get",
                                             "SELECT " ACCORD_CASE_COLUMNS
                                             " FROM service_quality.cases c WHERE c.id = $1::uuid"};
constexpr common::PreparedStatement kLockCase{
    "quality_case_lock",
    "SELECT " ACCORD_CASE_COLUMNS " FROM service_quality.cases c WHERE c.id = $1::uuid FOR UPDATE"};

// ---- timeline -----------------------------------------------------------------------------------

#define ACCORD_TIMELINE_COLUMNS                                                           \
  "t.id::text, t.case_id::text, t.kind, t.text, t.customer_visible, t.actor, " ACCORD_US( \
      "t.create_time")

constexpr common::PreparedStatement kInsertTimelineEntry{
    "quality_timeline_insert",
    "INSERT INTO service_quality.timeline_entries AS t (id, case_id, kind, text, "
    "customer_visible, actor) VALUES ($1::uuid, $2::uuid, $3::smallint, $4, $5::boolean, $6) "
    "RETURNING " ACCORD_TIMELINE_COLUMNS};

v1::TimelineEntry RowToEntry(const pqxx::row& row) {
  v1::TimelineEntry entry;
  entry.set_name(TimelineEntryName(row[1].as<std::string>(), row[0].as<std::string>()));
  entry.set_kind(static_cast<v1::TimelineEntryKind>(row[2].as<int>()));
  entry.set_text(row[3].as<std::string>());
  entry.set_customer_visible(row[4].as<bool>());
  entry.set_actor(row[5].as<std::string>());
  *entry.mutable_create_time() = TimestampOf(row[6]);
  return entry;
}

// ---- surveys ------------------------------------------------------------------------------------

#define ACCORD_SURVEY_COLUMNS                                                                 \
  "s.id::text, s.account, s.contact, COALESCE(s.case_id::text, ''), s.state, s.csat, s.nps, " \
  "s.effort, s.comment, s.version, " ACCORD_US("s.create_time") ", " ACCORD_US("s.answer_time")

v1::Survey RowToSurvey(const pqxx::row& row) {
  v1::Survey survey;
  survey.set_name("surveys/" + row[0].as<std::string>());
  survey.set_account(row[1].as<std::string>());
  survey.set_contact(row[2].as<std::string>());
  if (!row[3].as<std::string>().empty()) survey.set_case_(CaseName(row[3].as<std::string>()));
  survey.set_state(static_cast<v1::SurveyState>(row[4].as<int>()));
  if (!row[5].is_null()) survey.set_csat(row[5].as<int>());
  if (!row[6].is_null()) survey.set_nps(row[6].as<int>());
  if (!row[7].is_null()) survey.set_effort(row[7].as<int>());
  survey.set_comment(row[8].as<std::string>());
  survey.set_etag(row[9].as<std::string>());
  *survey.mutable_create_time() = TimestampOf(row[10]);
  if (!row[11].is_null()) *survey.mutable_answer_time() = TimestampOf(row[11]);
  return survey;
}

// ---- lists --------------------------------------------------------------------------------------

// `select` ends in a WHERE clause; appends the filter, the keyset and the order, and reads each
// row with `convert`. The sort key is selected as the last column.
template <typename T>
absl::StatusOr<Page<T>> ListRows(common::PgPool& pool, const std::string& columns,
                                 const std::string& from_where, std::vector<std::string> params,
                                 const ListQuery& query,
                                 const std::function<T(const pqxx::row&)>& convert) {
  const std::string sort_key =
      query.order_is_time ? common::MicrosText(query.order_column) : query.order_column + "::text";
  std::string statement = "SELECT " + columns + ", " + sort_key + ", " +
                          query.order_column.substr(0, query.order_column.find('.')) +
                          ".id::text " + from_where;
  // Filters are compiled with placeholders from $1; shift them past the parameters given.
  std::string filter = query.filter_sql;
  if (!filter.empty()) {
    const size_t offset = params.size();
    if (offset > 0) {
      std::string shifted;
      for (size_t i = 0; i < filter.size(); ++i) {
        if (filter[i] == '$' && i + 1 < filter.size() && std::isdigit(filter[i + 1])) {
          size_t end = i + 1;
          while (end < filter.size() && std::isdigit(filter[end])) ++end;
          shifted += "$" + std::to_string(std::stoul(filter.substr(i + 1, end - i - 1)) + offset);
          i = end - 1;
        } else {
          shifted += filter[i];
        }
      }
      filter = shifted;
    }
    statement += " AND " + filter;
    for (const auto& param : query.filter_params) params.push_back(param);
  }
  const std::string alias = query.order_column.substr(0, query.order_column.find('.'));
  common::KeysetOrder order{
      query.order_column, alias + ".id",
      query.order_is_time ? common::kMicrosToTimestamptz : query.key_from_text, query.descending};
  common::AppendKeyset(statement, params, order, query.after, query.limit);
  Page<T> page;
  ACCORD_RETURN_IF_ERROR(pool.Read(
      [&](pqxx::transaction_base& transaction) -> absl::Status {
        // Values as literals, so that the statement is planned for them: sessions force generic
        // plans, under which `description ILIKE $1` or `status = $1` is planned without its value.
        auto rows = transaction.exec(common::InlineParams(transaction.conn(), statement, params));
        for (const auto& row : rows) {
          page.items.push_back(convert(row));
          const auto n = row.size();
          page.keys.push_back({row[n - 2].as<std::string>(), row[n - 1].as<std::string>()});
        }
        return absl::OkStatus();
      },
      common::ReadScope::kOneStatement));
  return page;
}

std::string IdOf(const std::string& name) { return name.substr(name.rfind('/') + 1); }

// The one row `select` finds for `id` ($1), or NOT_FOUND naming `missing`.
template <typename T>
absl::StatusOr<T> ReadOne(common::PgPool& pool, const std::string& select, const std::string& id,
                          const std::string& missing,
                          const std::function<T(const pqxx::row&)>& convert) {
  T out;
  ACCORD_RETURN_IF_ERROR(pool.Read(
      [&](pqxx::transaction_base& transaction) -> absl::Status {
        auto rows = Exec(transaction, select, {id});
        if (rows.empty()) return common::NotFound(missing);
        out = convert(rows[0]);
        return absl::OkStatus();
      },
      common::ReadScope::kOneStatement));
  return out;
}

// The rows of `select` (ending in a WHERE clause on the period, $1 and $2) in [start, end), of
// `account` only unless it is empty, each read with `convert`. Literals rather than bound
// parameters, so each period and account is planned for what it selects (see InlineParams).
template <typename T>
absl::StatusOr<std::vector<T>> ReportRows(common::PgPool& pool, const std::string& select,
                                          const char* account_column, Instant start, Instant end,
                                          const std::string& account,
                                          const std::function<T(const pqxx::row&)>& convert) {
  std::vector<std::string> params = {MicrosOf(start), MicrosOf(end)};
  std::string sql = select;
  if (!account.empty()) {
    sql += std::string(" AND ") + account_column + " = $3";
    params.push_back(account);
  }
  std::vector<T> out;
  ACCORD_RETURN_IF_ERROR(pool.Read(
      [&](pqxx::transaction_base& transaction) -> absl::Status {
        auto rows = transaction.exec(common::InlineParams(transaction.conn(), sql, params));
        out.reserve(rows.size());
        for (const auto& row : rows) out.push_back(convert(row));
        return absl::OkStatus();
      },
      common::ReadScope::kOneStatement));
  return out;
}

}  // namespace

PgQualityRepository::PgQualityRepository(common::PgPool& pool)
    : pool_(pool), writer_(pool, kSchema, kServiceName), outbox_(kSchema, kServiceName) {}

namespace {

// The event `type` of `subject` at `version`; `changed` lists an update's changed fields.
common::Event QualityEvent(const std::string& type, const std::string& subject, int64_t version,
                           const google::protobuf::Message& payload,
                           std::vector<std::string> changed = {}) {
  common::Event event = common::MakeEvent(type, subject, version, payload);
  event.changed_fields = std::move(changed);
  return event;
}

// A change of cases: described by its events, or by none when the case rules emitted none.
template <typename Response>
common::Written<Response> CaseWritten(Response response, std::vector<common::Event> events) {
  if (events.empty()) return common::Written<Response>::Unchanged(std::move(response));
  return common::Written<Response>(std::move(response), std::move(events));
}

template <typename T>
absl::StatusOr<std::string> Serialized(const absl::StatusOr<T>& message) {
  if (!message.ok()) return message.status();
  return message->SerializeAsString();
}

}  // namespace

// ---- calendars ----------------------------------------------------------------------------------

absl::StatusOr<v1::Calendar> PgQualityRepository::CreateCalendar(const v1::Calendar& calendar,
                                                                 const WriteMeta& meta) {
  return writer_.Run<v1::Calendar>(
      meta,
      [&](common::WriteTransaction& transaction) -> absl::StatusOr<common::Written<v1::Calendar>> {
        auto row = transaction.exec_params1(
            "INSERT INTO service_quality.calendars AS k (id, display_name, time_zone, body) "
            "VALUES ($1::uuid, $2, $3, decode($4, 'base64')) RETURNING " ACCORD_CALENDAR_COLUMNS,
            common::NewUuidV7(), calendar.display_name(), calendar.time_zone(),
            Base64(BodyOf(calendar)));
        const v1::Calendar stored = RowToCalendar(row);
        return common::Written<v1::Calendar>(
            stored, QualityEvent("accord.quality.v1.CalendarCreated", stored.name(), 1, stored));
      });
}

absl::StatusOr<v1::Calendar> PgQualityRepository::GetCalendar(const std::string& id,
                                                              bool with_deleted) {
  v1::Calendar calendar;
  ACCORD_RETURN_IF_ERROR(pool_.Read(
      [&](pqxx::transaction_base& transaction) -> absl::Status {
        ACCORD_ASSIGN_OR_RETURN(calendar, LoadCalendar(transaction, id, false, with_deleted));
        return absl::OkStatus();
      },
      common::ReadScope::kOneStatement));
  return calendar;
}

absl::StatusOr<Page<v1::Calendar>> PgQualityRepository::ListCalendars(const ListQuery& query) {
  return ListRows<v1::Calendar>(pool_, ACCORD_CALENDAR_COLUMNS,
                                "FROM service_quality.calendars k WHERE k.delete_time IS NULL", {},
                                query, RowToCalendar);
}

absl::StatusOr<v1::Calendar> PgQualityRepository::UpdateCalendar(const std::string& id,
                                                                 const CalendarMutation& mutate,
                                                                 const WriteMeta& meta) {
  return writer_.Run<v1::Calendar>(
      meta,
      [&](common::WriteTransaction& transaction) -> absl::StatusOr<common::Written<v1::Calendar>> {
        ACCORD_ASSIGN_OR_RETURN(v1::Calendar current, LoadCalendar(transaction.Begun(), id, true));
        ACCORD_ASSIGN_OR_RETURN(v1::Calendar next, mutate(current));
        auto row = transaction.exec_params1(
            "UPDATE service_quality.calendars AS k SET display_name = $2, time_zone = $3, "
            "body = decode($4, 'base64'), version = k.version + 1, update_time = now() "
            "WHERE k.id = $1::uuid RETURNING " ACCORD_CALENDAR_COLUMNS,
            id, next.display_name(), next.time_zone(), Base64(BodyOf(next)));
        const v1::Calendar stored = RowToCalendar(row);
        return common::Written<v1::Calendar>(
            stored, QualityEvent("accord.quality.v1.CalendarUpdated", stored.name(),
                                 std::stoll(stored.etag()), stored));
      });
}

// ---- SLA policies -------------------------------------------------------------------------------

absl::StatusOr<v1::SlaPolicy> PgQualityRepository::CreateSlaPolicy(const v1::SlaPolicy& policy,
                                                                   const WriteMeta& meta) {
  return writer_.Run<v1::SlaPolicy>(
      meta,
      [&](common::WriteTransaction& transaction) -> absl::StatusOr<common::Written<v1::SlaPolicy>> {
        const std::string calendar_id = IdOf(policy.calendar());
        // Locked so that the calendar cannot go while the policy points at it.
        ACCORD_RETURN_IF_ERROR(LoadCalendar(transaction.Begun(), calendar_id, true).status());
        auto row = transaction.exec_params1(
            "INSERT INTO service_quality.sla_policies AS p (id, display_name, tier, priority, "
            "calendar_id, body) VALUES ($1::uuid, $2, $3::smallint, $4::smallint, $5::uuid, "
            "decode($6, 'base64')) RETURNING " ACCORD_POLICY_COLUMNS,
            common::NewUuidV7(), policy.display_name(), static_cast<int>(policy.tier()),
            static_cast<int>(policy.priority()), calendar_id, Base64(BodyOf(policy)));
        const v1::SlaPolicy stored = RowToPolicy(row);
        return common::Written<v1::SlaPolicy>(
            stored, QualityEvent("accord.quality.v1.SlaPolicyCreated", stored.name(), 1, stored));
      });
}

absl::StatusOr<v1::SlaPolicy> PgQualityRepository::GetSlaPolicy(const std::string& id) {
  return ReadOne<v1::SlaPolicy>(pool_,
                                "SELECT " ACCORD_POLICY_COLUMNS
                                " FROM service_quality.sla_policies p WHERE p.id = $1::uuid "
                                "AND p.delete_time IS NULL",
                                id, "slaPolicies/" + id, RowToPolicy);
}

absl::StatusOr<Page<v1::SlaPolicy>> PgQualityRepository::ListSlaPolicies(const ListQuery& query) {
  return ListRows<v1::SlaPolicy>(pool_, ACCORD_POLICY_COLUMNS,
                                 "FROM service_quality.sla_policies p WHERE p.delete_time IS NULL",
                                 {}, query, RowToPolicy);
}

absl::StatusOr<v1::SlaPolicy> PgQualityRepository::UpdateSlaPolicy(const std::string& id,
                                                                   const PolicyMutation& mutate,
                                                                   const WriteMeta& meta) {
  return writer_.Run<v1::SlaPolicy>(
      meta,
      [&](common::WriteTransaction& transaction) -> absl::StatusOr<common::Written<v1::SlaPolicy>> {
        auto rows = Exec(transaction.Begun(),
                         "SELECT " ACCORD_POLICY_COLUMNS
                         " FROM service_quality.sla_policies p WHERE p.id = $1::uuid "
                         "AND p.delete_time IS NULL FOR UPDATE",
                         {id});
        if (rows.empty()) return common::NotFound("slaPolicies/" + id);
        ACCORD_ASSIGN_OR_RETURN(v1::SlaPolicy next, mutate(RowToPolicy(rows[0])));
        const std::string calendar_id = IdOf(next.calendar());
        ACCORD_RETURN_IF_ERROR(LoadCalendar(transaction.Begun(), calendar_id, true).status());
        auto row = transaction.exec_params1(
            "UPDATE service_quality.sla_policies AS p SET display_name = $2, calendar_id = "
            "$3::uuid, body = decode($4, 'base64'), version = p.version + 1, update_time = now() "
            "WHERE p.id = $1::uuid RETURNING " ACCORD_POLICY_COLUMNS,
            id, next.display_name(), calendar_id, Base64(BodyOf(next)));
        const v1::SlaPolicy stored = RowToPolicy(row);
        return common::Written<v1::SlaPolicy>(
            stored, QualityEvent("accord.quality.v1.SlaPolicyUpdated", stored.name(),
                                 std::stoll(stored.etag()), stored));
      });
}

absl::StatusOr<std::optional<PolicyMatch>> PgQualityRepository::FindPolicy(int tier, int priority) {
  std::optional<PolicyMatch> match;
  ACCORD_RETURN_IF_ERROR(pool_.Read(
      [&](pqxx::transaction_base& transaction) -> absl::Status {
        auto rows = transaction.exec_prepared(kFindPolicy.name, tier, priority);
        if (rows.empty()) return absl::OkStatus();
        match = PolicyMatch{RowToPolicy(rows[0]), RowToCalendarAt(rows[0], 6)};
        return absl::OkStatus();
      },
      common::ReadScope::kOneStatement));
  return match;
}

absl::StatusOr<v1::SlaPolicy> PgQualityRepository::DeleteSlaPolicy(const std::string& id,
                                                                   const PolicyMutation& check,
                                                                   const WriteMeta& meta) {
  return writer_.Run<v1::SlaPolicy>(
      meta,
      [&](common::WriteTransaction& transaction) -> absl::StatusOr<common::Written<v1::SlaPolicy>> {
        auto rows = Exec(transaction.Begun(),
                         "SELECT " ACCORD_POLICY_COLUMNS
                         " FROM service_quality.sla_policies p WHERE p.id = $1::uuid "
                         "AND p.delete_time IS NULL FOR UPDATE",
                         {id});
        if (rows.empty()) return common::NotFound("slaPolicies/" + id);
        ACCORD_RETURN_IF_ERROR(check(RowToPolicy(rows[0])).status());
        auto row = transaction.exec_params1(
            "UPDATE service_quality.sla_policies AS p SET delete_time = now(), update_time = "
            "now(), version = p.version + 1 WHERE p.id = $1::uuid RETURNING " ACCORD_POLICY_COLUMNS,
            id);
        const v1::SlaPolicy stored = RowToPolicy(row);
        return common::Written<v1::SlaPolicy>(
            stored, QualityEvent("accord.quality.v1.SlaPolicyDeleted", stored.name(),
                                 std::stoll(stored.etag()), stored));
      });
}

absl::StatusOr<v1::Calendar> PgQualityRepository::DeleteCalendar(const std::string& id,
                                                                 const CalendarMutation& check,
                                                                 const WriteMeta& meta) {
  return writer_.Run<v1::Calendar>(
      meta,
      [&](common::WriteTransaction& transaction) -> absl::StatusOr<common::Written<v1::Calendar>> {
        // Policies lock the calendar (FOR UPDATE) when they take it, so none can start using it
        // between this check and the delete.
        ACCORD_ASSIGN_OR_RETURN(v1::Calendar current, LoadCalendar(transaction.Begun(), id, true));
        ACCORD_RETURN_IF_ERROR(check(current).status());
        auto users = Exec(transaction.Begun(),
                          "SELECT 'slaPolicies/' || p.id::text FROM service_quality.sla_policies p "
                          "WHERE p.calendar_id = $1::uuid AND p.delete_time IS NULL LIMIT 1",
                          {id});
        if (!users.empty()) {
          return common::FailedPrecondition(
              "CALENDAR_IN_USE", current.name() + " is used by " + users[0][0].as<std::string>() +
                                     "; point the policy at another calendar first");
        }
        auto row = transaction.exec_params1(
            "UPDATE service_quality.calendars AS k SET delete_time = now(), update_time = now(), "
            "version = k.version + 1 WHERE k.id = $1::uuid RETURNING " ACCORD_CALENDAR_COLUMNS,
            id);
        const v1::Calendar stored = RowToCalendar(row);
        return common::Written<v1::Calendar>(
            stored, QualityEvent("accord.quality.v1.CalendarDeleted", stored.name(),
                                 std::stoll(stored.etag()), stored));
      });
}

// ---- cases --------------------------------------------------------------------------------------

absl::StatusOr<v1::Survey> PgQualityRepository::InsertSurvey(common::WriteTransaction& transaction,
                                                             const v1::Survey& survey,
                                                             std::vector<common::Event>& events) {
  const std::string case_id = survey.case_().empty() ? "" : IdOf(survey.case_());
  auto row = transaction.exec_params1(
      "INSERT INTO service_quality.surveys AS s (id, account, contact, case_id, state) VALUES "
      "($1::uuid, $2, $3, NULLIF($4, '')::uuid, 1) RETURNING " ACCORD_SURVEY_COLUMNS,
      common::NewUuidV7(), survey.account(), survey.contact(), case_id);
  v1::Survey stored = RowToSurvey(row);
  events.push_back(QualityEvent("accord.quality.v1.SurveyRequested", stored.name(), 1, stored));
  return stored;
}

absl::Status PgQualityRepository::StoreCaseChange(common::WriteTransaction& transaction,
                                                  const CaseChange& change, bool insert,
                                                  const WriteMeta& meta, v1::Case* stored,
                                                  v1::TimelineEntry* last_entry,
                                                  std::vector<common::Event>& events) {
  const std::string id = IdOf(change.next.value.name());
  // An insert comes first in its transaction and carries BEGIN with it.
  auto rows =
      transaction.exec_prepared(insert ? kInsertCaseStatement.name : kUpdateCaseStatement.name,
                                pqxx::prepare::make_dynamic_params(CaseParams(id, change.next)));
  if (rows.size() != 1) return common::NotFound(change.next.value.name());
  *stored = RowToCase(rows[0]).value;
  return RecordCaseChange(transaction, change, meta, *stored, last_entry, events);
}

absl::Status PgQualityRepository::RecordCaseChange(common::WriteTransaction& transaction,
                                                   const CaseChange& change, const WriteMeta& meta,
                                                   const v1::Case& stored,
                                                   v1::TimelineEntry* last_entry,
                                                   std::vector<common::Event>& events) {
  const std::string id = IdOf(stored.name());
  for (const auto& draft : change.timeline) {
    if (last_entry == nullptr) {
      // Nobody reads the entry back: it travels with COMMIT, no round trip of its own.
      transaction.exec_prepared_at_commit(kInsertTimelineEntry.name, common::NewUuidV7(), id,
                                          static_cast<int>(draft.kind), draft.text,
                                          draft.customer_visible ? "true" : "false", meta.actor);
      continue;
    }
    auto row = transaction.exec_prepared1(kInsertTimelineEntry.name, common::NewUuidV7(), id,
                                          static_cast<int>(draft.kind), draft.text,
                                          draft.customer_visible ? "true" : "false", meta.actor);
    *last_entry = RowToEntry(row);
  }
  const int64_t version = std::stoll(stored.etag());
  for (const auto& event : change.events) {
    events.push_back(QualityEvent(
        event.type, stored.name(), version,
        event.payload ? *event.payload : static_cast<const google::protobuf::Message&>(stored),
        event.changed_fields));
  }
  if (change.survey)
    ACCORD_RETURN_IF_ERROR(InsertSurvey(transaction, *change.survey, events).status());
  return absl::OkStatus();
}

absl::StatusOr<v1::Case> PgQualityRepository::CreateCase(const CaseChange& change,
                                                         const WriteMeta& meta) {
  return writer_.Run<v1::Case>(
      meta,
      [&](common::WriteTransaction& transaction) -> absl::StatusOr<common::Written<v1::Case>> {
        v1::Case stored;
        std::vector<common::Event> events;
        ACCORD_RETURN_IF_ERROR(
            StoreCaseChange(transaction, change, true, meta, &stored, nullptr, events));
        return CaseWritten(std::move(stored), std::move(events));
      });
}

absl::StatusOr<CaseRecord> PgQualityRepository::GetCase(const std::string& id) {
  CaseRecord record;
  ACCORD_RETURN_IF_ERROR(pool_.Read(
      [&](pqxx::transaction_base& transaction) -> absl::Status {
        auto rows = transaction.exec_prepared(kGetCase.name, id);
        if (rows.empty()) return common::NotFound(CaseName(id));
        record = RowToCase(rows[0]);
        return absl::OkStatus();
      },
      common::ReadScope::kOneStatement));
  return record;
}

absl::StatusOr<Page<CaseRecord>> PgQualityRepository::ListCases(const ListQuery& query) {
  return ListRows<CaseRecord>(pool_, ACCORD_CASE_COLUMNS, "FROM service_quality.cases c WHERE true",
                              {}, query, RowToCase);
}

absl::StatusOr<std::string> PgQualityRepository::MutateCase(const std::string& id,
                                                            const CaseMutation& mutate,
                                                            bool respond_with_entry,
                                                            const WriteMeta& meta) {
  // Stores the change; the response is the case or, with respond_with_entry, the last timeline
  // entry written, each stored for a retry as that message.
  auto change = [&](common::WriteTransaction& transaction, v1::Case* stored,
                    v1::TimelineEntry* entry, std::vector<common::Event>& events) -> absl::Status {
    // The lock comes first and carries BEGIN with it.
    auto rows = transaction.exec_prepared(kLockCase.name, id);
    if (rows.empty()) return common::NotFound(CaseName(id));
    const CalendarLookup lookup = LookupIn(transaction.Begun());
    ACCORD_ASSIGN_OR_RETURN(CaseChange change, mutate(RowToCase(rows[0]), lookup));
    return StoreCaseChange(transaction, change, false, meta, stored, entry, events);
  };
  if (respond_with_entry) {
    return Serialized(writer_.Run<v1::TimelineEntry>(
        meta,
        [&](common::WriteTransaction& transaction)
            -> absl::StatusOr<common::Written<v1::TimelineEntry>> {
          v1::Case stored;
          v1::TimelineEntry entry;
          std::vector<common::Event> events;
          ACCORD_RETURN_IF_ERROR(change(transaction, &stored, &entry, events));
          return CaseWritten(std::move(entry), std::move(events));
        }));
  }
  return Serialized(writer_.Run<v1::Case>(
      meta,
      [&](common::WriteTransaction& transaction) -> absl::StatusOr<common::Written<v1::Case>> {
        v1::Case stored;
        std::vector<common::Event> events;
        ACCORD_RETURN_IF_ERROR(change(transaction, &stored, nullptr, events));
        return CaseWritten(std::move(stored), std::move(events));
      }));
}

absl::StatusOr<Page<v1::TimelineEntry>> PgQualityRepository::ListTimeline(
    const std::string& case_id, const ListQuery& query) {
  ACCORD_RETURN_IF_ERROR(GetCase(case_id).status());
  return ListRows<v1::TimelineEntry>(
      pool_, ACCORD_TIMELINE_COLUMNS,
      "FROM service_quality.timeline_entries t WHERE t.case_id = $1::uuid", {case_id}, query,
      RowToEntry);
}

absl::StatusOr<int> PgQualityRepository::SweepSelected(const char* select,
                                                       std::vector<std::string> params,
                                                       const SweepFn& sweep,
                                                       const WriteMeta& meta) {
  int changed = 0;
  // No request_id: a sweep goes through the write path for its events only. A pass is a fixed
  // number of statements whatever its size (docs/performance.md, "Service report and SLA
  // sweep"): the lock, the SLA events already recorded, one insert of the new ones, one update
  // of the cases that only move their next check, one of the changed cases; their timeline and
  // outbox rows travel with COMMIT.
  auto pass = [&](common::WriteTransaction& transaction)
      -> absl::StatusOr<common::Written<google::protobuf::Empty>> {
    changed = 0;
    std::vector<common::Event> events;
    // SKIP LOCKED: replicas sweeping at once take disjoint cases instead of queueing; a case
    // locked by a user's change is looked at in the next pass. Postgres re-checks the WHERE
    // clause on the row it locked, so a case changed meanwhile is skipped.
    auto rows = Exec(transaction.Begun(), select, params);
    if (rows.empty()) return CaseWritten(google::protobuf::Empty(), std::move(events));
    std::vector<CaseRecord> records;
    std::vector<std::string> ids;
    records.reserve(rows.size());
    for (const auto& row : rows) {
      records.push_back(RowToCase(row));
      ids.push_back(row[0].as<std::string>());
    }
    // The events already recorded for these cases. They are locked by this pass, and a sweeper
    // records a case's events under that lock, so this read (a snapshot taken after the locks)
    // sees every event another sweeper recorded; the primary key stays the guard below.
    using EventKey = std::tuple<std::string, std::string, std::string, int>;
    std::set<EventKey> recorded;
    for (const auto& row :
         Exec(transaction.Begun(),
              "SELECT case_id::text, target, kind, cycle FROM service_quality.sla_events "
              "WHERE case_id = ANY($1::uuid[])",
              {common::TextArrayLiteral(ids)})) {
      recorded.emplace(row[0].as<std::string>(), row[1].as<std::string>(), row[2].as<std::string>(),
                       row[3].as<int>());
    }
    std::array<std::vector<std::string>, 4> new_events;  // case, target, kind, cycle
    SweepContext context;
    context.calendar = LookupIn(transaction.Begun());
    context.record = [&](const std::string& case_id, const char* target, const char* kind,
                         int cycle) -> absl::StatusOr<bool> {
      if (!recorded.emplace(case_id, target, kind, cycle).second) return false;
      new_events[0].push_back(case_id);
      new_events[1].push_back(target);
      new_events[2].push_back(kind);
      new_events[3].push_back(std::to_string(cycle));
      return true;
    };
    std::array<std::vector<std::string>, 3> moved;  // id, sla_recorded, sla_next_check
    std::vector<CaseChange> changes;
    std::vector<std::vector<std::string>> columns(UpdateColumnCount());
    for (const CaseRecord& record : records) {
      ACCORD_ASSIGN_OR_RETURN(std::optional<CaseChange> change, sweep(record, context));
      if (!change) continue;
      ++changed;
      const std::string id = IdOf(change->next.value.name());
      if (change->events.empty() && change->timeline.empty()) {
        // Nothing happened to the case (its events were recorded already, or it cannot fall
        // due): only the sweeper's bookkeeping moves, without a new version or event.
        moved[0].push_back(id);
        moved[1].push_back(std::to_string(change->next.recorded));
        moved[2].push_back(MicrosOf(change->next.next_check));
        continue;
      }
      std::vector<std::string> values = CaseParams(id, change->next);
      for (size_t i = 0; i < values.size(); ++i) columns[i].push_back(std::move(values[i]));
      changes.push_back(std::move(*change));
    }
    if (!new_events[0].empty()) {
      auto inserted =
          Exec(transaction.Begun(),
               "INSERT INTO service_quality.sla_events (case_id, target, kind, cycle, "
               "recorded_by) SELECT e.case_id::uuid, e.target, e.kind, e.cycle::int, "
               "$5 FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS "
               "e(case_id, target, kind, cycle) ON CONFLICT DO NOTHING RETURNING 1",
               {common::TextArrayLiteral(new_events[0]), common::TextArrayLiteral(new_events[1]),
                common::TextArrayLiteral(new_events[2]), common::TextArrayLiteral(new_events[3]),
                meta.actor});
      if (inserted.size() != new_events[0].size()) {
        // Only if a case's events were recorded without its lock: roll the pass back rather
        // than emit an event twice.
        return common::Internal("an SLA event of a locked case was recorded meanwhile");
      }
    }
    if (!moved[0].empty()) {
      Exec(transaction.Begun(),
           "UPDATE service_quality.cases AS c SET sla_recorded = m.recorded::int, "
           "sla_next_check = timestamptz 'epoch' + NULLIF(m.next_check, '')::bigint * interval "
           "'1 microsecond' FROM unnest($1::text[], $2::text[], $3::text[]) AS m(id, recorded, "
           "next_check) WHERE c.id = m.id::uuid",
           {common::TextArrayLiteral(moved[0]), common::TextArrayLiteral(moved[1]),
            common::TextArrayLiteral(moved[2])});
    }
    if (!changes.empty()) {
      std::vector<std::string> arrays;
      for (const auto& column : columns) arrays.push_back(common::TextArrayLiteral(column));
      std::map<std::string, v1::Case> stored;
      for (const auto& row : Exec(transaction.Begun(), UpdateCasesSql(), arrays)) {
        v1::Case value = RowToCase(row).value;
        stored.emplace(value.name(), std::move(value));
      }
      for (const CaseChange& change : changes) {
        auto found = stored.find(change.next.value.name());
        if (found == stored.end()) return common::NotFound(change.next.value.name());
        ACCORD_RETURN_IF_ERROR(
            RecordCaseChange(transaction, change, meta, found->second, nullptr, events));
      }
    }
    return CaseWritten(google::protobuf::Empty(), std::move(events));
  };
  ACCORD_RETURN_IF_ERROR(writer_.Run<google::protobuf::Empty>(meta, pass).status());
  return changed;
}

absl::StatusOr<int> PgQualityRepository::Sweep(Instant now, int limit, const SweepFn& sweep,
                                               const WriteMeta& meta) {
  return SweepSelected("SELECT " ACCORD_CASE_COLUMNS
                       " FROM service_quality.cases c WHERE c.sla_next_check <= " ACCORD_TS(
                           1) " ORDER BY c.sla_next_check LIMIT $2::int FOR UPDATE SKIP LOCKED",
                       {MicrosOf(now), std::to_string(limit)}, sweep, meta);
}

absl::StatusOr<int> PgQualityRepository::SweepResolved(Instant resolved_before, int limit,
                                                       const SweepFn& sweep,
                                                       const WriteMeta& meta) {
  return SweepSelected(
      "SELECT " ACCORD_CASE_COLUMNS
      " FROM service_quality.cases c WHERE c.status = 6 AND c.resolve_time <= " ACCORD_TS(
          1) " ORDER BY c.resolve_time LIMIT $2::int FOR UPDATE SKIP LOCKED",
      {MicrosOf(resolved_before), std::to_string(limit)}, sweep, meta);
}

// ---- surveys ------------------------------------------------------------------------------------

absl::StatusOr<v1::Survey> PgQualityRepository::CreateSurvey(const v1::Survey& survey,
                                                             const WriteMeta& meta) {
  return writer_.Run<v1::Survey>(
      meta,
      [&](common::WriteTransaction& transaction) -> absl::StatusOr<common::Written<v1::Survey>> {
        if (!survey.case_().empty()) {
          auto rows =
              Exec(transaction.Begun(), "SELECT 1 FROM service_quality.cases WHERE id = $1::uuid",
                   {IdOf(survey.case_())});
          if (rows.empty()) return common::NotFound(survey.case_());
        }
        std::vector<common::Event> events;
        ACCORD_ASSIGN_OR_RETURN(v1::Survey stored, InsertSurvey(transaction, survey, events));
        return common::Written<v1::Survey>(std::move(stored), std::move(events));
      });
}

absl::StatusOr<v1::Survey> PgQualityRepository::GetSurvey(const std::string& id) {
  return ReadOne<v1::Survey>(pool_,
                             "SELECT " ACCORD_SURVEY_COLUMNS
                             " FROM service_quality.surveys s WHERE s.id = $1::uuid",
                             id, "surveys/" + id, RowToSurvey);
}

absl::StatusOr<Page<v1::Survey>> PgQualityRepository::ListSurveys(const ListQuery& query) {
  return ListRows<v1::Survey>(pool_, ACCORD_SURVEY_COLUMNS,
                              "FROM service_quality.surveys s WHERE true", {}, query, RowToSurvey);
}

absl::StatusOr<v1::Survey> PgQualityRepository::AnswerSurvey(const std::string& id,
                                                             const SurveyMutation& mutate,
                                                             const WriteMeta& meta) {
  return writer_.Run<v1::Survey>(
      meta,
      [&](common::WriteTransaction& transaction) -> absl::StatusOr<common::Written<v1::Survey>> {
        auto rows = Exec(transaction.Begun(),
                         "SELECT " ACCORD_SURVEY_COLUMNS
                         " FROM service_quality.surveys s WHERE s.id = $1::uuid FOR UPDATE",
                         {id});
        if (rows.empty()) return common::NotFound("surveys/" + id);
        ACCORD_ASSIGN_OR_RETURN(v1::Survey next, mutate(RowToSurvey(rows[0])));
        // `state = 1` again here: the database, too, takes an answer only once.
        auto updated = Exec(
            transaction.Begun(),
            "UPDATE service_quality.surveys AS s SET state = 2, csat = NULLIF($2, '')::smallint, "
            "nps = NULLIF($3, '')::smallint, effort = NULLIF($4, '')::smallint, comment = $5, "
            "answer_time = now(), version = s.version + 1 WHERE s.id = $1::uuid AND s.state = 1 "
            "RETURNING " ACCORD_SURVEY_COLUMNS,
            {id, next.has_csat() ? std::to_string(next.csat()) : "",
             next.has_nps() ? std::to_string(next.nps()) : "",
             next.has_effort() ? std::to_string(next.effort()) : "", next.comment()});
        if (updated.empty()) {
          return common::FailedPrecondition("SURVEY_ALREADY_ANSWERED",
                                            "surveys/" + id + " was already answered");
        }
        const v1::Survey stored = RowToSurvey(updated[0]);
        return common::Written<v1::Survey>(
            stored, QualityEvent("accord.quality.v1.SurveyAnswered", stored.name(),
                                 std::stoll(stored.etag()), stored));
      });
}

// ---- account events -----------------------------------------------------------------------------

absl::StatusOr<int> PgQualityRepository::ChangeCasesOfAccount(common::WriteTransaction& transaction,
                                                              const std::string& account,
                                                              bool open_only,
                                                              const AccountCaseChange& change,
                                                              const WriteMeta& meta) {
  auto rows = Exec(transaction.Begun(),
                   std::string("SELECT " ACCORD_CASE_COLUMNS
                               " FROM service_quality.cases c WHERE c.account = $1") +
                       (open_only ? " AND c.status <> 7" : "") + " ORDER BY c.id FOR UPDATE",
                   {account});
  int changed = 0;
  for (const auto& row : rows) {
    ACCORD_ASSIGN_OR_RETURN(std::optional<CaseChange> next, change(RowToCase(row)));
    if (!next) continue;
    v1::Case stored;
    std::vector<common::Event> events;
    ACCORD_RETURN_IF_ERROR(
        StoreCaseChange(transaction, *next, false, meta, &stored, nullptr, events));
    for (auto& event : events)
      outbox_.Append(transaction, std::move(event), meta.actor, meta.trace_id);
    ++changed;
  }
  return changed;
}

absl::Status PgQualityRepository::MoveSurveys(common::WriteTransaction& transaction,
                                              const std::string& from, const std::string& to) {
  Exec(transaction.Begun(), "UPDATE service_quality.surveys SET account = $2 WHERE account = $1",
       {from, to});
  return absl::OkStatus();
}

constexpr common::PreparedStatement kGetAccountFacts{
    "quality_account_facts_get",
    "SELECT tier, merged_into, deleted, version FROM service_quality.account_facts "
    "WHERE account = $1"};

// Merged and deleted are final; a live account's facts move only forward in its versions.
constexpr common::PreparedStatement kKeepAccountFacts{
    "quality_account_facts_keep",
    "INSERT INTO service_quality.account_facts AS f (account, tier, merged_into, deleted, version) "
    "VALUES ($1, $2::smallint, $3, $4::boolean, $5::bigint) ON CONFLICT (account) DO UPDATE SET "
    "tier = EXCLUDED.tier, merged_into = EXCLUDED.merged_into, deleted = EXCLUDED.deleted, "
    "version = GREATEST(f.version, EXCLUDED.version), update_time = now() "
    "WHERE f.merged_into = '' AND NOT f.deleted AND (EXCLUDED.merged_into <> '' OR "
    "EXCLUDED.deleted OR EXCLUDED.version > f.version)"};

absl::StatusOr<std::optional<AccountFacts>> PgQualityRepository::GetAccountFacts(
    const std::string& account) {
  std::optional<AccountFacts> facts;
  ACCORD_RETURN_IF_ERROR(pool_.Read(
      [&](pqxx::transaction_base& transaction) -> absl::Status {
        auto rows = transaction.exec_prepared(kGetAccountFacts.name, account);
        if (rows.empty()) return absl::OkStatus();
        facts = AccountFacts{account, rows[0][0].as<int>(), rows[0][1].as<std::string>(),
                             rows[0][2].as<bool>(), rows[0][3].as<int64_t>()};
        return absl::OkStatus();
      },
      common::ReadScope::kOneStatement));
  return facts;
}

absl::Status PgQualityRepository::KeepAccountFacts(common::WriteTransaction* transaction,
                                                   const AccountFacts& facts) {
  const auto keep = [&](common::WriteTransaction& in) {
    in.exec_prepared(kKeepAccountFacts.name, facts.account, facts.tier, facts.merged_into,
                     facts.deleted, facts.version);
    return absl::OkStatus();
  };
  if (transaction) return keep(*transaction);
  return pool_.Transact(keep);
}

#define ACCORD_SIGNAL_COLUMNS                                              \
  "g.id::text, g.account, g.kind, g.source, g.figure, g.note, " ACCORD_US( \
      "g.occur_time") ", " ACCORD_US("g.create_time")

namespace {

v1::Signal RowToSignal(const pqxx::row& row) {
  v1::Signal signal;
  signal.set_name("signals/" + row[0].as<std::string>());
  signal.set_account(row[1].as<std::string>());
  signal.set_kind(static_cast<v1::SignalKind>(row[2].as<int>()));
  signal.set_source(row[3].as<std::string>());
  signal.set_figure(row[4].as<double>());
  signal.set_note(row[5].as<std::string>());
  *signal.mutable_occur_time() = TimestampOf(row[6]);
  *signal.mutable_create_time() = TimestampOf(row[7]);
  return signal;
}

}  // namespace

absl::StatusOr<std::optional<v1::Signal>> PgQualityRepository::InsertSignal(
    common::WriteTransaction& transaction, const v1::Signal& signal,
    const std::string& source_event, std::vector<common::Event>& events) {
  auto rows = Exec(transaction.Begun(),
                   "INSERT INTO service_quality.signals AS g (id, account, kind, source, "
                   "source_event, figure, note, occur_time) VALUES ($1::uuid, $2, $3::smallint, "
                   "$4, NULLIF($5, ''), $6::double precision, $7, "
                   "COALESCE(" ACCORD_TS(8) ", now())) "
                   "ON CONFLICT (source_event) DO NOTHING RETURNING " ACCORD_SIGNAL_COLUMNS,
                   {common::NewUuidV7(), signal.account(), std::to_string(signal.kind()),
                    signal.source(), source_event, ExactText(signal.figure()), signal.note(),
                    MicrosOf(signal.occur_time())});
  if (rows.empty()) return std::nullopt;
  v1::Signal stored = RowToSignal(rows[0]);
  events.push_back(QualityEvent("accord.quality.v1.SignalRecorded", stored.name(), 1, stored));
  return stored;
}

absl::StatusOr<bool> PgQualityRepository::RecordSignal(common::WriteTransaction& transaction,
                                                       const v1::Signal& signal,
                                                       const std::string& source_event,
                                                       const WriteMeta& meta) {
  std::vector<common::Event> events;
  ACCORD_ASSIGN_OR_RETURN(auto stored, InsertSignal(transaction, signal, source_event, events));
  for (auto& event : events) {
    outbox_.Append(transaction, std::move(event), meta.actor, meta.trace_id);
  }
  return stored.has_value();
}

absl::StatusOr<v1::Signal> PgQualityRepository::CreateSignal(const v1::Signal& signal,
                                                             const WriteMeta& meta) {
  return writer_.Run<v1::Signal>(
      meta,
      [&](common::WriteTransaction& transaction) -> absl::StatusOr<common::Written<v1::Signal>> {
        std::vector<common::Event> events;
        // No source event: the API's signals never collide on it (NULL is distinct).
        ACCORD_ASSIGN_OR_RETURN(auto stored, InsertSignal(transaction, signal, "", events));
        if (!stored) return common::Internal("signal not stored");
        return common::Written<v1::Signal>(std::move(*stored), std::move(events));
      });
}

absl::StatusOr<v1::Signal> PgQualityRepository::GetSignal(const std::string& id) {
  return ReadOne<v1::Signal>(pool_,
                             "SELECT " ACCORD_SIGNAL_COLUMNS
                             " FROM service_quality.signals g WHERE g.id = $1::uuid",
                             id, "signals/" + id, RowToSignal);
}

absl::StatusOr<Page<v1::Signal>> PgQualityRepository::ListSignals(const ListQuery& query) {
  return ListRows<v1::Signal>(pool_, ACCORD_SIGNAL_COLUMNS,
                              "FROM service_quality.signals g WHERE true", {}, query, RowToSignal);
}

absl::StatusOr<QualityRepository::SlaPending> PgQualityRepository::CountSlaPending() {
  SlaPending pending;
  // Breach and warning bits (SlaEventBit): first response 2 and 1, resolution 8 and 4. The
  // partial index cases_sla_flagged holds exactly the open cases with a bit set.
  static const std::string kCount =
      "SELECT count(*) FILTER (WHERE breached), count(*) FILTER (WHERE NOT breached AND warned) "
      "FROM (SELECT (c.sla_recorded & 8) <> 0 OR ((c.sla_recorded & 2) <> 0 AND "
      "c.first_response_time IS NULL) AS breached, (c.sla_recorded & 4) <> 0 OR "
      "((c.sla_recorded & 1) <> 0 AND c.first_response_time IS NULL) AS warned "
      "FROM service_quality.cases c WHERE c.sla_recorded <> 0 AND c.status NOT IN (6, 7)) f";
  ACCORD_RETURN_IF_ERROR(pool_.Read(
      [&](pqxx::transaction_base& transaction) -> absl::Status {
        auto row = transaction.exec1(kCount);
        pending.breached = row[0].as<int64_t>();
        pending.warning = row[1].as<int64_t>();
        return absl::OkStatus();
      },
      common::ReadScope::kOneStatement));
  return pending;
}

// ---- reports ------------------------------------------------------------------------------------

namespace {

ReportCase RowToReportCase(const pqxx::row& row) {
  ReportCase c;
  c.id = row[0].as<std::string>();
  c.account = row[1].as<std::string>();
  c.team = row[2].as<std::string>();
  c.agent = row[3].as<std::string>();
  c.category = static_cast<v1::CaseCategory>(row[4].as<int>());
  c.kind = static_cast<v1::CaseKind>(row[5].as<int>());
  c.priority = static_cast<v1::Priority>(row[6].as<int>());
  if (!row[7].is_null()) c.first_response_seconds = row[7].as<int64_t>();
  c.first_response_met = row[8].as<bool>();
  if (!row[9].is_null()) c.resolution_seconds = row[9].as<int64_t>();
  c.resolution_met = row[10].as<bool>();
  c.resolved = row[11].as<bool>();
  c.reopened = row[12].as<bool>();
  return c;
}

ReportSurvey RowToReportSurvey(const pqxx::row& row) {
  ReportSurvey s;
  s.account = row[0].as<std::string>();
  s.team = row[1].as<std::string>();
  s.agent = row[2].as<std::string>();
  s.category = static_cast<v1::CaseCategory>(row[3].as<int>());
  if (!row[4].is_null()) s.csat = row[4].as<int>();
  if (!row[5].is_null()) s.nps = row[5].as<int>();
  if (!row[6].is_null()) s.effort = row[6].as<int>();
  s.answer_unix = row[7].as<int64_t>();
  return s;
}

ReportSignal RowToReportSignal(const pqxx::row& row) {
  ReportSignal g;
  g.account = row[0].as<std::string>();
  g.kind = static_cast<v1::SignalKind>(row[1].as<int>());
  g.figure = row[2].as<double>();
  return g;
}

}  // namespace

absl::StatusOr<std::vector<ReportCase>> PgQualityRepository::ReportCases(
    Instant start, Instant end, const std::string& account) {
  return ReportRows<ReportCase>(
      pool_,
      "SELECT c.id::text, c.account, c.team, c.assignee, c.category, c.kind, c.priority, "
      "c.first_response_seconds, COALESCE(c.first_response_met, false), c.resolution_seconds, "
      "COALESCE(c.resolution_met, false), c.resolved_ever, c.reopen_count > 0 "
      "FROM service_quality.cases c WHERE c.create_time >= " ACCORD_TS(
          1) " AND c.create_time < " ACCORD_TS(2),
      "c.account", start, end, account, RowToReportCase);
}

absl::StatusOr<std::map<v1::CaseCategory, int64_t>> PgQualityRepository::ReportCategoryCounts(
    Instant start, Instant end) {
  using Counted = std::pair<v1::CaseCategory, int64_t>;
  ACCORD_ASSIGN_OR_RETURN(
      std::vector<Counted> rows,
      ReportRows<Counted>(pool_,
                          "SELECT c.category, count(*) FROM service_quality.cases c WHERE "
                          "c.create_time >= " ACCORD_TS(1) " AND c.create_time < " ACCORD_TS(
                              2) " GROUP BY c.category",
                          "c.account", start, end, "", [](const pqxx::row& row) {
                            return Counted(static_cast<v1::CaseCategory>(row[0].as<int>()),
                                           row[1].as<int64_t>());
                          }));
  return std::map<v1::CaseCategory, int64_t>(rows.begin(), rows.end());
}

absl::StatusOr<std::vector<ReportSurvey>> PgQualityRepository::ReportSurveys(
    Instant start, Instant end, const std::string& account) {
  return ReportRows<ReportSurvey>(
      pool_,
      "SELECT s.account, COALESCE(c.team, ''), COALESCE(c.assignee, ''), "
      "COALESCE(c.category, 0), s.csat, s.nps, s.effort, "
      "extract(epoch FROM s.answer_time)::bigint FROM service_quality.surveys s "
      "LEFT JOIN service_quality.cases c ON c.id = s.case_id WHERE s.answer_time >= " ACCORD_TS(
          1) " AND s.answer_time < " ACCORD_TS(2),
      "s.account", start, end, account, RowToReportSurvey);
}

absl::StatusOr<std::vector<ReportSignal>> PgQualityRepository::ReportSignals(
    Instant start, Instant end, const std::string& account) {
  return ReportRows<ReportSignal>(
      pool_,
      "SELECT g.account, g.kind, g.figure FROM service_quality.signals g "
      "WHERE g.occur_time >= " ACCORD_TS(1) " AND g.occur_time < " ACCORD_TS(2),
      "g.account", start, end, account, RowToReportSignal);
}

std::vector<common::PreparedStatement> QualityStatements() {
  return {kGetCalendarAny,      kGetLiveCalendar, kFindPolicy, kInsertCaseStatement,
          kUpdateCaseStatement, kGetCase,         kLockCase,   kInsertTimelineEntry,
          kGetAccountFacts,     kKeepAccountFacts};
}

}  // namespace accord::quality
