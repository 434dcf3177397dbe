#include "accord/common/errors.h"

#include <google/protobuf/duration.pb.h>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include "absl/strings/cord.h"
#include "google/rpc/error_details.pb.h"

namespace accord::common {
namespace {

std::string& MutableDomain() {
  static std::string domain = "accord";
  return domain;
}

absl::Status Make(absl::StatusCode code, std::string_view reason, std::string_view message) {
  absl::Status status(code, absl::string_view(message.data(), message.size()));
  return WithReason(std::move(status), reason);
}

absl::string_view ToAbsl(std::string_view text) { return {text.data(), text.size()}; }

}  // namespace

void SetErrorDomain(std::string domain) { MutableDomain() = std::move(domain); }
const std::string& ErrorDomain() { return MutableDomain(); }

void Violations::Add(std::string field, std::string description) {
  violations_.push_back({std::move(field), std::move(description)});
}

absl::Status Violations::ToStatus() const {
  if (violations_.empty()) return absl::OkStatus();
  return InvalidArgument(violations_);
}

absl::Status InvalidArgument(std::vector<FieldViolation> violations) {
  google::rpc::BadRequest bad_request;
  std::string message;
  for (const auto& violation : violations) {
    auto* item = bad_request.add_field_violations();
    item->set_field(violation.field);
    item->set_description(violation.description);
    if (!message.empty()) message += "; ";
    message += violation.field + ": " + violation.description;
  }
  absl::Status status = Make(absl::StatusCode::kInvalidArgument, "INVALID_ARGUMENT", message);
  status.SetPayload(ToAbsl(kBadRequestTypeUrl), absl::Cord(bad_request.SerializeAsString()));
  return status;
}

absl::Status InvalidArgument(std::string field, std::string description) {
  return InvalidArgument(std::vector<FieldViolation>{{std::move(field), std::move(description)}});
}

absl::Status NotFound(std::string_view resource_name) {
  return Make(absl::StatusCode::kNotFound, "RESOURCE_NOT_FOUND",
              std::string(resource_name) + " not found");
}

absl::Status AlreadyExists(std::string_view reason, std::string_view message) {
  return Make(absl::StatusCode::kAlreadyExists, reason, message);
}

absl::Status EtagMismatch(std::string_view resource_name) {
  return Make(absl::StatusCode::kAborted, "ETAG_MISMATCH",
              std::string(resource_name) +
                  " was changed by someone else; read it again and retry with its new etag");
}

absl::Status FailedPrecondition(std::string_view reason, std::string_view message) {
  return Make(absl::StatusCode::kFailedPrecondition, reason, message);
}

absl::Status PermissionDenied(std::string_view reason, std::string_view message) {
  return Make(absl::StatusCode::kPermissionDenied, reason, message);
}

absl::Status Unauthenticated(std::string_view reason, std::string_view message) {
  return Make(absl::StatusCode::kUnauthenticated, reason, message);
}

absl::Status Unavailable(std::string_view reason, std::string_view message) {
  return Make(absl::StatusCode::kUnavailable, reason, message);
}

absl::Status Aborted(std::string_view reason, std::string_view message) {
  return Make(absl::StatusCode::kAborted, reason, message);
}

absl::Status Internal(std::string_view message) {
  return Make(absl::StatusCode::kInternal, "INTERNAL", message);
}

absl::Status WithReason(absl::Status status, std::string_view reason) {
  return WithReason(std::move(status), reason, {});
}

absl::Status WithReason(absl::Status status, std::string_view reason,
                        const std::vector<std::pair<std::string, std::string>>& metadata) {
  if (status.ok()) return status;
  google::rpc::ErrorInfo info;
  info.set_reason(std::string(reason));
  info.set_domain(ErrorDomain());
  for (const auto& [key, value] : metadata) (*info.mutable_metadata())[key] = value;
  status.SetPayload(ToAbsl(kErrorInfoTypeUrl), absl::Cord(info.SerializeAsString()));
  return status;
}

// google.rpc.RetryInfo is `google.protobuf.Duration retry_delay = 1;`. Written by hand so that
// the vendored google/rpc protos need not grow for one field.
absl::Status WithRetryDelay(absl::Status status, std::chrono::milliseconds delay) {
  if (status.ok()) return status;
  google::protobuf::Duration duration;
  duration.set_seconds(delay.count() / 1000);
  duration.set_nanos(static_cast<int32_t>((delay.count() % 1000) * 1000000));
  std::string encoded;
  {
    google::protobuf::io::StringOutputStream stream(&encoded);
    google::protobuf::io::CodedOutputStream out(&stream);
    out.WriteTag(0x0a);  // field 1, length-delimited
    out.WriteVarint32(static_cast<uint32_t>(duration.ByteSizeLong()));
    duration.SerializeToCodedStream(&out);
  }
  status.SetPayload(ToAbsl(kRetryInfoTypeUrl), absl::Cord(encoded));
  return status;
}

std::optional<std::chrono::milliseconds> RetryDelayOf(const absl::Status& status) {
  auto payload = status.GetPayload(ToAbsl(kRetryInfoTypeUrl));
  if (!payload) return std::nullopt;
  std::string bytes(*payload);
  google::protobuf::io::CodedInputStream in(reinterpret_cast<const uint8_t*>(bytes.data()),
                                            static_cast<int>(bytes.size()));
  uint32_t length = 0;
  if (in.ReadTag() != 0x0a || !in.ReadVarint32(&length)) return std::nullopt;
  std::string inner;
  if (!in.ReadString(&inner, static_cast<int>(length))) return std::nullopt;
  google::protobuf::Duration duration;
  if (!duration.ParseFromString(inner)) return std::nullopt;
  return std::chrono::milliseconds(duration.seconds() * 1000 + duration.nanos() / 1000000);
}

std::string ReasonOf(const absl::Status& status) {
  auto payload = status.GetPayload(ToAbsl(kErrorInfoTypeUrl));
  if (!payload) return "";
  google::rpc::ErrorInfo info;
  if (!info.ParseFromString(std::string(*payload))) return "";
  return info.reason();
}

std::string MetadataOf(const absl::Status& status, const std::string& key) {
  auto payload = status.GetPayload(ToAbsl(kErrorInfoTypeUrl));
  if (!payload) return "";
  google::rpc::ErrorInfo info;
  if (!info.ParseFromString(std::string(*payload))) return "";
  auto it = info.metadata().find(key);
  return it == info.metadata().end() ? "" : it->second;
}

std::vector<FieldViolation> FieldViolationsOf(const absl::Status& status) {
  std::vector<FieldViolation> out;
  auto payload = status.GetPayload(ToAbsl(kBadRequestTypeUrl));
  if (!payload) return out;
  google::rpc::BadRequest bad_request;
  if (!bad_request.ParseFromString(std::string(*payload))) return out;
  for (const auto& item : bad_request.field_violations()) {
    out.push_back({item.field(), item.description()});
  }
  return out;
}

}  // namespace accord::common
