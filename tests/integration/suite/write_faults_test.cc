// The fault pass of issue 18 over the writes of contact, pricing-terms and service-quality: each
// service in-process on a private PostgreSQL and a private Redis, two clients writing with
// retries by request_id while Redis is stopped (SIGSTOP) and killed, PostgreSQL is stopped, and
// the service process ends (as on SIGTERM) and starts again, each during writes. No acknowledged
// write may be lost or made twice, each one's event must reach a subscriber once, and no call may
// answer INTERNAL or another unexpected code.
#include <google/protobuf/descriptor.h>
#include <grpcpp/generic/generic_stub.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "accord/common/ids.h"
#include "accord/events/v1/events.grpc.pb.h"
#include "suite_services.h"
#include "support/servers.h"
#include "support/service_harness.h"

namespace accord {
namespace {

using common::Role;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// The services whose writes (WriteOf) are tried, and the event each write makes.
struct Target {
  std::string service;
  std::string created_event;
};

const std::vector<Target> kTargets = {
    {"contact", "accord.contact.v1.ContactCreated"},
    {"pricing-terms", "accord.pricing.v1.PriceListCreated"},
    {"service-quality", "accord.quality.v1.CalendarCreated"},
};

// Codes a client retries with the same request_id: the server could not do the write now, or
// cannot say whether it did (COMMIT_OUTCOME_UNKNOWN), or a retry of it is still running.
// A call the server cancelled as it shut down is retried too.
bool Retryable(grpc::StatusCode code) {
  return code == grpc::StatusCode::UNAVAILABLE || code == grpc::StatusCode::DEADLINE_EXCEEDED ||
         code == grpc::StatusCode::ABORTED || code == grpc::StatusCode::CANCELLED;
}

class WriteFaultsTest : public ::testing::TestWithParam<Target> {
 protected:
  void SetUp() override {
    write_ = WriteOf(GetParam().service);
    method_ = MethodOf(write_.method);
    ASSERT_NE(method_, nullptr);
    path_ = write_.method;
    database_ = std::make_unique<testing::TestDatabase>(postgres_.url());
    StartService();
  }

  void StartService() {
    auto definition = DefinitionOf(GetParam().service);
    auto settings = testing::TestSettings(definition, database_->url(), redis_.url());
    auto harness = std::make_unique<testing::ServiceHarness>(definition, settings);
    std::lock_guard lock(mutex_);
    harness_ = std::move(harness);
    channel_ = harness_->channel();
  }

  // The service's process ends (SIGTERM: calls in flight finish or fail) and another starts on
  // the same database and Redis, on another port; clients follow it.
  void RestartService() {
    std::unique_ptr<testing::ServiceHarness> old;
    {
      std::lock_guard lock(mutex_);
      old = std::move(harness_);
    }
    old->Stop();
    old.reset();
    StartService();
  }

  std::shared_ptr<grpc::Channel> Channel() {
    std::lock_guard lock(mutex_);
    return channel_;
  }

  // One write, retried with its request_id until it is acknowledged (its resource name) or 60 s
  // pass (""). Codes other than the retryable ones are counted in `unexpected`.
  std::string WriteOnce(std::atomic<int>& unexpected, std::atomic<int>& retries) {
    const std::string request = EncodedWrite(write_, common::NewUuidV7());
    const std::string token = testing::TokenFor("writer", {Role::kAdmin});
    const auto give_up = Clock::now() + 60s;
    while (Clock::now() < give_up) {
      grpc::GenericStub stub(Channel());
      grpc::ClientContext context;
      context.AddMetadata("authorization", "Bearer " + token);
      context.set_deadline(std::chrono::system_clock::now() + 3s);
      grpc::Slice slice(request);
      grpc::ByteBuffer body(&slice, 1);
      grpc::ByteBuffer response;
      std::promise<grpc::Status> done;
      stub.UnaryCall(&context, path_, grpc::StubOptions(), &body, &response,
                     [&](grpc::Status status) { done.set_value(std::move(status)); });
      const grpc::Status status = done.get_future().get();
      if (status.ok()) {
        std::vector<grpc::Slice> slices;
        (void)response.Dump(&slices);
        std::string bytes;
        for (const auto& s : slices) bytes.append(s.begin(), s.end());
        auto created = NewMessage(method_->output_type());
        EXPECT_TRUE(created->ParseFromString(bytes));
        return created->GetReflection()->GetString(*created,
                                                   method_->output_type()->FindFieldByName("name"));
      }
      if (!Retryable(status.error_code())) {
        ++unexpected;
        ADD_FAILURE() << status.error_code() << " " << status.error_message();
        return "";
      }
      ++retries;
      std::this_thread::sleep_for(50ms);
    }
    ADD_FAILURE() << "not acknowledged within 60 s";
    return "";
  }

