// StreamTail and EventService against real Postgres and Redis, with events written by
// OutboxWriter and published by OutboxRelay. Redis is private to each test (it gets killed).
#include "accord/common/event_stream.h"

#include <google/protobuf/util/time_util.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "accord/account/v1/account.pb.h"
#include "accord/common/metrics.h"
#include "accord/common/migrations.h"
#include "accord/common/outbox.h"
#include "accord/common/relay.h"
#include "support/servers.h"
#include "support/service_harness.h"

namespace accord::common {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using google::protobuf::util::TimeUtil;
namespace ev = ::accord::events::v1;

constexpr char kSchema[] = "evtest";
constexpr char kCreated[] = "accord.account.v1.AccountCreated";
constexpr char kUpdated[] = "accord.account.v1.AccountUpdated";

// "prefix" + number, appended (GCC 12 warns falsely on `"literal" + std::to_string(n)`).
std::string Numbered(std::string prefix, long long number) {
  prefix += std::to_string(number);
  return prefix;
}

// Polls `condition` until it holds or `timeout` passes.
template <typename Fn>
bool Eventually(Fn condition, std::chrono::milliseconds timeout = 15s) {
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return condition();
}

// Collects what a StreamTail listener sees.
struct Collected {
  void Add(const PublishedEvent& event) {
    std::lock_guard lock(mutex);
    events.push_back(event);
  }
  size_t size() {
    std::lock_guard lock(mutex);
    return events.size();
  }
  std::vector<PublishedEvent> snapshot() {
    std::lock_guard lock(mutex);
    return events;
  }
  std::mutex mutex;
  std::vector<PublishedEvent> events;
};

// A streaming call read on its own thread.
class Subscriber {
 public:
  Subscriber(ev::EventService::Stub& stub, const std::string& token,
             const ev::SubscribeRequest& request) {
    context_.AddMetadata("authorization", "Bearer " + token);
    context_.set_deadline(std::chrono::system_clock::now() + 60s);
    reader_ = stub.Subscribe(&context_, request);
    thread_ = std::thread([this] {
      ev::SubscribeResponse response;
      while (reader_->Read(&response)) {
        std::lock_guard lock(mutex_);
        responses_.push_back(response);
        changed_.notify_all();
      }
      grpc::Status status = reader_->Finish();
      std::lock_guard lock(mutex_);
      status_ = status;
      done_ = true;
      changed_.notify_all();
    });
  }
  ~Subscriber() {
    context_.TryCancel();
    thread_.join();
  }

  bool WaitFor(size_t count, std::chrono::milliseconds timeout = 15s) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return responses_.size() >= count || done_; }) &&
           responses_.size() >= count;
  }
  bool WaitDone(std::chrono::milliseconds timeout = 15s) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return done_; });
  }
  void Cancel() { context_.TryCancel(); }
  std::vector<ev::SubscribeResponse> responses() {
    std::lock_guard lock(mutex_);
    return responses_;
  }
  grpc::Status status() {
    std::lock_guard lock(mutex_);
    return status_;
  }

 private:
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReader<ev::SubscribeResponse>> reader_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<ev::SubscribeResponse> responses_;
  grpc::Status status_;
  bool done_ = false;
  std::thread thread_;
};

std::vector<std::string> IdsOf(const std::vector<ev::SubscribeResponse>& responses) {
  std::vector<std::string> ids;
  for (const auto& response : responses) ids.push_back(response.event().id());
  return ids;
}

std::vector<std::string> IdsOf(const std::vector<PublishedEvent>& events) {
  std::vector<std::string> ids;
  for (const auto& event : events) ids.push_back(event.envelope.id());
  return ids;
}

class EventStreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto applied = ApplyMigrations(db_.url(), kSchema, {});
    ASSERT_TRUE(applied.ok()) << applied.status();
    auto relay_redis = ParseRedisUrl(redis_server_.url());
    ASSERT_TRUE(relay_redis.ok());
    // The relay has its own client, as it would in another replica.
    relay_redis_ = std::make_unique<RedisClient>(*relay_redis);
    relay_ = std::make_unique<OutboxRelay>(RelayOptionsForTest(), *relay_redis_);
    relay_->Start();
  }

  void TearDown() override {
    if (server_) server_->Shutdown(std::chrono::system_clock::now() + 2s);
    server_.reset();
    service_.reset();
    if (tail_) tail_->Stop();
    tail_.reset();
    if (relay_) relay_->Stop();
    runtime_.reset();
  }

  RelayOptions RelayOptionsForTest() const {
    RelayOptions relay;
    relay.pg_url = db_.url();
    relay.schema = kSchema;
    relay.stream = EventStreamName(kSchema);
    relay.poll_interval = 100ms;
    return relay;
  }

  // Starts `tail` handing every event to `collected`; false if it never follows the stream.
  static bool FollowInto(StreamTail& tail, Collected& collected) {
    tail.AddListener([&](const PublishedEvent& event) { collected.Add(event); });
    tail.Start();
    return Eventually([&] { return tail.healthy(); });
  }

  StreamTail::Options TailOptions() const {
    return {db_.url(), kSchema, EventStreamName(kSchema), 200ms};
  }

  // Runtime + tail + EventService on an in-process gRPC server.
  void StartService(EventServiceOptions options = {},
                    const std::function<void(ServiceSettings&)>& adjust = nullptr) {
    ServiceDefinition definition;
    definition.name = kSchema;
    definition.schema = kSchema;
    auto settings = accord::testing::TestSettings(definition, db_.url(), redis_server_.url());
    if (adjust) adjust(settings);
    auto runtime = Runtime::Create(settings, {});
    ASSERT_TRUE(runtime.ok()) << runtime.status();
    runtime_ = std::move(*runtime);
    tail_ = std::make_unique<StreamTail>(TailOptions(), runtime_->redis());
    tail_->Start();
    service_ = std::make_unique<EventServiceImpl>(*runtime_, *tail_, kSchema, options);
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(service_.get());
    server_ = builder.BuildAndStart();
    ASSERT_TRUE(server_ != nullptr);
    ASSERT_GT(port, 0);
    stub_ = ev::EventService::NewStub(
        grpc::CreateChannel(Numbered("127.0.0.1:", port), grpc::InsecureChannelCredentials()));
  }

  // Appends `count` events, one transaction each; returns their ids in commit order.
  std::vector<std::string> Write(int count, const std::string& type = kUpdated,
                                 const std::string& subject = "accounts/a1") {
    OutboxWriter writer(kSchema, "account");
    pqxx::connection connection(db_.url());
    std::vector<std::string> ids;
    for (int i = 0; i < count; ++i) {
      account::v1::Account account;
      account.set_name(subject);
      account.set_display_name(Numbered("Acme ", ++version_));
      EventSpec spec;
      spec.type = type;
      spec.subject = subject;
      spec.aggregate_version = version_;
      spec.actor = "tester";
      spec.payload = &account;
      spec.changed_fields = {"display_name"};
      WriteTransaction transaction(connection);
      ids.push_back(writer.Append(transaction, spec).id());
      transaction.commit();
    }
    return ids;
  }

  int64_t Unpublished() {
    pqxx::connection connection(db_.url());
    pqxx::nontransaction query(connection);
    return query
        .exec1(std::string("SELECT count(*) FROM ") + kSchema +
               ".outbox WHERE published_at IS NULL")[0]
        .as<int64_t>();
  }

  bool AllPublished() {
    return Eventually([&] { return Unpublished() == 0; });
  }

  static std::string Token(Role role) { return accord::testing::TokenFor("subscriber", {role}); }

  ev::SubscribeRequest Since(google::protobuf::Timestamp time) {
    ev::SubscribeRequest request;
    *request.mutable_start_time() = time;
    return request;
  }

  accord::testing::TestDatabase db_;
  accord::testing::ScopedRedisServer redis_server_;
  std::unique_ptr<RedisClient> relay_redis_;
  std::unique_ptr<OutboxRelay> relay_;
  std::unique_ptr<Runtime> runtime_;
  std::unique_ptr<StreamTail> tail_;
  std::unique_ptr<EventServiceImpl> service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<ev::EventService::Stub> stub_;
  int64_t version_ = 0;
};

void ExpectIncreasingSeqs(const std::vector<PublishedEvent>& events) {
  for (size_t i = 1; i < events.size(); ++i) {
    EXPECT_LT(events[i - 1].publish_seq, events[i].publish_seq) << "at " << i;
  }
}

