// The attacker pass of issue 18 over every service of the suite, each in-process on its own fresh
// database with real PostgreSQL and Redis. The methods come from the running server (gRPC
// reflection) and their descriptors, so a service or method added later is walked too: a token
// with no known role, garbled bodies, invalid UTF-8, control characters and oversized fields on
// every method; an oversized header beside ordinary calls; queued calls behind stuck workers; a
// caller's expensive calls.
#include <gmock/gmock.h>
#include <google/protobuf/descriptor.h>
#include <google/protobuf/duration.pb.h>
#include <google/protobuf/dynamic_message.h>
#include <google/protobuf/unknown_field_set.h>
#include <google/protobuf/util/json_util.h>
#include <grpcpp/generic/generic_stub.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <iostream>
#include <memory>
#include <pqxx/pqxx>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "accord/common/ids.h"
#include "accord/common/metrics.h"
#include "accord/common/v1/limits.pb.h"
#include "google/rpc/status.pb.h"
#include "suite_services.h"
#include "support/servers.h"
#include "support/service_harness.h"

namespace accord {
namespace {

using common::Role;
using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::MethodDescriptor;
using testing::ReasonOf;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// ---- raw calls ----------------------------------------------------------------------------

// Sends `bytes` as the one request message of `method` ("/pkg.Service/Method"), whatever its
// streaming kind, and returns the status (a response message, if any, is dropped).
grpc::Status RawCall(const std::shared_ptr<grpc::Channel>& channel, const std::string& method,
                     const std::string& bytes, const std::string& authorization,
                     std::string* response_bytes = nullptr,
                     std::chrono::milliseconds deadline = 10s) {
  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  if (!authorization.empty()) context.AddMetadata("authorization", authorization);
  context.set_deadline(std::chrono::system_clock::now() + deadline);
  grpc::Slice slice(bytes);
  grpc::ByteBuffer request(&slice, 1);
  grpc::ByteBuffer response;
  std::promise<grpc::Status> done;
  stub.UnaryCall(&context, method, grpc::StubOptions(), &request, &response,
                 [&](grpc::Status status) { done.set_value(std::move(status)); });
  auto status = done.get_future().get();
  if (response_bytes != nullptr && status.ok()) {
    std::vector<grpc::Slice> slices;
    (void)response.Dump(&slices);
    response_bytes->clear();
    for (const auto& s : slices) response_bytes->append(s.begin(), s.end());
  }
  return status;
}

std::string Bearer(const std::string& subject, std::vector<Role> roles) {
  return "Bearer " + testing::TokenFor(subject, std::move(roles));
}

// The services a server registered, from grpc.reflection.v1alpha (list_services), decoded without
// the reflection protos: ServerReflectionResponse.list_services_response(6).service(1).name(1).
std::vector<std::string> ServedServices(const std::shared_ptr<grpc::Channel>& channel) {
  std::string reply;
  auto status = RawCall(channel, "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
                        std::string("\x3a\x00", 2), "", &reply);
  EXPECT_TRUE(status.ok()) << status.error_message();
  std::vector<std::string> names;
  google::protobuf::UnknownFieldSet response;
  if (!response.ParseFromString(reply)) return names;
  for (int i = 0; i < response.field_count(); ++i) {
    if (response.field(i).number() != 6) continue;
    google::protobuf::UnknownFieldSet list;
    list.ParseFromString(response.field(i).length_delimited());
    for (int j = 0; j < list.field_count(); ++j) {
      google::protobuf::UnknownFieldSet service;
      service.ParseFromString(list.field(j).length_delimited());
      for (int k = 0; k < service.field_count(); ++k) {
        if (service.field(k).number() == 1) names.push_back(service.field(k).length_delimited());
      }
    }
  }
  return names;
}

// Every Accord method the server serves.
std::vector<const MethodDescriptor*> ServedMethods(const std::shared_ptr<grpc::Channel>& channel) {
  std::vector<const MethodDescriptor*> methods;
  for (const auto& name : ServedServices(channel)) {
    if (name.rfind("accord.", 0) != 0) continue;
    const auto* service =
        google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(name);
    EXPECT_NE(service, nullptr) << name;
    if (service == nullptr) continue;
    for (int i = 0; i < service->method_count(); ++i) methods.push_back(service->method(i));
  }
  return methods;
}

std::string Path(const MethodDescriptor& method) {
  return "/" + method.service()->full_name() + "/" + method.name();
}
std::string MetricName(const MethodDescriptor& method) {
  return method.service()->full_name() + "/" + method.name();
}

double RefusedCount(const MethodDescriptor& method, const std::string& reason) {
  return common::MetricsRegistry::Global()
      .GetCounter("accord_rpc_refused_requests_total", "",
                  {{"method", MetricName(method)}, {"reason", reason}})
      .value();
}

// ---- hand-made request bytes ---------------------------------------------------------------

std::string Varint(uint64_t value) {
  std::string out;
  while (value >= 0x80) {
    out += static_cast<char>((value & 0x7f) | 0x80);
    value >>= 7;
  }
  out += static_cast<char>(value);
  return out;
}
std::string LengthDelimited(int number, const std::string& bytes) {
  return Varint((static_cast<uint64_t>(number) << 3) | 2) + Varint(bytes.size()) + bytes;
}

// A string field reachable from `type` through singular or repeated Accord messages (no maps, no
// foreign types), top-level fields first: the path of fields to it.
bool FindStringField(const Descriptor& type, std::vector<const FieldDescriptor*>& path,
                     int depth = 0) {
  for (int i = 0; i < type.field_count(); ++i) {
    const FieldDescriptor* field = type.field(i);
    if (field->type() == FieldDescriptor::TYPE_STRING && !field->is_map()) {
      path.push_back(field);
      return true;
    }
  }
  if (depth >= 3) return false;
  for (int i = 0; i < type.field_count(); ++i) {
    const FieldDescriptor* field = type.field(i);
    if (field->type() != FieldDescriptor::TYPE_MESSAGE || field->is_map()) continue;
    if (field->message_type()->full_name().rfind("accord.", 0) != 0) continue;
    path.push_back(field);
    if (FindStringField(*field->message_type(), path, depth + 1)) return true;
    path.pop_back();
  }
  return false;
}

// A request whose field at `path` holds `value` (and nothing else).
std::string RequestWith(const std::vector<const FieldDescriptor*>& path, const std::string& value) {
  std::string bytes = value;
  for (auto it = path.rbegin(); it != path.rend(); ++it) {
    bytes = LengthDelimited((*it)->number(), bytes);
  }
  return bytes;
}

std::string Describe(const std::vector<const FieldDescriptor*>& path) {
  std::string out;
  for (const auto* field : path) out += (out.empty() ? "" : ".") + field->name();
  return out;
}

// ---- the fixture -------------------------------------------------------------------------

class AttackerPassTest : public ::testing::TestWithParam<std::string> {
 protected:
  std::unique_ptr<testing::ServiceHarness> Start(
      const std::function<void(common::ServiceSettings&)>& adjust = nullptr) {
    auto definition = DefinitionOf(GetParam());
    auto settings = testing::TestSettings(definition, database_.url(), testing::SharedRedisUrl());
    if (adjust) adjust(settings);
    return std::make_unique<testing::ServiceHarness>(definition, settings);
  }

