#include "quote_read_cache.h"

#include <string_view>

namespace accord::pricing {
namespace {

// The id after `prefix` in `subject`, up to the next '/'; "" when `subject` does not start so.
std::string_view IdAfter(std::string_view subject, std::string_view prefix) {
  if (subject.substr(0, prefix.size()) != prefix) return {};
  subject.remove_prefix(prefix.size());
  return subject.substr(0, subject.find('/'));
}

}  // namespace

QuoteReadCache::QuoteReadCache(Options options, std::function<bool()> fresh)
    : options_(options), fresh_(std::move(fresh)) {}

void QuoteReadCache::Changed(const std::string& subject) {
  if (const std::string_view list = IdAfter(subject, "priceLists/"); !list.empty()) {
    std::lock_guard lock(mutex_);
    ++epoch_;
    if (auto found = lists_.find(std::string(list)); found != lists_.end()) {
      items_ -= found->second.items.size();
      lists_.erase(found);
    }
    return;
  }
  const std::string_view account = IdAfter(subject, "accounts/");
  if (account.empty() || subject.find("/tradingTerms/") == std::string::npos) return;
  std::lock_guard lock(mutex_);
  ++epoch_;
  const std::string id(account);
  terms_.erase(terms_.lower_bound({id, INT64_MIN}), terms_.upper_bound({id, INT64_MAX}));
}

bool QuoteReadCache::Usable() {
  if (!fresh_ || fresh_()) return true;
  std::lock_guard lock(mutex_);
  DropAllLocked();
  return false;
}

void QuoteReadCache::DropAllLocked() {
  ++epoch_;
  terms_.clear();
  lists_.clear();
  items_ = 0;
}

absl::StatusOr<std::optional<v1::TradingTerms>> QuoteReadCache::TermsInForce(
    const std::string& account_id, const Date& day, const TermsLoad& load) {
  if (!Usable()) return load();
  const std::pair<std::string, int64_t> key{account_id, DaysFromCivil(day)};
  uint64_t seen;
  {
    std::lock_guard lock(mutex_);
    if (auto found = terms_.find(key); found != terms_.end()) {
      if (!Expired(found->second.loaded)) return found->second.terms;
      terms_.erase(found);
    }
    seen = epoch_;
  }
  auto loaded = load();
  if (!loaded.ok()) return loaded;
  std::lock_guard lock(mutex_);
  if (epoch_ == seen) {
    if (terms_.size() >= options_.max_terms) terms_.clear();
    terms_[key] = TermsEntry{*loaded, Clock::now()};
  }
  return loaded;
}

absl::StatusOr<v1::PriceList> QuoteReadCache::CurrentList(const std::string& list_id,
                                                          const ListLoad& load) {
  if (!Usable()) return load();
  uint64_t seen;
  {
    std::lock_guard lock(mutex_);
    if (auto found = lists_.find(list_id); found != lists_.end()) {
      if (!Expired(found->second.loaded)) return found->second.list;
      items_ -= found->second.items.size();
      lists_.erase(found);
    }
    seen = epoch_;
  }
  auto loaded = load();
  if (!loaded.ok()) return loaded;
  std::lock_guard lock(mutex_);
  if (epoch_ == seen) {
    if (lists_.size() >= options_.max_lists) {
      lists_.clear();
      items_ = 0;
    }
    lists_[list_id] = ListEntry{*loaded, Clock::now(), {}};
  }
  return loaded;
}

absl::StatusOr<std::vector<v1::PriceListItem>> QuoteReadCache::CurrentItems(
    const std::string& list_id, const std::vector<std::string>& skus, const ItemsLoad& load) {
  if (!Usable()) return load(skus);
  std::vector<v1::PriceListItem> items;
  std::vector<std::string> missing;
  uint64_t seen;
  {
    std::lock_guard lock(mutex_);
    auto list = lists_.find(list_id);
    if (list == lists_.end() || Expired(list->second.loaded)) {
      missing = skus;  // not kept without the list they belong to
    } else {
      for (const auto& sku : skus) {
        auto found = list->second.items.find(sku);
        if (found == list->second.items.end()) {
          missing.push_back(sku);
        } else if (found->second) {
          items.push_back(*found->second);
        }
      }
    }
    seen = epoch_;
  }
  if (missing.empty()) return items;
  ACCORD_ASSIGN_OR_RETURN(std::vector<v1::PriceListItem> loaded, load(missing));
  std::lock_guard lock(mutex_);
  auto list = lists_.find(list_id);
  if (epoch_ == seen && list != lists_.end()) {
    if (items_ + missing.size() > options_.max_items) {
      for (auto& [id, entry] : lists_) entry.items.clear();
      items_ = 0;
    }
    auto& held = list->second.items;
    for (const auto& sku : missing) items_ += held.emplace(sku, std::nullopt).second ? 1 : 0;
    for (const auto& item : loaded) held[item.sku()] = item;
  }
  for (auto& item : loaded) items.push_back(std::move(item));
  return items;
}

size_t QuoteReadCache::terms_size() {
  std::lock_guard lock(mutex_);
  return terms_.size();
}

size_t QuoteReadCache::lists_size() {
  std::lock_guard lock(mutex_);
  return lists_.size();
}

}  // namespace accord::pricing