TEST_F(EventStreamTest, TailDeliversEveryEventOnceInOrder) {
  RedisClient redis(*ParseRedisUrl(redis_server_.url()));
  StreamTail tail(TailOptions(), redis);
  Collected collected;
  tail.AddListener([&](const PublishedEvent& event) { collected.Add(event); });
  tail.Start();
  ASSERT_TRUE(tail.positioned());
  ASSERT_TRUE(Eventually([&] { return tail.healthy(); }));

  // Concurrent writers: commits interleave, so seq order is not commit order.
  std::vector<std::string> written;
  std::mutex written_mutex;
  std::vector<std::thread> writers;
  for (int w = 0; w < 4; ++w) {
    writers.emplace_back([&, w] {
      OutboxWriter writer(kSchema, "account");
      pqxx::connection connection(db_.url());
      for (int i = 0; i < 25; ++i) {
        account::v1::Account account;
        account.set_name(Numbered("accounts/w", w));
        EventSpec spec{kUpdated, account.name(), i + 1, "tester", "", &account, {}};
        WriteTransaction transaction(connection);
        std::string id = writer.Append(transaction, spec).id();
        transaction.commit();
        std::lock_guard lock(written_mutex);
        written.push_back(id);
      }
    });
  }
  for (auto& writer : writers) writer.join();
  ASSERT_TRUE(Eventually([&] { return collected.size() >= written.size(); }));
  std::this_thread::sleep_for(300ms);  // anything extra would arrive now

  auto events = collected.snapshot();
  ASSERT_EQ(events.size(), written.size());
  ExpectIncreasingSeqs(events);
  auto ids = IdsOf(events);
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()),
            std::set<std::string>(written.begin(), written.end()));
  EXPECT_EQ(tail.last_seq(), events.back().publish_seq);
  // Per resource, events arrive in aggregate_version order.
  std::map<std::string, int64_t> versions;
  for (const auto& event : events) {
    EXPECT_GT(event.envelope.aggregate_version(), versions[event.envelope.subject()]);
    versions[event.envelope.subject()] = event.envelope.aggregate_version();
  }
  tail.Stop();
}

TEST_F(EventStreamTest, TailStartsFromNowAndStopsListening) {
  Write(3);
  ASSERT_TRUE(AllPublished());
  RedisClient redis(*ParseRedisUrl(redis_server_.url()));
  StreamTail tail(TailOptions(), redis);
  Collected first;
  Collected second;
  const int first_id = tail.AddListener([&](const PublishedEvent& event) { first.Add(event); });
  tail.AddListener([&](const PublishedEvent& event) { second.Add(event); });
  tail.Start();
  EXPECT_EQ(tail.last_seq(), 3);  // positioned at the newest published event
  auto ids = Write(2);
  ASSERT_TRUE(Eventually([&] { return second.size() == 2; }));
  EXPECT_EQ(IdsOf(second.snapshot()), ids);
  tail.RemoveListener(first_id);
  Write(2);
  ASSERT_TRUE(Eventually([&] { return second.size() == 4; }));
  EXPECT_EQ(first.size(), 2u);

  const auto stop_started = Clock::now();
  tail.Stop();
  EXPECT_LT(Clock::now() - stop_started, 1500ms);
  EXPECT_FALSE(tail.healthy());
}

// An event that exists only in the test (not in the outbox, not on the stream).
PublishedEvent Fabricated(int64_t publish_seq) {
  PublishedEvent event;
  event.publish_seq = publish_seq;
  event.envelope.set_id(Numbered("offered-", publish_seq));
  return event;
}

TEST_F(EventStreamTest, OfferHandsOutOnlyWhatDirectlyFollowsAndNothingTwice) {
  Write(3);
  ASSERT_TRUE(AllPublished());
  RedisClient redis(*ParseRedisUrl(redis_server_.url()));
  StreamTail tail(TailOptions(), redis);
  Collected collected;
  tail.AddListener([&](const PublishedEvent& event) { collected.Add(event); });
  tail.Start();
  ASSERT_EQ(tail.last_seq(), 3);

  // A gap (4 unknown): left to the stream, which does not have 5, so nothing arrives.
  tail.Offer({Fabricated(5)});
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(collected.size(), 0u);
  // Directly following: handed out at once, though the stream never carried them.
  tail.Offer({Fabricated(4), Fabricated(5)});
  ASSERT_EQ(collected.size(), 2u);
  EXPECT_EQ(IdsOf(collected.snapshot()), (std::vector<std::string>{"offered-4", "offered-5"}));
  EXPECT_EQ(tail.last_seq(), 5);
  // Offered again (a relay's retry, or the stream after the offer): not handed out twice.
  tail.Offer({Fabricated(5)});
  tail.Offer({Fabricated(4), Fabricated(5)});
  EXPECT_EQ(collected.size(), 2u);
  tail.Stop();
}

