// `accordctl events tail`: follows a service's accord.events.v1.EventService, one JSON line per
// event, and reconnects from the last cursor (with backoff) until interrupted.
#include <google/protobuf/descriptor.h>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>
#include <google/protobuf/util/type_resolver.h>
#include <google/protobuf/util/type_resolver_util.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <limits>
#include <mutex>
#include <nlohmann/json.hpp>
#include <ostream>
#include <thread>

#include "absl/strings/escaping.h"
#include "accord/common/ids.h"
#include "accord/events/v1/events.grpc.pb.h"
#include "commands.h"
#include "rpc.h"

namespace accord::accordctl {
namespace {

namespace ev = ::accord::events::v1;
using namespace std::chrono_literals;

constexpr char kTypeUrlPrefix[] = "type.googleapis.com";
constexpr auto kInitialBackoff = 250ms;
constexpr auto kMaxBackoff = 10s;

// Responses as JSON with the payload unpacked when its type is compiled in; an unknown payload
// type keeps its type URL and base64 bytes instead of failing the whole line.
class EventPrinter {
 public:
  EventPrinter()
      : resolver_(google::protobuf::util::NewTypeResolverForDescriptorPool(
            kTypeUrlPrefix, google::protobuf::DescriptorPool::generated_pool())),
        type_url_(std::string(kTypeUrlPrefix) + "/" +
                  ev::SubscribeResponse::descriptor()->full_name()) {}

  std::string Line(const ev::SubscribeResponse& response) const {
    std::string json;
    if (Print(response, &json)) return json;
    ev::SubscribeResponse bare = response;
    bare.mutable_event()->clear_payload();
    if (!Print(bare, &json)) return R"({"error":"cannot print the event as JSON"})";
    auto object = nlohmann::ordered_json::parse(json, nullptr, /*allow_exceptions=*/false);
    if (object.is_discarded()) return json;
    const auto& payload = response.event().payload();
    std::string value;
    absl::Base64Escape(absl::string_view(payload.value().data(), payload.value().size()), &value);
    object["event"]["payload"] = {{"@type", payload.type_url()}, {"value", value}};
    return object.dump();
  }

 private:
  bool Print(const ev::SubscribeResponse& response, std::string* json) const {
    json->clear();
    google::protobuf::util::JsonPrintOptions options;
    options.add_whitespace = false;
    auto status = google::protobuf::util::BinaryToJsonString(
        resolver_.get(), type_url_, response.SerializeAsString(), json, options);
    while (!json->empty() && json->back() == '\n') json->pop_back();
    return status.ok();
  }

  std::unique_ptr<google::protobuf::util::TypeResolver> resolver_;
  std::string type_url_;
};

// Errors that a new attempt from the same position can get past.
bool Retryable(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:  // the server ended the stream (e.g. it is shutting down)
    case grpc::StatusCode::CANCELLED:
    case grpc::StatusCode::UNKNOWN:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
    case grpc::StatusCode::ABORTED:
    case grpc::StatusCode::INTERNAL:
    case grpc::StatusCode::UNAVAILABLE:
      return true;
    default:
      return false;
  }
}

// Ctrl-C (SIGINT) or SIGTERM: the handler only writes to a pipe; a watcher thread cancels the
// call in progress and wakes the backoff sleep. A second Ctrl-C kills at once (SA_RESETHAND).
class Interrupts {
 public:
  Interrupts() {
    if (::pipe(pipe_) != 0) {
      pipe_[0] = pipe_[1] = -1;
      return;
    }
    write_fd_.store(pipe_[1]);
    struct sigaction action {};
    action.sa_handler = &Interrupts::OnSignal;
    action.sa_flags = SA_RESETHAND;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, &old_int_);
    sigaction(SIGTERM, &action, &old_term_);
    watcher_ = std::thread([this] { Watch(); });
  }
  ~Interrupts() {
    if (pipe_[0] < 0) return;
    sigaction(SIGINT, &old_int_, nullptr);
    sigaction(SIGTERM, &old_term_, nullptr);
    {
      std::lock_guard lock(mutex_);
      quitting_ = true;
    }
    char byte = 'q';
    (void)!::write(pipe_[1], &byte, 1);
    watcher_.join();
    write_fd_.store(-1);
    ::close(pipe_[0]);
    ::close(pipe_[1]);
  }

  bool stopped() {
    std::lock_guard lock(mutex_);
    return stopped_;
  }
  // The call to cancel on interrupt (nullptr when none is running).
  void SetCall(grpc::ClientContext* context) {
    std::lock_guard lock(mutex_);
    call_ = context;
    if (call_ != nullptr && stopped_) call_->TryCancel();
  }
  // Sleeps up to `duration`; false if interrupted.
  bool Sleep(std::chrono::milliseconds duration) {
    std::unique_lock lock(mutex_);
    return !changed_.wait_for(lock, duration, [&] { return stopped_; });
  }

 private:
  static void OnSignal(int) {
    char byte = 's';
    int fd = write_fd_.load();
    if (fd >= 0) (void)!::write(fd, &byte, 1);
  }

  void Watch() {
    for (;;) {
      char byte = 0;
      const ssize_t n = ::read(pipe_[0], &byte, 1);
      if (n < 0 && errno == EINTR) continue;
      if (n != 1) return;
      std::lock_guard lock(mutex_);
      if (quitting_) return;
      if (byte != 's') continue;
      stopped_ = true;
      if (call_ != nullptr) call_->TryCancel();
      changed_.notify_all();
    }
  }

  static inline std::atomic<int> write_fd_{-1};
  int pipe_[2] = {-1, -1};
  struct sigaction old_int_ {};
  struct sigaction old_term_ {};
  std::mutex mutex_;
  std::condition_variable changed_;
  grpc::ClientContext* call_ = nullptr;
  bool stopped_ = false;
  bool quitting_ = false;
  std::thread watcher_;
};

