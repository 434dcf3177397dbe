// Storage of the service-quality resources, behind an interface so the domain logic does not
// see SQL. Every write runs in one transaction that also appends its events to the outbox and,
// with a request_id, claims and stores the idempotency key (common::IdempotentWrite is the one
// place that does it).
#pragma once

#include <google/protobuf/message.h>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "accord/common/filter.h"
#include "accord/common/pg.h"
#include "accord/common/write_meta.h"
#include "accord/quality/v1/case.pb.h"
#include "accord/quality/v1/sla.pb.h"
#include "accord/quality/v1/survey.pb.h"
#include "quality_model.h"
#include "sla_clock.h"

namespace accord::quality {

using common::WriteMeta;

// A case with the SLA state kept beside it.
struct CaseRecord {
  v1::Case value;
  Instant clock_start;
  int cycle = 1;
  int recorded = 0;  // SlaEventBit of the current cycle
  SlaDeadlines deadlines;
  std::optional<Instant> next_check;
  std::optional<int64_t> first_response_seconds;
  bool first_response_met = false;
  std::optional<int64_t> resolution_seconds;
  bool resolution_met = false;
  bool resolved_ever = false;
  int64_t version = 0;
};

struct EventDraft {
  std::string type;  // "accord.quality.v1.CaseOpened"
  std::shared_ptr<google::protobuf::Message> payload;
  std::vector<std::string> changed_fields;
};

struct TimelineDraft {
  v1::TimelineEntryKind kind = v1::TIMELINE_ENTRY_KIND_COMMENT;
  std::string text;
  bool customer_visible = false;
};

// What a change of a case writes besides the case itself.
struct CaseChange {
  CaseRecord next;
  std::vector<TimelineDraft> timeline;
  // Events about the case; the payload nullptr means the case after the change.
  std::vector<EventDraft> events;
  // A survey request to create (resolving a case).
  std::optional<v1::Survey> survey;
};

struct ListQuery {
  int limit = 50;
  std::string order_column;  // trusted SQL, e.g. "c.create_time"
  bool order_is_time = true;
  std::string key_from_text = "{}";
  bool descending = false;
  std::string filter_sql;
  std::vector<std::string> filter_params;
  std::optional<std::vector<std::string>> after;
};

template <typename T>
struct Page {
  std::vector<T> items;
  std::vector<std::vector<std::string>> keys;
};

// Looks up a calendar inside the transaction of a change.
using CalendarLookup = std::function<absl::StatusOr<v1::Calendar>(const std::string& name)>;

struct PolicyMatch {
  v1::SlaPolicy policy;
  v1::Calendar calendar;
};

// Inside a sweep: records an SLA event unless it already is (false then), by the primary key of
// sla_events.
struct SweepContext {
  CalendarLookup calendar;
  std::function<absl::StatusOr<bool>(const std::string& case_id, const char* target,
                                     const char* kind, int cycle)>
      record;
};

// The Lists of the service, each with its filterable fields.
enum class Listing { kCases, kTimeline, kPolicies, kCalendars, kSurveys, kSignals };

class QualityRepository {
 public:
  virtual ~QualityRepository() = default;

  // How a List's filter maps to this storage (the columns of its List query).
  virtual const common::filter::Schema& FilterSchema(Listing listing) const = 0;

  // Calendars and SLA policies. Names are assigned here.
  virtual absl::StatusOr<v1::Calendar> CreateCalendar(const v1::Calendar& calendar,
                                                      const WriteMeta& meta) = 0;
  // `with_deleted`: also a deleted calendar (the clocks of cases opened before still use it).
  virtual absl::StatusOr<v1::Calendar> GetCalendar(const std::string& id,
                                                   bool with_deleted = false) = 0;
  virtual absl::StatusOr<Page<v1::Calendar>> ListCalendars(const ListQuery& query) = 0;
  using CalendarMutation = std::function<absl::StatusOr<v1::Calendar>(const v1::Calendar&)>;
  virtual absl::StatusOr<v1::Calendar> UpdateCalendar(const std::string& id,
                                                      const CalendarMutation& mutate,
                                                      const WriteMeta& meta) = 0;
  // NOT_FOUND naming the calendar when it does not exist; ALREADY_EXISTS for a second policy of
  // a tier and priority.
  virtual absl::StatusOr<v1::SlaPolicy> CreateSlaPolicy(const v1::SlaPolicy& policy,
                                                        const WriteMeta& meta) = 0;
  virtual absl::StatusOr<v1::SlaPolicy> GetSlaPolicy(const std::string& id) = 0;
  virtual absl::StatusOr<Page<v1::SlaPolicy>> ListSlaPolicies(const ListQuery& query) = 0;
  using PolicyMutation = std::function<absl::StatusOr<v1::SlaPolicy>(const v1::SlaPolicy&)>;
  virtual absl::StatusOr<v1::SlaPolicy> UpdateSlaPolicy(const std::string& id,
                                                        const PolicyMutation& mutate,
                                                        const WriteMeta& meta) = 0;
  // Soft deletes; `check` may refuse (etag). A calendar a live policy uses is
  // FAILED_PRECONDITION (CALENDAR_IN_USE).
  virtual absl::StatusOr<v1::SlaPolicy> DeleteSlaPolicy(const std::string& id,
                                                        const PolicyMutation& check,
                                                        const WriteMeta& meta) = 0;
  virtual absl::StatusOr<v1::Calendar> DeleteCalendar(const std::string& id,
                                                      const CalendarMutation& check,
                                                      const WriteMeta& meta) = 0;
  // The live policy of (tier, priority), else of (any tier, priority), with its calendar.
  virtual absl::StatusOr<std::optional<PolicyMatch>> FindPolicy(int tier, int priority) = 0;