TEST_F(EventStreamTest, TheRelaysOwnTailGetsEachEventOnceInOrderFromTwoRacingPaths) {
  // This test's relay offers to a tail in its own process, as Runtime wires them; the stream
  // brings the same events, and whichever path comes first hands each one out.
  relay_->Stop();
  RedisClient redis(*ParseRedisUrl(redis_server_.url()));
  StreamTail tail(TailOptions(), redis);
  Collected collected;
  ASSERT_TRUE(FollowInto(tail, collected));
  RelayOptions options = RelayOptionsForTest();
  Collected hooked;  // what the relay offered
  options.on_published = [&](const std::vector<std::pair<int64_t, std::string>>& published) {
    for (const auto& [publish_seq, envelope] : published) {
      PublishedEvent event;
      event.publish_seq = publish_seq;
      EXPECT_TRUE(event.envelope.ParseFromString(envelope));
      hooked.Add(event);
    }
    tail.OfferEncoded(published);
  };
  OutboxRelay relay(options, *relay_redis_);
  relay.Start();

  std::vector<std::string> written;
  for (int round = 0; round < 20; ++round) {
    for (auto& id : Write(3)) written.push_back(id);
    std::this_thread::sleep_for(10ms);
  }
  ASSERT_TRUE(Eventually([&] { return collected.size() >= written.size(); }));
  std::this_thread::sleep_for(300ms);  // a second copy would arrive now

  EXPECT_EQ(IdsOf(hooked.snapshot()), written);
  auto events = collected.snapshot();
  EXPECT_EQ(IdsOf(events), written);
  ExpectIncreasingSeqs(events);
  relay.Stop();
  tail.Stop();
}

TEST_F(EventStreamTest, WhileItsRelayOffersEventsTheTailStopsReadingEachOneBackYetMissesNone) {
  relay_->Stop();
  RedisClient redis(*ParseRedisUrl(redis_server_.url()));
  StreamTail tail(TailOptions(), redis);
  Collected collected;
  ASSERT_TRUE(FollowInto(tail, collected));
  RelayOptions options = RelayOptionsForTest();
  options.on_published = [&](const std::vector<std::pair<int64_t, std::string>>& published) {
    tail.OfferEncoded(published);
  };
  auto relay = std::make_unique<OutboxRelay>(options, *relay_redis_);
  relay->Start();
  Counter& reads = MetricsRegistry::Global().GetCounter("accord_stream_tail_reads_total",
                                                        "XREADs the stream tail issued",
                                                        {{"stream", EventStreamName(kSchema)}});

  auto written = Write(1);
  ASSERT_TRUE(Eventually([&] { return collected.size() == 1; }));
  // 40 events, one every 10 ms: a tail blocked on XREAD would wake and read for each. One
  // that looks every 100 ms reads about once per 100 ms however slowly a busy machine writes.
  const double reads_before = reads.value();
  const auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < 40; ++i) {
    for (auto& id : Write(1)) written.push_back(id);
    std::this_thread::sleep_for(10ms);
  }
  ASSERT_TRUE(Eventually([&] { return collected.size() == written.size(); }));
  const auto looks = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::steady_clock::now() - started)
                         .count() /
                     100;
  EXPECT_LT(reads.value() - reads_before, std::min<double>(40, std::max<double>(20, looks + 5)));
  EXPECT_EQ(IdsOf(collected.snapshot()), written);

  // Another replica's relay takes over: its events come only through the stream, and still
  // arrive while this tail's offers count as flowing.
  relay->Stop();
  relay.reset();
  const int64_t next = tail.last_seq() + 1;
  PublishedEvent foreign = Fabricated(next);
  auto added = redis.Command({"XADD", EventStreamName(kSchema), Numbered("", next) + "-0",
                              "envelope", foreign.envelope.SerializeAsString()});
  ASSERT_TRUE(added.ok()) << added.status();
  ASSERT_TRUE(Eventually([&] { return collected.size() == written.size() + 1; }, 2s));
  EXPECT_EQ(collected.snapshot().back().envelope.id(), foreign.envelope.id());
  tail.Stop();
}

