// gRPC handlers of accord.account.v1.AccountInsightsService: unpack, authenticate (via the
// runtime), call the insights logic, map the result. The service also owns the event feeds that
// keep the insights' facts (insights_feeds.h), started with it.
#pragma once

#include <atomic>
#include <memory>
#include <vector>

#include "accord/account/v1/insights.grpc.pb.h"
#include "accord/common/server.h"
#include "account_insights.h"
#include "account_logic.h"
#include "account_overview.h"
#include "caching_account_repository.h"
#include "insights_feeds.h"
#include "insights_local_cache.h"
#include "pg_account_repository.h"
#include "pg_insights_repository.h"

namespace accord::account {

class AccountInsightsServiceImpl final : public v1::AccountInsightsService::CallbackService {
 public:
  AccountInsightsServiceImpl(common::Runtime& runtime, InsightsSettings settings);
  ~AccountInsightsServiceImpl() override;

  grpc::ServerUnaryReactor* GetAccountInsights(grpc::CallbackServerContext* context,
                                               const v1::GetAccountInsightsRequest* request,
                                               v1::AccountInsights* response) override;
  grpc::ServerUnaryReactor* ListAccountRecommendations(
      grpc::CallbackServerContext* context, const v1::ListAccountRecommendationsRequest* request,
      v1::ListAccountRecommendationsResponse* response) override;
  grpc::ServerUnaryReactor* GetAccountOverview(grpc::CallbackServerContext* context,
                                               const v1::GetAccountOverviewRequest* request,
                                               v1::AccountOverview* response) override;
  grpc::ServerUnaryReactor* CreateTarget(grpc::CallbackServerContext* context,
                                         const v1::CreateTargetRequest* request,
                                         v1::Target* response) override;
  grpc::ServerUnaryReactor* GetTarget(grpc::CallbackServerContext* context,
                                      const v1::GetTargetRequest* request,
                                      v1::Target* response) override;
  grpc::ServerUnaryReactor* ListTargets(grpc::CallbackServerContext* context,
                                        const v1::ListTargetsRequest* request,
                                        v1::ListTargetsResponse* response) override;
  grpc::ServerUnaryReactor* UpdateTarget(grpc::CallbackServerContext* context,
                                         const v1::UpdateTargetRequest* request,
                                         v1::Target* response) override;
  grpc::ServerUnaryReactor* DeleteTarget(grpc::CallbackServerContext* context,
                                         const v1::DeleteTargetRequest* request,
                                         google::protobuf::Empty* response) override;
  grpc::ServerUnaryReactor* GetPerformance(grpc::CallbackServerContext* context,
                                           const v1::GetPerformanceRequest* request,
                                           v1::Performance* response) override;
  grpc::ServerUnaryReactor* RebuildInsights(grpc::CallbackServerContext* context,
                                            const v1::RebuildInsightsRequest* request,
                                            v1::RebuildInsightsResponse* response) override;

  // The feeds, when the settings turn them on (for tests); null otherwise.
  InsightsFeeds* feeds() { return feeds_.get(); }
  // The overview's local cache, when on (for tests); null otherwise.
  OverviewLocalCache* local_cache() { return local_cache_.get(); }

 private:
  // The overview's local parts, read on a worker, and its peers' calls, started before them and
  // still running.
  struct LocalOverview {
    v1::AccountOverview overview;
    std::shared_ptr<OverviewPeers::Pending> peers;
    // What the cache held for the caller, and the parts it may store (asked of a peer while that
    // peer's events were followed).
    std::string account_id;
    std::string caller;
    OverviewCache::Lookup cached;
    OverviewPeers::Parts storable{};
  };
  // The parts to store after the peers answered (only what the cache may keep).
  std::vector<OverviewCache::Entry> Storable(const LocalOverview& local,
                                             const OverviewPeers::Parts& answered) const;
  absl::StatusOr<LocalOverview> Overview(grpc::CallbackServerContext* context,
                                         const common::RpcContext& rpc,
                                         const v1::GetAccountOverviewRequest& request);
  // Reads the local parts on a worker and answers when the peers' parts are in (or out of time),
  // without a thread waiting for them.
  void StartOverview(grpc::CallbackServerContext* context,
                     std::shared_ptr<const common::RpcContext> rpc,
                     const v1::GetAccountOverviewRequest* request, v1::AccountOverview* response,
                     common::Runtime::Completion done);

  common::Runtime& runtime_;
  InsightsSettings settings_;
  // The overview's local parts in memory and what keeps them current; null when
  // overview_local_ttl is 0. The notices' connection opens at the first overview.
  std::unique_ptr<OverviewLocalCache> local_cache_;
  std::unique_ptr<common::PgNoticeListener> local_notices_;
  std::atomic<bool> local_notices_started_{false};
  int local_tail_listener_ = -1;
  std::unique_ptr<PgInsightsRepository> storage_;
  AccountInsightsLogic logic_;
  PgAccountRepository account_storage_;
  AccountLogic accounts_;
  OverviewPeers peers_;
  std::unique_ptr<InsightsFeeds> feeds_;
  // The overview's cache and the feeds that keep it current; both null when the feeds or the
  // cache are off.
  std::unique_ptr<OverviewCache> overview_cache_;
  std::unique_ptr<OverviewFeeds> overview_feeds_;
  common::RpcMethod insights_method_{"accord.account.v1.AccountInsightsService",
                                     "GetAccountInsights"};
  common::RpcMethod recommendations_method_{"accord.account.v1.AccountInsightsService",
                                            "ListAccountRecommendations"};
  common::RpcMethod overview_method_{"accord.account.v1.AccountInsightsService",
                                     "GetAccountOverview"};
  common::RpcMethod create_target_method_{"accord.account.v1.AccountInsightsService",
                                          "CreateTarget"};
  common::RpcMethod get_target_method_{"accord.account.v1.AccountInsightsService", "GetTarget"};
  common::RpcMethod list_targets_method_{"accord.account.v1.AccountInsightsService", "ListTargets"};
  common::RpcMethod update_target_method_{"accord.account.v1.AccountInsightsService",
                                          "UpdateTarget"};
  common::RpcMethod delete_target_method_{"accord.account.v1.AccountInsightsService",
                                          "DeleteTarget"};
  common::RpcMethod performance_method_{"accord.account.v1.AccountInsightsService",
                                        "GetPerformance"};
  common::RpcMethod rebuild_method_{"accord.account.v1.AccountInsightsService", "RebuildInsights"};
};

}  // namespace accord::account
