#include "insights_projection.h"

#include <google/protobuf/util/time_util.h>

#include "accord/common/log.h"
#include "accord/common/money.h"
#include "accord/contact/v1/engagement.pb.h"
#include "accord/pricing/v1/quote.pb.h"
#include "accord/quality/v1/case.pb.h"
#include "accord/quality/v1/survey.pb.h"
#include "insights_local_cache.h"
#include "insights_sql.h"
#include "resource_names.h"

namespace accord::account {
namespace {

using google::protobuf::util::TimeUtil;

#define ACCORD_MICROS_TO_TIME(n) \
  "(timestamptz 'epoch' + $" #n "::bigint * interval '1 microsecond')"

constexpr char kSaleRecorded[] = "accord.pricing.v1.SaleRecorded";
constexpr char kSlaBreached[] = "accord.quality.v1.SlaBreached";
constexpr char kSurveyAnswered[] = "accord.quality.v1.SurveyAnswered";
constexpr char kInteractionLogged[] = "accord.contact.v1.InteractionLogged";
// Every event whose payload is the case after the change.
constexpr const char* kCaseEvents[] = {
    "accord.quality.v1.CaseOpened",        "accord.quality.v1.CaseUpdated",
    "accord.quality.v1.CaseStatusChanged", "accord.quality.v1.CaseEscalated",
    "accord.quality.v1.CaseResolved",      "accord.quality.v1.CasePriorityOverridden",
    "accord.quality.v1.CaseCommented"};

int64_t MicrosOf(const google::protobuf::Timestamp& time, const common::v1::EventEnvelope& event) {
  if (time.seconds() != 0 || time.nanos() != 0) return TimeUtil::TimestampToMicroseconds(time);
  return TimeUtil::TimestampToMicroseconds(event.time());
}

int64_t MoneyMicros(const common::v1::Money& money) {
  return static_cast<int64_t>(common::ToNanos(money) / 1000);
}

// The account id an event names, or "" (logged) when it names none insights can use.
std::string AccountIdOf(const std::string& account, const common::v1::EventEnvelope& event) {
  if (account.empty()) return "";
  auto id = ParseAccountName(account, "account");
  if (!id.ok()) {
    common::log::Warn("insights: event names no account; ignored",
                      {{"event_id", event.id()}, {"type", event.type()}, {"account", account}});
    return "";
  }
  return *id;
}

// Every replica's cache of the overview's local parts drops the account once this commits.
void Announce(common::WriteTransaction& transaction, const std::string& notice) {
  transaction.exec_prepared_at_commit(sql::kInsightNotify.name, notice);
}

template <typename Message>
bool Unpack(const common::v1::EventEnvelope& event, Message& message) {
  if (event.payload().UnpackTo(&message)) return true;
  common::log::Warn("insights: event payload is not the expected message; ignored",
                    {{"event_id", event.id()},
                     {"type", event.type()},
                     {"expected", Message::descriptor()->full_name()}});
  return false;
}

absl::Status ApplySale(common::WriteTransaction& transaction,
                       const common::v1::EventEnvelope& event) {
  pricing::v1::Sale sale;
  if (!Unpack(event, sale)) return absl::OkStatus();
  const std::string account_id = AccountIdOf(sale.account(), event);
  if (account_id.empty()) return absl::OkStatus();
  auto stored = transaction.exec_params(
      "INSERT INTO account.insight_sales AS s (sale, account_id, sale_time, currency_code, "
      "total_micros, agent, version) VALUES ($1, $2, " ACCORD_MICROS_TO_TIME(3) ", $4, $5, $6, $7) "
      "ON CONFLICT (sale) DO UPDATE SET account_id = EXCLUDED.account_id, sale_time = "
      "EXCLUDED.sale_time, currency_code = EXCLUDED.currency_code, total_micros = "
      "EXCLUDED.total_micros, agent = EXCLUDED.agent, version = EXCLUDED.version "
      "WHERE s.version <= EXCLUDED.version RETURNING 1",
      sale.name(), account_id, MicrosOf(sale.create_time(), event),
      sale.pricing().currency_code(), MoneyMicros(sale.pricing().total()), sale.agent(),
      event.aggregate_version());
  if (stored.empty()) return absl::OkStatus();  // a newer state is already there
  Announce(transaction, OverviewSaleNotice(account_id));
  transaction.exec_params("DELETE FROM account.insight_sale_lines WHERE sale = $1", sale.name());
  for (const auto& line : sale.pricing().lines()) {
    transaction.exec_params(
        "INSERT INTO account.insight_sale_lines (sale, line, sku, quantity, total_micros) "
        "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (sale, line) DO NOTHING",
        sale.name(), line.index(), line.sku(), line.quantity(), MoneyMicros(line.line_total()));
  }
  return absl::OkStatus();
}

void UpsertCase(common::WriteTransaction& transaction, const quality::v1::Case& c,
                const std::string& account_id, const common::v1::EventEnvelope& event) {
  const bool resolved = c.status() == quality::v1::CASE_STATUS_RESOLVED ||
                        c.status() == quality::v1::CASE_STATUS_CLOSED;
  const int64_t resolve_micros = resolved ? MicrosOf(c.resolution().resolve_time(), event) : 0;
  // A case closed after it was resolved keeps its resolution time; a reopened one has none.
  transaction.exec_params(
      "INSERT INTO account.insight_cases AS c (case_name, account_id, complaint, status, "
      "open_time, resolve_time, version) VALUES ($1, $2, $3, $4, " ACCORD_MICROS_TO_TIME(5) ", "
      "CASE WHEN $6 THEN " ACCORD_MICROS_TO_TIME(7) " END, $8) "
      "ON CONFLICT (case_name) DO UPDATE SET complaint = EXCLUDED.complaint, status = "
      "EXCLUDED.status, open_time = EXCLUDED.open_time, resolve_time = CASE WHEN $6 THEN "
      "COALESCE(c.resolve_time, EXCLUDED.resolve_time) END, version = EXCLUDED.version "
      "WHERE c.version <= EXCLUDED.version",
      c.name(), account_id, c.kind() == quality::v1::CASE_KIND_COMPLAINT,
      static_cast<int>(c.status()), MicrosOf(c.create_time(), event), resolved, resolve_micros,
      event.aggregate_version());
}

absl::Status ApplyCase(common::WriteTransaction& transaction,
                       const common::v1::EventEnvelope& event) {
  quality::v1::Case c;
  if (!Unpack(event, c)) return absl::OkStatus();
  const std::string account_id = AccountIdOf(c.account(), event);
  if (account_id.empty()) return absl::OkStatus();
  UpsertCase(transaction, c, account_id, event);
  Announce(transaction, OverviewFactNotice(account_id));
  return absl::OkStatus();
}

absl::Status ApplyBreach(common::WriteTransaction& transaction,
                         const common::v1::EventEnvelope& event) {
  quality::v1::CaseSlaEvent breach;
  if (!Unpack(event, breach)) return absl::OkStatus();
  const std::string account_id = AccountIdOf(breach.case_().account(), event);
  if (account_id.empty()) return absl::OkStatus();
  UpsertCase(transaction, breach.case_(), account_id, event);
  transaction.exec_params(
      "INSERT INTO account.insight_sla_breaches (event_id, case_name, account_id, breach_time) "
      "VALUES ($1, $2, $3, " ACCORD_MICROS_TO_TIME(4) ") ON CONFLICT (event_id) DO NOTHING",
      event.id(), breach.case_().name(), account_id,
      TimeUtil::TimestampToMicroseconds(event.time()));
  Announce(transaction, OverviewFactNotice(account_id));
  return absl::OkStatus();
}

absl::Status ApplySurvey(common::WriteTransaction& transaction,
                         const common::v1::EventEnvelope& event) {
  quality::v1::Survey survey;
  if (!Unpack(event, survey)) return absl::OkStatus();
  const std::string account_id = AccountIdOf(survey.account(), event);
  if (account_id.empty()) return absl::OkStatus();
  transaction.exec_params(
      "INSERT INTO account.insight_surveys AS s (survey, account_id, csat, nps, answer_time, "
      "version) VALUES ($1, $2, NULLIF($3, -1)::smallint, NULLIF($4, -1)::smallint, "
      ACCORD_MICROS_TO_TIME(5) ", $6) ON CONFLICT (survey) DO UPDATE SET csat = EXCLUDED.csat, "
      "nps = EXCLUDED.nps, answer_time = EXCLUDED.answer_time, version = EXCLUDED.version "
      "WHERE s.version <= EXCLUDED.version",
      survey.name(), account_id, survey.has_csat() ? survey.csat() : -1,
      survey.has_nps() ? survey.nps() : -1, MicrosOf(survey.answer_time(), event),
      event.aggregate_version());
  Announce(transaction, OverviewFactNotice(account_id));
  return absl::OkStatus();
}

absl::Status ApplyInteraction(common::WriteTransaction& transaction,
                              const common::v1::EventEnvelope& event) {
  contact::v1::Interaction interaction;
  if (!Unpack(event, interaction)) return absl::OkStatus();
  const std::string account_id = AccountIdOf(interaction.account(), event);
  if (account_id.empty()) return absl::OkStatus();
  transaction.exec_params(
      "INSERT INTO account.insight_interactions (interaction, account_id, owner, channel, "
      "outcome, interaction_time) VALUES ($1, $2, $3, $4, $5, " ACCORD_MICROS_TO_TIME(6) ") "
      "ON CONFLICT (interaction) DO NOTHING",
      interaction.name(), account_id, interaction.owner(), static_cast<int>(interaction.channel()),
      static_cast<int>(interaction.outcome()), MicrosOf(interaction.interaction_time(), event));
  Announce(transaction, OverviewFactNotice(account_id));
  return absl::OkStatus();
}

}  // namespace

const std::vector<std::string>& InsightFactTables() {
  static const std::vector<std::string> kTables = {
      "account.insight_sale_lines",   "account.insight_sales",   "account.insight_cases",
      "account.insight_sla_breaches", "account.insight_surveys", "account.insight_interactions"};
  return kTables;
}

absl::Status ApplyInsightEvent(common::WriteTransaction& transaction,
                               const common::v1::EventEnvelope& event) {
  const std::string& type = event.type();
  if (type == kSaleRecorded) return ApplySale(transaction, event);
  if (type == kSlaBreached) return ApplyBreach(transaction, event);
  if (type == kSurveyAnswered) return ApplySurvey(transaction, event);
  if (type == kInteractionLogged) return ApplyInteraction(transaction, event);
  for (const char* case_event : kCaseEvents) {
    if (type == case_event) return ApplyCase(transaction, event);
  }
  return absl::OkStatus();
}

}  // namespace accord::account
