// Storage of account insights: the facts learned from the other services (insights_projection.h
// writes them), what the account service itself knows that the figures need (owners, the
// hierarchy, needs), and targets. Times are epoch seconds; dates "YYYY-MM-DD".
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "accord/account/v1/account.pb.h"
#include "accord/account/v1/insights.pb.h"
#include "accord/common/filter.h"
#include "accord/common/write_meta.h"
#include "insights_facts.h"

namespace accord::account {

using common::WriteMeta;

// A live account, as the insights' access rule and health suggestion need it.
struct InsightAccount {
  std::string id;
  std::string owner;
  v1::LifecycleStage lifecycle_stage = v1::LIFECYCLE_STAGE_UNSPECIFIED;
  bool caller_on_team = false;  // the caller is an active member of its team
};

// The facts of an account: its own, those of the accounts merged into it, and (when asked) those
// of its descendants; `parent_of` links each of those accounts to the one it rolls up into.
struct InsightFacts {
  ActivityFacts facts;
  std::map<std::string, std::string> parent_of;
  int excluded_sales = 0;  // sales in another currency
};

struct NeedActivity {
  std::string need;  // accounts/{id}/needs/{id}
  std::string title;
  int64_t update_time = 0;
  std::optional<int64_t> last_interaction;
};

// What GetAccountOverview knows locally, read at once (one snapshot): the account as GetAccount
// answers it, the access facts, the account's facts (with the accounts merged into it, not its
// descendants), its recent sales, its open needs, and every account's baskets for the
// recommendations (shared: the same for every account, and large).
struct OverviewLocalFacts {
  v1::Account resource;
  InsightAccount account;
  InsightFacts facts;
  std::vector<v1::OverviewSale> recent_sales;
  std::vector<NeedActivity> open_needs;
  std::shared_ptr<const std::map<std::string, std::set<std::string>>> baskets;
};

struct TargetListQuery {
  int limit = 50;
  std::optional<std::vector<std::string>> after;
  bool descending = false;
  std::string filter_sql;
  std::vector<std::string> filter_params;
};
struct TargetPage {
  std::vector<v1::Target> targets;
  std::vector<std::vector<std::string>> keys;
};

class InsightsRepository {
 public:
  virtual ~InsightsRepository() = default;

  // How a List filter maps to this store's SQL (the logic compiles request filters against it).
  virtual const common::filter::Schema& FilterSchema() const = 0;

  // NOT_FOUND naming the account when it is missing, deleted or merged away.
  virtual absl::StatusOr<InsightAccount> GetAccount(const std::string& account_id,
                                                    const std::string& caller) = 0;
  virtual absl::StatusOr<InsightFacts> LoadAccountFacts(const std::string& account_id,
                                                        bool descendants,
                                                        const std::string& currency) = 0;
  // The facts of exactly these accounts.
  virtual absl::StatusOr<ActivityFacts> LoadFacts(const std::vector<std::string>& account_ids,
                                                  const std::string& currency) = 0;
  // SKUs each account bought since `since`.
  virtual absl::StatusOr<std::map<std::string, std::set<std::string>>> Baskets(int64_t since) = 0;
  // The account's last `limit` sales (all currencies), newest first.
  virtual absl::StatusOr<std::vector<v1::OverviewSale>> RecentSales(const std::string& account_id,
                                                                    int limit) = 0;
  // The account's open or planned needs with when they or the account last saw activity.
  virtual absl::StatusOr<std::vector<NeedActivity>> OpenNeeds(const std::string& account_id) = 0;

  // The overview's local facts in one read: GetAccount, LoadAccountFacts(id, false, currency),
  // RecentSales(id, recent_sales), OpenNeeds(id) and Baskets(baskets_since) of one snapshot, and
  // whether `caller` is on the account's team. NOT_FOUND naming the account when it is missing,
  // deleted or merged away.
  virtual absl::StatusOr<OverviewLocalFacts> LoadOverview(const std::string& account_id,
                                                          const std::string& caller,
                                                          const std::string& currency,
                                                          int recent_sales,
                                                          int64_t baskets_since) = 0;

  // Performance: live accounts owned by any of `owners`; accounts they were given in [from, to]
  // (created in the period); calls and conversions they logged in the period.
  virtual absl::StatusOr<std::vector<std::string>> AccountsOwnedBy(
      const std::vector<std::string>& owners) = 0;
  virtual absl::StatusOr<int64_t> NewAccounts(const std::vector<std::string>& owners,
                                              const std::string& from, const std::string& to) = 0;
  struct Interactions {
    int64_t calls = 0;
    int64_t conversions = 0;
  };
  virtual absl::StatusOr<Interactions> InteractionsBy(const std::vector<std::string>& owners,
                                                      const std::string& from,
                                                      const std::string& to) = 0;

  // Targets, written through the write path (request id, event, kept response).
  virtual absl::StatusOr<v1::Target> CreateTarget(const v1::Target& target,
                                                  const WriteMeta& meta) = 0;
  virtual absl::StatusOr<v1::Target> GetTarget(const std::string& id) = 0;
  virtual absl::StatusOr<TargetPage> ListTargets(const TargetListQuery& query) = 0;
  // `mutate` sees the target under its row lock and returns the next state (or an error).
  using TargetMutation = std::function<absl::StatusOr<v1::Target>(const v1::Target& current)>;
  virtual absl::StatusOr<v1::Target> UpdateTarget(const std::string& id,
                                                  const TargetMutation& mutate,
                                                  const WriteMeta& meta) = 0;
  virtual absl::Status DeleteTarget(const std::string& id, const TargetMutation& check,
                                    const WriteMeta& meta) = 0;
  // Targets of `assignee` whose period overlaps [from, to].
  virtual absl::StatusOr<std::vector<v1::Target>> TargetsOf(const std::string& assignee,
                                                            const std::string& from,
                                                            const std::string& to) = 0;
};

}  // namespace accord::account
