// Satisfaction signals recorded through the API (who may, bad input, idempotent retries, the
// account service down), their place in the report and in the account review's CSV, and the
// gauge of SLA breaches pending after a sweep.
#include <gmock/gmock.h>
#include <google/protobuf/util/time_util.h>
#include <gtest/gtest.h>

#include "accord/common/metrics.h"
#include "quality_fixture.h"

namespace accord::quality {
namespace {

using google::protobuf::util::TimeUtil;
using testing::ReasonOf;
using testing::ViolatedFields;

class SignalsTest : public QualityFixture {
 protected:
  SignalsTest() : signals_(v1::SignalService::NewStub(harness_.channel())) {}

  static v1::Signal Return(const std::string& account, double units) {
    v1::Signal signal;
    signal.set_account(account);
    signal.set_kind(v1::SIGNAL_KIND_RETURN);
    signal.set_source("warehouse-returns");
    signal.set_figure(units);
    signal.set_note("Pallet 7 sent back");
    return signal;
  }

  grpc::Status Record(const v1::Signal& signal, v1::Signal* out,
                      std::unique_ptr<grpc::ClientContext> context = Supervisor(),
                      const std::string& request_id = "") {
    v1::CreateSignalRequest request;
    *request.mutable_signal() = signal;
    request.set_request_id(request_id);
    return signals_->CreateSignal(context.get(), request, out);
  }

  template <typename Request>
  static void AroundNow(Request& request) {
    const int64_t now = TimeUtil::GetCurrentTime().seconds();
    *request.mutable_start_time() = TimeUtil::SecondsToTimestamp(now - 3600);
    *request.mutable_end_time() = TimeUtil::SecondsToTimestamp(now + 3600);
  }

