// QuoteReadCache: what it serves, what each change drops, and that a read that raced a change
// never stores what it read.
#include "quote_read_cache.h"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <thread>

namespace accord::pricing {
namespace {

constexpr char kAccount[] = "0190a000-0000-7000-8000-00000000000a";
constexpr char kOther[] = "0190a000-0000-7000-8000-00000000000b";
constexpr char kList[] = "0190a000-0000-7000-8000-000000000001";

class QuoteReadCacheTest : public ::testing::Test {
 protected:
  QuoteReadCacheTest() : cache_(QuoteReadCache::Options{}, [this] { return fresh_.load(); }) {}

  // The terms in force as `load` would read them now, counting the loads.
  std::string Terms(const std::string& account, const Date& day = MakeDate(2026, 6, 1)) {
    auto terms =
        cache_.TermsInForce(account, day, [&]() -> absl::StatusOr<std::optional<v1::TradingTerms>> {
          ++loads_;
          if (stored_terms_.empty()) return std::nullopt;
          v1::TradingTerms terms;
          terms.set_name(stored_terms_);
          return terms;
        });
    EXPECT_TRUE(terms.ok());
    return terms.ok() && *terms ? (*terms)->name() : "none";
  }

  std::string ListName() {
    auto list = cache_.CurrentList(kList, [&]() -> absl::StatusOr<v1::PriceList> {
      ++loads_;
      v1::PriceList list;
      list.set_display_name(stored_list_);
      return list;
    });
    EXPECT_TRUE(list.ok());
    return list.ok() ? list->display_name() : "error";
  }

  // The SKUs found with their product names ("A:Drill"), and the SKUs each load asked for.
  std::string Items(const std::vector<std::string>& skus) {
    auto items = cache_.CurrentItems(kList, skus,
                                     [&](const std::vector<std::string>& missing)
                                         -> absl::StatusOr<std::vector<v1::PriceListItem>> {
                                       for (const auto& sku : missing) asked_ += sku + " ";
                                       std::vector<v1::PriceListItem> found;
                                       for (const auto& sku : missing) {
                                         if (auto name = stored_items_.find(sku);
                                             name != stored_items_.end()) {
                                           v1::PriceListItem item;
                                           item.set_sku(sku);
                                           item.set_product_name(name->second);
                                           found.push_back(item);
                                         }
                                       }
                                       return found;
                                     });
    EXPECT_TRUE(items.ok());
    std::map<std::string, std::string> sorted;
    for (const auto& item : *items) sorted[item.sku()] = item.product_name();
    std::string out;
    for (const auto& [sku, name] : sorted) out += sku + ":" + name + " ";
    return out;
  }

