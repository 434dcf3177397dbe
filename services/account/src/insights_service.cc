#include "insights_service.h"

#include <google/protobuf/util/time_util.h>

#include <algorithm>
#include <chrono>

#include "accord/common/errors.h"
#include "accord/common/event_stream.h"
#include "accord/common/field_limits.h"
#include "accord/common/idempotency.h"
#include "accord/common/log.h"
#include "accord/common/queue_deadline.h"
#include "insights_rules.h"
#include "resource_names.h"
#include "write_meta.h"

namespace accord::account {
namespace {

constexpr int kOverviewRecommendations = 5;

std::unique_ptr<OverviewLocalCache> LocalCacheFor(const InsightsSettings& settings) {
  if (settings.overview_local_ttl.count() <= 0) return nullptr;
  OverviewLocalCache::Options options;
  options.ttl = settings.overview_local_ttl;
  return std::make_unique<OverviewLocalCache>(options);
}

// The account an event of this service is about: its subject's `accounts/{id}` (an account, a
// team member, a need); "" for others (targets).
std::string AccountOfSubject(const std::string& subject) {
  constexpr std::string_view kPrefix = "accounts/";
  if (subject.compare(0, kPrefix.size(), kPrefix) != 0) return "";
  const size_t end = subject.find('/', kPrefix.size());
  return subject.substr(kPrefix.size(),
                        end == std::string::npos ? std::string::npos : end - kPrefix.size());
}

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
      local_cache_(LocalCacheFor(settings_)),
      local_notices_(local_cache_ ? std::make_unique<common::PgNoticeListener>(OverviewLocalNotices(
                                        runtime.settings().pg.url, *local_cache_))
                                  : nullptr),
      storage_(
          local_cache_
              ? std::make_unique<CachingInsightsRepository>(
                    runtime.pg(), *local_cache_,
                    [this] { return local_notices_->fresh() && runtime_.event_tail().healthy(); })
              : std::make_unique<PgInsightsRepository>(runtime.pg())),
      logic_(*storage_, runtime.page_tokens(), settings_),
      account_storage_(runtime.pg()),
      accounts_(account_storage_, runtime.page_tokens(),
                common::ResponseBudget(static_cast<size_t>(runtime.settings().max_message_bytes))),
      peers_(settings_) {
  if (local_cache_) {
    // The account service's own writes (the account, its team, its needs) drop the account on
    // every replica as their events arrive, as the warm account cache's level 1 is kept.
    OverviewLocalCache* cache = local_cache_.get();
    local_tail_listener_ =
        runtime.event_tail().AddListener([cache](const common::PublishedEvent& event) {
          const std::string account_id = AccountOfSubject(event.envelope.subject());
          if (!account_id.empty()) cache->Invalidate(account_id, false);
        });
  }
  if (settings_.feeds) {
    feeds_ = std::make_unique<InsightsFeeds>(runtime.pg(), settings_);
    feeds_->Start();
    if (settings_.overview_cache_ttl.count() > 0) {
      overview_cache_ =
          std::make_unique<OverviewCache>(runtime.redis(), settings_.overview_cache_ttl);
      overview_feeds_ = std::make_unique<OverviewFeeds>(runtime.pg(), settings_, *overview_cache_);
      overview_feeds_->Start();
    }
  }
}

AccountInsightsServiceImpl::~AccountInsightsServiceImpl() {
  if (overview_feeds_) overview_feeds_->Stop();
  if (feeds_) feeds_->Stop();
  if (local_tail_listener_ >= 0) runtime_.event_tail().RemoveListener(local_tail_listener_);
  if (local_notices_) local_notices_->Stop();
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

absl::StatusOr<AccountInsightsServiceImpl::LocalOverview> AccountInsightsServiceImpl::Overview(
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
  const auto deadline =
      std::min(std::chrono::system_clock::now() + settings_.overview_deadline, context->deadline());
  v1::AccountOverview overview;
  LocalOverview local;
  local.account_id = account_id;
  // A part is taken from the cache only while its peer's events are followed; the others are
  // asked for, and stored if they may be.
  OverviewPeers::Parts wanted;
  wanted.fill(true);
  if (overview_cache_) {
    local.caller = OverviewCallerKey(rpc.principal);
    local.cached = overview_cache_->Get(account_id, local.caller);
    for (size_t i = 0; i < kOverviewParts; ++i) {
      if (local.cached.generation[i].empty()) continue;
      if (!overview_feeds_->Trusted(static_cast<OverviewPart>(i))) continue;
      local.storable[i] = true;
      wanted[i] = !local.cached.bytes[i].has_value();
    }
  }
  if (local_notices_ && !local_notices_started_.exchange(true)) local_notices_->Start();
  // Every local part from one statement (insights_sql.h kInsightOverview): one round trip, one
  // snapshot, or from this replica's memory when nothing it shows changed since
  // (insights_local_cache.h). The account service's own parts failing is this service failing, not
  // a peer: an error, and the peers are not asked. Their calls go out once the caller may see the
  // account.
  const int64_t now = NowSeconds();
  ACCORD_ASSIGN_OR_RETURN(AccountInsightsLogic::OverviewParts parts,
                          logic_.OverviewOf(rpc.principal, account_id, now));
  std::shared_ptr<OverviewPeers::Pending> pending =
      peers_.Start(common::CallIdentity::ForUser(*context, rpc), account_name, deadline, wanted);
  overview.set_name(name);
  *overview.mutable_account() = std::move(parts.account);
  *overview.mutable_insights() = std::move(parts.insights);
  for (auto& sale : parts.recent_sales) *overview.add_recent_sales() = std::move(sale);
  for (auto& r : parts.recommendations) {
    if (overview.recommendations_size() >= kOverviewRecommendations) break;
    *overview.add_recommendations() = std::move(r);
  }
  for (size_t i = 0; i < kOverviewParts; ++i) {
    // A cached part is an AccountOverview holding only that part: merging appends it.
    if (!wanted[i] && !overview.MergeFromString(*local.cached.bytes[i])) {
      return common::Internal("the overview's cache held an unreadable part");
    }
  }
  local.overview = std::move(overview);
  local.peers = std::move(pending);
  return local;
}

std::vector<OverviewCache::Entry> AccountInsightsServiceImpl::Storable(
    const LocalOverview& local, const OverviewPeers::Parts& answered) const {
  std::vector<OverviewCache::Entry> entries;
  if (!overview_cache_) return entries;
  const v1::AccountOverview& overview = local.overview;
  const auto ttl = overview_cache_->ttl();
  for (size_t i = 0; i < kOverviewParts; ++i) {
    if (!answered[i] || !local.storable[i]) continue;
    v1::AccountOverview part;
    auto entry_ttl = ttl;
    switch (static_cast<OverviewPart>(i)) {
      case OverviewPart::kKeyContacts:
        // Personal data comes only from contact, which logs each response that carries it.
        if (!std::all_of(overview.key_contacts().begin(), overview.key_contacts().end(),
                         [](const v1::OverviewContact& c) { return c.personal_data_masked(); })) {
          continue;
        }
        *part.mutable_key_contacts() = overview.key_contacts();
        break;
      case OverviewPart::kOpenCases: {
        // An SLA state also changes with the clock: the part lives until the first due time
        // ahead (warnings and breaches the sweep records arrive as events).
        const int64_t now = NowSeconds();
        for (const auto& c : overview.open_cases()) {
          const int64_t due = c.resolution_due().seconds();
          if (c.has_resolution_due() && due > now) {
            entry_ttl = std::min(entry_ttl, std::chrono::seconds(due - now));
          }
        }
        *part.mutable_open_cases() = overview.open_cases();
        break;
      }
      case OverviewPart::kActiveTerms:
        *part.mutable_active_terms() = overview.active_terms();
        break;
    }
    entries.push_back({static_cast<OverviewPart>(i), part.SerializeAsString(), entry_ttl});
  }
  return entries;
}

void AccountInsightsServiceImpl::StartOverview(grpc::CallbackServerContext* context,
                                               std::shared_ptr<const common::RpcContext> rpc,
                                               const v1::GetAccountOverviewRequest* request,
                                               v1::AccountOverview* response,
                                               common::Runtime::Completion done) {
  // The worker reads the local parts and is free again; the peers' last answer (or the
  // deadline's alarm) finishes the call.
  common::Runtime::Completion refused = done;
  auto task = [this, context, rpc, request, response, done = std::move(done)]() {
    common::log::ScopedRequestContext scope({rpc->request_id, rpc->trace_id});
    if (context->IsCancelled()) return done(absl::CancelledError("the call was cancelled"));
    absl::StatusOr<LocalOverview> local = common::Internal("unexpected error");
    try {
      local = Overview(context, *rpc, *request);
    } catch (const std::exception& error) {
      common::log::Error("unhandled exception",
                         {{"method", overview_method_.name()}, {"error", error.what()}});
    }
    if (!local.ok()) return done(local.status());
    auto parts = std::make_shared<LocalOverview>(std::move(*local));
    OverviewPeers::WhenDone(parts->peers, [this, parts, response, done]() {
      const OverviewPeers::Parts answered = OverviewPeers::Finish(parts->peers, parts->overview);
      std::vector<OverviewCache::Entry> store = Storable(*parts, answered);
      *response = std::move(parts->overview);
      done(absl::OkStatus());
      // After the answer: the caller does not wait for the cache.
      if (!store.empty())
        overview_cache_->Put(parts->account_id, parts->caller, parts->cached, store);
    });
  };
  const common::QueueDeadline deadline =
      common::QueueDeadlineFor(*context, runtime_.settings().pg.acquire_timeout);
  auto expired = [refused, deadline] { refused(deadline.Expired("a worker")); };
  if (!runtime_.workers().Submit(std::move(task), deadline.at, std::move(expired))) {
    refused(absl::ResourceExhaustedError("the server is overloaded; retry with backoff"));
  }
}

grpc::ServerUnaryReactor* AccountInsightsServiceImpl::GetAccountOverview(
    grpc::CallbackServerContext* context, const v1::GetAccountOverviewRequest* request,
    v1::AccountOverview* response) {
  return runtime_.UnaryDeferred(
      context, overview_method_, nullptr,
      [=, this](std::shared_ptr<const common::RpcContext> rpc, common::Runtime::Completion done) {
        StartOverview(context, std::move(rpc), request, response, std::move(done));
      });
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
