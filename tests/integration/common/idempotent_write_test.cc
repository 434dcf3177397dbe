// The write path (write.h) against a real PostgreSQL: a change commits with its events or not at
// all, a change cannot go without an event unless it says it changed nothing, and a stored
// response answers only the caller who made it.
#include <google/protobuf/wrappers.pb.h>
#include <gtest/gtest.h>

#include <memory>

#include "accord/common/ids.h"
#include "accord/common/migrations.h"
#include "accord/common/pg.h"
#include "accord/common/write.h"
#include "support/servers.h"

namespace accord::common {
namespace {

using google::protobuf::StringValue;

constexpr char kSchema[] = "kit";

StringValue Text(const std::string& value) {
  StringValue message;
  message.set_value(value);
  return message;
}

class IdempotentWriteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto applied = ApplyMigrations(
        db_.url(), kSchema,
        {{"0001_items", "CREATE TABLE kit.items (id bigint PRIMARY KEY, label text NOT NULL)"}});
    ASSERT_TRUE(applied.ok()) << applied.status();
    pool_ = std::make_unique<PgPool>(
        PgOptions{.url = db_.url(), .pool_size = 1},
        std::vector<PreparedStatement>{
            {"kit_insert_item", "INSERT INTO kit.items VALUES ($1, $2) RETURNING label"}});
    write_ = std::make_unique<IdempotentWrite>(*pool_, kSchema, "kit");
  }

  int64_t Count(const std::string& sql) {
    int64_t count = -1;
    EXPECT_TRUE(pool_
                    ->Read(
                        [&](pqxx::transaction_base& transaction) {
                          count = transaction.exec1(sql)[0].as<int64_t>();
                          return absl::OkStatus();
                        },
                        ReadScope::kOneStatement)
                    .ok());
    return count;
  }

  // Inserts item `id` and returns its label, with one event about it.
  IdempotentWrite::Change<StringValue> InsertItem(int id, int* runs = nullptr) {
    return [this, id, runs](WriteTransaction& transaction) -> absl::StatusOr<Written<StringValue>> {
      if (runs != nullptr) ++*runs;
      const std::string label =
          transaction.exec_prepared1("kit_insert_item", id, "item " + std::to_string(id))[0]
              .as<std::string>();
      Event event = MakeEvent("test.ItemCreated", "items/" + std::to_string(id), 1, Text(label));
      return Written<StringValue>(Text(label), std::move(event));
    };
  }

  static WriteMeta Meta(const std::string& actor, const std::string& request_id = "") {
    WriteMeta meta;
    meta.actor = actor;
    meta.trace_id = "trace-1";
    meta.method = "CreateItem";
    meta.request_id = request_id;
    meta.fingerprint = request_id.empty() ? "" : "same-request";
    return meta;
  }

  accord::testing::TestDatabase db_;
  std::unique_ptr<PgPool> pool_;
  std::unique_ptr<IdempotentWrite> write_;
};

TEST_F(IdempotentWriteTest, AChangeCommitsWithItsEvent) {
  auto written = write_->Run<StringValue>(Meta("alice"), InsertItem(1));
  ASSERT_TRUE(written.ok()) << written.status();
  EXPECT_EQ(written->value(), "item 1");
  EXPECT_EQ(Count("SELECT count(*) FROM kit.items"), 1);
  v1::EventEnvelope envelope;
  ASSERT_TRUE(pool_
                  ->Read(
                      [&](pqxx::transaction_base& transaction) {
                        auto row = transaction.exec1("SELECT envelope FROM kit.outbox");
                        envelope.ParseFromString(pqxx::binarystring(row[0]).str());
                        return absl::OkStatus();
                      },
                      ReadScope::kOneStatement)
                  .ok());
  EXPECT_EQ(envelope.type(), "test.ItemCreated");
  EXPECT_EQ(envelope.subject(), "items/1");
  EXPECT_EQ(envelope.source(), "kit");
  EXPECT_EQ(envelope.actor(), "alice");
  EXPECT_EQ(envelope.trace_id(), "trace-1");
  StringValue payload;
  ASSERT_TRUE(envelope.payload().UnpackTo(&payload));
  EXPECT_EQ(payload.value(), "item 1");
}

TEST_F(IdempotentWriteTest, AChangeWithoutAnEventIsRefusedAndRolledBack) {
  auto written = write_->Run<StringValue>(
      Meta("alice"), [](WriteTransaction& transaction) -> absl::StatusOr<Written<StringValue>> {
        transaction.exec_prepared1("kit_insert_item", 2, "silent");
        return Written<StringValue>(Text("silent"), std::vector<Event>{});
      });
  EXPECT_EQ(written.status().code(), absl::StatusCode::kInternal);
  EXPECT_EQ(Count("SELECT count(*) FROM kit.items"), 0);
  EXPECT_EQ(Count("SELECT count(*) FROM kit.outbox"), 0);
}

TEST_F(IdempotentWriteTest, AnUnchangedResultWritesNoEvent) {
  auto written = write_->Run<StringValue>(
      Meta("alice", NewUuidV7()), [](WriteTransaction&) -> absl::StatusOr<Written<StringValue>> {
        return Written<StringValue>::Unchanged(Text("as it was"));
      });
  ASSERT_TRUE(written.ok()) << written.status();
  EXPECT_EQ(written->value(), "as it was");
  EXPECT_EQ(Count("SELECT count(*) FROM kit.outbox"), 0);
  EXPECT_EQ(Count("SELECT count(*) FROM kit.idempotency_keys WHERE response IS NOT NULL"), 1);
}

TEST_F(IdempotentWriteTest, AStoredResponseAnswersOnlyTheCallerWhoMadeIt) {
  const std::string request_id = NewUuidV7();
  int runs = 0;
  auto first = write_->Run<StringValue>(Meta("alice", request_id), InsertItem(3, &runs));
  ASSERT_TRUE(first.ok()) << first.status();

  auto retry = write_->Run<StringValue>(Meta("alice", request_id), InsertItem(3, &runs));
  ASSERT_TRUE(retry.ok()) << retry.status();
  EXPECT_EQ(retry->value(), first->value());

  auto other = write_->Run<StringValue>(Meta("mallory", request_id), InsertItem(3, &runs));
  EXPECT_EQ(other.status().code(), absl::StatusCode::kInvalidArgument) << other.status();
  EXPECT_EQ(runs, 1) << "the change ran again";
  EXPECT_EQ(Count("SELECT count(*) FROM kit.outbox"), 1);
}

TEST_F(IdempotentWriteTest, TheClaimCarriesBeginSoTheChangeRunsInATransactionBegunBefore) {
  bool began_with_change = true;
  auto written = write_->Run<StringValue>(
      Meta("alice", NewUuidV7()),
      [&](WriteTransaction& transaction) -> absl::StatusOr<Written<StringValue>> {
        began_with_change = transaction.exec1("SELECT now() = statement_timestamp()")[0].as<bool>();
        Event event = MakeEvent("test.Checked", "items/0", 1, Text("x"));
        return Written<StringValue>(Text("x"), std::move(event));
      });
  ASSERT_TRUE(written.ok()) << written.status();
  EXPECT_FALSE(began_with_change);
}

}  // namespace
}  // namespace accord::common