  std::atomic<bool> fresh_{true};
  QuoteReadCache cache_;
  int loads_ = 0;
  std::string stored_terms_ = "accounts/a/tradingTerms/1";
  std::string stored_list_ = "Base v1";
  std::map<std::string, std::string> stored_items_ = {{"A", "Drill"}, {"B", "Saw"}};
  std::string asked_;
};

TEST_F(QuoteReadCacheTest, TermsAreReadOncePerAccountAndDayUntilTheAccountsTermsChange) {
  EXPECT_EQ(Terms(kAccount), "accounts/a/tradingTerms/1");
  stored_terms_ = "accounts/a/tradingTerms/2";
  EXPECT_EQ(Terms(kAccount), "accounts/a/tradingTerms/1");
  EXPECT_EQ(loads_, 1);
  // Another day is another entry.
  EXPECT_EQ(Terms(kAccount, MakeDate(2026, 6, 2)), "accounts/a/tradingTerms/2");
  EXPECT_EQ(loads_, 2);

  // Another account's terms, a list, a quote: nothing of this account's.
  cache_.Changed(std::string("accounts/") + kOther + "/tradingTerms/9");
  cache_.Changed(std::string("priceLists/") + kList);
  cache_.Changed("quotes/0190a000-0000-7000-8000-0000000000ff");
  cache_.Changed(std::string("accounts/") + kAccount);  // not terms
  EXPECT_EQ(Terms(kAccount), "accounts/a/tradingTerms/1");
  EXPECT_EQ(loads_, 2);

  // Any of its terms: every day of the account.
  cache_.Changed(std::string("accounts/") + kAccount + "/tradingTerms/7");
  EXPECT_EQ(Terms(kAccount), "accounts/a/tradingTerms/2");
  EXPECT_EQ(Terms(kAccount, MakeDate(2026, 6, 2)), "accounts/a/tradingTerms/2");
  EXPECT_EQ(loads_, 4);
  EXPECT_EQ(cache_.terms_size(), 2u);

  // No terms in force is held as well.
  stored_terms_.clear();
  cache_.Changed(std::string("accounts/") + kAccount + "/tradingTerms/7");
  EXPECT_EQ(Terms(kAccount), "none");
  stored_terms_ = "accounts/a/tradingTerms/3";
  EXPECT_EQ(Terms(kAccount), "none");
  EXPECT_EQ(loads_, 5);
}

TEST_F(QuoteReadCacheTest, AReadThatRacedAChangeIsNotKept) {
  auto terms = cache_.TermsInForce(
      kAccount, MakeDate(2026, 6, 1), [&]() -> absl::StatusOr<std::optional<v1::TradingTerms>> {
        ++loads_;
        // The change commits (and its event arrives) while this read is under way.
        cache_.Changed(std::string("accounts/") + kAccount + "/tradingTerms/1");
        v1::TradingTerms stale;
        stale.set_name("stale");
        return stale;
      });
  ASSERT_TRUE(terms.ok());
  EXPECT_EQ((*terms)->name(), "stale");  // answered, not kept
  EXPECT_EQ(Terms(kAccount), "accounts/a/tradingTerms/1");
  EXPECT_EQ(loads_, 2);

  auto list = cache_.CurrentList(kList, [&]() -> absl::StatusOr<v1::PriceList> {
    cache_.Changed(std::string("priceLists/") + kList);
    return v1::PriceList();
  });
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(cache_.lists_size(), 0u);
}

TEST_F(QuoteReadCacheTest, ItemsAreHeldBesideTheirListAndGoWithIt) {
  // Without the list held, items are read every time.
  EXPECT_EQ(Items({"A"}), "A:Drill ");
  EXPECT_EQ(Items({"A"}), "A:Drill ");
  EXPECT_EQ(asked_, "A A ");

  EXPECT_EQ(ListName(), "Base v1");
  asked_.clear();
  EXPECT_EQ(Items({"A", "Z"}), "A:Drill ");
  stored_items_["A"] = "Hammer drill";
  stored_items_["Z"] = "Level";
  // Held: A, and Z's absence; only B is read.
  EXPECT_EQ(Items({"A", "B", "Z"}), "A:Drill B:Saw ");
  EXPECT_EQ(asked_, "A Z B ");

  // An item change bumps its list: the list's event drops the list and its items.
  stored_list_ = "Base v2";
  cache_.Changed(std::string("priceLists/") + kList);
  EXPECT_EQ(ListName(), "Base v2");
  asked_.clear();
  EXPECT_EQ(Items({"A", "B", "Z"}), "A:Hammer drill B:Saw Z:Level ");
  EXPECT_EQ(asked_, "A B Z ");
}

TEST_F(QuoteReadCacheTest, NothingIsServedNorKeptWhileEventsDoNotArrive) {
  EXPECT_EQ(Terms(kAccount), "accounts/a/tradingTerms/1");
  EXPECT_EQ(ListName(), "Base v1");
  fresh_ = false;
  stored_terms_ = "accounts/a/tradingTerms/2";
  stored_list_ = "Base v2";
  EXPECT_EQ(Terms(kAccount), "accounts/a/tradingTerms/2");
  EXPECT_EQ(ListName(), "Base v2");
  EXPECT_EQ(cache_.terms_size(), 0u);
  EXPECT_EQ(cache_.lists_size(), 0u);
  // Back: read afresh, then held again.
  fresh_ = true;
  stored_terms_ = "accounts/a/tradingTerms/3";
  EXPECT_EQ(Terms(kAccount), "accounts/a/tradingTerms/3");
  stored_terms_ = "accounts/a/tradingTerms/4";
  EXPECT_EQ(Terms(kAccount), "accounts/a/tradingTerms/3");
}

TEST_F(QuoteReadCacheTest, EntriesExpire) {
  QuoteReadCache::Options options;
  options.ttl = std::chrono::milliseconds(0);
  QuoteReadCache cache(options, nullptr);
  int loads = 0;
  auto load = [&]() -> absl::StatusOr<std::optional<v1::TradingTerms>> {
    ++loads;
    return std::nullopt;
  };
  // An entry older than its TTL (zero here; a millisecond passes between reads) is read again.
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(cache.TermsInForce(kAccount, MakeDate(2026, 6, 1), load).ok());
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_EQ(loads, 3);
}

TEST_F(QuoteReadCacheTest, ErrorsAreNotKept) {
  int loads = 0;
  auto failing = [&]() -> absl::StatusOr<v1::PriceList> {
    ++loads;
    return absl::NotFoundError("priceLists/x");
  };
  EXPECT_FALSE(cache_.CurrentList(kList, failing).ok());
  EXPECT_FALSE(cache_.CurrentList(kList, failing).ok());
  EXPECT_EQ(loads, 2);
}

}  // namespace
}  // namespace accord::pricing
