// `accordctl accounts overview|insights ACCOUNT`: the AccountInsightsService
// (accord.account.v1), printed for reading (`--json` for the message itself).
#include <cstdio>
#include <ostream>

#include "absl/strings/str_format.h"
#include "accord/account/v1/insights.grpc.pb.h"
#include "commands.h"
#include "pricing_cli.h"
#include "resource_cli.h"
#include "rpc.h"

namespace accord::accordctl {
namespace {

namespace v1 = ::accord::account::v1;

constexpr char kBadAccount[] = "bad account (accounts/ID or ID)";

std::optional<std::string> AccountOf(const Invocation& inv) {
  const std::string& text = inv.args.positional()[0];
  if (text == "-") return std::nullopt;
  return cli::ParentName(text);
}

std::unique_ptr<v1::AccountInsightsService::Stub> Connect(const Invocation& inv,
                                                          std::optional<CallOptions>& call) {
  call = CallOptionsFor(inv, *FindService("account"));
  if (!call) return nullptr;
  return v1::AccountInsightsService::NewStub(call->NewChannel());
}

std::string Optional(bool has, double value, const char* format) {
  return has ? absl::StrFormat(format, value) : "-";
}

std::string Trimmed(std::string name) {
  constexpr std::string_view kPrefix = "FORECAST_METHOD_";
  if (name.rfind(kPrefix, 0) == 0) name = name.substr(kPrefix.size());
  return name;
}

void PrintInsights(std::ostream& out, const v1::AccountInsights& insights) {
  out << "Insights of " << insights.name() << " (" << insights.currency_code()
      << (insights.includes_descendants() ? ", with descendants" : "") << ")\n\n";
  out << absl::StrFormat("%-8s %16s %6s %6s %8s %10s %8s %5s %5s %6s\n", "MONTH", "REVENUE",
                         "ORDERS", "CASES", "RESOLVED", "COMPLAINTS", "BREACHES", "CSAT", "NPS",
                         "CALLS");
  for (const auto& m : insights.months()) {
    out << absl::StrFormat("%-8s %16s %6d %6d %8d %10d %8d %5s %5s %6d\n", m.month(),
                           pricing_cli::MoneyText(m.revenue()), m.orders(), m.cases_opened(),
                           m.cases_resolved(), m.complaints_opened(), m.sla_breaches(),
                           Optional(m.has_average_csat(), m.average_csat(), "%.1f"),
                           Optional(m.has_average_nps(), m.average_nps(), "%.1f"),
                           m.interactions());
  }
  if (insights.excluded_sales() > 0) {
    out << insights.excluded_sales() << " sale(s) in another currency not counted\n";
  }
  const auto& clv = insights.lifetime_value();
  out << "\nLifetime value: ";
  if (!clv.sufficient_history()) {
    out << clv.insufficient_reason() << "\n";
  } else {
    out << pricing_cli::MoneyText(clv.value()) << "\n  " << clv.formula() << "\n"
        << absl::StrFormat(
               "  months observed %d, orders %d, revenue %s, margin rate %.2f -> m = %s\n"
               "  retention r = %.3f (expected lifetime %.1f months), d = %.5f (annual %.2f)\n",
               clv.months_observed(), clv.orders(), pricing_cli::MoneyText(clv.revenue()),
               clv.margin_rate(), pricing_cli::MoneyText(clv.average_monthly_margin()),
               clv.retention_rate(), clv.expected_lifetime_months(), clv.monthly_discount_rate(),
               clv.annual_discount_rate());
  }
  const auto& forecast = insights.forecast();
  out << "\nForecast: ";
  if (!forecast.sufficient_history()) {
    out << forecast.insufficient_reason() << "\n";
  } else {
    out << Trimmed(v1::ForecastMethod_Name(forecast.method()))
        << absl::StrFormat(
               " (alpha %.1f, beta %.1f), backtest over %d month(s): MAE %.2f, MAPE %s, "
               "MASE %s; %s had MAE %.2f\n",
               forecast.alpha(), forecast.beta(), forecast.backtest_months(),
               forecast.backtest_mae(),
               Optional(forecast.has_backtest_mape(), forecast.backtest_mape(), "%.1f%%"),
               Optional(forecast.has_backtest_mase(), forecast.backtest_mase(), "%.2f"),
               Trimmed(v1::ForecastMethod_Name(forecast.compared_method())),
               forecast.compared_backtest_mae());
    for (const auto& point : forecast.points()) {
      out << absl::StrFormat(
          "  %-8s %16s  (95%%: %s .. %s)\n", point.month(), pricing_cli::MoneyText(point.value()),
          pricing_cli::MoneyText(point.lower()), pricing_cli::MoneyText(point.upper()));
    }
  }
  const auto& health = insights.health();
  out << absl::StrFormat(
      "\nHealth: %.1f / 100 (%+.1f in 30 days), churn risk %s\n  order recency %.1f/25, order "
      "frequency %.1f/20, "
      "contact recency %.1f/15, service %.1f/20, satisfaction %.1f/20\n",
      health.score(), health.score_change_30_days(),
      v1::ChurnRisk_Name(health.churn_risk()).substr(11), health.order_recency(),
      health.order_frequency(), health.contact_recency(), health.service(), health.satisfaction());
  if (health.suggested_lifecycle_stage() != v1::LIFECYCLE_STAGE_UNSPECIFIED) {
    out << "  suggested: " << v1::LifecycleStage_Name(health.suggested_lifecycle_stage()) << " ("
        << health.suggestion_reason() << ")\n";
  }
}

void PrintRecommendations(std::ostream& out,
                          const google::protobuf::RepeatedPtrField<v1::Recommendation>& list) {
  if (list.empty()) {
    out << "  none\n";
    return;
  }
  for (const auto& r : list) out << "  - " << r.reason() << "\n";
}

int RunInsights(const Invocation& inv) {
  auto account = AccountOf(inv);
  if (!account) return inv.UsageError(kBadAccount);
  v1::GetAccountInsightsRequest request;
  request.set_name(*account + "/insights");
  request.set_include_descendants(inv.args.Bool("descendants"));
  if (auto months = inv.args.Get("months")) {
    auto parsed = ParseInt(*months, 1, 60);
    if (!parsed) return inv.UsageError("--months must be 1 to 60");
    request.set_months(static_cast<int32_t>(*parsed));
  }
  std::optional<CallOptions> call;
  auto stub = Connect(inv, call);
  if (!stub) return kExitUsage;
  auto context = call->NewContext();
  v1::AccountInsights response;
  grpc::Status status = stub->GetAccountInsights(context.get(), request, &response);
  if (!status.ok()) return ReportRpcError(status, inv.err);
  if (inv.args.Bool("json") || inv.wants_json()) {
    inv.out << ToJson(response, /*pretty=*/true) << "\n";
    return kExitOk;
  }
  PrintInsights(inv.out, response);
  return kExitOk;
}

int RunOverview(const Invocation& inv) {
  auto account = AccountOf(inv);
  if (!account) return inv.UsageError(kBadAccount);
  v1::GetAccountOverviewRequest request;
  request.set_name(*account + "/overview");
  std::optional<CallOptions> call;
  auto stub = Connect(inv, call);
  if (!stub) return kExitUsage;
  auto context = call->NewContext();
  v1::AccountOverview response;
  grpc::Status status = stub->GetAccountOverview(context.get(), request, &response);
  if (!status.ok()) return ReportRpcError(status, inv.err);
  if (inv.args.Bool("json") || inv.wants_json()) {
    inv.out << ToJson(response, /*pretty=*/true) << "\n";
    return kExitOk;
  }
  std::ostream& out = inv.out;
  const auto& a = response.account();
  out << a.display_name() << " (" << a.name() << "), owner " << a.owner() << ", "
      << v1::LifecycleStage_Name(a.lifecycle_stage()) << "\n";
  for (const auto& part : response.missing()) {
    out << "MISSING " << part.part() << ": " << part.service() << " " << part.code() << " ("
        << part.reason() << ")\n";
  }
  out << "\nKey contacts:\n";
  if (response.key_contacts().empty()) out << "  none\n";
  for (const auto& c : response.key_contacts()) {
    out << "  " << (c.personal_data_masked() ? "(masked)" : c.display_name()) << "  " << c.contact()
        << (c.is_primary() ? "  primary" : "");
    for (const auto& role : c.roles()) out << "  " << role;
    out << "\n";
  }
  out << "\nOpen cases:\n";
  if (response.open_cases().empty()) out << "  none\n";
  for (const auto& c : response.open_cases()) {
    out << "  " << c.case_() << "  " << c.kind() << "  " << c.status() << "  " << c.priority()
        << "  SLA " << c.sla_state() << "\n";
  }
  out << "\nActive terms:\n";
  if (response.active_terms().empty()) out << "  none\n";
  for (const auto& t : response.active_terms()) {
    out << absl::StrFormat("  %s  %s  from %04d-%02d-%02d  list %s\n", t.trading_terms(), t.state(),
                           t.start_date().year(), t.start_date().month(), t.start_date().day(),
                           t.price_list());
  }
  out << "\nRecent sales:\n";
  if (response.recent_sales().empty()) out << "  none\n";
  for (const auto& s : response.recent_sales()) {
    out << "  " << s.sale() << "  " << pricing_cli::MoneyText(s.total()) << "  " << s.lines()
        << " line(s)\n";
  }
  out << "\n";
  PrintInsights(out, response.insights());
  out << "\nRecommendations:\n";
  PrintRecommendations(out, response.recommendations());
  return kExitOk;
}

}  // namespace

void RegisterInsightsCommands(Registry& registry) {
  const FlagSpec json{"json", "", "Print the response message as JSON."};
  registry.Add({
      .path = {"accounts", "overview"},
      .synopsis = "ACCOUNT [--json]",
      .summary = "One account at a glance: contacts, open cases, terms, sales, insights.",
      .description = "ACCOUNT is accounts/ID or ID. Parts whose service did not answer within "
                     "the overview's deadline are listed as MISSING.",
      .flags = cli::WithRpcFlags({json}),
      .min_positional = 1,
      .max_positional = 1,
      .run = RunOverview,
  });
  registry.Add({
      .path = {"accounts", "insights"},
      .synopsis = "ACCOUNT [--months N] [--descendants] [--json]",
      .summary = "Revenue and activity by month, lifetime value, forecast and health.",
      .description = "ACCOUNT is accounts/ID or ID.",
      .flags = cli::WithRpcFlags(
          {json,
           {"months", "N", "Months shown, 1 to 60 (default 12)."},
           {"descendants", "", "Roll the figures up over the account's descendants."}}),
      .min_positional = 1,
      .max_positional = 1,
      .run = RunInsights,
  });
}

}  // namespace accord::accordctl
