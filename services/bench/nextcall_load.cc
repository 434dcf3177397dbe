// accord-bench-nextcall: 32 (--agents) sales agents asking the contact service's NextCall for the
// same campaign at once, each on its own connection with its own token, closed loop. Counts the
// contacts handed out more than once (the leases outlast the run, so any repeat is a double
// hand-out) and prints accord-bench-h2load's JSON, so that bench.sh's run_load reads it alike.
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "accord/contact/v1/campaign.grpc.pb.h"
#include "bench_args.h"
#include "bench_report.h"

namespace {

namespace v1 = accord::contact::v1;
using Clock = std::chrono::steady_clock;

constexpr const char* kUsage = R"(usage: accord-bench-nextcall --target=HOST:PORT --names-file=F
    --tokens-file=F [--warmup=S] [--duration=S] [--latency-file=F] [--handed-out=F]

--names-file   the campaign's name on its first line (run_load's names file)
--tokens-file  one bearer token per line: one agent each (their number is the concurrency)
--handed-out   write every contact handed out, one per line
Flags run_load passes and this tool has no use for (--mode, --token, --connections, --streams)
are accepted. Exits 3 when a contact was handed out twice.
)";

struct Agent {
  std::vector<int64_t> latencies_us;
  std::vector<std::string> contacts;
  int64_t codes[accord::bench::kCodeCount] = {};
  int64_t measured_total = 0, measured_ok = 0;
  std::string first_error;
};

}  // namespace

int main(int argc, char** argv) {
  accord::bench::Flags flags(argc, argv, kUsage);
  const std::string target = flags.Required("target");
  const auto names = accord::bench::ReadLines(flags.Required("names-file"));
  const auto tokens = accord::bench::ReadLines(flags.Required("tokens-file"));
  const double warmup = flags.Double("warmup", 1), duration = flags.Double("duration", 10);
  const std::string latency_file = flags.Get("latency-file"), handed_file = flags.Get("handed-out");
  for (const char* unused : {"mode", "token", "connections", "streams"}) flags.Get(unused);
  if (names.empty() || tokens.empty()) {
    std::cerr << "accord-bench-nextcall: no campaign or no tokens\n";
    return 2;
  }

  const auto start = Clock::now();
  const auto measure_from =
      start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(warmup));
  const auto stop_at = measure_from + std::chrono::duration_cast<Clock::duration>(
                                          std::chrono::duration<double>(duration));
  std::vector<Agent> agents(tokens.size());
  std::vector<std::thread> threads;
  std::atomic<bool> empty{false};  // the list ran out: everyone stops
  for (size_t i = 0; i < tokens.size(); ++i) {
    threads.emplace_back([&, i] {
      grpc::ChannelArguments args;
      args.SetInt("accord-agent", static_cast<int>(i));  // a connection of its own per agent
      auto stub = v1::CampaignService::NewStub(
          grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args));
      Agent& agent = agents[i];
      v1::NextCallRequest request;
      request.set_campaign(names[0]);
      while (!empty.load(std::memory_order_relaxed)) {
        const auto sent = Clock::now();
        if (sent >= stop_at) break;
        grpc::ClientContext context;
        context.AddMetadata("authorization", "Bearer " + tokens[i]);
        context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
        v1::CallAssignment assignment;
        const grpc::Status status = stub->NextCall(&context, request, &assignment);
        const auto done = Clock::now();
        const int code = accord::bench::CodeIndex(status.error_code());
        ++agent.codes[code];
        if (status.ok()) {
          agent.contacts.push_back(assignment.contact());
        } else {
          if (agent.first_error.empty()) {
            agent.first_error =
                std::string(accord::bench::CodeName(code)) + ": " + status.error_message();
          }
          if (status.error_code() == grpc::StatusCode::NOT_FOUND) empty = true;
        }
        if (sent >= measure_from && done <= stop_at) {
          ++agent.measured_total;
          if (status.ok()) {
            ++agent.measured_ok;
            agent.latencies_us.push_back(
                std::chrono::duration_cast<std::chrono::microseconds>(done - sent).count());
          }
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  const double measured_s =
      std::chrono::duration<double>(std::min(Clock::now(), stop_at) - measure_from).count();

  Agent all;
  std::unordered_map<std::string, int> seen;
  int64_t doubles = 0, total = 0;
  for (const Agent& agent : agents) {
    for (int c = 0; c < accord::bench::kCodeCount; ++c) all.codes[c] += agent.codes[c];
    all.measured_total += agent.measured_total;
    all.measured_ok += agent.measured_ok;
    if (all.first_error.empty()) all.first_error = agent.first_error;
    all.latencies_us.insert(all.latencies_us.end(), agent.latencies_us.begin(),
                            agent.latencies_us.end());
    for (const auto& contact : agent.contacts) doubles += seen[contact]++ > 0 ? 1 : 0;
  }
  for (int64_t count : all.codes) total += count;

  if (!latency_file.empty()) {
    std::ofstream file(latency_file);
    for (int64_t latency : all.latencies_us) file << latency << '\n';
  }
  if (!handed_file.empty()) {
    std::ofstream file(handed_file);
    for (const auto& [contact, count] : seen) file << contact << '\n';
  }
  std::cout << "{\"agents\":" << tokens.size() << ",\"calls_total\":" << total
            << ",\"measured_calls\":" << all.measured_total
            << ",\"measured_ok\":" << all.measured_ok << ",\"measured_seconds\":" << measured_s
            << ",\"qps\":" << (measured_s > 0 ? all.measured_ok / measured_s : 0)
            << ",\"handed_out\":" << seen.size() << ",\"double_handouts\":" << doubles
            << ",\"codes\":{";
  const char* separator = "";
  for (int c = 0; c < accord::bench::kCodeCount; ++c) {
    if (all.codes[c] == 0) continue;
    std::cout << separator << '"' << accord::bench::kCodeNames[c] << "\":" << all.codes[c];
    separator = ",";
  }
  std::cout << "},\"first_error\":\"" << accord::bench::JsonEscape(all.first_error)
            << "\",\"latency_us\":" << accord::bench::LatencyJson(all.latencies_us) << "}\n";
  return doubles > 0 ? 3 : 0;
}
