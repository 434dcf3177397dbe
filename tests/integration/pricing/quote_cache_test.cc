// What a quote reads (the terms in force, the price list, the basket's items) is held in process
// (QuoteReadCache): rows changed behind the service's back are not seen, a change through the API
// is seen by the next quote on the replica that made it and, once its event arrives, on another
// replica sharing the database; with Redis down (no events) quotes read PostgreSQL.
#include <thread>

#include "accord/common/event_stream.h"
#include "pricing_fixture.h"

namespace accord::pricing {
namespace {

using namespace std::chrono_literals;

class QuoteCacheTest : public PricingApiTest {
 protected:
  // Two replicas on a private Redis the test can kill; the second follows no account events.
  QuoteCacheTest()
      : PricingApiTest(Redis().url()),
        second_(PricingTermsServiceDefinition(SecondSettings(account_service_.port())),
                database_.url(), Redis().url()),
        second_quotes_(v1::QuoteService::NewStub(second_.channel())),
        second_terms_(v1::TradingTermsService::NewStub(second_.channel())) {}

  static testing::ScopedRedisServer& Redis() {
    static testing::ScopedRedisServer* redis = new testing::ScopedRedisServer();
    return *redis;
  }
  static PricingSettings SecondSettings(int account_port) {
    PricingSettings settings = TestPricingSettings(account_port);
    settings.account.service_token.clear();
    return settings;
  }

  // The net unit price of one DRILL-1 quoted by `stub`, or the error's reason.
  std::string Net(v1::QuoteService::Stub& stub) {
    v1::PriceQuoteRequest request;
    request.set_account(account_);
    auto* line = request.add_lines();
    line->set_sku("DRILL-1");
    line->set_quantity(1);
    v1::QuotePricing pricing;
    auto status = stub.PriceQuote(AsSales().get(), request, &pricing);
    return status.ok() ? common::FormatMoney(pricing.lines(0).unit_price())
                       : "error " + ReasonOf(status);
  }
  std::string NetHere() { return Net(*quotes_); }
  std::string NetThere() { return Net(*second_quotes_); }

  // Polls `stub`'s quote until it is `expected` (an event on its way), for at most 10 s.
  std::string NetOnceItIs(v1::QuoteService::Stub& stub, const std::string& expected) {
    std::string net;
    for (auto until = std::chrono::steady_clock::now() + 10s;
         (net = Net(stub)) != expected && std::chrono::steady_clock::now() < until;) {
      std::this_thread::sleep_for(20ms);
    }
    return net;
  }

  void Sql(const std::string& statement) {
    pqxx::connection connection(database_.url());
    pqxx::work transaction(connection);
    transaction.exec0(statement);
    transaction.commit();
  }

  // Waits (at most 10 s) until `harness`'s stream tail is `healthy`.
  static bool TailHealthyIs(testing::ServiceHarness& harness, bool healthy) {
    for (auto until = std::chrono::steady_clock::now() + 10s;
         harness.runtime().event_tail().healthy() != healthy;) {
      if (std::chrono::steady_clock::now() > until) return false;
      std::this_thread::sleep_for(20ms);
    }
    return true;
  }

  // Waits (at most 10 s) until `harness` has seen every event written so far: a late event of an
  // earlier change drops what a quote just cached.
  bool SeenEveryEvent(testing::ServiceHarness& harness) {
    for (auto until = std::chrono::steady_clock::now() + 10s;;) {
      pqxx::connection connection(database_.url());
      pqxx::nontransaction transaction(connection);
      const auto row = transaction.exec1(
          "SELECT count(*) FILTER (WHERE publish_seq IS NULL), coalesce(max(publish_seq), 0) "
          "FROM pricing_terms.outbox");
      if (row[0].as<int64_t>() == 0 &&
          harness.runtime().event_tail().last_seq() >= row[1].as<int64_t>()) {
        return true;
      }
      if (std::chrono::steady_clock::now() > until) return false;
      std::this_thread::sleep_for(20ms);
    }
  }

