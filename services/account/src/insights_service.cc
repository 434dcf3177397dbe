#include "insights_service.h"

#include <google/protobuf/util/time_util.h>

#include <chrono>

#include "accord/common/errors.h"
#include "accord/common/field_limits.h"
#include "accord/common/idempotency.h"
#include "accord/common/log.h"
#include "insights_rules.h"
#include "resource_names.h"
#include "write_meta.h"

namespace accord::account {
namespace {

int64_t NowSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

AccountInsightsServiceImpl::AccountInsightsServiceImpl(common::Runtime& runtime,
                                                       InsightsSettings settings)
    : runtime_(runtime),
      settings_(std::move(settings)),
      storage_(runtime.pg()),
      logic_(storage_, runtime.page_tokens(), settings_),
      account_storage_(runtime.pg()),
      accounts_(account_storage_, runtime.page_tokens(),
                common::ResponseBudget(static_cast<size_t>(runtime.settings().max_message_bytes))),
      peers_(settings_) {
  if (settings_.feeds) {
    feeds_ = std::make_unique<InsightsFeeds>(runtime.pg(), settings_);
    feeds_->Start();
  }
}

AccountInsightsServiceImpl::~AccountInsightsServiceImpl() {
  if (feeds_) feeds_->Stop();
}

grpc::ServerUnaryReactor* AccountInsightsServiceImpl::GetAccountInsights(
    grpc::CallbackServerContext* context, const v1::GetAccountInsightsRequest* request,
    v1::AccountInsights* response) {
  return runtime_.Respond(context, insights_method_, response,
                          [=, this](const common::RpcContext& rpc) {
                            return logic_.GetInsights(rpc.principal, *request, NowSeconds());
                          });
}

grpc::ServerUnaryReactor* AccountInsightsServiceImpl::ListAccountRecommendations(
    grpc::CallbackServerContext* context, const v1::ListAccountRecommendationsRequest* request,
    v1::ListAccountRecommendationsResponse* response) {
  return runtime_.Respond(
      context, recommendations_method_, response, [=, this](const common::RpcContext& rpc) {
        return logic_.ListRecommendations(rpc.principal, *request, NowSeconds());
      });
}

absl::StatusOr<v1::AccountOverview> AccountInsightsServiceImpl::Overview(
    grpc::CallbackServerContext* context, const common::RpcContext& rpc,
    const v1::GetAccountOverviewRequest& request) {
  ACCORD_RETURN_IF_ERROR(common::CheckFieldLimits(request));
  const std::string suffix = "/overview";
  const std::string& name = request.name();
  if (name.size() <= suffix.size() ||
      name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0) {
    return common::InvalidArgument("name", "must be `accounts/{account_id}/overview`");
  }
  const std::string account_name = name.substr(0, name.size() - suffix.size());
  ACCORD_ASSIGN_OR_RETURN(std::string account_id, ParseAccountName(account_name, "name"));
  ACCORD_ASSIGN_OR_RETURN(InsightAccount account,
                          logic_.ReadableAccount(rpc.principal, account_id));
  // The peers' calls go out first and run while the local parts are read.
  const auto deadline = std::chrono::system_clock::now() + settings_.overview_deadline;
  auto pending = peers_.Start(common::CallIdentity::ForUser(*context, rpc), account_name,
                              std::min(deadline, context->deadline()));
  const int64_t now = NowSeconds();
  v1::AccountOverview overview;
  overview.set_name(name);
  v1::GetAccountRequest get;
  get.set_name(account_name);
  absl::Status local = absl::OkStatus();
  auto stored = accounts_.Get(rpc.principal, get);
  if (stored.ok()) {
    *overview.mutable_account() = std::move(*stored);
  } else {
    local = stored.status();
  }
  auto facts = logic_.FactsOf(account);
  if (facts.ok()) *overview.mutable_insights() = logic_.InsightsOf(account, *facts, now);
  auto sales = logic_.RecentSalesOf(account);
  if (sales.ok()) {
    for (auto& sale : *sales) *overview.add_recent_sales() = std::move(sale);
  }
  absl::StatusOr<std::vector<v1::Recommendation>> recommendations =
      facts.ok() ? logic_.RecommendationsOf(account, *facts, now)
                 : absl::StatusOr<std::vector<v1::Recommendation>>(facts.status());
  if (recommendations.ok()) {
    for (auto& r : *recommendations) {
      if (overview.recommendations_size() >= 5) break;
      *overview.add_recommendations() = std::move(r);
    }
  }
  OverviewPeers::Finish(pending, overview);
  // The account service's own parts failing is this service failing, not a peer: an error.
  if (!local.ok()) return local;
  if (!facts.ok()) return facts.status();
  if (!sales.ok()) return sales.status();
  if (!recommendations.ok()) return recommendations.status();
  return overview;
}

grpc::ServerUnaryReactor* AccountInsightsServiceImpl::GetAccountOverview(
    grpc::CallbackServerContext* context, const v1::GetAccountOverviewRequest* request,
    v1::AccountOverview* response) {
  return runtime_.Respond(
      context, overview_method_, response,
      [=, this](const common::RpcContext& rpc) { return Overview(context, rpc, *request); });
}

grpc::ServerUnaryReactor* AccountInsightsServiceImpl::CreateTarget(
    grpc::CallbackServerContext* context, const v1::CreateTargetRequest* request,
    v1::Target* response) {
  return runtime_.Respond(
      context, create_target_method_, response, [=, this](const common::RpcContext& rpc) {
        return logic_.CreateTarget(rpc.principal, *request, MetaFor(rpc, "CreateTarget", *request));
      });
}

grpc::ServerUnaryReactor* AccountInsightsServiceImpl::GetTarget(
    grpc::CallbackServerContext* context, const v1::GetTargetRequest* request,
    v1::Target* response) {
  return runtime_.Respond(context, get_target_method_, response,
                          [=, this](const common::RpcContext& rpc) {
                            return logic_.GetTarget(rpc.principal, *request);
                          });
}

grpc::ServerUnaryReactor* AccountInsightsServiceImpl::ListTargets(
    grpc::CallbackServerContext* context, const v1::ListTargetsRequest* request,
    v1::ListTargetsResponse* response) {
  return runtime_.Respond(context, list_targets_method_, response,
                          [=, this](const common::RpcContext& rpc) {
                            return logic_.ListTargets(rpc.principal, *request);
                          });
}

grpc::ServerUnaryReactor* AccountInsightsServiceImpl::UpdateTarget(
    grpc::CallbackServerContext* context, const v1::UpdateTargetRequest* request,
    v1::Target* response) {
  return runtime_.Respond(
      context, update_target_method_, response, [=, this](const common::RpcContext& rpc) {
        return logic_.UpdateTarget(rpc.principal, *request, MetaFor(rpc, "UpdateTarget", *request));
      });
}

grpc::ServerUnaryReactor* AccountInsightsServiceImpl::DeleteTarget(
    grpc::CallbackServerContext* context, const v1::DeleteTargetRequest* request,
    google::protobuf::Empty* response) {
  return runtime_.Unary(
      context, delete_target_method_, [=, this](const common::RpcContext& rpc) -> absl::Status {
        response->Clear();
        return logic_.DeleteTarget(rpc.principal, *request, MetaFor(rpc, "DeleteTarget", *request));
      });
}

grpc::ServerUnaryReactor* AccountInsightsServiceImpl::GetPerformance(
    grpc::CallbackServerContext* context, const v1::GetPerformanceRequest* request,
    v1::Performance* response) {
  return runtime_.Respond(context, performance_method_, response,
                          [=, this](const common::RpcContext& rpc) {
                            return logic_.GetPerformance(rpc.principal, *request, NowSeconds());
                          });
}

grpc::ServerUnaryReactor* AccountInsightsServiceImpl::RebuildInsights(
    grpc::CallbackServerContext* context, const v1::RebuildInsightsRequest* request,
    v1::RebuildInsightsResponse* response) {
  return runtime_.Respond(
      context, rebuild_method_, response,
      [=, this](const common::RpcContext& rpc) -> absl::StatusOr<v1::RebuildInsightsResponse> {
        ACCORD_RETURN_IF_ERROR(common::CheckFieldLimits(*request));
        ACCORD_RETURN_IF_ERROR(CheckInsightsAdmin(rpc.principal, "rebuild the insights"));
        ACCORD_RETURN_IF_ERROR(common::IdempotencyKeys::Validate(request->request_id()));
        if (!feeds_) {
          return common::FailedPrecondition(
              "INSIGHTS_FEEDS_OFF",
              "this replica does not follow the other services' events (ACCORD_INSIGHTS_FEEDS "
              "off, or no ACCORD_SERVICE_TOKEN); nothing to rebuild from");
        }
        v1::RebuildInsightsResponse out;
        *out.mutable_start_time() = google::protobuf::util::TimeUtil::GetCurrentTime();
        ACCORD_ASSIGN_OR_RETURN(std::vector<std::string> peers, feeds_->Rebuild());
        for (const auto& peer : peers) out.add_feeds(peer);
        common::log::Info("insights rebuild started",
                          {{"actor", rpc.principal.subject}, {"request_id", rpc.request_id}});
        return out;
      });
}

}  // namespace accord::account
