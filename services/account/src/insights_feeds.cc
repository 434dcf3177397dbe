#include "insights_feeds.h"

#include "accord/common/errors.h"
#include "insights_local_cache.h"
#include "insights_projection.h"
#include "insights_sql.h"

namespace accord::account {
namespace {

constexpr char kSchema[] = "account";

struct FeedSpec {
  const char* name;
  const char* type_prefix;
};

// One per peer, in the order of InsightsSettings' clients below.
constexpr FeedSpec kSpecs[] = {
    {"insights-contact", "accord.contact.v1.Interaction"},
    {"insights-pricing-terms", "accord.pricing.v1.SaleRecorded"},
    {"insights-service-quality", "accord.quality.v1."},
};

}  // namespace

std::vector<std::string> InsightsFeeds::FeedNames() {
  std::vector<std::string> names;
  for (const auto& spec : kSpecs) names.push_back(spec.name);
  return names;
}

InsightsFeeds::InsightsFeeds(common::PgPool& pool, const InsightsSettings& settings) : pool_(pool) {
  const common::ServiceClientOptions* peers[] = {&settings.contact, &settings.pricing,
                                                 &settings.quality};
  for (size_t i = 0; i < std::size(kSpecs); ++i) {
    Feed feed;
    feed.name = kSpecs[i].name;
    feed.client = std::make_unique<common::ServiceClient>(*peers[i]);
    common::PeerFeedOptions options;
    options.name = kSpecs[i].name;
    options.schema = kSchema;
    options.type_prefix = kSpecs[i].type_prefix;
    feed.feed =
        std::make_unique<common::PeerEventFeed>(options, pool_, *feed.client, ApplyInsightEvent);
    feeds_.push_back(std::move(feed));
  }
}

InsightsFeeds::~InsightsFeeds() { Stop(); }

void InsightsFeeds::Start() {
  std::lock_guard lock(mutex_);
  for (auto& feed : feeds_) feed.feed->Start();
  started_ = true;
}

void InsightsFeeds::Stop() {
  std::lock_guard lock(mutex_);
  for (auto& feed : feeds_) feed.feed->Stop();
  started_ = false;
}

int64_t InsightsFeeds::applied_total() const {
  int64_t total = 0;
  for (const auto& feed : feeds_) total += feed.feed->applied_total();
  return total;
}

absl::StatusOr<std::vector<std::string>> InsightsFeeds::Rebuild() {
  std::lock_guard lock(mutex_);
  // Stopped first: a running feed would store the cursor of its open stream over the reset.
  for (auto& feed : feeds_) feed.feed->Stop();
  absl::Status status = pool_.Transact([&](common::WriteTransaction& transaction) -> absl::Status {
    std::string tables;
    for (const auto& table : InsightFactTables()) tables += (tables.empty() ? "" : ", ") + table;
    transaction.exec("TRUNCATE " + tables);
    // Every replica's cache of the overview's local parts empties once this commits.
    transaction.exec_prepared_at_commit(sql::kInsightNotify.name, kOverviewRebuildNotice);
    for (const auto& feed : feeds_) {
      ACCORD_RETURN_IF_ERROR(common::PeerEventFeed::Reset(transaction, kSchema, feed.name));
    }
    return absl::OkStatus();
  });
  // Started again either way: a failed rebuild leaves the facts and cursors as they were.
  if (started_) {
    for (auto& feed : feeds_) feed.feed->Start();
  }
  if (!status.ok()) return status;
  std::vector<std::string> peers;
  for (const auto& feed : feeds_) peers.push_back(feed.client->options().service);
  return peers;
}

}  // namespace accord::account
