#include "quality_service.h"

#include <iostream>

#include "accord/common/idempotency.h"
#include "accord/common/log.h"

namespace accord {
namespace quality {

const std::vector<common::Migration>& Migrations();  // generated from migrations/*.sql

namespace {

using common::MetaFor;

// Per-method metric handles, created once.
common::RpcMethod& MethodOf(const char* service, const char* method) {
  static std::mutex mutex;
  static std::map<std::string, std::unique_ptr<common::RpcMethod>> methods;
  std::lock_guard lock(mutex);
  auto& slot = methods[std::string(service) + "/" + method];
  if (!slot) slot = std::make_unique<common::RpcMethod>(service, method);
  return *slot;
}

// The account facts are only as fresh as the events that keep them: used only when the events
// are followed.
QualityOptions WithAccountFacts(QualityOptions options) {
  options.account_facts =
      options.follow_account_events && !options.directory.account.service_token.empty();
  return options;
}

Caller CallerOf(const grpc::CallbackServerContext& context, const common::RpcContext& rpc) {
  return Caller(rpc.principal, common::CallIdentity::ForUser(context, rpc));
}

}  // namespace

QualityCore::QualityCore(common::Runtime& runtime, QualityOptions options)
    : runtime(runtime),
      repository(runtime.pg()),
      directory(options.directory),
      logic(repository, directory, runtime.page_tokens(), WithAccountFacts(options)),
      sweeper(repository, options.sweep_batch, options.close_after, SystemNow,
              options.sweep_budget) {
  if (!options.follow_account_events) return;
  if (options.directory.account.service_token.empty()) {
    common::log::Warn("account events are not followed: ACCORD_SERVICE_TOKEN is not set");
    return;
  }
  account_events_client = std::make_unique<common::ServiceClient>(options.directory.account);
  account_events =
      std::make_unique<AccountEventFollower>(runtime.pg(), repository, *account_events_client);
  account_events->Start();
}

QualityCore::~QualityCore() {
  if (account_events) account_events->Stop();
  sweeper.Stop();
}

// A read: logic.Method(principal, request).
#define ACCORD_READ(Impl, Service, Method, Request, Response)                                  \
  grpc::ServerUnaryReactor* Impl::Method(grpc::CallbackServerContext* context,                 \
                                         const v1::Request* request, v1::Response* response) { \
    static common::RpcMethod& method = MethodOf("accord.quality.v1." Service, #Method);        \
    return core_->runtime.Respond(                                                             \
        context, method, response,                                                             \
        [core = core_, request, context](const common::RpcContext& rpc) {                      \
          return core->logic.Method(CallerOf(*context, rpc), *request);                        \
        });                                                                                    \
  }
// A write: logic.Method(principal, request, meta).
#define ACCORD_WRITE(Impl, Service, Method, Request, Response)                                 \
  grpc::ServerUnaryReactor* Impl::Method(grpc::CallbackServerContext* context,                 \
                                         const v1::Request* request, v1::Response* response) { \
    static common::RpcMethod& method = MethodOf("accord.quality.v1." Service, #Method);        \
    return core_->runtime.Respond(                                                             \
        context, method, response,                                                             \
        [core = core_, request, context](const common::RpcContext& rpc) {                      \
          return core->logic.Method(CallerOf(*context, rpc), *request,                         \
                                    MetaFor(rpc, #Method, *request));                          \
        });                                                                                    \
  }

CaseServiceImpl::CaseServiceImpl(std::shared_ptr<QualityCore> core) : core_(std::move(core)) {}
ACCORD_WRITE(CaseServiceImpl, "CaseService", CreateCase, CreateCaseRequest, Case)
ACCORD_READ(CaseServiceImpl, "CaseService", GetCase, GetCaseRequest, Case)
ACCORD_READ(CaseServiceImpl, "CaseService", ListCases, ListCasesRequest, ListCasesResponse)
ACCORD_WRITE(CaseServiceImpl, "CaseService", UpdateCase, UpdateCaseRequest, Case)
ACCORD_WRITE(CaseServiceImpl, "CaseService", TransitionCase, TransitionCaseRequest, Case)
ACCORD_WRITE(CaseServiceImpl, "CaseService", EscalateCase, EscalateCaseRequest, Case)
ACCORD_WRITE(CaseServiceImpl, "CaseService", ResolveCase, ResolveCaseRequest, Case)
ACCORD_WRITE(CaseServiceImpl, "CaseService", OverrideCasePriority, OverrideCasePriorityRequest,
             Case)
ACCORD_WRITE(CaseServiceImpl, "CaseService", CreateTimelineEntry, CreateTimelineEntryRequest,
             TimelineEntry)
ACCORD_READ(CaseServiceImpl, "CaseService", ListTimelineEntries, ListTimelineEntriesRequest,
            ListTimelineEntriesResponse)
ACCORD_WRITE(CaseServiceImpl, "CaseService", ConfirmCaseResolution, ConfirmCaseResolutionRequest,
             Case)

SlaServiceImpl::SlaServiceImpl(std::shared_ptr<QualityCore> core) : core_(std::move(core)) {}
ACCORD_WRITE(SlaServiceImpl, "SlaService", CreateSlaPolicy, CreateSlaPolicyRequest, SlaPolicy)
ACCORD_READ(SlaServiceImpl, "SlaService", GetSlaPolicy, GetSlaPolicyRequest, SlaPolicy)
ACCORD_READ(SlaServiceImpl, "SlaService", ListSlaPolicies, ListSlaPoliciesRequest,
            ListSlaPoliciesResponse)
ACCORD_WRITE(SlaServiceImpl, "SlaService", UpdateSlaPolicy, UpdateSlaPolicyRequest, SlaPolicy)
ACCORD_WRITE(SlaServiceImpl, "SlaService", CreateCalendar, CreateCalendarRequest, Calendar)
ACCORD_READ(SlaServiceImpl, "SlaService", GetCalendar, GetCalendarRequest, Calendar)
ACCORD_READ(SlaServiceImpl, "SlaService", ListCalendars, ListCalendarsRequest,
            ListCalendarsResponse)
ACCORD_WRITE(SlaServiceImpl, "SlaService", UpdateCalendar, UpdateCalendarRequest, Calendar)
ACCORD_WRITE(SlaServiceImpl, "SlaService", DeleteSlaPolicy, DeleteSlaPolicyRequest, SlaPolicy)
ACCORD_WRITE(SlaServiceImpl, "SlaService", DeleteCalendar, DeleteCalendarRequest, Calendar)

SurveyServiceImpl::SurveyServiceImpl(std::shared_ptr<QualityCore> core) : core_(std::move(core)) {}
ACCORD_WRITE(SurveyServiceImpl, "SurveyService", CreateSurvey, CreateSurveyRequest, Survey)
ACCORD_READ(SurveyServiceImpl, "SurveyService", GetSurvey, GetSurveyRequest, Survey)
ACCORD_READ(SurveyServiceImpl, "SurveyService", ListSurveys, ListSurveysRequest,
            ListSurveysResponse)
ACCORD_WRITE(SurveyServiceImpl, "SurveyService", AnswerSurvey, AnswerSurveyRequest, Survey)

SignalServiceImpl::SignalServiceImpl(std::shared_ptr<QualityCore> core) : core_(std::move(core)) {}
ACCORD_WRITE(SignalServiceImpl, "SignalService", CreateSignal, CreateSignalRequest, Signal)
ACCORD_READ(SignalServiceImpl, "SignalService", GetSignal, GetSignalRequest, Signal)
ACCORD_READ(SignalServiceImpl, "SignalService", ListSignals, ListSignalsRequest,
            ListSignalsResponse)

ReportServiceImpl::ReportServiceImpl(std::shared_ptr<QualityCore> core) : core_(std::move(core)) {}
ACCORD_READ(ReportServiceImpl, "ReportService", GetServiceReport, GetServiceReportRequest,
            ServiceReport)
ACCORD_READ(ReportServiceImpl, "ReportService", GetAccountServiceReview,
            GetAccountServiceReviewRequest, AccountServiceReview)
ACCORD_READ(ReportServiceImpl, "ReportService", ExportServiceReport, ExportServiceReportRequest,
            ExportServiceReportResponse)
ACCORD_READ(ReportServiceImpl, "ReportService", ExportAccountServiceReview,
            ExportAccountServiceReviewRequest, ExportAccountServiceReviewResponse)

#undef ACCORD_READ
#undef ACCORD_WRITE

common::ServiceDefinition QualityServiceDefinition(QualityOptions options) {
  common::ServiceDefinition definition;
  definition.name = kServiceName;
  definition.schema = kSchema;
  definition.default_grpc_port = 50054;
  definition.default_metrics_port = 9094;
  definition.migrations = []() -> const std::vector<common::Migration>& { return Migrations(); };
  definition.statements = QualityStatements();
  definition.make_services = [options](common::Runtime& runtime) {
    auto core = std::make_shared<QualityCore>(runtime, options);
    core->sweeper.Start(options.sweep_interval);
    std::vector<std::unique_ptr<grpc::Service>> services;
    services.push_back(std::make_unique<CaseServiceImpl>(core));
    services.push_back(std::make_unique<SlaServiceImpl>(core));
    services.push_back(std::make_unique<SurveyServiceImpl>(core));
    services.push_back(std::make_unique<ReportServiceImpl>(core));
    services.push_back(std::make_unique<SignalServiceImpl>(core));
    return services;
  };
  definition.access = {
      {"accord.quality.v1.*", common::MethodAccess::AnyRole()}};  // roles in the logic
  return definition;
}

common::ServiceDefinition QualityServiceDefinition() {
  auto options = QualityOptions::FromEnvironment();
  if (!options.ok()) {
    std::cerr << "accord-service-quality: " << options.status().message() << "\n";
    std::exit(2);
  }
  return QualityServiceDefinition(*options);
}

}  // namespace quality
}  // namespace accord
