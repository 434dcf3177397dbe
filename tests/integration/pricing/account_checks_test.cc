// Accounts named by trading terms, quotes and sales are checked with the account service over
// real gRPC, with the caller's identity: missing, deleted and merged accounts are refused, an
// account manager works only on its own accounts, and a stopped account service fails only the
// calls that need it.
#include "pricing_fixture.h"

namespace accord::pricing {
namespace {

using ::testing::HasSubstr;

class AccountChecksTest : public PricingApiTest {
 protected:
  AccountChecksTest() {
    list_ = CreateList("Trade 2026");
    Upsert(list_.name(), {Item("DRILL-1", "tools/power/drills", Eur(100))});
  }

  grpc::Status Draft(const std::string& account, std::unique_ptr<grpc::ClientContext> as,
                     v1::TradingTerms* out) {
    v1::CreateTradingTermsRequest request;
    request.set_parent(account);
    request.mutable_trading_terms()->set_price_list(list_.name());
    *request.mutable_trading_terms()->mutable_valid_from() = MakeDate(2026, 1, 1);
    return terms_->CreateTradingTerms(as.get(), request, out);
  }

  grpc::Status Quote(const std::string& account, std::unique_ptr<grpc::ClientContext> as,
                     v1::Quote* out) {
    BackdateHistory();  // the list and items priced on 2026-02-01 must exist then
    v1::CreateQuoteRequest request;
    request.mutable_quote()->set_account(account);
    *request.mutable_quote()->mutable_expire_date() = MakeDate(2026, 3, 1);
    *request.mutable_price_date() = MakeDate(2026, 2, 1);
    request.set_price_list(list_.name());
    auto* line = request.add_lines();
    line->set_sku("DRILL-1");
    line->set_quantity(2);
    return quotes_->CreateQuote(as.get(), request, out);
  }

  int RowsIn(const std::string& table) {
    pqxx::connection connection(database_.url());
    pqxx::nontransaction transaction(connection);
    return transaction.exec1("SELECT count(*) FROM pricing_terms." + table)[0].as<int>();
  }

  v1::PriceList list_;
};

TEST_F(AccountChecksTest, MissingDeletedAndMergedAccountsAreRefusedNamingTheSurvivor) {
  v1::TradingTerms terms;
  const std::string missing = "accounts/" + common::NewUuidV7();
  auto status = Draft(missing, AsPricing(), &terms);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND) << status.error_message();
  EXPECT_EQ(ReasonOf(status), "ACCOUNT_NOT_FOUND");
  EXPECT_THAT(status.error_message(), HasSubstr(missing));

  account::v1::Account survivor = CreateAccount("amy", "Acme");
  account::v1::Account duplicate = CreateAccount("amy", "Acme (dup)");
  auto merged = Merge(survivor, duplicate);
  ASSERT_TRUE(merged.ok()) << merged.error_message();
  status = Draft(duplicate.name(), AsPricing(), &terms);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(ReasonOf(status), "ACCOUNT_MERGED");
  EXPECT_THAT(status.error_message(), HasSubstr("use " + survivor.name()));
  v1::Quote quote;
  status = Quote(duplicate.name(), AsSales(), &quote);
  EXPECT_EQ(ReasonOf(status), "ACCOUNT_MERGED");

  account::v1::Account gone = CreateAccount("amy", "Gone Ltd");
  account::v1::DeleteAccountRequest remove;
  remove.set_name(gone.name());
  remove.set_etag(gone.etag());
  account::v1::Account deleted;
  ASSERT_TRUE(
      accounts_->DeleteAccount(ContextAs("root", {Role::kAdmin}).get(), remove, &deleted).ok());
  status = Draft(gone.name(), AsPricing(), &terms);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND) << status.error_message();
  EXPECT_EQ(RowsIn("trading_terms"), 0);
  EXPECT_EQ(RowsIn("quotes"), 0);

