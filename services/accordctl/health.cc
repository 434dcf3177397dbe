// `accordctl health`: grpc.health.v1.Health/Check on each service. Debian ships no generated
// health stub, so the two one-field messages are encoded and decoded by hand and sent through
// grpc::GenericStub.
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/wire_format_lite.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/support/byte_buffer.h>

#include <algorithm>
#include <future>
#include <iomanip>
#include <nlohmann/json.hpp>
#include <ostream>

#include "commands.h"
#include "rpc.h"

namespace accord::accordctl {
namespace {

constexpr char kHealthCheckMethod[] = "/grpc.health.v1.Health/Check";

// HealthCheckRequest { string service = 1; }
std::string EncodeHealthCheckRequest(const std::string& service) {
  std::string out;
  if (service.empty()) return out;                 // proto3: default values are not written
  out.push_back(static_cast<char>((1 << 3) | 2));  // field 1, length-delimited
  uint64_t length = service.size();
  while (length >= 0x80) {
    out.push_back(static_cast<char>((length & 0x7f) | 0x80));
    length >>= 7;
  }
  out.push_back(static_cast<char>(length));
  out += service;
  return out;
}

// HealthCheckResponse { ServingStatus status = 1; } -> the status number, or -1 if malformed.
int DecodeHealthCheckResponse(const std::string& bytes) {
  using google::protobuf::internal::WireFormatLite;
  google::protobuf::io::CodedInputStream input(reinterpret_cast<const uint8_t*>(bytes.data()),
                                               static_cast<int>(bytes.size()));
  int status = 0;  // UNKNOWN when absent
  while (uint32_t tag = input.ReadTag()) {
    if (WireFormatLite::GetTagFieldNumber(tag) == 1 &&
        WireFormatLite::GetTagWireType(tag) == WireFormatLite::WIRETYPE_VARINT) {
      uint32_t value = 0;
      if (!input.ReadVarint32(&value)) return -1;
      status = static_cast<int>(value);
    } else if (!WireFormatLite::SkipField(&input, tag)) {
      return -1;
    }
  }
  return input.ConsumedEntireMessage() ? status : -1;
}

std::string ServingStatusName(int status) {
  switch (status) {
    case 0:
      return "UNKNOWN";
    case 1:
      return "SERVING";
    case 2:
      return "NOT_SERVING";
    case 3:
      return "SERVICE_UNKNOWN";
    default:
      return "MALFORMED_RESPONSE";
  }
}

struct CheckResult {
  std::string state;   // SERVING, NOT_SERVING, UNREACHABLE, ...
  std::string detail;  // error message for failures
  bool serving = false;
};

// One in-flight check; several run at once so `all` takes one deadline, not four.
class HealthCheck {
 public:
  explicit HealthCheck(const CallOptions& options)
      : channel_(options.NewChannel()), stub_(channel_), context_(options.NewContext()) {
    grpc::Slice slice(EncodeHealthCheckRequest(""));
    request_ = grpc::ByteBuffer(&slice, 1);
    stub_.UnaryCall(context_.get(), kHealthCheckMethod, grpc::StubOptions(), &request_, &response_,
                    [this](grpc::Status status) { done_.set_value(std::move(status)); });
  }

  CheckResult Wait() {
    grpc::Status status = done_.get_future().get();
    CheckResult result;
    if (!status.ok()) {
      auto code = status.error_code();
      result.state =
          code == grpc::StatusCode::UNAVAILABLE || code == grpc::StatusCode::DEADLINE_EXCEEDED
              ? "UNREACHABLE"
              : StatusCodeName(code);
      result.detail = status.error_message();
      return result;
    }
    std::vector<grpc::Slice> slices;
    std::string bytes;
    if (response_.Dump(&slices).ok()) {
      for (const auto& slice : slices) {
        bytes.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
      }
    }
    int serving_status = DecodeHealthCheckResponse(bytes);
    result.state = ServingStatusName(serving_status);
    result.serving = serving_status == 1;
    return result;
  }

 private:
  std::shared_ptr<grpc::Channel> channel_;
  grpc::GenericStub stub_;
  std::unique_ptr<grpc::ClientContext> context_;
  grpc::ByteBuffer request_;
  grpc::ByteBuffer response_;
  std::promise<grpc::Status> done_;
};

int RunHealth(const Invocation& inv) {
  std::string which = inv.args.GetOr("service", "all");
  std::vector<const ServiceInfo*> services;
  if (which == "all") {
    if (inv.args.Has("addr")) return inv.UsageError("--addr needs a single --service");
    for (const auto& service : Services()) services.push_back(&service);
  } else if (const ServiceInfo* service = FindService(which)) {
    services.push_back(service);
  } else {
    return inv.UsageError("unknown --service '" + which +
                          "' (account, contact, pricing-terms, service-quality, webhooks or all)");
  }

  // Health needs no token; one is sent only if available (never an error when it is not).
  std::vector<CallOptions> options;
  for (const auto* service : services) {
    auto call = CallOptionsFor(inv, *service, /*token_required=*/false, std::chrono::seconds(2));
    if (!call) return kExitUsage;
    options.push_back(std::move(*call));
  }
  std::vector<std::unique_ptr<HealthCheck>> checks;
  for (const auto& call : options) checks.push_back(std::make_unique<HealthCheck>(call));

  size_t name_width = 0;
  size_t addr_width = 0;
  for (size_t i = 0; i < services.size(); ++i) {
    name_width = std::max(name_width, services[i]->key.size());
    addr_width = std::max(addr_width, options[i].address.size());
  }
  bool all_serving = true;
  for (size_t i = 0; i < services.size(); ++i) {
    CheckResult result = checks[i]->Wait();
    all_serving = all_serving && result.serving;
    if (inv.wants_json()) {
      nlohmann::ordered_json line = {
          {"service", services[i]->key}, {"address", options[i].address}, {"status", result.state}};
      if (!result.detail.empty()) line["detail"] = result.detail;
      inv.out << line.dump() << "\n";
      continue;
    }
    inv.out << std::left << std::setw(static_cast<int>(name_width) + 2) << services[i]->key
            << std::setw(static_cast<int>(addr_width) + 2) << options[i].address << result.state;
    if (inv.args.Bool("verbose") && !result.detail.empty())
      inv.out << "  (" << result.detail << ")";
    inv.out << "\n";
  }
  return all_serving ? kExitOk : kExitFailure;
}

}  // namespace

void RegisterHealthCommands(Registry& registry) {
  std::vector<FlagSpec> flags = {
      {"service", "NAME",
       "account, contact, pricing-terms, service-quality, webhooks or all (default all)."},
      {"verbose", "", "Show the error behind a failed check."},
  };
  for (auto& flag : RpcFlags()) flags.push_back(std::move(flag));
  registry.Add({
      .path = {"health"},
      .synopsis = "",
      .summary = "Check that the services are up (grpc.health.v1.Health/Check).",
      .description = "Prints one line per service: name, address and serving status (-o json: one\n"
                     "JSON object per service, with the error behind a failed check). A service\n"
                     "that cannot be reached within the deadline (default 2s) shows UNREACHABLE.\n"
                     "Exits 1 unless every checked service is SERVING.",
      .flags = std::move(flags),
      .run = RunHealth,
  });
}

}  // namespace accord::accordctl
