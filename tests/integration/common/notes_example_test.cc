// The kit's example service (examples/notes), run as any service is: under 100 lines of its own,
// it is migrated, authenticated, checked against its role rules, counted, healthy, idempotent,
// and every note it creates is an event on Subscribe.
#include <gtest/gtest.h>

#include <ctime>
#include <string>

#include "accord/events/v1/events.grpc.pb.h"
#include "accord/example/v1/example.grpc.pb.h"
#include "notes_service.h"
#include "support/http.h"
#include "support/servers.h"
#include "support/service_harness.h"

namespace accord::example {
namespace {

using common::Role;
using testing::ContextAs;

class NotesExampleTest : public ::testing::Test {
 protected:
  NotesExampleTest()
      : harness_(NotesServiceDefinition(), database_.url(), testing::SharedRedisUrl()),
        notes_(v1::NotesService::NewStub(harness_.channel())) {}

  grpc::Status Create(const std::string& text, const std::string& request_id, v1::Note* note) {
    v1::CreateNoteRequest request;
    request.mutable_note()->set_text(text);
    request.set_request_id(request_id);
    return notes_->CreateNote(ContextAs("writer", {Role::kServiceAgent}).get(), request, note);
  }

  testing::TestDatabase database_;
  testing::ServiceHarness harness_;
  std::unique_ptr<v1::NotesService::Stub> notes_;
};

TEST_F(NotesExampleTest, CreatesReadsRetriesAndPublishesEachNoteOnce) {
  v1::Note note;
  const std::string request_id = "0190a9a2-7e3c-7b7e-9f00-00000000000a";
  ASSERT_TRUE(Create("buy milk", request_id, &note).ok());
  EXPECT_EQ(note.name().rfind("notes/", 0), 0u);
  v1::Note retried;
  ASSERT_TRUE(Create("buy milk", request_id, &retried).ok());
  EXPECT_EQ(retried.name(), note.name());  // the retry answered the first call's note

  v1::GetNoteRequest get;
  get.set_name(note.name());
  v1::Note read;
  ASSERT_TRUE(notes_->GetNote(ContextAs("reader", {Role::kSalesAssistant}).get(), get, &read).ok());
  EXPECT_EQ(read.text(), "buy milk");
  get.set_name("notes/0190a9a2-7e3c-7b7e-9f00-0000000000ff");
  EXPECT_EQ(
      notes_->GetNote(ContextAs("reader", {Role::kSalesAssistant}).get(), get, &read).error_code(),
      grpc::StatusCode::NOT_FOUND);
  get.set_name("notes/x");
  EXPECT_EQ(
      notes_->GetNote(ContextAs("reader", {Role::kSalesAssistant}).get(), get, &read).error_code(),
      grpc::StatusCode::INVALID_ARGUMENT);
  v1::Note blank;
  EXPECT_EQ(Create("", "", &blank).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  grpc::ClientContext anonymous;
  EXPECT_EQ(notes_->GetNote(&anonymous, get, &read).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);

  // One event for the note, though it was asked for twice.
  auto events = events::v1::EventService::NewStub(harness_.channel());
  events::v1::SubscribeRequest subscribe;
  subscribe.mutable_start_time()->set_seconds(std::time(nullptr) - 120);
  auto context = ContextAs("sync", {Role::kIntegration});
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(3));
  auto reader = events->Subscribe(context.get(), subscribe);
  events::v1::SubscribeResponse response;
  int seen = 0;
  while (reader->Read(&response)) {
    EXPECT_EQ(response.event().type(), "accord.example.v1.NoteCreated");
    EXPECT_EQ(response.event().subject(), note.name());
    ++seen;
  }
  EXPECT_EQ(seen, 1);
  // Subscribe is registered with its role rule too: the guard refuses a stream as it does a call.
  auto denied_context = ContextAs("stranger", {});
  auto denied = events->Subscribe(denied_context.get(), subscribe);
  EXPECT_FALSE(denied->Read(&response));
  const grpc::Status refused = denied->Finish();
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(testing::ReasonOf(refused), "NO_KNOWN_ROLE");

  EXPECT_EQ(testing::HealthStatus(harness_.channel()), 1);
  const std::string metrics = testing::ScrapeMetrics(harness_.metrics_port());
  EXPECT_NE(metrics.find("accord_rpc_requests_total{code=\"OK\",method=\"accord.example.v1."
                         "NotesService/CreateNote\"} 2"),
            std::string::npos);
}

}  // namespace
}  // namespace accord::example