  // The survivor is live: the same calls succeed there.
  EXPECT_TRUE(Draft(survivor.name(), AsPricing(), &terms).ok());
  EXPECT_TRUE(Quote(survivor.name(), AsSales(), &quote).ok());
}

TEST_F(AccountChecksTest, AccountManagersWorkOnlyOnAccountsTheyOwnOrTeam) {
  account::v1::Account olas = CreateAccount("ola", "Ola's customer");
  v1::TradingTerms terms;
  auto status = Draft(olas.name(), AsAccountManager(), &terms);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(ReasonOf(status), "NOT_ON_ACCOUNT_TEAM");
  v1::Quote quote;
  EXPECT_EQ(ReasonOf(Quote(olas.name(), AsAccountManager(), &quote)), "NOT_ON_ACCOUNT_TEAM");
  // A sales assistant quotes for any account; amy drafts for her own.
  EXPECT_TRUE(Quote(olas.name(), AsSales(), &quote).ok());
  EXPECT_TRUE(Draft(account_, AsAccountManager(), &terms).ok());

  // Once on ola's team, amy may draft there too.
  account::v1::CreateTeamMemberRequest join;
  join.set_parent(olas.name());
  join.mutable_team_member()->set_member("amy");
  join.mutable_team_member()->set_role(account::v1::TEAM_ROLE_SALES);
  account::v1::TeamMember member;
  auto joined =
      teams_->CreateTeamMember(ContextAs("ola", {Role::kAccountManager}).get(), join, &member);
  ASSERT_TRUE(joined.ok()) << joined.error_message();
  status = Draft(olas.name(), AsAccountManager(), &terms);
  EXPECT_TRUE(status.ok()) << status.error_message();
}

TEST_F(AccountChecksTest, AccountServiceStoppedFailsOnlyTheCallsThatNeedIt) {
  v1::TradingTerms active =
      ActiveTerms(list_.name(), MakeDate(2026, 1, 1), {}, {CategoryRule("tools", 1000)});
  v1::Quote quote;
  ASSERT_TRUE(Quote(account_, AsSales(), &quote).ok());

  account_service_.Stop();

  v1::TradingTerms terms;
  auto status = Draft(account_, AsPricing(), &terms);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(ReasonOf(status), "ACCOUNT_SERVICE_UNAVAILABLE");
  v1::Quote another;
  EXPECT_EQ(Quote(account_, AsSales(), &another).error_code(), grpc::StatusCode::UNAVAILABLE);
  v1::CreateSaleRequest sale = DirectSale("DRILL-1", 1);
  *sale.mutable_price_date() = MakeDate(2026, 2, 1);
  v1::Sale sold;
  EXPECT_EQ(quotes_->CreateSale(AsSales().get(), sale, &sold).error_code(),
            grpc::StatusCode::UNAVAILABLE);

  // Reads, pricing, and writes that name no account go on.
  v1::QuotePricing pricing;
  BackdateHistory();
  status = Price({{"DRILL-1", 3}}, &pricing, MakeDate(2026, 2, 1));
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(common::FormatMoney(pricing.total()), "EUR 270.00");
  v1::GetQuoteRequest get;
  get.set_name(quote.name());
  v1::Quote read;
  EXPECT_TRUE(quotes_->GetQuote(AsSales().get(), get, &read).ok());
  v1::GetTradingTermsRequest get_terms;
  get_terms.set_name(active.name());
  EXPECT_TRUE(terms_->GetTradingTerms(AsAccountManager().get(), get_terms, &terms).ok());
  Upsert(list_.name(), {Item("SAW-1", "tools/hand", Eur(20))});
  v1::UpdateQuoteRequest send;
  send.mutable_quote()->set_name(quote.name());
  send.mutable_quote()->set_status(v1::QUOTE_STATUS_SENT);
  send.set_etag(quote.etag());
  EXPECT_TRUE(quotes_->UpdateQuote(AsSales().get(), send, &read).ok());
}

}  // namespace
}  // namespace accord::pricing
