#include "http_error.h"

#include <google/protobuf/util/json_util.h>

#include <cmath>

#include "accord/common/errors.h"
#include "accord/common/grpc_status.h"

namespace accord::gateway {
namespace {

using google::protobuf::Message;

// What a client is told when gRPC itself (not a service) failed the call.
std::string TransportMessage(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::UNAVAILABLE:
      return "the service is unavailable; retry later";
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return "the service did not answer in time";
    case grpc::StatusCode::CANCELLED:
      return "the call was cancelled";
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return "the request or its answer is too large";
    case grpc::StatusCode::UNIMPLEMENTED:
      return "the service does not implement this method";
    default:
      return "internal error";
  }
}

}  // namespace

int HttpStatusFor(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return 200;
    case grpc::StatusCode::CANCELLED:
      return 499;
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::FAILED_PRECONDITION:
    case grpc::StatusCode::OUT_OF_RANGE:
      return 400;
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return 504;
    case grpc::StatusCode::NOT_FOUND:
      return 404;
    case grpc::StatusCode::ALREADY_EXISTS:
    case grpc::StatusCode::ABORTED:
      return 409;
    case grpc::StatusCode::PERMISSION_DENIED:
      return 403;
    case grpc::StatusCode::UNAUTHENTICATED:
      return 401;
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return 429;
    case grpc::StatusCode::UNIMPLEMENTED:
      return 501;
    case grpc::StatusCode::UNAVAILABLE:
      return 503;
    default:  // UNKNOWN, INTERNAL, DATA_LOSS
      return 500;
  }
}

HttpError RenderError(const ApiDescriptors& api, const grpc::Status& status) {
  HttpError error;
  error.http_status = HttpStatusFor(status.error_code());
  const auto* type = api.pool().FindMessageTypeByName("google.rpc.Status");
  auto rpc_status = api.NewMessage(type);
  const bool has_details =
      !status.error_details().empty() && rpc_status->ParseFromString(status.error_details());
  if (!has_details) {
    rpc_status->Clear();
    const auto* reflection = rpc_status->GetReflection();
    reflection->SetInt32(rpc_status.get(), type->FindFieldByName("code"),
                         static_cast<int>(status.error_code()));
    // Only a status a service produced (it always attaches details) keeps its message.
    absl::Status transport = absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                                          TransportMessage(status.error_code()));
    if (status.error_code() == grpc::StatusCode::UNAVAILABLE) {
      transport = common::WithRetryDelay(common::WithReason(transport, "SERVICE_UNREACHABLE"),
                                         std::chrono::seconds(1));
    }
    grpc::Status rebuilt = common::ToGrpcStatus(transport);
    if (!rpc_status->ParseFromString(rebuilt.error_details())) {
      reflection->SetString(rpc_status.get(), type->FindFieldByName("message"),
                            TransportMessage(status.error_code()));
    }
  }
  // RetryInfo, if any, becomes Retry-After.
  const auto* details_field = type->FindFieldByName("details");
  const auto* reflection = rpc_status->GetReflection();
  for (int i = 0; i < reflection->FieldSize(*rpc_status, details_field); ++i) {
    const Message& any = reflection->GetRepeatedMessage(*rpc_status, details_field, i);
    const auto* any_type = any.GetDescriptor();
    const std::string url =
        any.GetReflection()->GetString(any, any_type->FindFieldByName("type_url"));
    if (url != "type.googleapis.com/google.rpc.RetryInfo") continue;
    auto info = api.NewMessage(api.pool().FindMessageTypeByName("google.rpc.RetryInfo"));
    if (!info->ParseFromString(
            any.GetReflection()->GetString(any, any_type->FindFieldByName("value")))) {
      continue;
    }
    const auto* delay_field = info->GetDescriptor()->FindFieldByName("retry_delay");
    const Message& delay = info->GetReflection()->GetMessage(*info, delay_field);
    const auto* delay_type = delay.GetDescriptor();
    const int64_t seconds =
        delay.GetReflection()->GetInt64(delay, delay_type->FindFieldByName("seconds"));
    const int32_t nanos =
        delay.GetReflection()->GetInt32(delay, delay_type->FindFieldByName("nanos"));
    error.retry_after_seconds =
        std::max<int>(1, static_cast<int>(std::ceil(seconds + nanos / 1e9)));
  }
  if (!google::protobuf::util::MessageToJsonString(*rpc_status, &error.json).ok()) {
    error.json = R"({"code":13,"message":"internal error"})";
    error.http_status = 500;
  }
  return error;
}

HttpError RenderError(const ApiDescriptors& api, const absl::Status& status) {
  return RenderError(api, common::ToGrpcStatus(status));
}

}  // namespace accord::gateway