TEST_F(EventStreamTest, TailFillsTheGapFromPostgresWhenRedisLosesItsData) {
  RedisClient redis(*ParseRedisUrl(redis_server_.url()));
  StreamTail tail(TailOptions(), redis);
  Collected collected;
  tail.AddListener([&](const PublishedEvent& event) { collected.Add(event); });
  tail.Start();
  auto written = Write(5);
  ASSERT_TRUE(Eventually([&] { return collected.size() == 5; }));

  // 1. Redis dies while the tail follows it; events written meanwhile wait in the outbox.
  redis_server_.Kill();
  ASSERT_TRUE(Eventually([&] { return !tail.healthy(); }));
  for (auto& id : Write(5)) written.push_back(id);
  redis_server_.Start();
  for (auto& id : Write(5)) written.push_back(id);
  ASSERT_TRUE(AllPublished());
  ASSERT_TRUE(Eventually([&] { return collected.size() >= 15; }));

  // 2. The tail is away while events are published to a Redis that then loses them.
  tail.Stop();
  for (auto& id : Write(4)) written.push_back(id);
  ASSERT_TRUE(AllPublished());
  redis_server_.Kill();
  redis_server_.Start();
  tail.Start();
  for (auto& id : Write(3)) written.push_back(id);
  ASSERT_TRUE(Eventually([&] { return collected.size() >= written.size(); }, 20s));
  ASSERT_TRUE(Eventually([&] { return tail.healthy(); }));
  std::this_thread::sleep_for(300ms);

  auto events = collected.snapshot();
  EXPECT_EQ(IdsOf(events), written);
  ExpectIncreasingSeqs(events);
  tail.Stop();
}

TEST_F(EventStreamTest, SubscriberResumesWithItsCursorAcrossARedisCrash) {
  StartService();
  const auto before = TimeUtil::GetCurrentTime() - TimeUtil::SecondsToDuration(1);
  const std::string token = Token(Role::kIntegration);

  // A second subscriber stays connected throughout and must also see everything exactly once.
  Subscriber watcher(*stub_, Token(Role::kAdmin), Since(before));

  auto written = Write(10);
  std::string cursor;
  {
    Subscriber first(*stub_, token, Since(before));
    ASSERT_TRUE(first.WaitFor(6));
    auto got = first.responses();
    EXPECT_EQ(IdsOf(got), std::vector<std::string>(written.begin(), written.begin() + got.size()));
    cursor = got[5].cursor();
    first.Cancel();
    ASSERT_TRUE(first.WaitDone());
  }

  redis_server_.Kill();
  for (auto& id : Write(5)) written.push_back(id);
  redis_server_.Start();
  for (auto& id : Write(5)) written.push_back(id);
  ASSERT_TRUE(AllPublished());

  ev::SubscribeRequest resume;
  resume.set_cursor(cursor);
  Subscriber second(*stub_, token, resume);
  ASSERT_TRUE(second.WaitFor(written.size() - 6));
  // One more event proves nothing else (no duplicate) was queued before it.
  for (auto& id : Write(1)) written.push_back(id);
  ASSERT_TRUE(second.WaitFor(written.size() - 6));
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(IdsOf(second.responses()),
            std::vector<std::string>(written.begin() + 6, written.end()));

  ASSERT_TRUE(watcher.WaitFor(written.size(), 20s));
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(IdsOf(watcher.responses()), written);

  // Payloads travel intact and cursors are distinct.
  auto responses = second.responses();
  account::v1::Account account;
  ASSERT_TRUE(responses.back().event().payload().UnpackTo(&account));
  EXPECT_EQ(account.name(), "accounts/a1");
  std::set<std::string> cursors;
  for (const auto& response : responses) cursors.insert(response.cursor());
  EXPECT_EQ(cursors.size(), responses.size());
}