  // A caller the method admits (webhooks admits only integration and admin).
  static std::string Admitted() { return Bearer("admin-1", {Role::kAdmin}); }

  // The methods of a List that answers an empty request with OK for an admin: a query that
  // reaches the database with nothing to refuse.
  const MethodDescriptor* PlainList(const std::shared_ptr<grpc::Channel>& channel,
                                    const std::vector<const MethodDescriptor*>& methods) {
    for (const auto* method : methods) {
      if (method->name().rfind("List", 0) != 0 || method->server_streaming() ||
          method->client_streaming()) {
        continue;
      }
      if (RawCall(channel, Path(*method), "", Admitted()).ok()) return method;
    }
    return nullptr;
  }

  // Stops every statement on the service's tables until `lock` ends.
  void LockTables(pqxx::work& lock) {
    const std::string schema = DefinitionOf(GetParam()).schema;
    for (const auto& row :
         lock.exec_params("SELECT tablename FROM pg_tables WHERE schemaname = $1", schema)) {
      lock.exec("LOCK TABLE " + lock.quote_name(schema) + "." +
                lock.quote_name(row[0].as<std::string>()) + " IN ACCESS EXCLUSIVE MODE");
    }
  }

  testing::TestDatabase database_;
};

// Classes 7, 8, 6 and 3: every method, one request each.
TEST_P(AttackerPassTest, EveryMethodRefusesRolelessGarbledControlAndOversizedRequests) {
  auto harness = Start();
  const auto methods = ServedMethods(harness->channel());
  ASSERT_GE(methods.size(), 3u) << "the server lists its methods";
  const std::string roleless = Bearer("nobody", {});
  int with_text = 0;
  for (const auto* method : methods) {
    SCOPED_TRACE(MetricName(*method));
    // 7: a valid token with no known role.
    auto status = RawCall(harness->channel(), Path(*method), "", roleless);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << status.error_message();
    EXPECT_EQ(ReasonOf(status), "NO_KNOWN_ROLE");

    // 8: not protobuf (a truncated length-delimited field), counted. gRPC parses a client
    // stream's messages into the reactor and reports one it cannot parse as the stream's end, so
    // there the call ends INVALID_ARGUMENT without the guard's reason (docs/hardening.md).
    const bool client_stream = method->client_streaming();
    double before = RefusedCount(*method, "MALFORMED_REQUEST");
    status = RawCall(harness->channel(), Path(*method), "\x0a\xff\xff\x01garbage", Admitted());
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
    if (!client_stream) {
      EXPECT_EQ(ReasonOf(status), "MALFORMED_REQUEST");
      EXPECT_EQ(RefusedCount(*method, "MALFORMED_REQUEST"), before + 1);
    }

    std::vector<const FieldDescriptor*> path;
    if (!FindStringField(*method->input_type(), path)) continue;
    ++with_text;
    SCOPED_TRACE(Describe(path));
    // 8: invalid UTF-8 in a string field.
    before = RefusedCount(*method, "MALFORMED_REQUEST");
    status = RawCall(harness->channel(), Path(*method), RequestWith(path, "Caf\xc3"), Admitted());
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
    if (!client_stream) {
      EXPECT_EQ(ReasonOf(status), "MALFORMED_REQUEST");
      EXPECT_EQ(RefusedCount(*method, "MALFORMED_REQUEST"), before + 1);
    }
    // 6: a NUL, which PostgreSQL would cut the text at.
    before = RefusedCount(*method, "CONTROL_CHARACTER");
    status = RawCall(harness->channel(), Path(*method), RequestWith(path, std::string("X\0y", 3)),
                     Admitted());
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
    EXPECT_EQ(ReasonOf(status), "CONTROL_CHARACTER");
    EXPECT_EQ(RefusedCount(*method, "CONTROL_CHARACTER"), before + 1);
    // 3: one character past the field's declared limit.
    const auto& limits = path.back()->options().GetExtension(common::v1::limits);
    ASSERT_GT(limits.max_length(), 0) << "every string field declares its limit";
    status = RawCall(harness->channel(), Path(*method),
                     RequestWith(path, std::string(limits.max_length() + 1, 'a')), Admitted());
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
    EXPECT_EQ(ReasonOf(status), "FIELD_LIMIT_EXCEEDED");
  }
  EXPECT_GT(with_text, 0);
  std::cout << GetParam() << ": " << methods.size() << " methods, " << with_text
            << " with a text field" << std::endl;
  // Still serving normally.
  EXPECT_EQ(RawCall(harness->channel(), Path(*methods.front()), "", roleless).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

// Class 10: 12 KiB and 48 KiB authorization headers fail their own calls only; the calls beside
// them on the same connection are answered as usual.
TEST_P(AttackerPassTest, AnOversizedHeaderFailsOnlyItsOwnCall) {
  auto harness = Start();
  const auto methods = ServedMethods(harness->channel());
  ASSERT_FALSE(methods.empty());
  const std::string path = Path(*methods.front());
  const std::string roleless = Bearer("nobody", {});
  const std::vector<size_t> sizes = {12 * 1024, 48 * 1024, 12 * 1024, 48 * 1024};
  std::atomic<int> unexpected{0};
  std::vector<grpc::Status> huge(sizes.size());
  std::vector<std::thread> threads;
  for (size_t t = 0; t < sizes.size(); ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 8; ++i) {
        // An ordinary call, answered by the service (not by a broken connection).
        auto status = RawCall(harness->channel(), path, "", roleless);
        if (status.error_code() != grpc::StatusCode::PERMISSION_DENIED) ++unexpected;
        if (i == 3) {
          huge[t] = RawCall(harness->channel(), path, "", "Bearer " + std::string(sizes[t], 'a'));
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(unexpected.load(), 0);
  for (const auto& status : huge) {
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED) << status.error_message();
    EXPECT_EQ(ReasonOf(status), "TOKEN_TOO_LARGE");
  }
}

// Whether the status details carry a google.rpc.RetryInfo with a positive delay.
bool HasRetryInfo(const grpc::Status& status) {
  google::rpc::Status details;
  if (!details.ParseFromString(status.error_details())) return false;
  for (const auto& any : details.details()) {
    if (any.type_url() != "type.googleapis.com/google.rpc.RetryInfo") continue;
    google::protobuf::UnknownFieldSet info;  // RetryInfo { Duration retry_delay = 1; }
    if (!info.ParseFromString(any.value()) || info.field_count() == 0) return false;
    google::protobuf::Duration delay;
    return delay.ParseFromString(info.field(0).length_delimited()) &&
           (delay.seconds() > 0 || delay.nanos() > 0);
  }
  return false;
}

// Class 11: with the only worker stuck behind a lock, queued calls end UNAVAILABLE with a retry
// hint within the configured wait instead of queueing without bound.
TEST_P(AttackerPassTest, CallsQueuedBehindStuckWorkersAreBounded) {
  auto harness = Start([](common::ServiceSettings& settings) {
    settings.pg.pool_size = 1;
    settings.worker_threads = 1;
    settings.point_read_workers = 0;
    settings.pg.acquire_timeout = 600ms;
  });
  const auto methods = ServedMethods(harness->channel());
  const MethodDescriptor* list = PlainList(harness->channel(), methods);
  if (list == nullptr) {
    // Only a service without any List (the notes example) has nothing to queue this way.
    for (const auto* method : methods) EXPECT_NE(method->name().rfind("List", 0), 0u);
    return;
  }
  SCOPED_TRACE(MetricName(*list));

  pqxx::connection blocker(database_.url());
  pqxx::work lock(blocker);
  LockTables(lock);
  auto stuck = std::async(std::launch::async,
                          [&] { return RawCall(harness->channel(), Path(*list), "", Admitted()); });
  std::this_thread::sleep_for(300ms);
  std::vector<std::future<std::pair<grpc::Status, Clock::duration>>> queued;
  for (int i = 0; i < 3; ++i) {
    queued.push_back(std::async(std::launch::async, [&] {
      const auto start = Clock::now();
      auto status = RawCall(harness->channel(), Path(*list), "", Admitted());
      return std::make_pair(status, Clock::now() - start);
    }));
  }
  for (auto& call : queued) {
    auto [status, elapsed] = call.get();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
    EXPECT_EQ(ReasonOf(status), "WORKERS_BUSY");
    EXPECT_TRUE(HasRetryInfo(status));
    EXPECT_LT(elapsed, 1500ms);
  }
  lock.abort();
  auto stuck_status = stuck.get();
  EXPECT_TRUE(stuck_status.ok()) << stuck_status.error_message();
}

// Class 5: a caller's expensive calls (a List with a filter) beyond its bound are refused at once
// with a retry delay while the first one runs, and another caller is not affected.
TEST_P(AttackerPassTest, ACallersExpensiveCallsAreBounded) {
  auto harness = Start([](common::ServiceSettings& settings) {
    settings.max_expensive_calls_per_caller = 1;
    settings.max_expensive_calls = 4;
  });
  const auto methods = ServedMethods(harness->channel());
  // A List whose filter field accepts one of these filters for an admin.
  const std::vector<std::string> filters = {"zzzz",        "display_name:zzzz", "owner:zzzz",
                                            "title:zzzz",  "state = ACTIVE",    "state:ACTIVE",
                                            "subject:zzzz"};
  const MethodDescriptor* list = nullptr;
  std::string request;
  for (const auto* method : methods) {
    if (method->name().rfind("List", 0) != 0 || method->server_streaming()) continue;
    const FieldDescriptor* filter = method->input_type()->FindFieldByName("filter");
    if (filter == nullptr) continue;
    for (const auto& text : filters) {
      const std::string candidate = LengthDelimited(filter->number(), text);
      if (RawCall(harness->channel(), Path(*method), candidate, Admitted()).ok()) {
        list = method;
        request = candidate;
        break;
      }
    }
    if (list != nullptr) break;
  }
  if (list == nullptr) {
    // Only a service without any filtered List or Export (the notes example) has no expensive
    // calls.
    for (const auto* method : methods) {
      EXPECT_EQ(method->input_type()->FindFieldByName("filter"), nullptr) << method->full_name();
      EXPECT_NE(method->name().rfind("Export", 0), 0u) << method->full_name();
    }
    return;
  }
  SCOPED_TRACE(MetricName(*list));

  pqxx::connection blocker(database_.url());
  pqxx::work lock(blocker);
  LockTables(lock);
  auto first = std::async(std::launch::async, [&] {
    return RawCall(harness->channel(), Path(*list), request, Admitted());
  });
  std::this_thread::sleep_for(300ms);
  const auto start = Clock::now();
  auto second = RawCall(harness->channel(), Path(*list), request, Admitted());
  EXPECT_LT(Clock::now() - start, 300ms) << "refused at once, not queued";
  EXPECT_EQ(second.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << second.error_message();
  EXPECT_EQ(ReasonOf(second), "TOO_MANY_EXPENSIVE_CALLS");
  EXPECT_TRUE(HasRetryInfo(second));
  // Another caller's expensive call is admitted (it waits for the lock like the first).
  auto other = std::async(std::launch::async, [&] {
    return RawCall(harness->channel(), Path(*list), request, Bearer("admin-2", {Role::kAdmin}));
  });
  std::this_thread::sleep_for(200ms);
  lock.abort();
  EXPECT_TRUE(first.get().ok());
  auto other_status = other.get();
  EXPECT_TRUE(other_status.ok()) << other_status.error_message();
}

// Class 2: a request_id belongs to the caller who used it first. Another caller resending it with
// the same body gets INVALID_ARGUMENT on request_id, not the first caller's result; the owner's
// retry gets its result again.
TEST_P(AttackerPassTest, AReplayedRequestIdOfAnotherCallerIsRefused) {
  auto harness = Start();
  const Write write = WriteOf(GetParam());
  const std::string request = EncodedWrite(write, common::NewUuidV7());
  std::string first;
  auto status = RawCall(harness->channel(), write.method, request, Admitted(), &first);
  ASSERT_TRUE(status.ok()) << status.error_message();
  std::string again;
  status = RawCall(harness->channel(), write.method, request, Admitted(), &again);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(again, first) << "the owner's retry answers the first result";
  std::string replayed;
  status = RawCall(harness->channel(), write.method, request, Bearer("admin-2", {Role::kAdmin}),
                   &replayed);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
  EXPECT_THAT(testing::ViolatedFields(status), ::testing::ElementsAre("request_id"));
  EXPECT_TRUE(replayed.empty());
}

// Class 4: a List page whose rows would pass the message limit ends early with a
// next_page_token, under a small ACCORD_MAX_MESSAGE_BYTES (64 KiB: a budget of 56 KiB), and the
// pages together hold every row once.
TEST_P(AttackerPassTest, ListPagesEndOnTheByteBudget) {
  constexpr int kMaxMessageBytes = 64 * 1024;
  auto harness = Start(
      [](common::ServiceSettings& settings) { settings.max_message_bytes = kMaxMessageBytes; });
  const Write write = WriteOf(GetParam());
  if (write.list.empty()) {
    for (const auto* method : ServedMethods(harness->channel())) {
      EXPECT_NE(method->name().rfind("List", 0), 0u) << "a List the test does not know";
    }
    return;
  }
  std::set<std::string> written;
  size_t written_bytes = 0;
  while (written_bytes < 2 * kMaxMessageBytes) {
    std::string created;
    auto status = RawCall(harness->channel(), write.method,
                          EncodedWrite(write, common::NewUuidV7()), Admitted(), &created);
    ASSERT_TRUE(status.ok()) << status.error_message();
    auto message = NewMessage(MethodOf(write.method)->output_type());
    ASSERT_TRUE(message->ParseFromString(created));
    written.insert(message->GetReflection()->GetString(
        *message, message->GetDescriptor()->FindFieldByName("name")));
    written_bytes += created.size();
  }
  const auto* list = MethodOf(write.list);
  ASSERT_NE(list, nullptr);
  std::multiset<std::string> listed;
  std::string token;
  int pages = 0;
  do {
    auto request = NewMessage(list->input_type());
    const auto* reflection = request->GetReflection();
    reflection->SetInt32(request.get(), list->input_type()->FindFieldByName("page_size"), 1000);
    reflection->SetString(request.get(), list->input_type()->FindFieldByName("page_token"), token);
    std::string bytes;
    auto status =
        RawCall(harness->channel(), write.list, request->SerializeAsString(), Admitted(), &bytes);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_LE(bytes.size(), static_cast<size_t>(kMaxMessageBytes));
    auto page = NewMessage(list->output_type());
    ASSERT_TRUE(page->ParseFromString(bytes));
    const auto* rows = list->output_type()->FindFieldByName(write.listed);
    ASSERT_NE(rows, nullptr) << write.listed;
    const int count = page->GetReflection()->FieldSize(*page, rows);
    EXPECT_GT(count, 0);
    for (int i = 0; i < count; ++i) {
      const auto& row = page->GetReflection()->GetRepeatedMessage(*page, rows, i);
      listed.insert(
          row.GetReflection()->GetString(row, row.GetDescriptor()->FindFieldByName("name")));
    }
    token = page->GetReflection()->GetString(
        *page, list->output_type()->FindFieldByName("next_page_token"));
    ++pages;
  } while (!token.empty() && pages < 50);
  EXPECT_GE(pages, 2) << "the rows add up to twice the limit, so the first page ended early";
  EXPECT_EQ(listed, std::multiset<std::string>(written.begin(), written.end()));
}

INSTANTIATE_TEST_SUITE_P(Suite, AttackerPassTest, ::testing::ValuesIn(kServices),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string name;
                           for (char c : info.param) name += std::isalnum(c) ? c : '_';
                           return name;
                         });

}  // namespace
}  // namespace accord