  // Cases. `record.value.name` carries the new id (cases/{uuid}).
  virtual absl::StatusOr<v1::Case> CreateCase(const CaseChange& change, const WriteMeta& meta) = 0;
  virtual absl::StatusOr<CaseRecord> GetCase(const std::string& id) = 0;
  virtual absl::StatusOr<Page<CaseRecord>> ListCases(const ListQuery& query) = 0;
  // Loads the case under a row lock, passes it to `mutate` and stores the change. The response
  // (and what a retried request_id returns) is the case, or with `respond_with_entry` the last
  // timeline entry written.
  using CaseMutation =
      std::function<absl::StatusOr<CaseChange>(const CaseRecord&, const CalendarLookup&)>;
  virtual absl::StatusOr<std::string> MutateCase(const std::string& id, const CaseMutation& mutate,
                                                 bool respond_with_entry,
                                                 const WriteMeta& meta) = 0;
  virtual absl::StatusOr<Page<v1::TimelineEntry>> ListTimeline(const std::string& case_id,
                                                               const ListQuery& query) = 0;

  // One sweep pass: locks up to `limit` cases whose next check is due at `now`, skipping those
  // another sweeper holds, and stores what `sweep` returns for each, in one transaction. Returns
  // how many cases changed.
  using SweepFn =
      std::function<absl::StatusOr<std::optional<CaseChange>>(const CaseRecord&, SweepContext&)>;
  virtual absl::StatusOr<int> Sweep(Instant now, int limit, const SweepFn& sweep,
                                    const WriteMeta& meta) = 0;
  // The same over RESOLVED cases resolved at or before `resolved_before` (the close timeout).
  virtual absl::StatusOr<int> SweepResolved(Instant resolved_before, int limit,
                                            const SweepFn& sweep, const WriteMeta& meta) = 0;

  // Surveys.
  virtual absl::StatusOr<v1::Survey> CreateSurvey(const v1::Survey& survey,
                                                  const WriteMeta& meta) = 0;
  virtual absl::StatusOr<v1::Survey> GetSurvey(const std::string& id) = 0;
  virtual absl::StatusOr<Page<v1::Survey>> ListSurveys(const ListQuery& query) = 0;
  using SurveyMutation = std::function<absl::StatusOr<v1::Survey>(const v1::Survey&)>;
  virtual absl::StatusOr<v1::Survey> AnswerSurvey(const std::string& id,
                                                  const SurveyMutation& mutate,
                                                  const WriteMeta& meta) = 0;

  // Inside a transaction of the account event feed (account_events.h): locks the cases of
  // `account` (with `open_only`, those not closed) and stores what `change` returns for each,
  // with its timeline and events. Returns how many changed.
  using AccountCaseChange =
      std::function<absl::StatusOr<std::optional<CaseChange>>(const CaseRecord&)>;
  virtual absl::StatusOr<int> ChangeCasesOfAccount(common::WriteTransaction& transaction,
                                                   const std::string& account, bool open_only,
                                                   const AccountCaseChange& change,
                                                   const WriteMeta& meta) = 0;
  // Surveys of `from` now belong to `to` (a merge).
  virtual absl::Status MoveSurveys(common::WriteTransaction& transaction, const std::string& from,
                                   const std::string& to) = 0;
  // The facts kept of `account` (accounts/{id}); nullopt when none are.
  virtual absl::StatusOr<std::optional<AccountFacts>> GetAccountFacts(
      const std::string& account) = 0;
  // Keeps `facts` unless the account is already known merged or deleted, or as live at a newer
  // version: in the feed's transaction, or (nullptr) in one of its own.
  virtual absl::Status KeepAccountFacts(common::WriteTransaction* transaction,
                                        const AccountFacts& facts) = 0;
  // Stores a signal with its SignalRecorded event; a second signal of the same `source_event`
  // is not stored (false).
  virtual absl::StatusOr<bool> RecordSignal(common::WriteTransaction& transaction,
                                            const v1::Signal& signal,
                                            const std::string& source_event,
                                            const WriteMeta& meta) = 0;
  // A signal recorded through the API (its name is assigned here), with its event.
  virtual absl::StatusOr<v1::Signal> CreateSignal(const v1::Signal& signal,
                                                  const WriteMeta& meta) = 0;
  virtual absl::StatusOr<v1::Signal> GetSignal(const std::string& id) = 0;
  virtual absl::StatusOr<Page<v1::Signal>> ListSignals(const ListQuery& query) = 0;

  // Open cases (not resolved or closed) whose SLA is breached, and those warned and not
  // breached, from the events the sweepers recorded in the current cycle (a first-response
  // event counts only while the case has no first response).
  struct SlaPending {
    int64_t warning = 0;
    int64_t breached = 0;
  };
  virtual absl::StatusOr<SlaPending> CountSlaPending() = 0;

  // Report inputs: cases opened in [start, end), surveys answered in it; of `account` only
  // unless it is empty.
  virtual absl::StatusOr<std::vector<ReportCase>> ReportCases(Instant start, Instant end,
                                                              const std::string& account) = 0;
  // Cases opened in [start, end) per category, counted by the database (the previous period of
  // a service report needs no more).
  virtual absl::StatusOr<std::map<v1::CaseCategory, int64_t>> ReportCategoryCounts(Instant start,
                                                                                   Instant end) = 0;
  virtual absl::StatusOr<std::vector<ReportSurvey>> ReportSurveys(Instant start, Instant end,
                                                                  const std::string& account) = 0;
  // Signals that occurred in [start, end).
  virtual absl::StatusOr<std::vector<ReportSignal>> ReportSignals(Instant start, Instant end,
                                                                  const std::string& account) = 0;
};

}  // namespace accord::quality