TEST_F(EventStreamTest, SubscribeFromNowSkipsThePast) {
  StartService();
  Write(3);
  ASSERT_TRUE(AllPublished());
  ASSERT_TRUE(Eventually([&] { return tail_->last_seq() == 3; }));
  Subscriber subscriber(*stub_, Token(Role::kIntegration), ev::SubscribeRequest{});
  // The subscription registers asynchronously; write until the first live event shows up.
  std::vector<std::string> written;
  ASSERT_TRUE(Eventually([&] {
    for (auto& id : Write(1)) written.push_back(id);
    return subscriber.WaitFor(1, 200ms);
  }));
  std::this_thread::sleep_for(500ms);  // let the rest of what was written arrive
  auto got = subscriber.responses();
  ASSERT_FALSE(got.empty());
  // Whatever it received is a suffix of what was written after it subscribed, in order.
  auto ids = IdsOf(got);
  ASSERT_LE(ids.size(), written.size());
  EXPECT_EQ(ids, std::vector<std::string>(written.end() - ids.size(), written.end()));
}

TEST_F(EventStreamTest, FiltersApplyToReplayAndLive) {
  StartService();
  const auto before = TimeUtil::GetCurrentTime() - TimeUtil::SecondsToDuration(1);
  std::vector<std::string> wanted;
  Write(2, kCreated, "accounts/a1");
  for (auto& id : Write(2, kUpdated, "accounts/a1")) wanted.push_back(id);
  Write(2, kUpdated, "accounts/b1");
  ASSERT_TRUE(AllPublished());

  ev::SubscribeRequest request = Since(before);
  request.set_type_prefix("accord.account.v1.AccountUpd");
  request.set_subject_prefix("accounts/a");
  Subscriber subscriber(*stub_, Token(Role::kIntegration), request);
  ASSERT_TRUE(subscriber.WaitFor(2));
  Write(1, kCreated, "accounts/a1");
  Write(1, kUpdated, "accounts/b1");
  for (auto& id : Write(1, kUpdated, "accounts/a2")) wanted.push_back(id);
  ASSERT_TRUE(subscriber.WaitFor(3));
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(IdsOf(subscriber.responses()), wanted);
  for (const auto& response : subscriber.responses()) {
    EXPECT_EQ(response.event().type(), kUpdated);
  }
}

// Every known role may follow a service's events, but only integration and admin receive what a
// change holds; the others receive notifications naming what changed, and read it through Get
// (which applies the service's access rule to them).
TEST_F(EventStreamTest, EveryRoleMaySubscribeButOnlyIntegrationAndAdminReceiveWholeEvents) {
  StartService();
  // Replayed notifications are stripped too, not only live ones.
  Write(1, kCreated, "accounts/early");
  ASSERT_TRUE(AllPublished());
  ev::SubscribeRequest replay;
  replay.set_type_prefix("accord.account.v1.");
  replay.set_oldest(true);
  Subscriber replaying(*stub_, Token(Role::kSalesAssistant), replay);
  ASSERT_TRUE(replaying.WaitFor(1));
  ev::SubscribeRequest request = replay;
  request.set_subject_prefix("accounts/a1");
  Subscriber manager(*stub_, Token(Role::kAccountManager), request);
  Subscriber agent(*stub_, Token(Role::kServiceAgent), request);
  Subscriber admin(*stub_, Token(Role::kAdmin), request);
  const auto ids = Write(2, kUpdated, "accounts/a1");
  for (Subscriber* subscriber : {&manager, &agent, &admin}) ASSERT_TRUE(subscriber->WaitFor(2));
  ASSERT_TRUE(replaying.WaitFor(3));

  auto whole = admin.responses();
  ASSERT_EQ(IdsOf(whole), ids);
  EXPECT_TRUE(whole[0].event().has_payload());
  EXPECT_EQ(whole[0].event().actor(), "tester");
  EXPECT_TRUE(whole[0].event().has_changed_fields());
  for (Subscriber* subscriber : {&manager, &agent, &replaying}) {
    auto received = subscriber->responses();
    if (subscriber == &replaying) {
      ASSERT_EQ(received.size(), 3u);
      EXPECT_EQ(received[0].event().subject(), "accounts/early");
      received.erase(received.begin());
    }
    ASSERT_EQ(IdsOf(received), ids);
    for (size_t i = 0; i < received.size(); ++i) {
      const auto& event = received[i].event();
      const auto& full = whole[i].event();
      EXPECT_EQ(event.type(), full.type());
      EXPECT_EQ(event.subject(), "accounts/a1");
      EXPECT_EQ(event.source(), full.source());
      EXPECT_EQ(event.aggregate_version(), full.aggregate_version());
      EXPECT_EQ(event.time().seconds(), full.time().seconds());
      EXPECT_FALSE(event.has_payload()) << "a notification carried the resource";
      EXPECT_TRUE(event.actor().empty());
      EXPECT_TRUE(event.trace_id().empty());
      EXPECT_FALSE(event.has_changed_fields());
      // The cursor resumes the same stream.
      EXPECT_EQ(*service_->DecodeCursor(received[i].cursor()),
                *service_->DecodeCursor(whole[i].cursor()));
    }
  }

  // A token with no role this service knows is refused, and no token at all is unauthenticated.
  Subscriber denied(*stub_, accord::testing::TokenFor("stranger", {}), ev::SubscribeRequest{});
  ASSERT_TRUE(denied.WaitDone());
  EXPECT_EQ(denied.status().error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(denied.responses().empty());

  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + 10s);
  auto reader = stub_->Subscribe(&context, ev::SubscribeRequest{});
  ev::SubscribeResponse response;
  EXPECT_FALSE(reader->Read(&response));
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::UNAUTHENTICATED);
}

