// gRPC handlers of accord.quality.v1 (CaseService, SlaService, SurveyService, ReportService):
// unpack, authenticate (via the runtime), call QualityLogic, map the result. Nothing else lives
// here. QualityServiceDefinition wires them, the sweeper and the migrations into ServiceMain.
#pragma once

#include <memory>

#include "accord/common/server.h"
#include "accord/quality/v1/case.grpc.pb.h"
#include "accord/quality/v1/report.grpc.pb.h"
#include "accord/quality/v1/sla.grpc.pb.h"
#include "accord/quality/v1/survey.grpc.pb.h"
#include "account_events.h"
#include "customer_directory.h"
#include "pg_quality_repository.h"
#include "quality_logic.h"
#include "quality_options.h"
#include "sweeper.h"

namespace accord::quality {

// Shared by the four services of one process; the sweeper stops when the last service goes.
struct QualityCore {
  QualityCore(common::Runtime& runtime, QualityOptions options);
  ~QualityCore();
  common::Runtime& runtime;
  PgQualityRepository repository;
  GrpcCustomerDirectory directory;
  QualityLogic logic;
  Sweeper sweeper;
  // Following the account service's events (when enabled and a service token is set).
  std::unique_ptr<common::ServiceClient> account_events_client;
  std::unique_ptr<AccountEventFollower> account_events;
};

#define ACCORD_QUALITY_RPC(Method, Request, Response)                    \
  grpc::ServerUnaryReactor* Method(grpc::CallbackServerContext* context, \
                                   const v1::Request* request, v1::Response* response) override;

class CaseServiceImpl final : public v1::CaseService::CallbackService {
 public:
  explicit CaseServiceImpl(std::shared_ptr<QualityCore> core);
  ACCORD_QUALITY_RPC(CreateCase, CreateCaseRequest, Case)
  ACCORD_QUALITY_RPC(GetCase, GetCaseRequest, Case)
  ACCORD_QUALITY_RPC(ListCases, ListCasesRequest, ListCasesResponse)
  ACCORD_QUALITY_RPC(UpdateCase, UpdateCaseRequest, Case)
  ACCORD_QUALITY_RPC(TransitionCase, TransitionCaseRequest, Case)
  ACCORD_QUALITY_RPC(EscalateCase, EscalateCaseRequest, Case)
  ACCORD_QUALITY_RPC(ResolveCase, ResolveCaseRequest, Case)
  ACCORD_QUALITY_RPC(OverrideCasePriority, OverrideCasePriorityRequest, Case)
  ACCORD_QUALITY_RPC(CreateTimelineEntry, CreateTimelineEntryRequest, TimelineEntry)
  ACCORD_QUALITY_RPC(ListTimelineEntries, ListTimelineEntriesRequest, ListTimelineEntriesResponse)
  ACCORD_QUALITY_RPC(ConfirmCaseResolution, ConfirmCaseResolutionRequest, Case)

 private:
  std::shared_ptr<QualityCore> core_;
};

class SlaServiceImpl final : public v1::SlaService::CallbackService {
 public:
  explicit SlaServiceImpl(std::shared_ptr<QualityCore> core);
  ACCORD_QUALITY_RPC(CreateSlaPolicy, CreateSlaPolicyRequest, SlaPolicy)
  ACCORD_QUALITY_RPC(GetSlaPolicy, GetSlaPolicyRequest, SlaPolicy)
  ACCORD_QUALITY_RPC(ListSlaPolicies, ListSlaPoliciesRequest, ListSlaPoliciesResponse)
  ACCORD_QUALITY_RPC(UpdateSlaPolicy, UpdateSlaPolicyRequest, SlaPolicy)
  ACCORD_QUALITY_RPC(CreateCalendar, CreateCalendarRequest, Calendar)
  ACCORD_QUALITY_RPC(GetCalendar, GetCalendarRequest, Calendar)
  ACCORD_QUALITY_RPC(ListCalendars, ListCalendarsRequest, ListCalendarsResponse)
  ACCORD_QUALITY_RPC(UpdateCalendar, UpdateCalendarRequest, Calendar)
  ACCORD_QUALITY_RPC(DeleteSlaPolicy, DeleteSlaPolicyRequest, SlaPolicy)
  ACCORD_QUALITY_RPC(DeleteCalendar, DeleteCalendarRequest, Calendar)

 private:
  std::shared_ptr<QualityCore> core_;
};

class SurveyServiceImpl final : public v1::SurveyService::CallbackService {
 public:
  explicit SurveyServiceImpl(std::shared_ptr<QualityCore> core);
  ACCORD_QUALITY_RPC(CreateSurvey, CreateSurveyRequest, Survey)
  ACCORD_QUALITY_RPC(GetSurvey, GetSurveyRequest, Survey)
  ACCORD_QUALITY_RPC(ListSurveys, ListSurveysRequest, ListSurveysResponse)
  ACCORD_QUALITY_RPC(AnswerSurvey, AnswerSurveyRequest, Survey)

 private:
  std::shared_ptr<QualityCore> core_;
};

class SignalServiceImpl final : public v1::SignalService::CallbackService {
 public:
  explicit SignalServiceImpl(std::shared_ptr<QualityCore> core);
  ACCORD_QUALITY_RPC(CreateSignal, CreateSignalRequest, Signal)
  ACCORD_QUALITY_RPC(GetSignal, GetSignalRequest, Signal)
  ACCORD_QUALITY_RPC(ListSignals, ListSignalsRequest, ListSignalsResponse)

 private:
  std::shared_ptr<QualityCore> core_;
};

class ReportServiceImpl final : public v1::ReportService::CallbackService {
 public:
  explicit ReportServiceImpl(std::shared_ptr<QualityCore> core);
  ACCORD_QUALITY_RPC(GetServiceReport, GetServiceReportRequest, ServiceReport)
  ACCORD_QUALITY_RPC(GetAccountServiceReview, GetAccountServiceReviewRequest, AccountServiceReview)
  ACCORD_QUALITY_RPC(ExportServiceReport, ExportServiceReportRequest, ExportServiceReportResponse)
  ACCORD_QUALITY_RPC(ExportAccountServiceReview, ExportAccountServiceReviewRequest,
                     ExportAccountServiceReviewResponse)

 private:
  std::shared_ptr<QualityCore> core_;
};

#undef ACCORD_QUALITY_RPC

// The service for ServiceMain. Options default to the environment's (ACCORD_QUALITY_*); a bad
// setting stops start-up.
common::ServiceDefinition QualityServiceDefinition();
common::ServiceDefinition QualityServiceDefinition(QualityOptions options);

}  // namespace accord::quality
