// In-process copies of what every quote reads from PostgreSQL besides the policy: an account's
// terms in force on a day, and price lists as they stand now with the items quoted from them.
// Used by CachingPricingRepository; one instance per process, shared by the services.
//
// Freshness: a write through this process drops what it changed right after its commit
// (CachingPricingRepository calls Changed), and every replica drops it again when the change's
// event arrives (the stream tail's listener calls Changed with the event's subject): terms events
// name `accounts/{a}/tradingTerms/{t}` and drop the account's terms; price-list and item events
// name `priceLists/{id}` (an item change bumps its list's version) and drop the list with its
// items. A read that started before a drop never stores what it read (every drop moves an epoch
// the fill compares). Entries are served only while `fresh()` says events arrive (the stream tail
// follows the live stream); when it does not, everything is dropped and reads go to PostgreSQL.
// Entries also expire after `ttl`, a bound should anything else change a row behind the service.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "accord/pricing/v1/price_list.pb.h"
#include "accord/pricing/v1/trading_terms.pb.h"
#include "pricing_common.h"

namespace accord::pricing {

class QuoteReadCache {
 public:
  struct Options {
    std::chrono::milliseconds ttl{60000};
    size_t max_terms = 20000;   // (account, day) entries
    size_t max_lists = 2000;    // price lists
    size_t max_items = 200000;  // items over every list
  };
  // `fresh`: whether change events are arriving; nullptr: always.
  QuoteReadCache(Options options, std::function<bool()> fresh);

  // What a change of the resource named `subject` makes stale: the account's terms
  // (accounts/{a}/tradingTerms/...) or the list and its items (priceLists/{id}[/...]).
  void Changed(const std::string& subject);

  using TermsLoad = std::function<absl::StatusOr<std::optional<v1::TradingTerms>>()>;
  // The account's terms in force on `day`, cached per account and day.
  absl::StatusOr<std::optional<v1::TradingTerms>> TermsInForce(const std::string& account_id,
                                                               const Date& day,
                                                               const TermsLoad& load);

  using ListLoad = std::function<absl::StatusOr<v1::PriceList>()>;
  // The list as it stands now (what `load` reads).
  absl::StatusOr<v1::PriceList> CurrentList(const std::string& list_id, const ListLoad& load);

  using ItemsLoad = std::function<absl::StatusOr<std::vector<v1::PriceListItem>>(
      const std::vector<std::string>& skus)>;
  // The items of `skus` the list carries now (missing ones absent); `load` reads those not held.
  // Items are held only beside their list (CurrentList first): they go with it.
  absl::StatusOr<std::vector<v1::PriceListItem>> CurrentItems(const std::string& list_id,
                                                              const std::vector<std::string>& skus,
                                                              const ItemsLoad& load);

  // Entries held, for tests and metrics.
  size_t terms_size();
  size_t lists_size();

 private:
  using Clock = std::chrono::steady_clock;
  struct TermsEntry {
    std::optional<v1::TradingTerms> terms;
    Clock::time_point loaded;
  };
  struct ListEntry {
    v1::PriceList list;
    Clock::time_point loaded;
    // By SKU; nullopt: the list does not carry it.
    std::unordered_map<std::string, std::optional<v1::PriceListItem>> items;
  };

  // False (after dropping everything) while events do not arrive.
  bool Usable();
  void DropAllLocked();
  bool Expired(Clock::time_point loaded) const { return Clock::now() - loaded > options_.ttl; }

  Options options_;
  std::function<bool()> fresh_;
  std::mutex mutex_;
  uint64_t epoch_ = 0;                                           // moves with every drop
  std::map<std::pair<std::string, int64_t>, TermsEntry> terms_;  // (account id, day number)
  std::unordered_map<std::string, ListEntry> lists_;
  size_t items_ = 0;
};

}  // namespace accord::pricing
