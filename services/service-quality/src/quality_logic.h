// The service-quality domain: request validation, permissions, the case flow with its SLA
// clock, surveys and reports, over a QualityRepository. No gRPC types.
#pragma once

#include <functional>
#include <optional>
#include <set>
#include <string>

#include "absl/status/statusor.h"
#include "accord/common/auth.h"
#include "accord/common/page_token.h"
#include "accord/quality/v1/case.pb.h"
#include "accord/quality/v1/report.pb.h"
#include "accord/quality/v1/sla.pb.h"
#include "accord/quality/v1/survey.pb.h"
#include "customer_directory.h"
#include "quality_access.h"
#include "quality_options.h"
#include "quality_repository.h"

namespace accord::quality {

using Clock = std::function<Instant()>;
Instant SystemNow();

// What a status change does to the case and its clock, at `now`: first response, pause ledger,
// deadlines, reopen cycle, resolution figures. `calendar` is nullptr for a case without SLA.
// Pure; the caller has checked the move is allowed.
absl::Status ApplyStatusChange(CaseRecord& record, v1::CaseStatus to, Instant now,
                               const BusinessCalendar* calendar);
// Marks the first response at `now` if there was none (figures, and no more first-response
// deadlines).
void MarkFirstResponse(CaseRecord& record, Instant now, const BusinessCalendar* calendar);
// Elapsed, paused, remaining and the state of the clock as of `now`, into record.value.sla.
void FillSlaView(CaseRecord& record, Instant now, const BusinessCalendar* calendar);
// The sweeper's decision for one case (see Sweeper): records due events through `context`
// and returns the change, or nullopt when there is nothing to store.
absl::StatusOr<std::optional<CaseChange>> SweepCase(const CaseRecord& record, SweepContext& context,
                                                    Instant now);

// Closes a RESOLVED case at `now` for `reason`: status, close time and reason, a timeline entry
// (with `note` when given) and the CaseClosed event. ILLEGAL_STATUS_TRANSITION from any other
// status.
absl::Status CloseResolvedCase(CaseRecord& next, CaseChange& change, Instant now,
                               v1::CaseCloseReason reason, const std::string& note);
// The close sweep's decision for one case resolved before the timeout: closes it (TIMEOUT), or
// nullopt when it is no longer resolved.
absl::StatusOr<std::optional<CaseChange>> CloseTimedOut(const CaseRecord& record, Instant now);

// The case moved to `survivor`, the account its account was merged into: a timeline entry and a
// CaseAccountMerged event; nullopt when it is there already.
absl::StatusOr<std::optional<CaseChange>> MoveCaseToAccount(const CaseRecord& record,
                                                            const std::string& survivor);
// A case of a deleted account, closed at `now` from whatever status (reason ACCOUNT_DELETED);
// nullopt when it is closed already.
absl::StatusOr<std::optional<CaseChange>> CloseForDeletedAccount(const CaseRecord& record,
                                                                 Instant now);

class QualityLogic {
 public:
  QualityLogic(QualityRepository& repository, CustomerDirectory& directory,
               const common::PageTokenCodec& page_tokens, QualityOptions options,
               Clock clock = SystemNow);

  // Cases.
  absl::StatusOr<v1::Case> CreateCase(const Caller& caller, const v1::CreateCaseRequest& request,
                                      WriteMeta meta);
  absl::StatusOr<v1::Case> GetCase(const Caller& caller, const v1::GetCaseRequest& request);
  absl::StatusOr<v1::ListCasesResponse> ListCases(const Caller& caller,
                                                  const v1::ListCasesRequest& request);
  absl::StatusOr<v1::Case> UpdateCase(const Caller& caller, const v1::UpdateCaseRequest& request,
                                      WriteMeta meta);
  absl::StatusOr<v1::Case> TransitionCase(const Caller& caller,
                                          const v1::TransitionCaseRequest& request, WriteMeta meta);
  absl::StatusOr<v1::Case> EscalateCase(const Caller& caller,
                                        const v1::EscalateCaseRequest& request, WriteMeta meta);
  absl::StatusOr<v1::Case> ResolveCase(const Caller& caller, const v1::ResolveCaseRequest& request,
                                       WriteMeta meta);
  absl::StatusOr<v1::Case> OverrideCasePriority(const Caller& caller,
                                                const v1::OverrideCasePriorityRequest& request,
                                                WriteMeta meta);
  absl::StatusOr<v1::TimelineEntry> CreateTimelineEntry(
      const Caller& caller, const v1::CreateTimelineEntryRequest& request, WriteMeta meta);
  absl::StatusOr<v1::Case> ConfirmCaseResolution(const Caller& caller,
                                                 const v1::ConfirmCaseResolutionRequest& request,
                                                 WriteMeta meta);
  absl::StatusOr<v1::ListTimelineEntriesResponse> ListTimelineEntries(
      const Caller& caller, const v1::ListTimelineEntriesRequest& request);