// Issue 18 item 11, for subscriptions: set-up waits for a worker no longer than any call does.
TEST_F(EventStreamTest, ASubscriptionWhoseSetUpFindsNoWorkerInTimeIsUnavailable) {
  StartService({}, [](ServiceSettings& settings) {
    settings.worker_threads = 1;
    settings.point_read_workers = 0;
    settings.pg.acquire_timeout = 200ms;
  });
  std::promise<void> release;
  auto released = release.get_future().share();
  std::promise<void> started;
  ASSERT_TRUE(runtime_->workers().Submit([&started, released] {
    started.set_value();
    released.wait();
  }));
  started.get_future().wait();  // the only worker is stuck
  {
    Subscriber blocked(*stub_, Token(Role::kIntegration), ev::SubscribeRequest{});
    ASSERT_TRUE(blocked.WaitDone());
    EXPECT_EQ(blocked.status().error_code(), grpc::StatusCode::UNAVAILABLE);
    EXPECT_EQ(accord::testing::ReasonOf(blocked.status()), "WORKERS_BUSY");
  }
  release.set_value();
  // With the worker free again, subscriptions are set up as before.
  const auto before = TimeUtil::GetCurrentTime() - TimeUtil::SecondsToDuration(5);
  Write(1);
  ASSERT_TRUE(AllPublished());
  Subscriber subscriber(*stub_, Token(Role::kIntegration), Since(before));
  EXPECT_TRUE(subscriber.WaitFor(1));
}

