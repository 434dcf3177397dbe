#include "quality_service.h"

#include <iostream>

#include "accord/common/idempotency.h"

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

}  // namespace

QualityCore::QualityCore(common::Runtime& runtime, QualityOptions options)
    : runtime(runtime),
      repository(runtime.pg()),
      logic(repository, runtime.page_tokens(), options),
      sweeper(repository, options.sweep_batch) {}

// A read: logic.Method(principal, request).
#define ACCORD_READ(Impl, Service, Method, Request, Response)                                  \
  grpc::ServerUnaryReactor* Impl::Method(grpc::CallbackServerContext* context,                 \
                                         const v1::Request* request, v1::Response* response) { \
    static common::RpcMethod& method = MethodOf("accord.quality.v1." Service, #Method);        \
    return core_->runtime.Respond(context, method, response,                                   \
                                  [core = core_, request](const common::RpcContext& rpc) {     \
                                    return core->logic.Method(rpc.principal, *request);        \
                                  });                                                          \
  }
// A write: logic.Method(principal, request, meta).
#define ACCORD_WRITE(Impl, Service, Method, Request, Response)                                 \
  grpc::ServerUnaryReactor* Impl::Method(grpc::CallbackServerContext* context,                 \
                                         const v1::Request* request, v1::Response* response) { \
    static common::RpcMethod& method = MethodOf("accord.quality.v1." Service, #Method);        \
    return core_->runtime.Respond(                                                             \
        context, method, response, [core = core_, request](const common::RpcContext& rpc) {    \
          return core->logic.Method(rpc.principal, *request, MetaFor(rpc, #Method, *request)); \
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

ReportServiceImpl::ReportServiceImpl(std::shared_ptr<QualityCore> core) : core_(std::move(core)) {}
ACCORD_READ(ReportServiceImpl, "ReportService", GetServiceReport, GetServiceReportRequest,
            ServiceReport)

#undef ACCORD_READ
#undef ACCORD_WRITE

common::ServiceDefinition QualityServiceDefinition(QualityOptions options) {
  common::ServiceDefinition definition;
  definition.name = kServiceName;
  definition.schema = kSchema;
  definition.default_grpc_port = 50054;
  definition.default_metrics_port = 9094;
  definition.migrations = []() -> const std::vector<common::Migration>& { return Migrations(); };
  definition.make_services = [options](common::Runtime& runtime) {
    auto core = std::make_shared<QualityCore>(runtime, options);
    core->sweeper.Start(options.sweep_interval);
    std::vector<std::unique_ptr<grpc::Service>> services;
    services.push_back(std::make_unique<CaseServiceImpl>(core));
    services.push_back(std::make_unique<SlaServiceImpl>(core));
    services.push_back(std::make_unique<SurveyServiceImpl>(core));
    services.push_back(std::make_unique<ReportServiceImpl>(core));
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
