#include "data_quality.h"

#include <google/protobuf/util/time_util.h>

#include "absl/strings/str_split.h"
#include "accord/common/errors.h"
#include "contact_fields.h"

namespace accord::contact {
namespace {

using Kind = v1::DataQualityIssue;

// Each kind of problem as a condition over the columns of `facts` below, in the enum's order.
struct Rule {
  v1::DataQualityIssue::Kind kind;
  const char* condition;
};
constexpr Rule kRules[] = {
    {Kind::KIND_NO_EMAIL, "NOT has_email"},
    {Kind::KIND_NO_PHONE, "NOT has_phone"},
    {Kind::KIND_PHONE_UNVERIFIED, "has_phone AND phone_unverified"},
    {Kind::KIND_NO_REACHABLE_CHANNEL, "NOT has_email AND (NOT has_phone OR phone_unverified)"},
    {Kind::KIND_NO_ROLE, "no_role"},
    {Kind::KIND_NO_CONSENT_RECORDED, "no_consent"},
    {Kind::KIND_LEFT_BUT_PRIMARY, "left_but_primary"},
    {Kind::KIND_STALE, "stale"},
    {Kind::KIND_SUSPECTED_DUPLICATE, "duplicate"},
};

std::string ReportQuery() {
  std::string query =
      "WITH scope AS (SELECT c.id, c.create_time, c.update_time, c.status, c.phone_unverified "
      "FROM contact.contacts c WHERE c.delete_time IS NULL "
      "AND ($1 = '' OR c.id IN (SELECT r.contact_id FROM contact.account_relations r "
      "WHERE r.account_id = NULLIF($1, '')::uuid AND r.delete_time IS NULL)) "
      "AND ($2 = '' OR c.owner = $2)), "
      "facts AS (SELECT s.id, s.create_time, s.phone_unverified, "
      "EXISTS (SELECT 1 FROM contact.contact_lookup l WHERE l.contact_id = s.id AND l.kind = 1) "
      "AS has_email, "
      "EXISTS (SELECT 1 FROM contact.contact_lookup l WHERE l.contact_id = s.id AND l.kind = 2) "
      "AS has_phone, "
      "NOT EXISTS (SELECT 1 FROM contact.account_relations r WHERE r.contact_id = s.id "
      "AND r.delete_time IS NULL AND cardinality(r.roles) > 0 "
      "AND (r.end_date IS NULL OR r.end_date >= current_date)) AS no_role, "
      "NOT EXISTS (SELECT 1 FROM contact.consent_ledger k WHERE k.contact_id = s.id) "
      "AS no_consent, "
      "s.status = 2 AND EXISTS (SELECT 1 FROM contact.account_relations r WHERE "
      "r.contact_id = s.id AND r.delete_time IS NULL AND r.is_primary) AS left_but_primary, "
      "s.update_time < now() - make_interval(days => $3) AND NOT EXISTS (SELECT 1 FROM "
      "contact.interactions i WHERE i.contact_id = s.id AND i.interaction_time >= "
      "now() - make_interval(days => $3)) AS stale, "
      "EXISTS (SELECT 1 FROM contact.contact_lookup l JOIN contact.contact_lookup o "
      "ON o.kind = l.kind AND o.digest = l.digest AND o.contact_id <> l.contact_id "
      "WHERE l.contact_id = s.id) AS duplicate FROM scope s) "
      "SELECT count(*)::integer";
  for (const auto& rule : kRules) {
    const std::string where = std::string(" FILTER (WHERE ") + rule.condition + ")";
    query += ", (count(*)" + where + ")::integer, array_to_string((array_agg(id::text ORDER BY " +
             "create_time, id)" + where + ")[1:" + std::to_string(kIssueSamples) + "], ',')";
  }
  return query + " FROM facts";
}

}  // namespace

absl::StatusOr<v1::DataQualityReport> PgDataQualityRepository::Report(const QualityScope& scope) {
  static const std::string kQuery = ReportQuery();
  std::optional<pqxx::row> row;
  ACCORD_RETURN_IF_ERROR(pool_.Read(
      [&](pqxx::transaction_base& transaction) -> absl::Status {
        row =
            transaction.exec_params1(kQuery, scope.account_id, scope.owner, scope.stale_after_days);
        return absl::OkStatus();
      },
      common::ReadScope::kOneStatement));
  v1::DataQualityReport report;
  report.set_contacts((*row)[0].as<int>());
  int column = 1;
  for (const auto& rule : kRules) {
    auto* issue = report.add_issues();
    issue->set_kind(rule.kind);
    issue->set_count((*row)[column].as<int>());
    const auto ids = (*row)[column + 1].is_null() ? "" : (*row)[column + 1].as<std::string>();
    for (const auto& id : absl::StrSplit(ids, ',', absl::SkipEmpty())) {
      issue->add_contacts(ContactName(std::string_view(id.data(), id.size())));
    }
    column += 2;
  }
  *report.mutable_report_time() = google::protobuf::util::TimeUtil::GetCurrentTime();
  return report;
}

absl::StatusOr<v1::DataQualityReport> GetDataQualityReport(
    const Caller& caller, const v1::GetDataQualityReportRequest& request, ContactAccess& access,
    DataQualityRepository& repository) {
  common::Violations violations;
  QualityScope scope;
  if (!request.account().empty()) {
    auto account = ParseAccountName(request.account(), "account");
    MergeViolations(account.status(), violations);
    if (account.ok()) scope.account_id = *account;
  }
  scope.owner = request.owner();
  if (request.stale_after_days() != 0) scope.stale_after_days = request.stale_after_days();
  if (scope.stale_after_days < 1 || scope.stale_after_days > kMaxStaleDays) {
    violations.Add("stale_after_days", "must be between 1 and " + std::to_string(kMaxStaleDays));
  }
  ACCORD_RETURN_IF_ERROR(violations.ToStatus());
  const auto& principal = caller.principal;
  if (!principal.Has(common::Role::kAdmin)) {
    if (!principal.Has(common::Role::kAccountManager)) {
      return common::PermissionDenied("NOT_ALLOWED",
                                      "only admin and account_manager may see data quality");
    }
    const bool own = !scope.owner.empty() && scope.owner == principal.subject;
    if (!own) {
      if (scope.account_id.empty()) {
        return common::PermissionDenied(
            "NOT_ALLOWED",
            "an account_manager sees the data quality of its own contacts "
            "(owner) or of an account it manages (account)");
      }
      ACCORD_RETURN_IF_ERROR(access.CheckRelationChange(caller, scope.account_id));
    }
  }
  return repository.Report(scope);
}

}  // namespace accord::contact