TEST_F(EventStreamTest, BadStartPositionsAreRejected) {
  StartService();
  Write(2);
  ASSERT_TRUE(AllPublished());
  const auto before = TimeUtil::GetCurrentTime() - TimeUtil::SecondsToDuration(5);
  std::string cursor;
  {
    Subscriber subscriber(*stub_, Token(Role::kIntegration), Since(before));
    ASSERT_TRUE(subscriber.WaitFor(1));
    cursor = subscriber.responses()[0].cursor();
  }
  ASSERT_FALSE(cursor.empty());

  auto expect_rejected = [&](const ev::SubscribeRequest& request, grpc::StatusCode code,
                             const std::string& field) {
    Subscriber subscriber(*stub_, Token(Role::kIntegration), request);
    ASSERT_TRUE(subscriber.WaitDone());
    EXPECT_EQ(subscriber.status().error_code(), code) << subscriber.status().error_message();
    if (!field.empty()) {
      EXPECT_EQ(accord::testing::ViolatedFields(subscriber.status()),
                std::vector<std::string>{field});
    }
    EXPECT_TRUE(subscriber.responses().empty());
  };

  ev::SubscribeRequest tampered;
  std::string edited = cursor;
  edited[edited.size() / 2] = edited[edited.size() / 2] == 'A' ? 'B' : 'A';
  tampered.set_cursor(edited);
  expect_rejected(tampered, grpc::StatusCode::INVALID_ARGUMENT, "cursor");

  ev::SubscribeRequest garbage;
  garbage.set_cursor("not-a-cursor");
  expect_rejected(garbage, grpc::StatusCode::INVALID_ARGUMENT, "cursor");

  // A page token of another query is not an event cursor.
  ev::SubscribeRequest foreign;
  foreign.set_cursor(runtime_->page_tokens().Encode(PageCursor{"accounts:", {"1"}}));
  expect_rejected(foreign, grpc::StatusCode::INVALID_ARGUMENT, "cursor");

  expect_rejected(Since(TimeUtil::GetCurrentTime() - TimeUtil::HoursToDuration(24 * 8)),
                  grpc::StatusCode::OUT_OF_RANGE, "");
  expect_rejected(Since(TimeUtil::GetCurrentTime() + TimeUtil::HoursToDuration(1)),
                  grpc::StatusCode::INVALID_ARGUMENT, "start_time");

  // A cursor from before the retention window: its successors were deleted.
  {
    pqxx::connection connection(db_.url());
    pqxx::work transaction(connection);
    transaction.exec(std::string("DELETE FROM ") + kSchema + ".outbox");
    transaction.commit();
  }
  Write(1);
  ASSERT_TRUE(AllPublished());
  ev::SubscribeRequest expired;
  expired.set_cursor(service_->EncodeCursor(0));
  expect_rejected(expired, grpc::StatusCode::OUT_OF_RANGE, "");
}

TEST_F(EventStreamTest, ASlowSubscriberIsToldToResumeAndLosesNothing) {
  EventServiceOptions options;
  options.queue_capacity = 5;
  StartService(options);
  const auto before = TimeUtil::GetCurrentTime() - TimeUtil::SecondsToDuration(1);
  auto written = Write(1);
  Subscriber first(*stub_, Token(Role::kIntegration), Since(before));
  ASSERT_TRUE(first.WaitFor(1));
  std::this_thread::sleep_for(500ms);  // the replay is over: following live

  // A burst in one transaction reaches the subscriber faster than it is written out.
  {
    OutboxWriter writer(kSchema, "account");
    pqxx::connection connection(db_.url());
    WriteTransaction transaction(connection);
    account::v1::Account account;
    account.set_name("accounts/burst");
    for (int i = 0; i < 200; ++i) {
      account.set_display_name(Numbered("burst ", i));
      EventSpec spec{kUpdated, account.name(), i + 1, "tester", "", &account, {}};
      written.push_back(writer.Append(transaction, spec).id());
    }
    transaction.commit();
  }
  ASSERT_TRUE(first.WaitDone());
  EXPECT_EQ(first.status().error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(accord::testing::ReasonOf(first.status()), "SUBSCRIBER_TOO_SLOW");
  auto got = first.responses();
  ASSERT_FALSE(got.empty());
  EXPECT_LT(got.size(), written.size());

  // Resuming from the last cursor received, as the error says, loses nothing. A resumed
  // subscription may be told to resume once more: the stream tail can hand the burst over in two
  // pieces (its own XREAD may take the first entries before the relay hands over the rest), and a
  // piece that arrives once the subscription follows live outruns it again.
  auto ids = IdsOf(got);
  std::string cursor = got.back().cursor();
  for (int resumes = 0; ids.size() < written.size() && resumes < 5; ++resumes) {
    ev::SubscribeRequest resume;
    resume.set_cursor(cursor);
    Subscriber next(*stub_, Token(Role::kIntegration), resume);
    const bool caught_up = next.WaitFor(written.size() - ids.size());
    if (caught_up) {
      std::this_thread::sleep_for(300ms);  // anything more would be a duplicate
    } else {
      ASSERT_TRUE(next.WaitDone());
      EXPECT_EQ(accord::testing::ReasonOf(next.status()), "SUBSCRIBER_TOO_SLOW");
    }
    const auto more = next.responses();
    for (auto& id : IdsOf(more)) ids.push_back(id);
    if (!more.empty()) cursor = more.back().cursor();
  }
  EXPECT_EQ(ids, written);
}

}  // namespace
}  // namespace accord::common
