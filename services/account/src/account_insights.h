// Account insights' logic between the handlers and storage: validates requests, applies the
// access rules, loads the facts and turns them into the figures (insights_logic.h,
// insights_forecast.h) and the API's messages.
#pragma once

#include <cstdint>

#include "absl/status/statusor.h"
#include "accord/account/v1/insights.pb.h"
#include "accord/common/auth.h"
#include "accord/common/page_token.h"
#include "insights_repository.h"
#include "insights_settings.h"

namespace accord::account {

class AccountInsightsLogic {
 public:
  AccountInsightsLogic(InsightsRepository& repository, const common::PageTokenCodec& page_tokens,
                       const InsightsSettings& settings);

  // `now` in epoch seconds: the figures' clock, passed in so tests can fix it.
  absl::StatusOr<v1::AccountInsights> GetInsights(const common::Principal& caller,
                                                  const v1::GetAccountInsightsRequest& request,
                                                  int64_t now);
  absl::StatusOr<v1::ListAccountRecommendationsResponse> ListRecommendations(
      const common::Principal& caller, const v1::ListAccountRecommendationsRequest& request,
      int64_t now);
  absl::StatusOr<v1::Performance> GetPerformance(const common::Principal& caller,
                                                 const v1::GetPerformanceRequest& request,
                                                 int64_t now);

  absl::StatusOr<v1::Target> CreateTarget(const common::Principal& caller,
                                          const v1::CreateTargetRequest& request, WriteMeta meta);
  absl::StatusOr<v1::Target> GetTarget(const common::Principal& caller,
                                       const v1::GetTargetRequest& request);
  absl::StatusOr<v1::ListTargetsResponse> ListTargets(const common::Principal& caller,
                                                      const v1::ListTargetsRequest& request);
  absl::StatusOr<v1::Target> UpdateTarget(const common::Principal& caller,
                                          const v1::UpdateTargetRequest& request, WriteMeta meta);
  absl::Status DeleteTarget(const common::Principal& caller, const v1::DeleteTargetRequest& request,
                            WriteMeta meta);

  // GetAccountOverview's local parts from one read (one statement): the account as GetAccount
  // answers it, its insights as GetAccountInsights answers them by default, its last sales as the
  // insights learned them from pricing-terms, and its recommendations in
  // ListAccountRecommendations' order (all of them; the overview shows the first). NOT_FOUND,
  // PERMISSION_DENIED.
  struct OverviewParts {
    v1::Account account;
    v1::AccountInsights insights;
    std::vector<v1::OverviewSale> recent_sales;
    std::vector<v1::Recommendation> recommendations;
  };
  absl::StatusOr<OverviewParts> OverviewOf(const common::Principal& caller,
                                           const std::string& account_id, int64_t now);

 private:
  v1::AccountInsights Build(const InsightAccount& account, const InsightFacts& facts,
                            bool descendants, int months, int horizon, int64_t now) const;
  // The account's recommendations: due follow-ups first (they ask for action), then products,
  // best rule first.
  std::vector<v1::Recommendation> Recommend(
      const InsightAccount& account, const InsightFacts& facts,
      const std::vector<NeedActivity>& needs,
      const std::map<std::string, std::set<std::string>>& baskets, int64_t now) const;
  absl::StatusOr<InsightFacts> FactsOf(const InsightAccount& account);
  absl::StatusOr<std::vector<v1::Recommendation>> RecommendationsOf(const InsightAccount& account,
                                                                    const InsightFacts& facts,
                                                                    int64_t now);
  // The account, after the read access check; NOT_FOUND, PERMISSION_DENIED.
  absl::StatusOr<InsightAccount> ReadableAccount(const common::Principal& caller,
                                                 const std::string& account_id);
  v1::RevenueForecast ForecastOf(const MonthlySeries& series, int horizon, int64_t now) const;
  common::v1::Money Money(double units) const;

  InsightsRepository& repository_;
  const common::PageTokenCodec& page_tokens_;
  InsightsSettings settings_;
};

}  // namespace accord::account
