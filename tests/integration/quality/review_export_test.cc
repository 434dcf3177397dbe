// An account's service review (who may read it, what it counts) and the report's CSV export,
// over gRPC on cases made through the API.
#include <gmock/gmock.h>
#include <google/protobuf/util/time_util.h>
#include <gtest/gtest.h>

#include "quality_fixture.h"

namespace accord::quality {
namespace {

using google::protobuf::util::TimeUtil;

class ReviewExportTest : public QualityFixture {
 protected:
  template <typename Request>
  static void AroundNow(Request& request) {
    const int64_t now = TimeUtil::GetCurrentTime().seconds();
    *request.mutable_start_time() = TimeUtil::SecondsToTimestamp(now - 3600);
    *request.mutable_end_time() = TimeUtil::SecondsToTimestamp(now + 3600);
  }

  grpc::Status Review(const std::string& account, std::unique_ptr<grpc::ClientContext> context,
                      v1::AccountServiceReview* out) {
    v1::GetAccountServiceReviewRequest request;
    request.set_name(account + "/serviceReview");
    AroundNow(request);
    return reports_->GetAccountServiceReview(context.get(), request, out);
  }

  // Two billing complaints on `account`, one resolved with a CSAT of 5 and one open.
  void Seed(const std::string& account) {
    v1::Case request = NewCase(v1::LEVEL_LOW, v1::LEVEL_LOW, account);
    request.set_category(v1::CASE_CATEGORY_BILLING_ERROR);
    v1::Case resolved = Create(request);
    ASSERT_TRUE(Move(resolved, v1::CASE_STATUS_IN_PROGRESS).ok());
    ASSERT_TRUE(Resolve(resolved, 0).ok());
    auto surveys = SurveysOf(resolved.name());
    ASSERT_EQ(surveys.size(), 1u);
    v1::AnswerSurveyRequest answer;
    answer.set_name(surveys[0].name());
    answer.set_csat(5);
    v1::Survey answered;
    ASSERT_TRUE(surveys_->AnswerSurvey(Agent().get(), answer, &answered).ok());
    Create(request);
  }
};

TEST_F(ReviewExportTest, AnAccountManagerReviewsItsOwnAccountsWithTheCustomer) {
  const auto own = CreateAccount("max");
  const auto other = CreateAccount("olga");
  Seed(own.name());
  Seed(other.name());

  v1::AccountServiceReview review;
  auto status = Review(own.name(), As("max", {Role::kAccountManager}), &review);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(review.name(), own.name() + "/serviceReview");
  EXPECT_EQ(review.account(), own.name());
  EXPECT_EQ(review.figures().case_count(), 2);
  EXPECT_EQ(review.figures().complaint_count(), 2);
  EXPECT_EQ(review.figures().resolved_count(), 1);
  EXPECT_EQ(review.figures().csat_responses(), 1);
  EXPECT_DOUBLE_EQ(review.figures().csat_satisfied_share(), 1.0);
  ASSERT_EQ(review.by_category_size(), 1);
  EXPECT_EQ(review.by_category(0).key(), "BILLING_ERROR");
  ASSERT_EQ(review.by_priority_size(), 1);
  EXPECT_EQ(review.by_priority(0).key(), "LOW");
  ASSERT_EQ(review.satisfaction_trend_size(), 1);
  ASSERT_EQ(review.repeated_complaints_size(), 1);
  EXPECT_EQ(review.repeated_complaints(0).complaint_count(), 2);
  ASSERT_EQ(review.recommendations_size(), 1);
  EXPECT_EQ(review.recommendations(0).rule(), "REPEATED_COMPLAINTS_IN_CATEGORY");

  // Not another manager's account; supervisors any; agents and integration none.
  EXPECT_EQ(Review(other.name(), As("max", {Role::kAccountManager}), &review).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(Review(other.name(), Supervisor(), &review).ok());
  EXPECT_EQ(review.figures().case_count(), 2);
  EXPECT_EQ(Review(own.name(), Agent(), &review).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Review(own.name(), As("erp", {Role::kIntegration}), &review).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);

  v1::GetAccountServiceReviewRequest bad;
  bad.set_name(own.name());
  v1::AccountServiceReview out;
  status = reports_->GetAccountServiceReview(Supervisor().get(), bad, &out);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(testing::ViolatedFields(status),
              ::testing::ElementsAre("name", "start_time", "end_time"));
}

TEST_F(ReviewExportTest, TheReportExportsAsCsv) {
  const auto first = CreateAccount("max");
  const auto second = CreateAccount("olga");
  Seed(first.name());
  Seed(second.name());
  v1::ExportServiceReportRequest request;
  AroundNow(request);
  request.set_group_by(v1::REPORT_GROUP_BY_ACCOUNT);
  v1::ExportServiceReportResponse response;
  auto status = reports_->ExportServiceReport(Supervisor().get(), request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.content_type(), "text/csv; charset=utf-8");
  std::vector<std::string> lines;
  const std::string& csv = response.csv();
  for (size_t at = 0; at < csv.size();) {
    const size_t end = csv.find("\r\n", at);
    ASSERT_NE(end, std::string::npos);
    lines.push_back(csv.substr(at, end - at));
    at = end + 2;
  }
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_THAT(lines[0], ::testing::StartsWith("account,case_count,complaint_count,"));
  std::set<std::string> keys;
  for (size_t i = 1; i < 3; ++i) {
    keys.insert(lines[i].substr(0, lines[i].find(',')));
    EXPECT_THAT(lines[i], ::testing::HasSubstr(",2,2,"));  // cases, complaints
  }
  EXPECT_EQ(keys, (std::set<std::string>{first.name(), second.name()}));
  EXPECT_THAT(lines[3], ::testing::StartsWith("TOTAL,4,4,"));

  EXPECT_EQ(reports_->ExportServiceReport(Agent().get(), request, &response).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  request.set_group_by(v1::REPORT_GROUP_BY_UNSPECIFIED);
  status = reports_->ExportServiceReport(Supervisor().get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(testing::ViolatedFields(status), ::testing::ElementsAre("group_by"));
}

}  // namespace
}  // namespace accord::quality
