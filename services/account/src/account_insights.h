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

  // For the overview: the facts of an account the caller was already allowed to read (read
  // once), and its insights and first recommendations from them.
  absl::StatusOr<InsightFacts> FactsOf(const InsightAccount& account);
  v1::AccountInsights InsightsOf(const InsightAccount& account, const InsightFacts& facts,
                                 int64_t now) const;
  absl::StatusOr<std::vector<v1::Recommendation>> RecommendationsOf(const InsightAccount& account,
                                                                    const InsightFacts& facts,
                                                                    int64_t now);
  // The account's last sales, as the insights learned them from pricing-terms.
  absl::StatusOr<std::vector<v1::OverviewSale>> RecentSalesOf(const InsightAccount& account);
  // The account, after the read access check; NOT_FOUND, PERMISSION_DENIED.
  absl::StatusOr<InsightAccount> ReadableAccount(const common::Principal& caller,
                                                 const std::string& account_id);

 private:
  v1::AccountInsights Build(const InsightAccount& account, const InsightFacts& facts,
                            bool descendants, int months, int horizon, int64_t now) const;
  v1::RevenueForecast ForecastOf(const MonthlySeries& series, int horizon, int64_t now) const;
  common::v1::Money Money(double units) const;

  InsightsRepository& repository_;
  const common::PageTokenCodec& page_tokens_;
  InsightsSettings settings_;
};

}  // namespace accord::account