  // SLA policies and calendars.
  absl::StatusOr<v1::Calendar> CreateCalendar(const Caller& caller,
                                              const v1::CreateCalendarRequest& request,
                                              WriteMeta meta);
  absl::StatusOr<v1::Calendar> GetCalendar(const Caller& caller,
                                           const v1::GetCalendarRequest& request);
  absl::StatusOr<v1::ListCalendarsResponse> ListCalendars(const Caller& caller,
                                                          const v1::ListCalendarsRequest& request);
  absl::StatusOr<v1::Calendar> UpdateCalendar(const Caller& caller,
                                              const v1::UpdateCalendarRequest& request,
                                              WriteMeta meta);
  absl::StatusOr<v1::Calendar> DeleteCalendar(const Caller& caller,
                                              const v1::DeleteCalendarRequest& request,
                                              WriteMeta meta);
  absl::StatusOr<v1::SlaPolicy> DeleteSlaPolicy(const Caller& caller,
                                                const v1::DeleteSlaPolicyRequest& request,
                                                WriteMeta meta);
  absl::StatusOr<v1::SlaPolicy> CreateSlaPolicy(const Caller& caller,
                                                const v1::CreateSlaPolicyRequest& request,
                                                WriteMeta meta);
  absl::StatusOr<v1::SlaPolicy> GetSlaPolicy(const Caller& caller,
                                             const v1::GetSlaPolicyRequest& request);
  absl::StatusOr<v1::ListSlaPoliciesResponse> ListSlaPolicies(
      const Caller& caller, const v1::ListSlaPoliciesRequest& request);
  absl::StatusOr<v1::SlaPolicy> UpdateSlaPolicy(const Caller& caller,
                                                const v1::UpdateSlaPolicyRequest& request,
                                                WriteMeta meta);

  // Surveys.
  absl::StatusOr<v1::Survey> CreateSurvey(const Caller& caller,
                                          const v1::CreateSurveyRequest& request, WriteMeta meta);
  absl::StatusOr<v1::Survey> GetSurvey(const Caller& caller, const v1::GetSurveyRequest& request);
  absl::StatusOr<v1::ListSurveysResponse> ListSurveys(const Caller& caller,
                                                      const v1::ListSurveysRequest& request);
  absl::StatusOr<v1::Survey> AnswerSurvey(const Caller& caller,
                                          const v1::AnswerSurveyRequest& request, WriteMeta meta);

  // Signals.
  absl::StatusOr<v1::Signal> CreateSignal(const Caller& caller,
                                          const v1::CreateSignalRequest& request, WriteMeta meta);
  absl::StatusOr<v1::Signal> GetSignal(const Caller& caller, const v1::GetSignalRequest& request);
  absl::StatusOr<v1::ListSignalsResponse> ListSignals(const Caller& caller,
                                                      const v1::ListSignalsRequest& request);

  // Reports.
  absl::StatusOr<v1::ServiceReport> GetServiceReport(const Caller& caller,
                                                     const v1::GetServiceReportRequest& request);
  absl::StatusOr<v1::ExportServiceReportResponse> ExportServiceReport(
      const Caller& caller, const v1::ExportServiceReportRequest& request);
  absl::StatusOr<v1::AccountServiceReview> GetAccountServiceReview(
      const Caller& caller, const v1::GetAccountServiceReviewRequest& request);
  absl::StatusOr<v1::ExportAccountServiceReviewResponse> ExportAccountServiceReview(
      const Caller& caller, const v1::ExportAccountServiceReviewRequest& request);

  const QualityOptions& options() const { return options_; }

 private:
  // A case change under the row lock: access, etag, then `change` edits the record.
  using Edit = std::function<absl::Status(CaseRecord& next, CaseChange& change,
                                          const BusinessCalendar* calendar)>;
  absl::StatusOr<v1::Case> ChangeCase(const Caller& caller, const std::string& name,
                                      const std::string& etag, Action action, const Edit& edit,
                                      const WriteMeta& meta);
  // The case as a reader sees it: the live clock, redacted for integration.
  absl::StatusOr<v1::Case> Present(const Caller& caller, CaseRecord record);
  absl::StatusOr<std::optional<BusinessCalendar>> CalendarOf(const std::string& name);
  // The customer of a new case or signal: the account from its kept facts when the account
  // events are followed (options.account_facts), else from the account service, whose answer is
  // then kept; the contact (when given) from the contact service.
  absl::StatusOr<CaseParty> ResolveParty(const Caller& caller, const std::string& account,
                                         const std::string& contact);
  absl::StatusOr<v1::ServiceReport> BuildServiceReport(const google::protobuf::Timestamp& start,
                                                       const google::protobuf::Timestamp& end,
                                                       v1::ReportGroupBy group_by);
  // The review of `name` (accounts/{id}/serviceReview) over [start_time, end_time), checked.
  absl::StatusOr<v1::AccountServiceReview> BuildAccountServiceReview(
      const Caller& caller, const std::string& name, const google::protobuf::Timestamp* start_time,
      const google::protobuf::Timestamp* end_time);
  // For an account manager limited to its accounts (LimitedToManagedAccounts): those accounts;
  // nullptr for everyone else.
  absl::StatusOr<std::shared_ptr<const std::set<std::string>>> ReadableAccounts(
      const Caller& caller);
  // PERMISSION_DENIED unless the caller may read the cases of `account`.
  absl::Status CheckReadable(const Caller& caller, const std::string& account);

  QualityRepository& repository_;
  CustomerDirectory& directory_;
  const common::PageTokenCodec& page_tokens_;
  QualityOptions options_;
  Clock clock_;
};

}  // namespace accord::quality
