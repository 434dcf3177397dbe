// accord-bench-load: the event-stream measurements, which need a gRPC client (a server stream and
// unary creates from paced threads). Closed-loop unary load is accord-bench-h2load's. Prints one
// JSON object on stdout. See --help.
#include <google/protobuf/util/time_util.h>
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "accord/account/v1/account.grpc.pb.h"
#include "accord/bench/v1/noop.grpc.pb.h"
#include "accord/events/v1/events.grpc.pb.h"
#include "bench_args.h"
#include "bench_report.h"

namespace {

using Clock = std::chrono::steady_clock;
namespace v1 = accord::account::v1;

constexpr const char* kUsage =
    R"(usage: accord-bench-load --mode=events --target=HOST:PORT --token=JWT [options]

Subscribes to accord.events.v1.EventService and creates --events accounts one at a time (--rate
per second, paced from --connections threads), measuring envelope time -> subscriber receipt;
then a burst of --burst creates from --connections threads, measuring delivered events per
second. Prints one JSON object on stdout. (Closed-loop GetAccount and UpdateAccount load:
accord-bench-h2load.)

Options:
  --write=account  what each write is: CreateAccount (default), or `noop` for
                   accord.bench.v1.NoopService/Noop on an `accord-noop-server --outbox`, a write
                   of a trivial row and its event (the answer names the event's subject)
  --connections=C  threads, each with its own HTTP/2 connection (default 4)
  --events=N --rate=R --burst=B  (defaults 200, 50, 1000)
  --receipts-file=F  write "<event subject>\t<receipt wall clock, us>" per paced event
  --timeout=S      per-call deadline, and how long to wait for deliveries (default 10)
)";

using accord::bench::CodeName;
using accord::bench::JsonEscape;
using accord::bench::LatencyJson;

std::shared_ptr<grpc::Channel> NewChannel(const std::string& target, int index) {
  grpc::ChannelArguments args;
  // A distinct argument and a local subchannel pool give every channel its own connection.
  args.SetInt("accord.bench.channel", index);
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args);
}

// --- events ------------------------------------------------------------------------------------

int64_t WallMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// One connection's writes, each of which makes one event: a CreateAccount, or the no-op that only
// appends an event (its answer carries the event's subject).
class Writer {
 public:
  Writer(const std::string& target, int index, bool noop, const std::string& bearer,
         std::chrono::seconds timeout)
      : bearer_(bearer), timeout_(timeout) {
    auto channel = NewChannel(target, index);
    if (noop) {
      noop_ = accord::bench::v1::NoopService::NewStub(channel);
    } else {
      accounts_ = v1::AccountService::NewStub(channel);
    }
  }

  // `subject`, when given, receives the subject of the event the write made.
  grpc::Status Write(const std::string& label, std::string* subject) {
    grpc::ClientContext context;
    context.AddMetadata("authorization", bearer_);
    context.set_deadline(std::chrono::system_clock::now() + timeout_);
    if (noop_) {
      accord::bench::v1::NoopRequest request;
      accord::bench::v1::NoopResponse response;
      grpc::Status status = noop_->Noop(&context, request, &response);
      if (status.ok() && subject != nullptr) *subject = response.payload();
      return status;
    }
    v1::CreateAccountRequest request;
    request.mutable_account()->set_display_name(label);
    request.mutable_account()->set_type(accord::common::v1::ORGANIZATION_TYPE_COMMERCIAL);
    v1::Account account;
    grpc::Status status = accounts_->CreateAccount(&context, request, &account);
    if (status.ok() && subject != nullptr) *subject = account.name();
    return status;
  }

 private:
  const std::string bearer_;
  const std::chrono::seconds timeout_;
  std::unique_ptr<v1::AccountService::Stub> accounts_;
  std::unique_ptr<accord::bench::v1::NoopService::Stub> noop_;
};