  std::unique_ptr<v1::SignalService::Stub> signals_;
};

TEST_F(SignalsTest, ASupervisorRecordsSignalsThatOthersRead) {
  const auto mine = CreateAccount("max");
  const auto other = CreateAccount("olga");
  v1::Signal recorded;
  auto status = Record(Return(mine.name(), 12), &recorded, Supervisor(), common::NewUuidV7());
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_THAT(recorded.name(), ::testing::StartsWith("signals/"));
  EXPECT_EQ(recorded.account(), mine.name());
  EXPECT_EQ(recorded.kind(), v1::SIGNAL_KIND_RETURN);
  EXPECT_DOUBLE_EQ(recorded.figure(), 12);
  EXPECT_TRUE(recorded.has_occur_time());  // now, when not given

  // A call review at a given time, for another account.
  v1::Signal review;
  review.set_account(other.name());
  review.set_kind(v1::SIGNAL_KIND_CALL_REVIEW);
  review.set_source("qa-call-reviews");
  review.set_figure(62.5);
  *review.mutable_occur_time() =
      TimeUtil::SecondsToTimestamp(TimeUtil::GetCurrentTime().seconds() - 600);
  v1::Signal reviewed;
  ASSERT_TRUE(Record(review, &reviewed, Admin()).ok());
  EXPECT_DOUBLE_EQ(reviewed.figure(), 62.5);
  EXPECT_EQ(reviewed.occur_time().seconds(), review.occur_time().seconds());

  v1::GetSignalRequest get;
  get.set_name(recorded.name());
  v1::Signal read;
  ASSERT_TRUE(signals_->GetSignal(Agent().get(), get, &read).ok());
  EXPECT_EQ(read.note(), "Pallet 7 sent back");
  // Integration reads no free text; an account manager only its own accounts' signals.
  ASSERT_TRUE(signals_->GetSignal(As("erp", {Role::kIntegration}).get(), get, &read).ok());
  EXPECT_EQ(read.note(), "");
  get.set_name(reviewed.name());
  EXPECT_EQ(signals_->GetSignal(As("max", {Role::kAccountManager}).get(), get, &read).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);

  v1::ListSignalsRequest list;
  list.set_filter("kind = CALL_REVIEW");
  v1::ListSignalsResponse listed;
  ASSERT_TRUE(signals_->ListSignals(Supervisor().get(), list, &listed).ok());
  ASSERT_EQ(listed.signals_size(), 1);
  EXPECT_EQ(listed.signals(0).name(), reviewed.name());
  list.clear_filter();
  ASSERT_TRUE(signals_->ListSignals(As("max", {Role::kAccountManager}).get(), list, &listed).ok());
  ASSERT_EQ(listed.signals_size(), 1);
  EXPECT_EQ(listed.signals(0).name(), recorded.name());

  EXPECT_EQ(Count("SELECT count(*) FROM service_quality.outbox WHERE type = "
                  "'accord.quality.v1.SignalRecorded'"),
            2);
}

TEST_F(SignalsTest, ARetryWithTheSameRequestIdRecordsOnce) {
  const auto account = CreateAccount();
  const std::string request_id = common::NewUuidV7();
  v1::Signal first, second;
  ASSERT_TRUE(Record(Return(account.name(), 3), &first, Supervisor(), request_id).ok());
  ASSERT_TRUE(Record(Return(account.name(), 3), &second, Supervisor(), request_id).ok());
  EXPECT_EQ(first.name(), second.name());
  EXPECT_EQ(Count("SELECT count(*) FROM service_quality.signals"), 1);
}

TEST_F(SignalsTest, BadInputAndWrongRolesAreRefusedAndNothingIsStored) {
  const auto account = CreateAccount();
  v1::Signal out;
  v1::Signal bad;
  bad.set_account("acme");
  bad.set_kind(v1::SIGNAL_KIND_CALL_REVIEW);
  bad.set_figure(120);
  auto status = Record(bad, &out);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(ViolatedFields(status),
              ::testing::UnorderedElementsAre("signal.account", "signal.figure", "signal.source"));

  bad = Return(account.name(), 0);  // a return of nothing
  status = Record(bad, &out);
  EXPECT_THAT(ViolatedFields(status), ::testing::ElementsAre("signal.figure"));
  bad.set_kind(v1::SIGNAL_KIND_UNSPECIFIED);
  status = Record(bad, &out);
  EXPECT_THAT(ViolatedFields(status), ::testing::ElementsAre("signal.kind"));
  bad = Return(account.name(), 1);
  bad.set_kind(v1::SIGNAL_KIND_LOST_CUSTOMER);
  bad.set_figure(2);
  EXPECT_THAT(ViolatedFields(Record(bad, &out)), ::testing::ElementsAre("signal.figure"));

  // The account must exist.
  status = Record(Return("accounts/" + common::NewUuidV7(), 1), &out);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(ReasonOf(status), "ACCOUNT_NOT_FOUND");

  // Agents, account managers and integration do not record signals.
  for (auto* context : {Agent().release(), As("max", {Role::kAccountManager}).release(),
                        As("erp", {Role::kIntegration}).release()}) {
    EXPECT_EQ(Record(Return(account.name(), 1), &out, std::unique_ptr<grpc::ClientContext>(context))
                  .error_code(),
              grpc::StatusCode::PERMISSION_DENIED);
  }
  v1::GetSignalRequest get;
  get.set_name("signals/" + common::NewUuidV7());
  EXPECT_EQ(signals_->GetSignal(Supervisor().get(), get, &out).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Count("SELECT count(*) FROM service_quality.signals"), 0);
}

TEST_F(SignalsTest, WithTheAccountServiceDownASignalCannotBeRecorded) {
  const auto account = CreateAccount();
  account_.Stop();
  v1::Signal out;
  auto status = Record(Return(account.name(), 1), &out);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(ReasonOf(status), "ACCOUNT_SERVICE_UNAVAILABLE");
  EXPECT_EQ(Count("SELECT count(*) FROM service_quality.signals"), 0);
}

TEST_F(SignalsTest, ReportsCountSignalsAndTheReviewExportsThemAsCsv) {
  const auto account = CreateAccount("max");
  v1::Signal out;
  for (double units : {4.0, 6.0, 2.0})
    ASSERT_TRUE(Record(Return(account.name(), units), &out).ok());

  v1::GetServiceReportRequest report_request;
  AroundNow(report_request);
  report_request.set_group_by(v1::REPORT_GROUP_BY_ACCOUNT);
  v1::ServiceReport report;
  ASSERT_TRUE(reports_->GetServiceReport(Supervisor().get(), report_request, &report).ok());
  ASSERT_EQ(report.signals_size(), 1);
  EXPECT_EQ(report.signals(0).kind(), v1::SIGNAL_KIND_RETURN);
  EXPECT_EQ(report.signals(0).count(), 3);
  EXPECT_DOUBLE_EQ(report.signals(0).figure_sum(), 12);
  // Three returns from none before: rising (the default rules need 3).
  bool rising = false;
  for (const auto& r : report.recommendations()) rising |= r.rule() == "SIGNALS_RISING";
  EXPECT_TRUE(rising);

  v1::ExportAccountServiceReviewRequest request;
  request.set_name(account.name() + "/serviceReview");
  AroundNow(request);
  v1::ExportAccountServiceReviewResponse response;
  auto status = reports_->ExportAccountServiceReview(As("max", {Role::kAccountManager}).get(),
                                                     request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.content_type(), "text/csv; charset=utf-8");
  const std::string& csv = response.csv();
  EXPECT_THAT(csv, ::testing::StartsWith("section,key,figure,value\r\nperiod," + account.name() +
                                         ",case_count,0\r\n"));
  EXPECT_THAT(csv, ::testing::HasSubstr("\r\nsignal,RETURN,count,3\r\n"));
  EXPECT_THAT(csv, ::testing::HasSubstr("\r\nsignal,RETURN,figure_sum,12.00\r\n"));
  EXPECT_THAT(csv, ::testing::HasSubstr("\r\nrecommendation,QUALITY_ISSUES_RISING/RETURN,text,"));

  // Another manager may not; a bad period is a precise error.
  EXPECT_EQ(reports_
                ->ExportAccountServiceReview(As("olga", {Role::kAccountManager}).get(), request,
                                             &response)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  request.clear_end_time();
  status = reports_->ExportAccountServiceReview(Supervisor().get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(ViolatedFields(status), ::testing::ElementsAre("end_time"));
}

TEST_F(SignalsTest, TheSweepCountsBreachesAndWarningsPending) {
  const v1::Calendar calendar = AlwaysOpen();
  Policy(calendar, v1::PRIORITY_HIGH, 1, 60);
  // Unanswered: its first response breaches. Answered: only its resolution warns (at 48 of 60
  // minutes). Resolved: nothing pending.
  v1::Case unanswered = Create(NewCase());
  v1::Case answered = Create(NewCase());
  ASSERT_TRUE(Move(answered, v1::CASE_STATUS_IN_PROGRESS).ok());
  v1::Case resolved = Create(NewCase());
  ASSERT_TRUE(Move(resolved, v1::CASE_STATUS_IN_PROGRESS).ok());
  ASSERT_TRUE(Resolve(resolved, 0).ok());

  PgQualityRepository store(harness_.runtime().pg());
  Sweeper sweeper(store, 10);
  ASSERT_TRUE(sweeper.SweepOnce(SystemNow() + std::chrono::minutes(50)).ok());
  ASSERT_TRUE(sweeper.UpdatePendingGauge().ok());
  auto& registry = common::MetricsRegistry::Global();
  const std::string name = "accord_quality_sla_breaches_pending";
  EXPECT_EQ(registry.GetGauge(name, "", {{"state", "breached"}}).value(), 1);
  EXPECT_EQ(registry.GetGauge(name, "", {{"state", "warning"}}).value(), 1);
  const std::string text = registry.RenderText();
  EXPECT_THAT(text, ::testing::HasSubstr(name + "{state=\"breached\"} 1"));
  EXPECT_THAT(text, ::testing::HasSubstr(name + "{state=\"warning\"} 1"));

  // Resolving the breached case takes it off the count.
  ASSERT_TRUE(Get(unanswered.name(), &unanswered, Supervisor()).ok());
  ASSERT_TRUE(Resolve(unanswered, 0, Supervisor()).ok());
  ASSERT_TRUE(sweeper.UpdatePendingGauge().ok());
  EXPECT_EQ(registry.GetGauge(name, "", {{"state", "breached"}}).value(), 0);
  EXPECT_EQ(registry.GetGauge(name, "", {{"state", "warning"}}).value(), 1);
}

}  // namespace
}  // namespace accord::quality
