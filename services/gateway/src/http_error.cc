#include "http_error.h"

#include <google/protobuf/util/json_util.h>

#include <cstdio>
#include <nlohmann/json.hpp>

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
  grpc::Status effective = status;
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
    effective = common::ToGrpcStatus(transport);
    if (!rpc_status->ParseFromString(effective.error_details())) {
      reflection->SetString(rpc_status.get(), type->FindFieldByName("message"),
                            TransportMessage(status.error_code()));
    }
  }
  // RetryInfo, which the vendored google/rpc protos do not declare (errors.h writes it by
  // hand), becomes Retry-After and is shown as its JSON form by hand; any other detail of a type
  // the API does not know is left out rather than failing the whole answer.
  const auto delay = common::RetryDelayOf(common::FromGrpcStatus(effective));
  const auto* details_field = type->FindFieldByName("details");
  const auto* reflection = rpc_status->GetReflection();
  std::vector<std::string> unknown_types;
  for (int i = reflection->FieldSize(*rpc_status, details_field) - 1; i >= 0; --i) {
    const Message& any = reflection->GetRepeatedMessage(*rpc_status, details_field, i);
    const std::string url =
        any.GetReflection()->GetString(any, any.GetDescriptor()->FindFieldByName("type_url"));
    const std::string name = url.substr(url.rfind('/') + 1);
    if (api.pool().FindMessageTypeByName(name) != nullptr) continue;
    // Remove entry i, keeping the order of the others.
    for (int j = i; j + 1 < reflection->FieldSize(*rpc_status, details_field); ++j) {
      reflection->SwapElements(rpc_status.get(), details_field, j, j + 1);
    }
    reflection->RemoveLast(rpc_status.get(), details_field);
  }
  std::string json;
  if (!google::protobuf::util::MessageToJsonString(*rpc_status, &json).ok()) {
    error.json = R"({"code":13,"message":"internal error"})";
    error.http_status = 500;
    return error;
  }
  if (delay) {
    error.retry_after_seconds = std::max<int>(1, static_cast<int>((delay->count() + 999) / 1000));
    auto document = nlohmann::json::parse(json);
    if (!document.contains("details")) document["details"] = nlohmann::json::array();
    char seconds[32];
    std::snprintf(seconds, sizeof(seconds), "%.3fs", delay->count() / 1000.0);
    document["details"].push_back(
        {{"@type", "type.googleapis.com/google.rpc.RetryInfo"}, {"retryDelay", seconds}});
    json = document.dump();
  }
  error.json = std::move(json);
  return error;
}

HttpError RenderError(const ApiDescriptors& api, const absl::Status& status) {
  return RenderError(api, common::ToGrpcStatus(status));
}

}  // namespace accord::gateway
