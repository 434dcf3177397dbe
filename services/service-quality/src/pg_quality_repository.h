#pragma once

#include "accord/common/pg.h"
#include "accord/common/write.h"
#include "pg_filter_schemas.h"
#include "quality_repository.h"

namespace accord::quality {

inline constexpr char kSchema[] = "service_quality";
inline constexpr char kServiceName[] = "service-quality";

// The statements of the hot paths (opening, reading and changing a case, its calendar and
// policy), prepared on every pooled connection.
std::vector<common::PreparedStatement> QualityStatements();

class PgQualityRepository final : public QualityRepository {
 public:
  explicit PgQualityRepository(common::PgPool& pool);

  const common::filter::Schema& FilterSchema(Listing listing) const override {
    return QualityFilterSchema(listing);
  }

  absl::StatusOr<v1::Calendar> CreateCalendar(const v1::Calendar& calendar,
                                              const WriteMeta& meta) override;
  absl::StatusOr<v1::Calendar> GetCalendar(const std::string& id,
                                           bool with_deleted = false) override;
  absl::StatusOr<Page<v1::Calendar>> ListCalendars(const ListQuery& query) override;
  absl::StatusOr<v1::Calendar> UpdateCalendar(const std::string& id, const CalendarMutation& mutate,
                                              const WriteMeta& meta) override;
  absl::StatusOr<v1::SlaPolicy> CreateSlaPolicy(const v1::SlaPolicy& policy,
                                                const WriteMeta& meta) override;
  absl::StatusOr<v1::SlaPolicy> GetSlaPolicy(const std::string& id) override;
  absl::StatusOr<Page<v1::SlaPolicy>> ListSlaPolicies(const ListQuery& query) override;
  absl::StatusOr<v1::SlaPolicy> UpdateSlaPolicy(const std::string& id, const PolicyMutation& mutate,
                                                const WriteMeta& meta) override;
  absl::StatusOr<v1::SlaPolicy> DeleteSlaPolicy(const std::string& id, const PolicyMutation& check,
                                                const WriteMeta& meta) override;
  absl::StatusOr<v1::Calendar> DeleteCalendar(const std::string& id, const CalendarMutation& check,
                                              const WriteMeta& meta) override;
  absl::StatusOr<std::optional<PolicyMatch>> FindPolicy(int tier, int priority) override;

  absl::StatusOr<v1::Case> CreateCase(const CaseChange& change, const WriteMeta& meta) override;
  absl::StatusOr<CaseRecord> GetCase(const std::string& id) override;
  absl::StatusOr<Page<CaseRecord>> ListCases(const ListQuery& query) override;
  absl::StatusOr<std::string> MutateCase(const std::string& id, const CaseMutation& mutate,
                                         bool respond_with_entry, const WriteMeta& meta) override;
  absl::StatusOr<Page<v1::TimelineEntry>> ListTimeline(const std::string& case_id,
                                                       const ListQuery& query) override;
  absl::StatusOr<int> Sweep(Instant now, int limit, const SweepFn& sweep,
                            const WriteMeta& meta) override;
  absl::StatusOr<int> SweepResolved(Instant resolved_before, int limit, const SweepFn& sweep,
                                    const WriteMeta& meta) override;

  absl::StatusOr<v1::Survey> CreateSurvey(const v1::Survey& survey, const WriteMeta& meta) override;
  absl::StatusOr<v1::Survey> GetSurvey(const std::string& id) override;
  absl::StatusOr<Page<v1::Survey>> ListSurveys(const ListQuery& query) override;
  absl::StatusOr<v1::Survey> AnswerSurvey(const std::string& id, const SurveyMutation& mutate,
                                          const WriteMeta& meta) override;

  absl::StatusOr<int> ChangeCasesOfAccount(common::WriteTransaction& transaction,
                                           const std::string& account, bool open_only,
                                           const AccountCaseChange& change,
                                           const WriteMeta& meta) override;
  absl::Status MoveSurveys(common::WriteTransaction& transaction, const std::string& from,
                           const std::string& to) override;
  absl::StatusOr<bool> RecordSignal(common::WriteTransaction& transaction, const v1::Signal& signal,
                                    const std::string& source_event,
                                    const WriteMeta& meta) override;
  absl::StatusOr<std::optional<AccountFacts>> GetAccountFacts(const std::string& account) override;
  absl::Status KeepAccountFacts(common::WriteTransaction* transaction,
                                const AccountFacts& facts) override;
  absl::StatusOr<v1::Signal> CreateSignal(const v1::Signal& signal, const WriteMeta& meta) override;
  absl::StatusOr<v1::Signal> GetSignal(const std::string& id) override;
  absl::StatusOr<Page<v1::Signal>> ListSignals(const ListQuery& query) override;
  absl::StatusOr<SlaPending> CountSlaPending() override;

  absl::StatusOr<std::map<v1::CaseCategory, int64_t>> ReportCategoryCounts(Instant start,
                                                                           Instant end) override;
  absl::StatusOr<std::vector<ReportCase>> ReportCases(Instant start, Instant end,
                                                      const std::string& account) override;
  absl::StatusOr<std::vector<ReportSurvey>> ReportSurveys(Instant start, Instant end,
                                                          const std::string& account) override;
  absl::StatusOr<std::vector<ReportSignal>> ReportSignals(Instant start, Instant end,
                                                          const std::string& account) override;

 private:
  // Stores a case change (insert or update), its timeline, survey and events; returns the case
  // as stored and, unless `last_entry` is nullptr, the last timeline entry written (without one
  // the entries are inserted with COMMIT).
  absl::Status StoreCaseChange(common::WriteTransaction& transaction, const CaseChange& change,
                               bool insert, const WriteMeta& meta, v1::Case* stored,
                               v1::TimelineEntry* last_entry, std::vector<common::Event>& events);
  // What follows a case's stored change: its timeline (at commit), its events and its survey.
  absl::Status RecordCaseChange(common::WriteTransaction& transaction, const CaseChange& change,
                                const WriteMeta& meta, const v1::Case& stored,
                                v1::TimelineEntry* last_entry, std::vector<common::Event>& events);
  // One sweep transaction over the cases `select` locks ($1, $2 from `params`).
  absl::StatusOr<int> SweepSelected(const char* select, std::vector<std::string> params,
                                    const SweepFn& sweep, const WriteMeta& meta);
  // Inserts a signal and appends its event unless one of `source_event` exists (nullopt then).
  absl::StatusOr<std::optional<v1::Signal>> InsertSignal(common::WriteTransaction& transaction,
                                                         const v1::Signal& signal,
                                                         const std::string& source_event,
                                                         std::vector<common::Event>& events);
  absl::StatusOr<v1::Survey> InsertSurvey(common::WriteTransaction& transaction,
                                          const v1::Survey& survey,
                                          std::vector<common::Event>& events);

  common::PgPool& pool_;
  common::IdempotentWrite writer_;
  // Events of changes made inside another writer's transaction (the account event feed).
  common::OutboxWriter outbox_;
};

}  // namespace accord::quality
