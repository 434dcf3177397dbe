#include "pg_insights_repository.h"

#include <google/protobuf/util/time_util.h>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "accord/common/errors.h"
#include "accord/common/ids.h"
#include "accord/common/pg_array.h"
#include "insights_rules.h"
#include "insights_sql.h"
#include "pg_account_repository.h"
#include "resource_names.h"
#include "team_repository.h"

namespace accord::account {
namespace {

using google::protobuf::util::TimeUtil;

// Columns in the order TargetFromRow reads them.
#define ACCORD_TARGET_COLUMNS                                                                    \
  "t.id::text, t.assignee, array_to_json(t.members)::text, t.metric, "                           \
  "to_char(t.start_date, 'YYYY-MM-DD'), to_char(t.end_date, 'YYYY-MM-DD'), t.value, t.version, " \
  "(extract(epoch FROM t.create_time) * 1000000)::bigint, "                                      \
  "(extract(epoch FROM t.update_time) * 1000000)::bigint"

constexpr char kTargetName[] = "targets/";

common::v1::Date DateFromText(const std::string& text) {
  common::v1::Date date;
  std::vector<std::string> parts = absl::StrSplit(text, '-');
  if (parts.size() == 3) {
    date.set_year(std::stoi(parts[0]));
    date.set_month(std::stoi(parts[1]));
    date.set_day(std::stoi(parts[2]));
  }
  return date;
}

v1::Target TargetFromRow(const pqxx::row& row) {
  v1::Target target;
  target.set_name(kTargetName + row[0].as<std::string>());
  target.set_assignee(row[1].as<std::string>());
  for (const auto& member : nlohmann::json::parse(row[2].as<std::string>())) {
    target.add_members(member.get<std::string>());
  }
  target.set_metric(static_cast<v1::TargetMetric>(row[3].as<int>()));
  *target.mutable_start_date() = DateFromText(row[4].as<std::string>());
  *target.mutable_end_date() = DateFromText(row[5].as<std::string>());
  target.set_value(row[6].as<double>());
  target.set_etag(row[7].as<std::string>());
  *target.mutable_create_time() = TimeUtil::MicrosecondsToTimestamp(row[8].as<int64_t>());
  *target.mutable_update_time() = TimeUtil::MicrosecondsToTimestamp(row[9].as<int64_t>());
  return target;
}

std::optional<int64_t> OptionalInt(const pqxx::field& field) {
  if (field.is_null()) return std::nullopt;
  return field.as<int64_t>();
}

// The facts of `ids` (a text[] literal), read in `transaction`.
void ReadFacts(pqxx::transaction_base& transaction, const std::string& ids,
               const std::string& currency, ActivityFacts& facts, int& excluded_sales) {
  for (const auto& row : transaction.exec_prepared(sql::kInsightSales.name, ids, currency)) {
    if (!row[3].as<bool>()) {
      ++excluded_sales;
      continue;
    }
    facts.sales.push_back(
        {row[0].as<std::string>(), row[1].as<int64_t>(), row[2].as<int64_t>(), {}});
  }
  for (const auto& row : transaction.exec_prepared(sql::kInsightCases.name, ids)) {
    facts.cases.push_back({row[0].as<std::string>(), row[1].as<bool>(), row[2].as<int64_t>(),
                           OptionalInt(row[3]), row[4].as<bool>()});
  }
  for (const auto& row : transaction.exec_prepared(sql::kInsightBreaches.name, ids)) {
    facts.breaches.push_back({row[0].as<std::string>(), row[1].as<int64_t>()});
  }
  for (const auto& row : transaction.exec_prepared(sql::kInsightSurveys.name, ids)) {
    SurveyFact survey{row[0].as<std::string>(), row[1].as<int64_t>(), std::nullopt, std::nullopt};
    if (!row[2].is_null()) survey.csat = row[2].as<int>();
    if (!row[3].is_null()) survey.nps = row[3].as<int>();
    facts.surveys.push_back(survey);
  }
  for (const auto& row : transaction.exec_prepared(sql::kInsightInteractions.name, ids)) {
    facts.interactions.push_back({row[0].as<std::string>(), row[1].as<std::string>(),
                                  row[2].as<int64_t>(), row[3].as<bool>(), row[4].as<bool>()});
  }
}

v1::OverviewSale RecentSale(const std::string& sale_name, const std::string& currency,
                            int64_t micros, int lines, int64_t create_micros) {
  v1::OverviewSale sale;
  sale.set_sale(sale_name);
  sale.mutable_total()->set_currency_code(currency);
  sale.mutable_total()->set_units(micros / 1'000'000);
  sale.mutable_total()->set_nanos(static_cast<int32_t>((micros % 1'000'000) * 1000));
  sale.set_lines(lines);
  *sale.mutable_create_time() = TimeUtil::MicrosecondsToTimestamp(create_micros);
  return sale;
}

std::optional<int64_t> OptionalJsonInt(const nlohmann::json& value) {
  if (value.is_null()) return std::nullopt;
  return value.get<int64_t>();
}

// The JSON arrays of kInsightOverview, read as ReadFacts, RecentSales, OpenNeeds and Baskets read
// the rows of their own statements.
void ReadOverviewRow(const pqxx::row& row, const std::string& account_id, OverviewLocalFacts& out) {
  int column = sql::kOverviewTeamColumn;
  out.account.caller_on_team = row[column++].as<bool>();
  auto next = [&]() { return nlohmann::json::parse(row[column++].c_str()); };
  for (const auto& member : next()) {
    const std::string parent = member[1].get<std::string>();
    if (!parent.empty()) out.facts.parent_of[member[0].get<std::string>()] = parent;
  }
  ActivityFacts& facts = out.facts.facts;
  for (const auto& sale : next()) {
    if (!sale[3].get<bool>()) {
      ++out.facts.excluded_sales;
      continue;
    }
    facts.sales.push_back(
        {sale[0].get<std::string>(), sale[1].get<int64_t>(), sale[2].get<int64_t>(), {}});
  }
  for (const auto& c : next()) {
    facts.cases.push_back({c[0].get<std::string>(), c[1].get<bool>(), c[2].get<int64_t>(),
                           OptionalJsonInt(c[3]), c[4].get<bool>()});
  }
  for (const auto& breach : next()) {
    facts.breaches.push_back({breach[0].get<std::string>(), breach[1].get<int64_t>()});
  }
  for (const auto& survey : next()) {
    SurveyFact fact{survey[0].get<std::string>(), survey[1].get<int64_t>(), std::nullopt,
                    std::nullopt};
    if (!survey[2].is_null()) fact.csat = survey[2].get<int>();
    if (!survey[3].is_null()) fact.nps = survey[3].get<int>();
    facts.surveys.push_back(fact);
  }
  for (const auto& i : next()) {
    facts.interactions.push_back({i[0].get<std::string>(), i[1].get<std::string>(),
                                  i[2].get<int64_t>(), i[3].get<bool>(), i[4].get<bool>()});
  }
  for (const auto& sale : next()) {
    out.recent_sales.push_back(RecentSale(sale[0].get<std::string>(), sale[1].get<std::string>(),
                                          sale[2].get<int64_t>(), sale[3].get<int>(),
                                          sale[4].get<int64_t>()));
  }
  const nlohmann::json needs = next();
  const std::optional<int64_t> last_interaction = OptionalInt(row[column++]);
  for (const auto& need : needs) {
    out.open_needs.push_back({NeedName(account_id, need[0].get<std::string>()),
                              need[1].get<std::string>(), need[2].get<int64_t>(),
                              last_interaction});
  }
  auto baskets = std::make_shared<std::map<std::string, std::set<std::string>>>();
  for (const auto& basket : next()) {
    (*baskets)[basket[0].get<std::string>()].insert(basket[1].get<std::string>());
  }
  out.baskets = std::move(baskets);
}

}  // namespace

PgInsightsRepository::PgInsightsRepository(common::PgPool& pool)
    : pool_(pool), write_(pool, "account", "account") {}

absl::StatusOr<InsightAccount> PgInsightsRepository::GetAccount(const std::string& account_id,
                                                                const std::string& caller) {
  InsightAccount account;
  ACCORD_RETURN_IF_ERROR(pool_.Read(
      [&](pqxx::transaction_base& transaction) -> absl::Status {
        auto rows = transaction.exec_prepared(sql::kInsightAccount.name, account_id, caller);
        if (rows.empty()) return common::NotFound(AccountName(account_id));
        account.id = account_id;
        account.owner = rows[0][0].as<std::string>();
        account.lifecycle_stage = static_cast<v1::LifecycleStage>(rows[0][1].as<int>());
        account.caller_on_team = rows[0][2].as<bool>();
        return absl::OkStatus();
      },
      common::ReadScope::kOneStatement));
  return account;
}

absl::StatusOr<InsightFacts> PgInsightsRepository::LoadAccountFacts(const std::string& account_id,
                                                                    bool descendants,
                                                                    const std::string& currency) {
  InsightFacts out;
  ACCORD_RETURN_IF_ERROR(pool_.Read([&](pqxx::transaction_base& transaction) -> absl::Status {
    // The account, the accounts merged into it, and (with descendants) its live subtree.
    std::vector<std::string> ids;
    for (const auto& row :
         transaction.exec_prepared(sql::kInsightTree.name, account_id, descendants)) {
      ids.push_back(row[0].as<std::string>());
      if (!row[1].is_null() && !row[1].as<std::string>().empty()) {
        out.parent_of[ids.back()] = row[1].as<std::string>();
      }
    }
    ReadFacts(transaction, common::TextArrayLiteral(ids), currency, out.facts, out.excluded_sales);
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<ActivityFacts> PgInsightsRepository::LoadFacts(
    const std::vector<std::string>& account_ids, const std::string& currency) {
  ActivityFacts facts;
  int excluded = 0;
  ACCORD_RETURN_IF_ERROR(pool_.Read([&](pqxx::transaction_base& transaction) -> absl::Status {
    ReadFacts(transaction, common::TextArrayLiteral(account_ids), currency, facts, excluded);
    return absl::OkStatus();
  }));
  return facts;
}

absl::StatusOr<std::map<std::string, std::set<std::string>>> PgInsightsRepository::Baskets(
    int64_t since) {
  std::map<std::string, std::set<std::string>> baskets;
  ACCORD_RETURN_IF_ERROR(pool_.Read(
      [&](pqxx::transaction_base& transaction) -> absl::Status {
        for (const auto& row : transaction.exec_prepared(sql::kInsightBaskets.name, since)) {
          baskets[row[0].as<std::string>()].insert(row[1].as<std::string>());
        }
        return absl::OkStatus();
      },
      common::ReadScope::kOneStatement));
  return baskets;
}

absl::StatusOr<std::vector<v1::OverviewSale>> PgInsightsRepository::RecentSales(
    const std::string& account_id, int limit) {
  std::vector<v1::OverviewSale> sales;
  ACCORD_RETURN_IF_ERROR(pool_.Read(
      [&](pqxx::transaction_base& transaction) -> absl::Status {
        for (const auto& row :
             transaction.exec_prepared(sql::kInsightRecentSales.name, account_id, limit)) {
          sales.push_back(RecentSale(row[0].as<std::string>(), row[1].as<std::string>(),
                                     row[2].as<int64_t>(), row[3].as<int>(), row[4].as<int64_t>()));
        }
        return absl::OkStatus();
      },
      common::ReadScope::kOneStatement));
  return sales;
}

absl::StatusOr<std::vector<NeedActivity>> PgInsightsRepository::OpenNeeds(
    const std::string& account_id) {
  std::vector<NeedActivity> needs;
  ACCORD_RETURN_IF_ERROR(pool_.Read(
      [&](pqxx::transaction_base& transaction) -> absl::Status {
        for (const auto& row : transaction.exec_prepared(sql::kInsightOpenNeeds.name, account_id)) {
          needs.push_back({NeedName(account_id, row[0].as<std::string>()), row[1].as<std::string>(),
                           row[2].as<int64_t>(), OptionalInt(row[3])});
        }
        return absl::OkStatus();
      },
      common::ReadScope::kOneStatement));
  return needs;
}

absl::StatusOr<OverviewLocalFacts> PgInsightsRepository::LoadOverview(const std::string& account_id,
                                                                      const std::string& caller,
                                                                      const std::string& currency,
                                                                      int recent_sales,
                                                                      int64_t baskets_since) {
  OverviewLocalFacts out;
  ACCORD_RETURN_IF_ERROR(pool_.Read(
      [&](pqxx::transaction_base& transaction) -> absl::Status {
        auto rows = transaction.exec_prepared(sql::kInsightOverview.name, account_id, caller,
                                              currency, recent_sales, baskets_since);
        if (rows.empty()) return common::NotFound(AccountName(account_id));
        out = OverviewLocalFacts{};  // a retried attempt starts over
        out.resource = RowToAccount(rows[0]);
        out.account.id = account_id;
        out.account.owner = out.resource.owner();
        out.account.lifecycle_stage = out.resource.lifecycle_stage();
        ReadOverviewRow(rows[0], account_id, out);
        return absl::OkStatus();
      },
      common::ReadScope::kOneStatement));
  return out;
}

absl::StatusOr<std::vector<std::string>> PgInsightsRepository::AccountsOwnedBy(
    const std::vector<std::string>& owners) {
  std::vector<std::string> ids;
  ACCORD_RETURN_IF_ERROR(pool_.Read(
      [&](pqxx::transaction_base& transaction) -> absl::Status {
        for (const auto& row : transaction.exec_params(
                 "SELECT a.id::text FROM account.accounts a WHERE a.owner = ANY($1::text[]) "
                 "AND a.delete_time IS NULL AND a.merged_into IS NULL ORDER BY a.id",
                 common::TextArrayLiteral(owners))) {
          ids.push_back(row[0].as<std::string>());
        }
        return absl::OkStatus();
      },
      common::ReadScope::kOneStatement));
  return ids;
}

absl::StatusOr<int64_t> PgInsightsRepository::NewAccounts(const std::vector<std::string>& owners,
                                                          const std::string& from,
                                                          const std::string& to) {
  int64_t count = 0;
  ACCORD_RETURN_IF_ERROR(pool_.Read(
      [&](pqxx::transaction_base& transaction) -> absl::Status {
        count = transaction
                    .exec_params1(
                        "SELECT count(*) FROM account.accounts a WHERE a.owner = ANY($1::text[]) "
                        "AND a.create_time >= $2::date AND a.create_time < $3::date + 1",
                        common::TextArrayLiteral(owners), from, to)[0]
                    .as<int64_t>();
        return absl::OkStatus();
      },
      common::ReadScope::kOneStatement));
  return count;
}

absl::StatusOr<InsightsRepository::Interactions> PgInsightsRepository::InteractionsBy(
    const std::vector<std::string>& owners, const std::string& from, const std::string& to) {
  Interactions out;
  ACCORD_RETURN_IF_ERROR(pool_.Read(
      [&](pqxx::transaction_base& transaction) -> absl::Status {
        auto row = transaction.exec_params1(
            "SELECT count(*) FILTER (WHERE channel IN (1, 2)), count(*) FILTER (WHERE outcome = "
            "5) FROM account.insight_interactions WHERE owner = ANY($1::text[]) AND "
            "interaction_time >= $2::date AND interaction_time < $3::date + 1",
            common::TextArrayLiteral(owners), from, to);
        out.calls = row[0].as<int64_t>();
        out.conversions = row[1].as<int64_t>();
        return absl::OkStatus();
      },
      common::ReadScope::kOneStatement));
  return out;
}

absl::StatusOr<v1::Target> PgInsightsRepository::CreateTarget(const v1::Target& target,
                                                              const WriteMeta& meta) {
  return write_.Run<v1::Target>(
      meta,
      [&](common::WriteTransaction& transaction) -> absl::StatusOr<common::Written<v1::Target>> {
        auto row = transaction.exec_params1(
            "INSERT INTO account.targets AS t (id, assignee, members, metric, start_date, "
            "end_date, value) VALUES ($1::uuid, $2, $3::text[], $4, $5::date, $6::date, $7) "
            "RETURNING " ACCORD_TARGET_COLUMNS,
            common::NewUuidV7(), target.assignee(), common::TextArrayLiteral(target.members()),
            static_cast<int>(target.metric()), DateText(target.start_date()),
            DateText(target.end_date()), target.value());
        v1::Target created = TargetFromRow(row);
        common::Event event = common::ResourceEvent(kTargetCreated, created);
        return common::Written<v1::Target>(std::move(created), std::move(event));
      });
}

absl::StatusOr<v1::Target> PgInsightsRepository::GetTarget(const std::string& id) {
  v1::Target target;
  ACCORD_RETURN_IF_ERROR(pool_.Read(
      [&](pqxx::transaction_base& transaction) -> absl::Status {
        auto rows = transaction.exec_params(
            "SELECT " ACCORD_TARGET_COLUMNS " FROM account.targets t WHERE t.id = $1::uuid", id);
        if (rows.empty()) return common::NotFound(kTargetName + id);
        target = TargetFromRow(rows[0]);
        return absl::OkStatus();
      },
      common::ReadScope::kOneStatement));
  return target;
}

absl::StatusOr<TargetPage> PgInsightsRepository::ListTargets(const TargetListQuery& query) {
  const common::KeysetOrder order{"t.create_time", "t.id", common::kMicrosToTimestamptz,
                                  query.descending};
  std::string statement = "SELECT " ACCORD_TARGET_COLUMNS ", " +
                          common::MicrosText("t.create_time") +
                          " FROM account.targets t WHERE TRUE";
  std::vector<std::string> params = query.filter_params;
  if (!query.filter_sql.empty()) statement += " AND (" + query.filter_sql + ")";
  common::AppendKeyset(statement, params, order, query.after, query.limit);
  TargetPage page;
  ACCORD_RETURN_IF_ERROR(pool_.Read(
      [&](pqxx::transaction_base& transaction) -> absl::Status {
        for (const auto& row :
             transaction.exec_params(statement, pqxx::prepare::make_dynamic_params(params))) {
          page.targets.push_back(TargetFromRow(row));
          page.keys.push_back({row[10].as<std::string>(), row[0].as<std::string>()});
        }
        return absl::OkStatus();
      },
      common::ReadScope::kOneStatement));
  return page;
}

absl::StatusOr<v1::Target> PgInsightsRepository::UpdateTarget(const std::string& id,
                                                              const TargetMutation& mutate,
                                                              const WriteMeta& meta) {
  return write_.Run<v1::Target>(
      meta,
      [&](common::WriteTransaction& transaction) -> absl::StatusOr<common::Written<v1::Target>> {
        auto rows = transaction.exec_params("SELECT " ACCORD_TARGET_COLUMNS
                                            " FROM account.targets t WHERE t.id = $1::uuid "
                                            "FOR UPDATE",
                                            id);
        if (rows.empty()) return common::NotFound(kTargetName + id);
        const v1::Target current = TargetFromRow(rows[0]);
        ACCORD_ASSIGN_OR_RETURN(v1::Target next, mutate(current));
        auto row = transaction.exec_params1(
            "UPDATE account.targets AS t SET members = $2::text[], start_date = $3::date, "
            "end_date = $4::date, value = $5, version = version + 1, update_time = now() "
            "WHERE t.id = $1::uuid RETURNING " ACCORD_TARGET_COLUMNS,
            id, common::TextArrayLiteral(next.members()), DateText(next.start_date()),
            DateText(next.end_date()), next.value());
        v1::Target updated = TargetFromRow(row);
        common::Event event = common::ResourceEvent(kTargetUpdated, updated, &current);
        return common::Written<v1::Target>(std::move(updated), std::move(event));
      });
}

absl::Status PgInsightsRepository::DeleteTarget(const std::string& id, const TargetMutation& check,
                                                const WriteMeta& meta) {
  return write_
      .Run<v1::Target>(meta,
                       [&](common::WriteTransaction& transaction)
                           -> absl::StatusOr<common::Written<v1::Target>> {
                         auto rows = transaction.exec_params(
                             "DELETE FROM account.targets t WHERE t.id = $1::uuid "
                             "RETURNING " ACCORD_TARGET_COLUMNS,
                             id);
                         if (rows.empty()) return common::NotFound(kTargetName + id);
                         v1::Target last = TargetFromRow(rows[0]);
                         ACCORD_RETURN_IF_ERROR(check(last).status());
                         // The deletion is the target's next version.
                         last.set_etag(std::to_string(std::stoll(last.etag()) + 1));
                         common::Event event = common::ResourceEvent(kTargetDeleted, last);
                         return common::Written<v1::Target>(std::move(last), std::move(event));
                       })
      .status();
}

absl::StatusOr<std::vector<v1::Target>> PgInsightsRepository::TargetsOf(const std::string& assignee,
                                                                        const std::string& from,
                                                                        const std::string& to) {
  std::vector<v1::Target> targets;
  ACCORD_RETURN_IF_ERROR(pool_.Read(
      [&](pqxx::transaction_base& transaction) -> absl::Status {
        for (const auto& row : transaction.exec_params(
                 "SELECT " ACCORD_TARGET_COLUMNS " FROM account.targets t WHERE t.assignee = $1 "
                 "AND t.start_date <= $3::date AND t.end_date >= $2::date ORDER BY t.start_date, "
                 "t.id LIMIT 100",
                 assignee, from, to)) {
          targets.push_back(TargetFromRow(row));
        }
        return absl::OkStatus();
      },
      common::ReadScope::kOneStatement));
  return targets;
}

}  // namespace accord::account