std::string RunEvents(const std::string& target, const std::string& token, bool noop, int events,
                      double rate, int burst, int threads, std::chrono::seconds timeout,
                      const std::string& receipts_file) {
  using accord::events::v1::EventService;
  auto channel = NewChannel(target, 1000);
  auto events_stub = EventService::NewStub(channel);
  const std::string bearer = "Bearer " + token;

  struct Shared {
    std::mutex mutex;
    std::condition_variable changed;
    std::map<std::string, int64_t> latency_by_subject;  // envelope time -> receipt, us
    std::map<std::string, int64_t> receipt_by_subject;  // wall clock of the receipt, us
    std::vector<int64_t> receipt_us;                    // wall clock of every receipt
    int64_t received = 0;
    bool finished = false;
    grpc::Status status;
  } shared;

  grpc::ClientContext subscribe_context;
  subscribe_context.AddMetadata("authorization", bearer);
  accord::events::v1::SubscribeRequest request;
  request.set_type_prefix(noop ? "accord.bench.v1.Noop" : "accord.account.v1.Account");
  std::unique_ptr<grpc::ClientReader<accord::events::v1::SubscribeResponse>> reader =
      events_stub->Subscribe(&subscribe_context, request);
  std::thread reading([&] {
    accord::events::v1::SubscribeResponse response;
    while (reader->Read(&response)) {
      const int64_t now = WallMicros();
      const int64_t appended =
          google::protobuf::util::TimeUtil::TimestampToMicroseconds(response.event().time());
      std::lock_guard lock(shared.mutex);
      shared.latency_by_subject[response.event().subject()] = now - appended;
      shared.receipt_by_subject[response.event().subject()] = now;
      shared.receipt_us.push_back(now);
      ++shared.received;
      shared.changed.notify_all();
    }
    grpc::Status status = reader->Finish();
    std::lock_guard lock(shared.mutex);
    shared.status = status;
    shared.finished = true;
    shared.changed.notify_all();
  });

  auto finish_json = [&](const std::string& body) {
    subscribe_context.TryCancel();
    reading.join();
    return body;
  };
  // A build without the event stream answers UNIMPLEMENTED at once.
  {
    std::unique_lock lock(shared.mutex);
    shared.changed.wait_for(lock, std::chrono::milliseconds(1500), [&] { return shared.finished; });
    if (shared.finished) {
      std::string reason =
          CodeName(shared.status.error_code()) + ": " + shared.status.error_message();
      lock.unlock();
      reading.join();
      return "{\"mode\":\"events\",\"available\":false,\"reason\":\"" + JsonEscape(reason) + "\"}";
    }
  }

  // Phase 1: latency at a paced rate (open loop: each of --connections threads starts its share
  // of the creates on a fixed schedule, so the rate does not depend on one call's latency).
  std::vector<std::string> names;
  std::string error;
  std::mutex phase1_mutex;
  const int pacers = std::max(1, std::min(threads, events));
  const auto interval =
      std::chrono::microseconds(static_cast<int64_t>(1e6 * pacers / std::max(rate, 1.0)));
  const int64_t paced_start = WallMicros();
  {
    std::vector<std::thread> pacing;
    for (int t = 0; t < pacers; ++t) {
      pacing.emplace_back([&, t] {
        Writer writer(target, 1001 + t, noop, bearer, timeout);
        // Threads start staggered by interval / pacers, so together they create at --rate.
        auto next = Clock::now() + interval * t / pacers;
        for (int i = t; i < events; i += pacers) {
          std::this_thread::sleep_until(next);
          next += interval;
          {
            std::lock_guard lock(phase1_mutex);
            if (!error.empty()) return;
          }
          std::string name;
          grpc::Status status = writer.Write("Bench Event " + std::to_string(i), &name);
          std::lock_guard lock(phase1_mutex);
          if (!status.ok()) {
            if (error.empty()) {
              error = std::string(noop ? "Noop" : "CreateAccount") + ": " +
                      CodeName(status.error_code()) + ": " + status.error_message();
            }
            return;
          }
          names.push_back(name);
        }
      });
    }
    for (auto& thread : pacing) thread.join();
  }
  const double paced_seconds = static_cast<double>(WallMicros() - paced_start) / 1e6;
  std::vector<int64_t> latencies;
  int64_t missing = 0;
  {
    std::unique_lock lock(shared.mutex);
    shared.changed.wait_for(lock, timeout, [&] {
      return shared.finished || std::all_of(names.begin(), names.end(), [&](const auto& n) {
               return shared.latency_by_subject.count(n) > 0;
             });
    });
    std::ofstream receipts;
    if (!receipts_file.empty()) receipts.open(receipts_file);
    for (const auto& name : names) {
      auto it = shared.latency_by_subject.find(name);
      if (it == shared.latency_by_subject.end()) {
        ++missing;
      } else {
        latencies.push_back(it->second);
        // For the commit -> receipt latency, which needs the database's commit timestamps.
        if (receipts.is_open()) receipts << name << '\t' << shared.receipt_by_subject[name] << '\n';
      }
    }
  }

  // Phase 2: a burst of creates from several threads; delivered events per second.
  int64_t before = 0;
  {
    std::lock_guard lock(shared.mutex);
    before = shared.received;
  }
  std::atomic<int> next_index{0};
  std::atomic<int64_t> burst_failures{0};
  const int64_t burst_start = WallMicros();
  std::vector<std::thread> creators;
  for (int t = 0; t < threads && error.empty(); ++t) {
    creators.emplace_back([&, t] {
      Writer writer(target, 2000 + t, noop, bearer, timeout);
      for (int i = next_index++; i < burst; i = next_index++) {
        if (!writer.Write("Bench Burst " + std::to_string(i), nullptr).ok()) ++burst_failures;
      }
    });
  }
  for (auto& thread : creators) thread.join();
  const int64_t creates_done = WallMicros();
  int64_t delivered = 0;
  int64_t last_receipt = 0;
  {
    std::unique_lock lock(shared.mutex);
    shared.changed.wait_for(lock, timeout, [&] {
      return shared.finished || shared.received - before >= burst - burst_failures.load();
    });
    delivered = shared.received - before;
    if (!shared.receipt_us.empty()) last_receipt = shared.receipt_us.back();
  }
  const double burst_seconds = static_cast<double>(last_receipt - burst_start) / 1e6;
  const double create_seconds = static_cast<double>(creates_done - burst_start) / 1e6;
  std::ostringstream out;
  out << "{\"mode\":\"events\",\"available\":true,\"error\":\"" << JsonEscape(error)
      << "\",\"latency_events\":" << names.size() << ",\"missing\":" << missing
      << ",\"paced_rate_target\":" << rate << ",\"paced_rate\":"
      << (paced_seconds > 0 ? static_cast<double>(names.size()) / paced_seconds : 0)
      << ",\"latency_us\":" << LatencyJson(latencies) << ",\"burst\":" << burst
      << ",\"burst_failures\":" << burst_failures.load() << ",\"burst_delivered\":" << delivered
      << ",\"burst_create_seconds\":" << create_seconds
      << ",\"burst_create_rate\":" << (create_seconds > 0 ? burst / create_seconds : 0)
      << ",\"burst_delivery_seconds\":" << burst_seconds << ",\"burst_delivery_rate\":"
      << (burst_seconds > 0 ? static_cast<double>(delivered) / burst_seconds : 0) << "}";
  return finish_json(out.str());
}

}  // namespace

int main(int argc, char** argv) {
  accord::bench::Flags flags(argc, argv, kUsage);
  const std::string mode = flags.Required("mode");
  const std::string target = flags.Required("target");
  const std::string token = flags.Required("token");
  const int connections = static_cast<int>(flags.Int("connections", 4));
  const auto timeout = std::chrono::seconds(flags.Int("timeout", 10));
  const std::string receipts_file = flags.Get("receipts-file");
  const int events = static_cast<int>(flags.Int("events", 200));
  const double rate = flags.Double("rate", 50);
  const int burst = static_cast<int>(flags.Int("burst", 1000));
  const std::string write = flags.Get("write");
  flags.Finish();
  if (mode != "events")
    flags.Fail("unknown --mode " + mode + " (get and update: accord-bench-h2load)");
  if (!write.empty() && write != "account" && write != "noop") {
    flags.Fail("unknown --write " + write + " (account or noop)");
  }
  std::cout << RunEvents(target, token, write == "noop", events, rate, burst, connections, timeout,
                         receipts_file)
            << std::endl;
  return 0;
}
