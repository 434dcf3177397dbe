// accord-bench-scale: one List filter of any service, timed one call at a time (first pages, then
// second pages), for scripts/bench.sh --scale. Prints one JSON object on stdout. See --help.
#include <google/protobuf/descriptor.h>
#include <google/protobuf/dynamic_message.h>
#include <google/protobuf/util/json_util.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/impl/codegen/client_unary_call.h>
#include <grpcpp/impl/codegen/proto_utils.h>
#include <grpcpp/impl/codegen/rpc_method.h>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "accord/account/v1/account.pb.h"
#include "bench_args.h"
#include "bench_report.h"

namespace {

using Clock = std::chrono::steady_clock;
namespace pb = google::protobuf;

constexpr const char* kUsage =
    R"(usage: accord-bench-scale --target=HOST:PORT --token=JWT [--filter=F] [options]

Calls a List method with the filter --calls times for the first page and --calls times for the
second page (from the first call's next_page_token), one call at a time after --warmup unmeasured
calls, and prints {"first": latency, "second": latency, "rows": first page's size, "more": whether
a second page exists}; latencies in microseconds, measured by this client. Any other unary method
(no page_token) is called --calls times with --request alone ("first"; rows 1). "token" is the
first page's next_page_token, so that a later run can time that page alone (--page-token).

Options:
  --method=M       the List method, package.Service/Method
                   (default accord.account.v1.AccountService/ListAccounts); any service's
  --request=JSON   the rest of the request in Protobuf's JSON mapping, e.g. '{"parent": "..."}'
  --order-by=O     the request's order_by (default: the service's)
  --page-size=N    default 50
  --calls=N        default 20      --warmup=N  default 2
  --page-token=T   start from this page (a token printed before) instead of the first
  --second=0       do not call the second page (default 1)
  --timeout=S      per-call deadline in seconds (default 30)
)";

// The first repeated message field of a List response: the page's resources.
const pb::FieldDescriptor* PageField(const pb::Descriptor& response) {
  for (int i = 0; i < response.field_count(); ++i) {
    const pb::FieldDescriptor* field = response.field(i);
    if (field->is_repeated() && field->type() == pb::FieldDescriptor::TYPE_MESSAGE) return field;
  }
  return nullptr;
}

}  // namespace

int main(int argc, char** argv) {
  accord::bench::Flags flags(argc, argv, kUsage);
  const std::string target = flags.Required("target");
  const std::string token = flags.Required("token");
  const std::string method = flags.Get("method", "accord.account.v1.AccountService/ListAccounts");
  const std::string request_json = flags.Get("request", "{}");
  const std::string filter = flags.Get("filter");
  const std::string order_by = flags.Get("order-by");
  const int64_t page_size = flags.Int("page-size", 50);
  const int calls = static_cast<int>(flags.Int("calls", 20));
  const int warmup = static_cast<int>(flags.Int("warmup", 2));
  const auto timeout = std::chrono::seconds(flags.Int("timeout", 30));
  const std::string start_token = flags.Get("page-token");
  const bool time_second = flags.Int("second", 1) != 0;
  flags.Finish();

  // Every service's protos are linked whole (CMakeLists.txt), so the method is in the pool; the
  // account protos are linked as the other services' dependency, and named here to be sure.
  (void)accord::account::v1::ListAccountsRequest::descriptor();
  std::string full_name = method;
  std::replace(full_name.begin(), full_name.end(), '/', '.');
  const pb::MethodDescriptor* descriptor =
      pb::DescriptorPool::generated_pool()->FindMethodByName(full_name);
  if (descriptor == nullptr) flags.Fail("--method: no method " + method);
  const pb::Descriptor& request_type = *descriptor->input_type();
  const pb::Descriptor& response_type = *descriptor->output_type();
  const pb::FieldDescriptor* page_field = PageField(response_type);
  const pb::FieldDescriptor* next_token = response_type.FindFieldByName("next_page_token");
  const pb::FieldDescriptor* page_token = request_type.FindFieldByName("page_token");
  const bool list = page_field != nullptr && next_token != nullptr && page_token != nullptr;
  pb::DynamicMessageFactory factory;
  std::unique_ptr<pb::Message> request(factory.GetPrototype(&request_type)->New());
  if (auto status = pb::util::JsonStringToMessage(request_json, request.get()); !status.ok()) {
    flags.Fail("--request: " + std::string(status.message()));
  }
  const pb::Reflection& set = *request->GetReflection();
  if (list) {
    if (!filter.empty())
      set.SetString(request.get(), request_type.FindFieldByName("filter"), filter);
    if (!order_by.empty()) {
      set.SetString(request.get(), request_type.FindFieldByName("order_by"), order_by);
    }
    set.SetInt32(request.get(), request_type.FindFieldByName("page_size"),
                 static_cast<int32_t>(page_size));
    if (!start_token.empty()) set.SetString(request.get(), page_token, start_token);
  }

  auto channel = grpc::CreateChannel(target, grpc::InsecureChannelCredentials());
  const std::string path = "/" + method;
  const grpc::internal::RpcMethod rpc(path.c_str(), grpc::internal::RpcMethod::NORMAL_RPC);
  // One call; its latency in microseconds, or -1 (after printing why) if it failed.
  auto call = [&](const pb::Message& list, pb::Message* response) {
    grpc::ClientContext context;
    context.AddMetadata("authorization", "Bearer " + token);
    context.set_deadline(std::chrono::system_clock::now() + timeout);
    const auto start = Clock::now();
    grpc::Status status = grpc::internal::BlockingUnaryCall<pb::Message, pb::Message>(
        channel.get(), rpc, &context, list, response);
    const auto elapsed = Clock::now() - start;
    if (!status.ok()) {
      std::cerr << method << "(" << filter << "): " << status.error_code() << " "
                << status.error_message() << "\n";
      return int64_t{-1};
    }
    return static_cast<int64_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count());
  };

  std::unique_ptr<pb::Message> first_page(factory.GetPrototype(&response_type)->New());
  for (int i = 0; i < warmup; ++i) {
    if (call(*request, first_page.get()) < 0) return 1;
  }
  std::vector<int64_t> first, second;
  for (int i = 0; i < calls; ++i) {
    first_page->Clear();
    const int64_t micros = call(*request, first_page.get());
    if (micros < 0) return 1;
    first.push_back(micros);
  }
  const pb::Reflection& get = *first_page->GetReflection();
  const std::string token_text = list ? get.GetString(*first_page, next_token) : "";
  if (!token_text.empty() && time_second) {
    std::unique_ptr<pb::Message> next(request->New());
    next->CopyFrom(*request);
    set.SetString(next.get(), page_token, token_text);
    std::unique_ptr<pb::Message> page(first_page->New());
    for (int i = 0; i < warmup + calls; ++i) {
      const int64_t micros = call(*next, page.get());
      if (micros < 0) return 1;
      if (i >= warmup) second.push_back(micros);
    }
  }
  std::cout << "{\"rows\":" << (list ? get.FieldSize(*first_page, page_field) : 1)
            << ",\"more\":" << (token_text.empty() ? "false" : "true") << ",\"token\":\""
            << token_text << "\""
            << ",\"first\":" << accord::bench::LatencyJson(first)
            << ",\"second\":" << accord::bench::LatencyJson(second) << "}\n";
  return 0;
}