  // Subscribes from the oldest event and counts the created events per subject until `names` are
  // all seen (and a moment more, for a second copy) or 30 s pass.
  std::map<std::string, int> CreatedEvents(const std::set<std::string>& names) {
    auto stub = events::v1::EventService::NewStub(Channel());
    grpc::ClientContext context;
    context.AddMetadata("authorization",
                        "Bearer " + testing::TokenFor("sync", {Role::kIntegration}));
    context.set_deadline(std::chrono::system_clock::now() + 30s);
    events::v1::SubscribeRequest request;
    request.set_oldest(true);
    request.set_type_prefix(GetParam().created_event);
    auto reader = stub->Subscribe(&context, request);
    std::map<std::string, int> seen;
    std::set<std::string> event_ids;
    events::v1::SubscribeResponse response;
    std::optional<Clock::time_point> all_seen;
    std::thread canceller([&] {
      while (!all_seen || Clock::now() < *all_seen + 500ms) {
        if (context.deadline() < std::chrono::system_clock::now()) return;
        std::this_thread::sleep_for(20ms);
      }
      context.TryCancel();
    });
    while (reader->Read(&response)) {
      EXPECT_TRUE(event_ids.insert(response.event().id()).second)
          << "event " << response.event().id() << " twice";
      ++seen[response.event().subject()];
      bool complete = true;
      for (const auto& name : names) complete = complete && seen.count(name) > 0;
      if (complete && !all_seen) all_seen = Clock::now();
    }
    canceller.join();
    return seen;
  }

  accord::testing::ScopedPostgresServer postgres_;
  accord::testing::ScopedRedisServer redis_;
  std::unique_ptr<testing::TestDatabase> database_;
  std::mutex mutex_;
  std::unique_ptr<testing::ServiceHarness> harness_;  // guarded by mutex_, as is channel_
  std::shared_ptr<grpc::Channel> channel_;
  Write write_;
  const google::protobuf::MethodDescriptor* method_ = nullptr;
  std::string path_;
};

TEST_P(WriteFaultsTest, AcknowledgedWritesAndTheirEventsSurviveRedisAndPostgresFaultsOnce) {
  std::atomic<bool> writing{true};
  std::atomic<int> unexpected{0};
  std::atomic<int> retries{0};
  std::mutex mutex;
  std::vector<std::string> acknowledged;
  std::vector<std::thread> writers;
  for (int w = 0; w < 2; ++w) {
    writers.emplace_back([&] {
      while (writing.load()) {
        const std::string name = WriteOnce(unexpected, retries);
        if (name.empty()) return;
        std::lock_guard lock(mutex);
        acknowledged.push_back(name);
      }
    });
  }
  const auto count = [&] {
    std::lock_guard lock(mutex);
    return acknowledged.size();
  };
  // Each fault starts while writes are running and lasts longer than a statement.
  auto wait_for_writes = [&](size_t more) {
    const size_t target = count() + more;
    const auto deadline = Clock::now() + 20s;
    while (count() < target && Clock::now() < deadline) std::this_thread::sleep_for(10ms);
  };
  wait_for_writes(10);
  redis_.Pause();  // SIGSTOP: writes' cache updates and the relay's XADDs time out
  std::this_thread::sleep_for(1500ms);
  redis_.Resume();
  wait_for_writes(10);
  redis_.Kill();  // Redis loses its data: the stream is filled again from the outbox
  std::this_thread::sleep_for(500ms);
  redis_.Start();
  wait_for_writes(10);
  postgres_.Stop();  // writes in flight fail; the relay's session ends
  std::this_thread::sleep_for(500ms);
  postgres_.Start();
  wait_for_writes(10);
  RestartService();  // SIGTERM under load
  wait_for_writes(10);
  writing.store(false);
  for (auto& writer : writers) writer.join();

  EXPECT_EQ(unexpected.load(), 0);
  const std::set<std::string> names(acknowledged.begin(), acknowledged.end());
  EXPECT_EQ(names.size(), acknowledged.size()) << "a retried write made a second resource";
  EXPECT_GE(names.size(), 40u);
  const auto events = CreatedEvents(names);
  for (const auto& name : names) {
    auto it = events.find(name);
    EXPECT_TRUE(it != events.end() && it->second == 1)
        << name << ": " << (it == events.end() ? 0 : it->second) << " created events";
  }
  EXPECT_EQ(events.size(), names.size()) << "an event for a write nobody acknowledged";
  RecordProperty("acknowledged", static_cast<int>(names.size()));
  RecordProperty("retries", retries.load());
  std::cout << GetParam().service << ": " << names.size() << " acknowledged writes, "
            << retries.load() << " retried calls, " << events.size() << " created events"
            << std::endl;
}

INSTANTIATE_TEST_SUITE_P(Suite, WriteFaultsTest, ::testing::ValuesIn(kTargets),
                         [](const ::testing::TestParamInfo<Target>& info) {
                           std::string name;
                           for (char c : info.param.service) name += std::isalnum(c) ? c : '_';
                           return name;
                         });

}  // namespace
}  // namespace accord
