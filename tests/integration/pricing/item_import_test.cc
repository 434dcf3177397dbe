// ImportPriceListItems over gRPC against a real database: a streamed import with bad rows, the
// merge's created/updated/unchanged tally, one event per import, the replay of a batch id, and
// the stream's own errors.
#include <algorithm>

#include "pricing_fixture.h"

namespace accord::pricing {
namespace {

class ItemImportTest : public PricingApiTest {
 protected:
  // Streams `messages` as `who` and returns the call's status; the tally goes to `out`.
  grpc::Status Import(const std::vector<v1::ImportPriceListItemsRequest>& messages,
                      v1::ImportPriceListItemsResponse* out,
                      const std::vector<Role>& roles = {Role::kIntegration}) {
    auto context = ContextAs("erp-sync", roles);
    auto writer = lists_->ImportPriceListItems(context.get(), out);
    for (const auto& message : messages) {
      if (!writer->Write(message)) break;
    }
    writer->WritesDone();
    return writer->Finish();
  }

  // `count` items DRILL-0.. in messages of `per_message`, the first message naming the batch.
  static std::vector<v1::ImportPriceListItemsRequest> Batch(const std::string& list,
                                                            const std::string& batch_id, int count,
                                                            int per_message, int cents = 0) {
    std::vector<v1::ImportPriceListItemsRequest> messages;
    for (int i = 0; i < count; ++i) {
      if (i % per_message == 0) {
        messages.emplace_back();
        if (i == 0) {
          messages.back().set_parent(list);
          messages.back().set_batch_id(batch_id);
        }
      }
      *messages.back().add_items() =
          Item("DRILL-" + std::to_string(i), "tools/power/drills", Eur(100 + i, cents));
    }
    return messages;
  }

