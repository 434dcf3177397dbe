// Pricing follows the account service's events over gRPC (common::PeerEventFeed): a merge moves
// the duplicate's drafts and open quotes to the survivor and ends its active terms, a deletion
// ends the account's active terms, each once, with the events of the changes, also when Redis
// lost everything in between (the feed's cursor lives in PostgreSQL).
#include <thread>

#include "pricing_fixture.h"

namespace accord::pricing {
namespace {

using ::testing::Contains;

class AccountEventsTest : public PricingApiTest {
 protected:
  // Both services on a private Redis that the test can wipe.
  AccountEventsTest() : PricingApiTest(Redis().url()) {}
  static testing::ScopedRedisServer& Redis() {
    static testing::ScopedRedisServer* redis = new testing::ScopedRedisServer();
    return *redis;
  }

  // Waits (up to 20 s) until `done` holds.
  static bool Eventually(const std::function<bool()>& done) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (!done()) {
      if (std::chrono::steady_clock::now() > until) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return true;
  }

  grpc::Status GetTerms(const std::string& name, v1::TradingTerms* out) {
    v1::GetTradingTermsRequest request;
    request.set_name(name);
    return terms_->GetTradingTerms(AsSales().get(), request, out);
  }

  int Count(const std::string& sql) {
    pqxx::connection connection(database_.url());
    pqxx::nontransaction transaction(connection);
    return transaction.exec1(sql)[0].as<int>();
  }
};

TEST_F(AccountEventsTest, MergeMovesOpenWorkAndEndsTermsAndDeletionEndsTermsOnce) {
  v1::PriceList list = CreateList("Base");
  Upsert(list.name(), {Item("DRILL-1", "tools/power/drills", Eur(100))});
  // The duplicate (the fixture's account): active terms, a draft, a sent quote.
  v1::TradingTerms active = ActiveTerms(list.name(), MakeDate(2026, 1, 1));
  v1::TradingTerms draft = DraftTerms(list.name(), MakeDate(2030, 1, 1));
  BackdateHistory();
  v1::CreateQuoteRequest create;
  create.mutable_quote()->set_account(account_);
  *create.mutable_quote()->mutable_expire_date() = MakeDate(9999, 12, 31);
  auto* line = create.add_lines();
  line->set_sku("DRILL-1");
  line->set_quantity(1);
  v1::Quote quote;
  ASSERT_TRUE(quotes_->CreateQuote(AsSales().get(), create, &quote).ok());

  // Redis loses everything before the merge: the feed resumes from its cursor in PostgreSQL.
  Redis().Kill();
  Redis().Start();

  account::v1::Account survivor = CreateAccount("amy", "Acme Tools (kept)");
  account::v1::GetAccountRequest get;
  get.set_name(account_);
  account::v1::Account duplicate;
  ASSERT_TRUE(accounts_->GetAccount(AsAccountManager().get(), get, &duplicate).ok());
  auto status = Merge(survivor, duplicate);
  ASSERT_TRUE(status.ok()) << status.error_message();

  const std::string moved_draft =
      survivor.name() + "/tradingTerms/" + draft.name().substr(draft.name().rfind('/') + 1);
  v1::TradingTerms read;
  ASSERT_TRUE(Eventually([&] { return GetTerms(moved_draft, &read).ok(); }));
  EXPECT_EQ(read.status(), v1::TRADING_TERMS_STATUS_DRAFT);
  EXPECT_EQ(GetTerms(draft.name(), &read).error_code(), grpc::StatusCode::NOT_FOUND);
  ASSERT_TRUE(GetTerms(active.name(), &read).ok());
  EXPECT_EQ(read.status(), v1::TRADING_TERMS_STATUS_EXPIRED);
  EXPECT_EQ(DateText(read.valid_until()), DateText(TodayUtc()));
  v1::GetQuoteRequest get_quote;
  get_quote.set_name(quote.name());
  v1::Quote moved;
  ASSERT_TRUE(quotes_->GetQuote(AsSales().get(), get_quote, &moved).ok());
  EXPECT_EQ(moved.account(), survivor.name());
  EXPECT_EQ(moved.pricing().account(), account_);  // the frozen pricing keeps what it priced
  EXPECT_THAT(OutboxTypes(), Contains("accord.pricing.v1.TradingTermsMoved"));

  // The survivor's own active terms end when it is deleted.
  v1::TradingTerms survivor_terms;
  {
    v1::CreateTradingTermsRequest request;
    request.set_parent(survivor.name());
    request.mutable_trading_terms()->set_price_list(list.name());
    *request.mutable_trading_terms()->mutable_valid_from() = MakeDate(2026, 1, 1);
    ASSERT_TRUE(
        terms_->CreateTradingTerms(AsAccountManager().get(), request, &survivor_terms).ok());
    ASSERT_TRUE(Approve(Submit(survivor_terms), &survivor_terms).ok());
  }
  Redis().Kill();
  Redis().Start();
  account::v1::GetAccountRequest get_survivor;
  get_survivor.set_name(survivor.name());
  ASSERT_TRUE(accounts_->GetAccount(AsAccountManager().get(), get_survivor, &survivor).ok());
  account::v1::DeleteAccountRequest remove;
  remove.set_name(survivor.name());
  remove.set_etag(survivor.etag());
  account::v1::Account deleted;
  status = accounts_->DeleteAccount(ContextAs("root", {Role::kAdmin}).get(), remove, &deleted);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_TRUE(Eventually([&] {
    return GetTerms(survivor_terms.name(), &read).ok() &&
           read.status() == v1::TRADING_TERMS_STATUS_EXPIRED;
  }));
  // Each change happened once: one move, two terms ended.
  EXPECT_EQ(Count("SELECT count(*) FROM pricing_terms.outbox WHERE type = "
                  "'accord.pricing.v1.TradingTermsMoved'"),
            1);
  EXPECT_EQ(Count("SELECT count(*) FROM pricing_terms.outbox WHERE type = "
                  "'accord.pricing.v1.TradingTermsExpired'"),
            2);
}

}  // namespace
}  // namespace accord::pricing