  // Both replicas quoting DRILL-1 (list price EUR 100) under terms with a 10% tools rule.
  v1::PriceList SetUpQuotes() {
    v1::PriceList list = CreateList("Base");
    Upsert(list.name(), {Item("DRILL-1", "tools/power/drills", Eur(100))});
    ActiveTerms(list.name(), MakeDate(2026, 1, 1), {}, {CategoryRule("tools", 1000)});
    EXPECT_TRUE(TailHealthyIs(harness_, true));
    EXPECT_TRUE(TailHealthyIs(second_, true));
    EXPECT_TRUE(SeenEveryEvent(harness_));
    EXPECT_TRUE(SeenEveryEvent(second_));
    EXPECT_EQ(NetHere(), "EUR 90.00");
    EXPECT_EQ(NetThere(), "EUR 90.00");
    return list;
  }

  testing::ServiceHarness second_;
  std::unique_ptr<v1::QuoteService::Stub> second_quotes_;
  std::unique_ptr<v1::TradingTermsService::Stub> second_terms_;
};

TEST_F(QuoteCacheTest, AnItemChangeIsSeenAtOnceHereAndOnItsEventThere) {
  const v1::PriceList list = SetUpQuotes();
  // The rows every quote reads, gone behind the service's back: quotes still come from the cache
  // (read from PostgreSQL they would fail ITEM_NOT_FOUND / NO_TERMS_IN_FORCE).
  Sql("DELETE FROM pricing_terms.price_list_item_history");
  Sql("UPDATE pricing_terms.trading_terms SET validity = daterange('2020-01-01', '2020-01-02')");
  EXPECT_EQ(NetHere(), "EUR 90.00");
  EXPECT_EQ(NetThere(), "EUR 90.00");
  Sql("UPDATE pricing_terms.trading_terms SET validity = daterange('2026-01-01', NULL, '[]')");

  // The item repriced through the first replica: its next quote sees it, the second's once the
  // list's event arrives.
  Upsert(list.name(), {Item("DRILL-1", "tools/power/drills", Eur(200))});
  EXPECT_EQ(NetHere(), "EUR 180.00");
  EXPECT_EQ(NetOnceItIs(*second_quotes_, "EUR 180.00"), "EUR 180.00");
  EXPECT_EQ(NetHere(), "EUR 180.00");
}

TEST_F(QuoteCacheTest, ATermsChangeOnTheOtherReplicaIsSeenOnItsEvent) {
  const v1::PriceList list = SetUpQuotes();
  // New terms (20% on tools) approved through the second replica, superseding the current ones
  // from today.
  std::swap(terms_, second_terms_);
  v1::TradingTerms active;
  auto status = Approve(
      Submit(DraftTerms(list.name(), TodayUtc(), {}, {CategoryRule("tools", 2000)})), &active,
      /*supersede=*/true);
  std::swap(terms_, second_terms_);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(NetThere(), "EUR 80.00");
  EXPECT_EQ(NetOnceItIs(*quotes_, "EUR 80.00"), "EUR 80.00");

  // The list's validity ended yesterday through the first replica: no quote from it on either.
  v1::GetPriceListRequest get;
  get.set_name(list.name());
  v1::PriceList current;
  ASSERT_TRUE(lists_->GetPriceList(AsPricing().get(), get, &current).ok());
  v1::UpdatePriceListRequest update;
  update.mutable_price_list()->set_name(list.name());
  *update.mutable_price_list()->mutable_valid_until() =
      CivilFromDays(DaysFromCivil(TodayUtc()) - 1);
  update.mutable_update_mask()->add_paths("valid_until");
  update.set_etag(current.etag());
  v1::PriceList updated;
  status = lists_->UpdatePriceList(AsPricing().get(), update, &updated);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(NetHere(), "error PRICE_LIST_NOT_IN_FORCE");
  EXPECT_EQ(NetOnceItIs(*second_quotes_, "error PRICE_LIST_NOT_IN_FORCE"),
            "error PRICE_LIST_NOT_IN_FORCE");
}

TEST_F(QuoteCacheTest, WithoutEventsQuotesReadPostgres) {
  SetUpQuotes();
  Redis().Kill();
  ASSERT_TRUE(TailHealthyIs(harness_, false));
  // Nothing held is trusted while events cannot arrive: a row changed behind the service's back
  // is seen.
  Sql("DELETE FROM pricing_terms.price_list_item_history");
  EXPECT_EQ(NetHere(), "error ITEM_NOT_FOUND");
  Redis().Start();
  ASSERT_TRUE(TailHealthyIs(harness_, true));
  EXPECT_EQ(NetHere(), "error ITEM_NOT_FOUND");
}

}  // namespace
}  // namespace accord::pricing
