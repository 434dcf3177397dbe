// accord-bench-scale: one List filter, timed one call at a time (first pages, then second pages),
// for scripts/bench.sh --scale. Prints one JSON object on stdout. See --help.
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <iostream>
#include <string>
#include <vector>

#include "accord/account/v1/account.grpc.pb.h"
#include "bench_args.h"
#include "bench_report.h"

namespace {

using Clock = std::chrono::steady_clock;
namespace v1 = accord::account::v1;

constexpr const char* kUsage =
    R"(usage: accord-bench-scale --target=HOST:PORT --token=JWT --filter=F [options]

Calls ListAccounts with the filter --calls times for the first page and --calls times for the
second page (from the first call's next_page_token), one call at a time after --warmup unmeasured
calls, and prints {"first": latency, "second": latency, "rows": first page's size, "more": whether
a second page exists}; latencies in microseconds, measured by this client.

Options:
  --order-by=O     ListAccountsRequest.order_by (default: the service's)
  --page-size=N    default 50
  --calls=N        default 20      --warmup=N  default 2
  --timeout=S      per-call deadline in seconds (default 30)
)";

}  // namespace

int main(int argc, char** argv) {
  accord::bench::Flags flags(argc, argv, kUsage);
  const std::string target = flags.Required("target");
  const std::string token = flags.Required("token");
  v1::ListAccountsRequest request;
  request.set_filter(flags.Get("filter"));
  request.set_order_by(flags.Get("order-by"));
  request.set_page_size(static_cast<int32_t>(flags.Int("page-size", 50)));
  const int calls = static_cast<int>(flags.Int("calls", 20));
  const int warmup = static_cast<int>(flags.Int("warmup", 2));
  const auto timeout = std::chrono::seconds(flags.Int("timeout", 30));
  flags.Finish();

  auto stub =
      v1::AccountService::NewStub(grpc::CreateChannel(target, grpc::InsecureChannelCredentials()));
  // One call; its latency in microseconds, or -1 (after printing why) if it failed.
  auto call = [&](const v1::ListAccountsRequest& list, v1::ListAccountsResponse* response) {
    grpc::ClientContext context;
    context.AddMetadata("authorization", "Bearer " + token);
    context.set_deadline(std::chrono::system_clock::now() + timeout);
    const auto start = Clock::now();
    grpc::Status status = stub->ListAccounts(&context, list, response);
    const auto elapsed = Clock::now() - start;
    if (!status.ok()) {
      std::cerr << "ListAccounts(" << list.filter() << "): " << status.error_code() << " "
                << status.error_message() << "\n";
      return int64_t{-1};
    }
    return static_cast<int64_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count());
  };

  v1::ListAccountsResponse first_page;
  for (int i = 0; i < warmup; ++i) {
    if (call(request, &first_page) < 0) return 1;
  }
  std::vector<int64_t> first, second;
  for (int i = 0; i < calls; ++i) {
    first_page.Clear();
    const int64_t micros = call(request, &first_page);
    if (micros < 0) return 1;
    first.push_back(micros);
  }
  if (!first_page.next_page_token().empty()) {
    v1::ListAccountsRequest next = request;
    next.set_page_token(first_page.next_page_token());
    v1::ListAccountsResponse page;
    for (int i = 0; i < warmup + calls; ++i) {
      const int64_t micros = call(next, &page);
      if (micros < 0) return 1;
      if (i >= warmup) second.push_back(micros);
    }
  }
  std::cout << "{\"rows\":" << first_page.accounts_size()
            << ",\"more\":" << (first_page.next_page_token().empty() ? "false" : "true")
            << ",\"first\":" << accord::bench::LatencyJson(first)
            << ",\"second\":" << accord::bench::LatencyJson(second) << "}\n";
  return 0;
}
