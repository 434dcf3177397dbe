// Postgres side of insights_repository.h (schema account, tables of migration 0004_insights).
#pragma once

#include "accord/common/pg.h"
#include "accord/common/write.h"
#include "insights_repository.h"
#include "pg_filter_schemas.h"

namespace accord::account {

// Event types of targets; the payload is the Target after the change (its last state, at the
// next version, for a deletion).
inline constexpr char kTargetCreated[] = "accord.account.v1.TargetCreated";
inline constexpr char kTargetUpdated[] = "accord.account.v1.TargetUpdated";
inline constexpr char kTargetDeleted[] = "accord.account.v1.TargetDeleted";

class PgInsightsRepository : public InsightsRepository {
 public:
  const common::filter::Schema& FilterSchema() const override { return TargetFilterSchema(); }
  explicit PgInsightsRepository(common::PgPool& pool);

  absl::StatusOr<InsightAccount> GetAccount(const std::string& account_id,
                                            const std::string& caller) override;
  absl::StatusOr<InsightFacts> LoadAccountFacts(const std::string& account_id, bool descendants,
                                                const std::string& currency) override;
  absl::StatusOr<ActivityFacts> LoadFacts(const std::vector<std::string>& account_ids,
                                          const std::string& currency) override;
  absl::StatusOr<std::map<std::string, std::set<std::string>>> Baskets(int64_t since) override;
  absl::StatusOr<std::vector<v1::OverviewSale>> RecentSales(const std::string& account_id,
                                                            int limit) override;
  absl::StatusOr<std::vector<NeedActivity>> OpenNeeds(const std::string& account_id) override;
  absl::StatusOr<OverviewLocalFacts> LoadOverview(const std::string& account_id,
                                                  const std::string& caller,
                                                  const std::string& currency, int recent_sales,
                                                  int64_t baskets_since) override;
  absl::StatusOr<std::vector<std::string>> AccountsOwnedBy(
      const std::vector<std::string>& owners) override;
  absl::StatusOr<int64_t> NewAccounts(const std::vector<std::string>& owners,
                                      const std::string& from, const std::string& to) override;
  absl::StatusOr<Interactions> InteractionsBy(const std::vector<std::string>& owners,
                                              const std::string& from,
                                              const std::string& to) override;
  absl::StatusOr<v1::Target> CreateTarget(const v1::Target& target, const WriteMeta& meta) override;
  absl::StatusOr<v1::Target> GetTarget(const std::string& id) override;
  absl::StatusOr<TargetPage> ListTargets(const TargetListQuery& query) override;
  absl::StatusOr<v1::Target> UpdateTarget(const std::string& id, const TargetMutation& mutate,
                                          const WriteMeta& meta) override;
  absl::Status DeleteTarget(const std::string& id, const TargetMutation& check,
                            const WriteMeta& meta) override;
  absl::StatusOr<std::vector<v1::Target>> TargetsOf(const std::string& assignee,
                                                    const std::string& from,
                                                    const std::string& to) override;

 private:
  common::PgPool& pool_;
  common::IdempotentWrite write_;
};

}  // namespace accord::account
