// accord-bench-load: closed-loop gRPC load for what h2load cannot do with one fixed request body,
// and the event-stream measurements. Prints one JSON object on stdout. See --help.
#include <google/protobuf/util/time_util.h>
#include <grpcpp/generic/generic_stub.h>
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
#include "accord/events/v1/events.grpc.pb.h"
#include "bench_args.h"

namespace {

using Clock = std::chrono::steady_clock;
namespace v1 = accord::account::v1;

constexpr const char* kUsage =
    R"(usage: accord-bench-load --mode=MODE --target=HOST:PORT --token=JWT [options]

Modes (each prints one JSON object on stdout):
  update   UpdateAccount (display_name) on the accounts in --names-file, round robin; the etag
           sent for the k-th request is k / N + 1, so every account must start at version 1 and
           N must be much larger than the calls in flight (connections x streams).
  get      GetAccount cycling through --names-file (distinct keys, e.g. for cold-cache reads).
           With --once every name is requested exactly once and the run ends there.
  events   Subscribes to accord.events.v1.EventService and creates --events accounts one at a
           time (--rate per second, paced from --connections threads), measuring envelope time -> subscriber receipt; then a burst
           of --burst creates from --connections threads, measuring delivered events per second.

Options:
  --connections=C  separate HTTP/2 connections (default 4)
  --streams=M      calls in flight per connection (default 8)
  --duration=S     seconds measured (default 10)   --warmup=S  seconds not measured (default 1)
  --names-file=F   one account name per line (update, get)
  --method=/S/M    get: send the same GetAccountRequests to this method instead (raw bytes, e.g.
                   a no-op server's method, to measure what this client and path cost alone)
  --once           get: request each name once, then stop (ignores --duration)
  --events=N --rate=R --burst=B  (events; defaults 200, 50, 1000)
  --receipts-file=F  events: write "<account name>\t<receipt wall clock, us>" per paced event
  --timeout=S      per-call deadline (default 10)
)";

struct Stats {
  std::mutex mutex;
  std::vector<int64_t> latencies_us;
  std::map<std::string, int64_t> codes;  // all calls, warm-up included
  int64_t measured_ok = 0;
  int64_t measured_total = 0;
  int64_t total = 0;
};

std::string CodeName(grpc::StatusCode code) {
  static const char* kNames[] = {"OK",
                                 "CANCELLED",
                                 "UNKNOWN",
                                 "INVALID_ARGUMENT",
                                 "DEADLINE_EXCEEDED",
                                 "NOT_FOUND",
                                 "ALREADY_EXISTS",
                                 "PERMISSION_DENIED",
                                 "RESOURCE_EXHAUSTED",
                                 "FAILED_PRECONDITION",
                                 "ABORTED",
                                 "OUT_OF_RANGE",
                                 "UNIMPLEMENTED",
                                 "INTERNAL",
                                 "UNAVAILABLE",
                                 "DATA_LOSS",
                                 "UNAUTHENTICATED"};
  int index = static_cast<int>(code);
  return index >= 0 && index < 17 ? kNames[index] : "UNKNOWN";
}

std::string JsonEscape(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

int64_t Percentile(std::vector<int64_t>& sorted, double p) {
  if (sorted.empty()) return 0;
  size_t index = static_cast<size_t>(p * static_cast<double>(sorted.size() - 1) + 0.5);
  return sorted[std::min(index, sorted.size() - 1)];
}

std::string LatencyJson(std::vector<int64_t> values) {
  std::sort(values.begin(), values.end());
  double sum = 0;
  for (auto v : values) sum += static_cast<double>(v);
  std::ostringstream out;
  out << "{\"count\":" << values.size() << ",\"p50\":" << Percentile(values, 0.50)
      << ",\"p90\":" << Percentile(values, 0.90) << ",\"p99\":" << Percentile(values, 0.99)
      << ",\"max\":" << (values.empty() ? 0 : values.back())
      << ",\"mean\":" << (values.empty() ? 0 : static_cast<int64_t>(sum / values.size())) << "}";
  return out.str();
}

std::shared_ptr<grpc::Channel> NewChannel(const std::string& target, int index) {
  grpc::ChannelArguments args;
  // A distinct argument and a local subchannel pool give every channel its own connection.
  args.SetInt("accord.bench.channel", index);
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args);
}

std::vector<std::string> ReadLines(const std::string& path) {
  std::ifstream file(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(file, line);) {
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

// One closed-loop caller: issues its next call from the previous call's completion.
struct Slot {
  v1::AccountService::Stub* stub = nullptr;
  grpc::GenericStub* generic = nullptr;  // --method
  grpc::ByteBuffer raw_request, raw_response;
  std::unique_ptr<grpc::ClientContext> contexts[2];  // the previous call's stays alive one more
  int which = 0;
  v1::UpdateAccountRequest update;
  v1::GetAccountRequest get;
  v1::Account response;
  Clock::time_point started;
};

class ClosedLoop {
 public:
  ClosedLoop(std::string mode, std::vector<std::string> names, std::string token,
             std::chrono::seconds timeout, bool once, std::string method)
      : once_(once),
        mode_(std::move(mode)),
        method_(std::move(method)),
        names_(std::move(names)),
        bearer_("Bearer " + std::move(token)),
        timeout_(timeout) {}

  std::string Run(const std::string& target, int connections, int streams, double warmup_s,
                  double duration_s) {
    std::vector<std::unique_ptr<v1::AccountService::Stub>> stubs;
    std::vector<std::unique_ptr<grpc::GenericStub>> generics;
    for (int c = 0; c < connections; ++c) {
      auto channel = NewChannel(target, c);
      stubs.push_back(v1::AccountService::NewStub(channel));
      generics.push_back(std::make_unique<grpc::GenericStub>(channel));
    }
    start_ = Clock::now();
    measure_from_ = start_ + std::chrono::microseconds(static_cast<int64_t>(warmup_s * 1e6));
    stop_at_ = measure_from_ + std::chrono::microseconds(static_cast<int64_t>(duration_s * 1e6));
    std::vector<std::unique_ptr<Slot>> slots;
    for (int c = 0; c < connections; ++c) {
      for (int s = 0; s < streams; ++s) {
        slots.push_back(std::make_unique<Slot>());
        slots.back()->stub = stubs[c].get();
        slots.back()->generic = generics[c].get();
      }
    }
    active_ = static_cast<int>(slots.size());
    for (auto& slot : slots) {
      if (!Issue(slot.get())) Retire();
    }
    {
      std::unique_lock lock(done_mutex_);
      done_.wait(lock, [&] { return active_ == 0; });
    }
    const double measured_s =
        std::chrono::duration<double>(std::min(last_completion_, stop_at_) - measure_from_).count();
    std::ostringstream out;
    out << "{\"mode\":\"" << mode_ << "\",\"connections\":" << connections
        << ",\"streams\":" << streams << ",\"calls_total\":" << stats_.total
        << ",\"measured_calls\":" << stats_.measured_total
        << ",\"measured_ok\":" << stats_.measured_ok << ",\"measured_seconds\":" << measured_s
        << ",\"qps\":"
        << (measured_s > 0 ? static_cast<double>(stats_.measured_ok) / measured_s : 0)
        << ",\"codes\":{";
    bool first = true;
    for (const auto& [code, count] : stats_.codes) {
      out << (first ? "" : ",") << "\"" << code << "\":" << count;
      first = false;
    }
    out << "},\"first_error\":\"" << JsonEscape(first_error_)
        << "\",\"latency_us\":" << LatencyJson(stats_.latencies_us) << "}";
    return out.str();
  }

 private:
  // Starts the slot's next call; false when --once has used every name.
  bool Issue(Slot* slot) {
    const uint64_t k = next_.fetch_add(1);
    if (once_ && k >= names_.size()) return false;
    auto& context = slot->contexts[slot->which];
    slot->which ^= 1;
    context = std::make_unique<grpc::ClientContext>();
    context->AddMetadata("authorization", bearer_);
    context->set_deadline(std::chrono::system_clock::now() + timeout_);
    const std::string& name = names_[k % names_.size()];
    slot->started = Clock::now();
    auto done = [this, slot](grpc::Status status) { Completed(slot, status); };
    if (mode_ == "update") {
      slot->update.mutable_account()->set_name(name);
      slot->update.mutable_account()->set_display_name("Bench Updated " + std::to_string(k));
      if (slot->update.update_mask().paths_size() == 0) {
        slot->update.mutable_update_mask()->add_paths("display_name");
      }
      slot->update.set_etag(std::to_string(k / names_.size() + 1));
      slot->stub->async()->UpdateAccount(context.get(), &slot->update, &slot->response, done);
    } else if (!method_.empty()) {
      slot->get.set_name(name);
      const std::string bytes = slot->get.SerializeAsString();
      grpc::Slice slice(bytes);
      slot->raw_request = grpc::ByteBuffer(&slice, 1);
      slot->generic->UnaryCall(context.get(), method_, grpc::StubOptions(), &slot->raw_request,
                               &slot->raw_response, done);
    } else {
      slot->get.set_name(name);
      slot->stub->async()->GetAccount(context.get(), &slot->get, &slot->response, done);
    }
    return true;
  }

  void Retire() {
    std::lock_guard lock(done_mutex_);
    if (--active_ == 0) done_.notify_all();
  }

  void Completed(Slot* slot, const grpc::Status& status) {
    const auto now = Clock::now();
    {
      std::lock_guard lock(stats_.mutex);
      ++stats_.total;
      ++stats_.codes[CodeName(status.error_code())];
      if (!status.ok() && first_error_.empty()) {
        first_error_ = CodeName(status.error_code()) + ": " + status.error_message();
      }
      if (slot->started >= measure_from_ && now <= stop_at_) {
        ++stats_.measured_total;
        if (status.ok()) {
          ++stats_.measured_ok;
          stats_.latencies_us.push_back(
              std::chrono::duration_cast<std::chrono::microseconds>(now - slot->started).count());
        }
      }
      last_completion_ = std::max(last_completion_, now);
    }
    if (now < stop_at_ && Issue(slot)) return;
    Retire();
  }

  const bool once_;
  const std::string mode_;
  const std::string method_;
  const std::vector<std::string> names_;
  const std::string bearer_;
  const std::chrono::seconds timeout_;
  std::atomic<uint64_t> next_{0};
  Clock::time_point start_, measure_from_, stop_at_, last_completion_{};
  Stats stats_;
  std::string first_error_;
  std::mutex done_mutex_;
  std::condition_variable done_;
  int active_ = 0;
};

// --- events ------------------------------------------------------------------------------------

int64_t WallMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string RunEvents(const std::string& target, const std::string& token, int events, double rate,
                      int burst, int threads, std::chrono::seconds timeout,
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
  request.set_type_prefix("accord.account.v1.Account");
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

  auto create = [&](v1::AccountService::Stub& stub, const std::string& display_name,
                    std::string* name) {
    grpc::ClientContext context;
    context.AddMetadata("authorization", bearer);
    context.set_deadline(std::chrono::system_clock::now() + timeout);
    v1::CreateAccountRequest create_request;
    create_request.mutable_account()->set_display_name(display_name);
    create_request.mutable_account()->set_type(accord::common::v1::ORGANIZATION_TYPE_COMMERCIAL);
    v1::Account account;
    grpc::Status status = stub.CreateAccount(&context, create_request, &account);
    if (status.ok() && name != nullptr) *name = account.name();
    return status;
  };

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
        auto stub = v1::AccountService::NewStub(NewChannel(target, 1001 + t));
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
          grpc::Status status = create(*stub, "Bench Event " + std::to_string(i), &name);
          std::lock_guard lock(phase1_mutex);
          if (!status.ok()) {
            if (error.empty()) {
              error =
                  "CreateAccount: " + CodeName(status.error_code()) + ": " + status.error_message();
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
      auto stub = v1::AccountService::NewStub(NewChannel(target, 2000 + t));
      for (int i = next_index++; i < burst; i = next_index++) {
        if (!create(*stub, "Bench Burst " + std::to_string(i), nullptr).ok()) ++burst_failures;
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
  const int streams = static_cast<int>(flags.Int("streams", 8));
  const double duration = flags.Double("duration", 10);
  const double warmup = flags.Double("warmup", 1);
  const auto timeout = std::chrono::seconds(flags.Int("timeout", 10));
  const std::string names_file = flags.Get("names-file");
  const std::string receipts_file = flags.Get("receipts-file");
  const int events = static_cast<int>(flags.Int("events", 200));
  const double rate = flags.Double("rate", 50);
  const int burst = static_cast<int>(flags.Int("burst", 1000));
  const bool once = flags.Has("once");
  const std::string method = flags.Get("method");
  flags.Finish();

  if (mode == "update" || mode == "get") {
    if (names_file.empty()) flags.Fail("--names-file is required for --mode=" + mode);
    auto names = ReadLines(names_file);
    if (names.empty()) flags.Fail(names_file + " has no names");
    if (!method.empty() && mode != "get") flags.Fail("--method applies to --mode=get only");
    ClosedLoop loop(mode, std::move(names), token, timeout, once, method);
    std::cout << loop.Run(target, connections, streams, warmup, duration) << std::endl;
    return 0;
  }
  if (mode == "events") {
    std::cout << RunEvents(target, token, events, rate, burst, connections, timeout, receipts_file)
              << std::endl;
    return 0;
  }
  flags.Fail("unknown --mode " + mode);
}