  int64_t Count(const std::string& sql) {
    pqxx::connection connection(database_.url());
    pqxx::nontransaction transaction(connection);
    return transaction.exec1(sql)[0].as<int64_t>();
  }
};

TEST_F(ItemImportTest, ImportsRowsReportsBadOnesAndEmitsOneEvent) {
  v1::PriceList list = CreateList("Supply");
  auto messages = Batch(list.name(), common::NewUuidV7(), 2500, 1000);
  // Bad rows spread over the messages: another currency, no product name, a SKU seen before,
  // a malformed SKU. Each is reported with its position; none fails the import.
  *messages[0].mutable_items(3)->mutable_unit_price() = MakeMoney("USD", 90);
  messages[1].mutable_items(10)->clear_product_name();
  messages[2].mutable_items(0)->set_sku("DRILL-7");
  messages[2].mutable_items(1)->set_sku("bad sku!");
  v1::ImportPriceListItemsResponse response;
  auto status = Import(messages, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.price_list(), list.name());
  EXPECT_EQ(response.rows(), 2500);
  EXPECT_EQ(response.failed(), 4);
  EXPECT_EQ(response.created(), 2496);
  EXPECT_EQ(response.updated(), 0);
  EXPECT_EQ(response.unchanged(), 0);
  ASSERT_EQ(response.errors_size(), 4);
  EXPECT_EQ(response.errors(0).row(), 3);
  EXPECT_EQ(response.errors(0).sku(), "DRILL-3");
  EXPECT_EQ(response.errors(0).status().code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(response.errors(1).row(), 1010);
  EXPECT_EQ(response.errors(2).row(), 2000);
  EXPECT_EQ(response.errors(3).row(), 2001);
  EXPECT_FALSE(response.errors_truncated());
  EXPECT_NE(response.etag(), list.etag());

  EXPECT_EQ(Count("SELECT count(*) FROM pricing_terms.price_list_items"), 2496);
  EXPECT_EQ(Count("SELECT count(*) FROM pricing_terms.price_list_item_history"), 2496);
  // The stored item reads back as sent.
  v1::GetPriceListItemRequest get;
  get.set_name(list.name() + "/items/DRILL-42");
  v1::PriceListItem item;
  ASSERT_TRUE(lists_->GetPriceListItem(AsSales().get(), get, &item).ok());
  EXPECT_EQ(common::FormatMoney(item.unit_price()), "EUR 142.00");
  EXPECT_EQ(item.category(), "tools/power/drills");
  get.set_name(list.name() + "/items/DRILL-3");
  EXPECT_EQ(lists_->GetPriceListItem(AsSales().get(), get, &item).error_code(),
            grpc::StatusCode::NOT_FOUND);

  // One event for the import, not one per row.
  auto types = OutboxTypes();
  EXPECT_EQ(std::count(types.begin(), types.end(), "accord.pricing.v1.PriceListItemsImported"), 1);

  // A second import: changed rows are updated, equal ones left alone (no new version of them).
  auto again = Batch(list.name(), common::NewUuidV7(), 20, 20);
  *again[0].mutable_items(5)->mutable_unit_price() = Eur(1);
  v1::ImportPriceListItemsResponse second;
  ASSERT_TRUE(Import(again, &second).ok());
  EXPECT_EQ(second.created(), 1);  // DRILL-3 was refused the first time
  EXPECT_EQ(second.updated(), 1);
  EXPECT_EQ(second.unchanged(), 18);
  EXPECT_EQ(Count("SELECT count(*) FROM pricing_terms.price_list_item_history"), 2498);
  types = OutboxTypes();
  EXPECT_EQ(std::count(types.begin(), types.end(), "accord.pricing.v1.PriceListItemsImported"), 2);

  // Nothing to change: no new version of the list and no event.
  v1::ImportPriceListItemsResponse third;
  ASSERT_TRUE(Import(Batch(list.name(), common::NewUuidV7(), 3, 3), &third).ok());
  EXPECT_EQ(third.unchanged(), 3);
  EXPECT_EQ(third.etag(), second.etag());
  types = OutboxTypes();
  EXPECT_EQ(std::count(types.begin(), types.end(), "accord.pricing.v1.PriceListItemsImported"), 2);
}

TEST_F(ItemImportTest, ReplayingABatchIdWritesNothing) {
  v1::PriceList list = CreateList("Supply");
  const std::string batch_id = common::NewUuidV7();
  v1::ImportPriceListItemsResponse first;
  ASSERT_TRUE(Import(Batch(list.name(), batch_id, 300, 100), &first).ok());
  EXPECT_EQ(first.created(), 300);

  // The same batch id again, even with other prices: the first result, nothing written.
  v1::ImportPriceListItemsResponse replayed;
  ASSERT_TRUE(Import(Batch(list.name(), batch_id, 300, 100, /*cents=*/50), &replayed).ok());
  EXPECT_EQ(replayed.SerializeAsString(), first.SerializeAsString());
  EXPECT_EQ(Count("SELECT count(*) FROM pricing_terms.price_list_item_history"), 300);
  EXPECT_EQ(Count("SELECT count(*) FROM pricing_terms.price_list_items WHERE version > 1"), 0);
  auto types = OutboxTypes();
  EXPECT_EQ(std::count(types.begin(), types.end(), "accord.pricing.v1.PriceListItemsImported"), 1);

  // Another caller may not reuse the batch id.
  v1::ImportPriceListItemsResponse other;
  auto context = ContextAs("pia", {Role::kPricingManager});
  auto writer = lists_->ImportPriceListItems(context.get(), &other);
  writer->Write(Batch(list.name(), batch_id, 1, 1)[0]);
  writer->WritesDone();
  EXPECT_NE(writer->Finish().error_code(), grpc::StatusCode::OK);
}

TEST_F(ItemImportTest, RefusesBadStreamsAndCallers) {
  v1::PriceList list = CreateList("Supply");
  v1::ImportPriceListItemsResponse out;
  // Only pricing managers, integration and admin.
  auto denied =
      Import(Batch(list.name(), common::NewUuidV7(), 1, 1), &out, {Role::kSalesAssistant});
  EXPECT_EQ(denied.error_code(), grpc::StatusCode::PERMISSION_DENIED);

  // No batch id; a malformed parent; an unknown list; a batch id that changes midway.
  auto no_batch = Batch(list.name(), "", 1, 1);
  auto status = Import(no_batch, &out);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(ViolatedFields(status), ::testing::Contains("batch_id"));
  auto bad_parent = Batch("lists/x", common::NewUuidV7(), 1, 1);
  EXPECT_EQ(Import(bad_parent, &out).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  auto unknown = Batch("priceLists/" + common::NewUuidV7(), common::NewUuidV7(), 1, 1);
  EXPECT_EQ(Import(unknown, &out).error_code(), grpc::StatusCode::NOT_FOUND);
  auto switched = Batch(list.name(), common::NewUuidV7(), 4, 2);
  switched[1].set_batch_id(common::NewUuidV7());
  EXPECT_EQ(Import(switched, &out).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  // An empty stream.
  EXPECT_EQ(Import({}, &out).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  // Nothing of the refused streams was written.
  EXPECT_EQ(Count("SELECT count(*) FROM pricing_terms.price_list_items"), 0);

  // A retired list takes no import.
  SetListStatus(list, v1::PRICE_LIST_STATUS_RETIRED);
  status = Import(Batch(list.name(), common::NewUuidV7(), 2, 2), &out);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(ReasonOf(status), "PRICE_LIST_RETIRED");
  EXPECT_EQ(Count("SELECT count(*) FROM pricing_terms.price_list_items"), 0);
}

}  // namespace
}  // namespace accord::pricing