int RunTail(const Invocation& inv) {
  const std::string service_key = inv.args.GetOr("service", "account");
  const ServiceInfo* service = FindService(service_key);
  if (service == nullptr) return inv.UsageError("unknown --service '" + service_key + "'");
  std::string cursor = inv.args.GetOr("cursor", "");
  std::optional<google::protobuf::Timestamp> since;
  if (auto text = inv.args.Get("since")) {
    if (!cursor.empty()) return inv.UsageError("give --cursor or --since, not both");
    google::protobuf::Timestamp time;
    if (!google::protobuf::util::TimeUtil::FromString(*text, &time)) {
      return inv.UsageError("bad --since '" + *text + "' (RFC 3339, e.g. 2024-05-01T08:00:00Z)");
    }
    since = time;
  }
  long long limit = 0;
  if (auto text = inv.args.Get("limit")) {
    auto parsed = ParseInt(*text, 1, std::numeric_limits<long long>::max());
    if (!parsed) return inv.UsageError("bad --limit '" + *text + "'");
    limit = *parsed;
  }
  const EventPrinter printer;
  Interrupts interrupts;
  long long printed = 0;
  bool header_printed = false;
  auto backoff = std::chrono::milliseconds(kInitialBackoff);

  while (!interrupts.stopped()) {
    // Minted tokens expire: take a fresh one for every connection.
    auto call = CallOptionsFor(inv, *service);
    if (!call) return kExitUsage;
    // A new channel connects at once; a reused one would first sit out gRPC's own reconnect
    // backoff (up to minutes), on top of ours.
    auto stub = ev::EventService::NewStub(call->NewChannel());
    ev::SubscribeRequest request;
    request.set_type_prefix(inv.args.GetOr("type-prefix", ""));
    request.set_subject_prefix(inv.args.GetOr("subject-prefix", ""));
    if (!cursor.empty()) {
      request.set_cursor(cursor);
    } else if (since) {
      *request.mutable_start_time() = *since;
    }
    grpc::ClientContext context;  // no deadline: the stream stays open
    if (!call->token.empty()) context.AddMetadata("authorization", "Bearer " + call->token);
    context.AddMetadata("x-request-id", common::NewUuidV7());
    interrupts.SetCall(&context);
    auto reader = stub->Subscribe(&context, request);
    ev::SubscribeResponse response;
    bool received = false;
    while (reader->Read(&response)) {
      if (inv.wants_table()) {
        // Rows as they come: no column can be sized ahead, so fields are tab-separated.
        if (!header_printed) inv.out << "TIME\tTYPE\tSUBJECT\tVERSION\n";
        header_printed = true;
        const auto& event = response.event();
        inv.out << google::protobuf::util::TimeUtil::ToString(event.time()) << "\t" << event.type()
                << "\t" << event.subject() << "\t" << event.aggregate_version() << std::endl;
      } else {
        inv.out << printer.Line(response) << std::endl;  // flushed: consumers read it live
      }
      cursor = response.cursor();
      received = true;
      if (limit > 0 && ++printed >= limit) {
        context.TryCancel();
        break;
      }
    }
    grpc::Status status = reader->Finish();
    interrupts.SetCall(nullptr);
    if (interrupts.stopped() || (limit > 0 && printed >= limit)) break;
    if (!Retryable(status.error_code())) return ReportRpcError(status, inv.err);
    if (received) backoff = kInitialBackoff;
    inv.err << "stream ended (" << StatusCodeName(status.error_code());
    if (!status.error_message().empty()) inv.err << ": " << status.error_message();
    inv.err << "); reconnecting in " << backoff.count() << "ms from "
            << (!cursor.empty() ? "the last cursor"
                : since         ? "--since"
                                : "now")
            << "\n";
    if (!interrupts.Sleep(backoff)) break;
    backoff = std::min<std::chrono::milliseconds>(backoff * 2, kMaxBackoff);
  }
  inv.out.flush();
  if (!cursor.empty()) inv.err << "last cursor: " << cursor << "\n";
  return kExitOk;
}

}  // namespace

void RegisterEventCommands(Registry& registry) {
  registry.AddGroup("events", "Published events (accord.events.v1.EventService).");
  std::vector<FlagSpec> flags = {
      {"service", "NAME", "Whose events: account (default), contact, pricing-terms, ..."},
      {"type-prefix", "P", "Only event types starting with P, e.g. accord.account.v1.Account."},
      {"subject-prefix", "S", "Only subjects starting with S, e.g. accounts/0190."},
      {"cursor", "C", "Resume right after the event that carried this cursor."},
      {"since", "RFC3339", "Start at the first event published at or after this time."},
      {"limit", "N", "Exit after N events."},
  };
  for (auto& flag : RpcFlags()) {
    if (flag.name != "timeout") flags.push_back(std::move(flag));  // a stream has no deadline
  }
  registry.Add({
      .path = {"events", "tail"},
      .synopsis = "",
      .summary = "Follow a service's events: one JSON line each, with its cursor.",
      .description =
          "Starts from now unless --cursor or --since is given. Each line is\n"
          "{\"event\": <envelope, payload unpacked>, \"cursor\": ...}. When the stream breaks it\n"
          "reconnects from the last cursor with backoff (progress on stderr) until Ctrl-C;\n"
          "the last cursor is printed on stderr at exit. Needs the role integration or admin.\n"
          "-o table prints a tab-separated row per event instead (time, type, subject, version).",
      .flags = std::move(flags),
      .run = RunTail,
      .formats_table = true,
  });
}

}  // namespace accord::accordctl
