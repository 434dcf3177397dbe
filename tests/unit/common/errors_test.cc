#include "accord/common/errors.h"

#include <gtest/gtest.h>

#include <string>

#include "accord/common/grpc_status.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"

namespace accord::common {
namespace {

// Decodes the trailer the way a stock gRPC client does (e.g. grpc-status-details-bin readers).
google::rpc::Status ParseDetails(const grpc::Status& status) {
  google::rpc::Status rpc_status;
  EXPECT_FALSE(status.error_details().empty());
  EXPECT_TRUE(rpc_status.ParseFromString(status.error_details()));
  return rpc_status;
}

const google::protobuf::Any* FindDetail(const google::rpc::Status& rpc_status,
                                        const std::string& type_url) {
  for (const auto& any : rpc_status.details()) {
    if (any.type_url() == type_url) return &any;
  }
  return nullptr;
}

TEST(ErrorsTest, InvalidArgumentBecomesStandardGrpcDetails) {
  const absl::Status status =
      InvalidArgument({{"account.display_name", "must not be empty"},
                       {"account.billing_address.country", "must be an ISO 3166 code"}});
  ASSERT_EQ(status.code(), absl::StatusCode::kInvalidArgument);

  const grpc::Status grpc_status = ToGrpcStatus(status);
  EXPECT_EQ(grpc_status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(grpc_status.error_message(), std::string(status.message()));

  const google::rpc::Status rpc_status = ParseDetails(grpc_status);
  EXPECT_EQ(rpc_status.code(), static_cast<int>(grpc::StatusCode::INVALID_ARGUMENT));
  EXPECT_EQ(rpc_status.message(), grpc_status.error_message());
  EXPECT_NE(rpc_status.message().find("account.display_name"), std::string::npos);
  EXPECT_EQ(rpc_status.details_size(), 2);

  const auto* bad_request_any = FindDetail(rpc_status, "type.googleapis.com/google.rpc.BadRequest");
  ASSERT_NE(bad_request_any, nullptr);
  google::rpc::BadRequest bad_request;
  ASSERT_TRUE(bad_request_any->UnpackTo(&bad_request));
  ASSERT_EQ(bad_request.field_violations_size(), 2);
  EXPECT_EQ(bad_request.field_violations(0).field(), "account.display_name");
  EXPECT_EQ(bad_request.field_violations(0).description(), "must not be empty");
  EXPECT_EQ(bad_request.field_violations(1).field(), "account.billing_address.country");
  EXPECT_EQ(bad_request.field_violations(1).description(), "must be an ISO 3166 code");

  const auto* error_info_any = FindDetail(rpc_status, "type.googleapis.com/google.rpc.ErrorInfo");
  ASSERT_NE(error_info_any, nullptr);
  google::rpc::ErrorInfo error_info;
  ASSERT_TRUE(error_info_any->UnpackTo(&error_info));
  EXPECT_EQ(error_info.reason(), "INVALID_ARGUMENT");
  EXPECT_EQ(error_info.domain(), ErrorDomain());
  EXPECT_FALSE(error_info.domain().empty());
  // Any::Is checks the type URL against the descriptor, as generated client code does.
  EXPECT_TRUE(bad_request_any->Is<google::rpc::BadRequest>());
  EXPECT_TRUE(error_info_any->Is<google::rpc::ErrorInfo>());
}

TEST(ErrorsTest, ReasonAndDomainSurviveTheWire) {
  const std::string previous = ErrorDomain();
  SetErrorDomain("account.accord");
  const absl::Status status = Unauthenticated("TOKEN_EXPIRED", "the token has expired");
  SetErrorDomain(previous);

  const grpc::Status grpc_status = ToGrpcStatus(status);
  EXPECT_EQ(grpc_status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  const google::rpc::Status rpc_status = ParseDetails(grpc_status);
  EXPECT_EQ(rpc_status.code(), static_cast<int>(grpc::StatusCode::UNAUTHENTICATED));
  ASSERT_EQ(rpc_status.details_size(), 1);
  google::rpc::ErrorInfo info;
  ASSERT_TRUE(rpc_status.details(0).UnpackTo(&info));
  EXPECT_EQ(rpc_status.details(0).type_url(), "type.googleapis.com/google.rpc.ErrorInfo");
  EXPECT_EQ(info.reason(), "TOKEN_EXPIRED");
  EXPECT_EQ(info.domain(), "account.accord");
  EXPECT_EQ(FindDetail(rpc_status, "type.googleapis.com/google.rpc.BadRequest"), nullptr);
}

TEST(ErrorsTest, RoundTripThroughGrpcStatus) {
  const absl::Status original = InvalidArgument(
      {{"page_token", "is not a page token"}, {"page_size", "must not be negative"}});
  const absl::Status back = FromGrpcStatus(ToGrpcStatus(original));
  EXPECT_EQ(back.code(), original.code());
  EXPECT_EQ(back.message(), original.message());
  EXPECT_EQ(ReasonOf(back), "INVALID_ARGUMENT");
  const auto violations = FieldViolationsOf(back);
  ASSERT_EQ(violations.size(), 2u);
  EXPECT_EQ(violations[0].field, "page_token");
  EXPECT_EQ(violations[0].description, "is not a page token");
  EXPECT_EQ(violations[1].field, "page_size");
  EXPECT_EQ(violations[1].description, "must not be negative");

  for (const absl::Status& status :
       {NotFound("accounts/123"), EtagMismatch("accounts/123"),
        PermissionDenied("TERRITORY_DENIED", "not your territory"),
        FailedPrecondition("ACCOUNT_CLOSED", "closed"), Internal("boom")}) {
    const absl::Status round_trip = FromGrpcStatus(ToGrpcStatus(status));
    EXPECT_EQ(round_trip.code(), status.code()) << status;
    EXPECT_EQ(round_trip.message(), status.message());
    EXPECT_EQ(ReasonOf(round_trip), ReasonOf(status));
    EXPECT_FALSE(ReasonOf(round_trip).empty());
  }
  EXPECT_EQ(ReasonOf(NotFound("accounts/123")), "RESOURCE_NOT_FOUND");
  EXPECT_EQ(ReasonOf(EtagMismatch("accounts/123")), "ETAG_MISMATCH");
}

TEST(ErrorsTest, OkStatusHasNoDetails) {
  const grpc::Status grpc_status = ToGrpcStatus(absl::OkStatus());
  EXPECT_TRUE(grpc_status.ok());
  EXPECT_TRUE(grpc_status.error_details().empty());
  EXPECT_TRUE(grpc_status.error_message().empty());
  EXPECT_TRUE(FromGrpcStatus(grpc::Status::OK).ok());
  EXPECT_TRUE(Violations().ToStatus().ok());
}

TEST(ErrorsTest, PlainGrpcErrorWithoutDetails) {
  const absl::Status status =
      FromGrpcStatus(grpc::Status(grpc::StatusCode::UNAVAILABLE, "connection refused"));
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(status.message(), "connection refused");
  EXPECT_TRUE(ReasonOf(status).empty());
  EXPECT_TRUE(FieldViolationsOf(status).empty());
}

TEST(ErrorsTest, ViolationsCollector) {
  Violations violations;
  EXPECT_TRUE(violations.empty());
  violations.Add("a", "bad");
  violations.Add("b.c", "worse");
  const absl::Status status = violations.ToStatus();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  const auto items = FieldViolationsOf(status);
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[1].field, "b.c");
}

TEST(ErrorsTest, WithReasonReplacesReasonAndIgnoresOk) {
  const absl::Status status = WithReason(Internal("x"), "DATABASE_DOWN");
  EXPECT_EQ(ReasonOf(status), "DATABASE_DOWN");
  EXPECT_TRUE(WithReason(absl::OkStatus(), "ANY").ok());
}

}  // namespace
}  // namespace accord::common
