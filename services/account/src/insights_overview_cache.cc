#include "insights_overview_cache.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/dynamic_message.h>
#include <google/protobuf/message.h>

#include <algorithm>

#include "accord/common/ids.h"
#include "accord/common/log.h"
#include "resource_names.h"

namespace accord::account {
namespace {

constexpr char kSchema[] = "account";
constexpr char kPrefix[] = "accord:insights:overview:";
// The all-accounts tokens, one field per part.
constexpr char kAllAccounts[] = "accord:insights:overview:generation";

std::string GenerationKey(const std::string& account_id) {
  return std::string(kPrefix) + "generation:" + account_id;
}

std::string ValueKey(const std::string& account_id, OverviewPart part, const std::string& caller) {
  return std::string(kPrefix) + account_id + ":" + OverviewPartName(part) + ":" + caller;
}

struct FeedSpec {
  const char* name;
  const char* type_prefix;
  OverviewPart part;
};

// One per peer, in the order of InsightsSettings' clients below.
constexpr FeedSpec kSpecs[] = {
    {"overview-contact", "accord.contact.v1.", OverviewPart::kKeyContacts},
    {"overview-pricing-terms", "accord.pricing.v1.TradingTerms", OverviewPart::kActiveTerms},
    {"overview-service-quality", "accord.quality.v1.", OverviewPart::kOpenCases},
};

bool StartsWith(const std::string& text, std::string_view prefix) {
  return text.compare(0, prefix.size(), prefix) == 0;
}

// The event types that can change what a part shows: contacts and their relations (names, job
// titles, roles, masking); terms; cases and what their SLA state is computed from.
std::optional<OverviewPart> PartOf(const std::string& type) {
  if (StartsWith(type, "accord.contact.v1.Contact") ||
      StartsWith(type, "accord.contact.v1.AccountRelation")) {
    return OverviewPart::kKeyContacts;
  }
  if (StartsWith(type, "accord.pricing.v1.TradingTerms")) return OverviewPart::kActiveTerms;
  if (StartsWith(type, "accord.quality.v1.Case") || StartsWith(type, "accord.quality.v1.Sla") ||
      StartsWith(type, "accord.quality.v1.Calendar")) {
    return OverviewPart::kOpenCases;
  }
  return std::nullopt;
}

// A string field `account` of `message`, or of one of its singular message fields (a case inside
// an SLA event); "" when there is none.
std::string AccountField(const google::protobuf::Message& message, int depth) {
  const auto* descriptor = message.GetDescriptor();
  const auto* reflection = message.GetReflection();
  const auto* field = descriptor->FindFieldByName("account");
  if (field != nullptr && field->type() == google::protobuf::FieldDescriptor::TYPE_STRING &&
      !field->is_repeated()) {
    return reflection->GetString(message, field);
  }
  if (depth == 0) return "";
  for (int i = 0; i < descriptor->field_count(); ++i) {
    const auto* inner = descriptor->field(i);
    if (inner->is_repeated() || inner->type() != google::protobuf::FieldDescriptor::TYPE_MESSAGE ||
        !reflection->HasField(message, inner)) {
      continue;
    }
    std::string found = AccountField(reflection->GetMessage(message, inner), depth - 1);
    if (!found.empty()) return found;
  }
  return "";
}

// The account an event's resource belongs to: its subject's (`accounts/{id}/...`), else its
// payload's `account` field; "" when neither names one.
std::string AccountOf(const common::v1::EventEnvelope& event) {
  const std::string& subject = event.subject();
  if (StartsWith(subject, "accounts/")) {
    const size_t end = subject.find('/', std::string_view("accounts/").size());
    auto id = ParseAccountName(subject.substr(0, end), "subject");
    if (id.ok()) return *id;
  }
  const std::string& url = event.payload().type_url();
  const auto* descriptor =
      google::protobuf::DescriptorPool::generated_pool()->FindMessageTypeByName(
          url.substr(url.rfind('/') + 1));
  if (descriptor == nullptr) return "";
  const auto* prototype =
      google::protobuf::MessageFactory::generated_factory()->GetPrototype(descriptor);
  if (prototype == nullptr) return "";
  std::unique_ptr<google::protobuf::Message> payload(prototype->New());
  if (!payload->ParseFromString(event.payload().value())) return "";
  const std::string account = AccountField(*payload, 1);
  if (account.empty()) return "";
  auto id = ParseAccountName(account, "account");
  return id.ok() ? *id : "";
}

}  // namespace

const char* OverviewPartName(OverviewPart part) {
  switch (part) {
    case OverviewPart::kKeyContacts:
      return "key_contacts";
    case OverviewPart::kOpenCases:
      return "open_cases";
    case OverviewPart::kActiveTerms:
      return "active_terms";
  }
  return "unknown";
}

std::optional<OverviewStale> StaleOverviewPart(const common::v1::EventEnvelope& event) {
  std::optional<OverviewPart> part = PartOf(event.type());
  if (!part) return std::nullopt;
  OverviewStale stale{*part, ""};
  // A resource that moved between accounts (a merge) names only where it is now; the account it
  // left is stale too, and unknown here.
  const bool moved =
      event.type().find("Moved") != std::string::npos ||
      event.type().find("Merged") != std::string::npos ||
      std::any_of(event.changed_fields().paths().begin(), event.changed_fields().paths().end(),
                  [](const std::string& path) { return path == "account"; });
  if (!moved) stale.account_id = AccountOf(event);
  return stale;
}

std::string OverviewCallerKey(const common::Principal& principal) {
  std::vector<std::string> roles;
  for (common::Role role : principal.roles) roles.emplace_back(common::RoleName(role));
  std::sort(roles.begin(), roles.end());
  std::vector<std::string> territories = principal.territories;
  std::sort(territories.begin(), territories.end());
  // Length-prefixed, so no subject can spell another caller's key.
  std::string key = std::to_string(principal.subject.size()) + "." + principal.subject;
  for (const auto* list : {&roles, &territories}) {
    key += "|";
    for (const auto& item : *list) key += std::to_string(item.size()) + "." + item;
  }
  return key;
}

OverviewCache::OverviewCache(common::RedisClient& redis, std::chrono::seconds ttl)
    : redis_(redis), ttl_(ttl) {}

OverviewCache::Lookup OverviewCache::Get(const std::string& account_id, const std::string& caller) {
  Lookup lookup;
  std::vector<std::string> fields;
  for (size_t i = 0; i < kOverviewParts; ++i) {
    fields.emplace_back(OverviewPartName(static_cast<OverviewPart>(i)));
  }
  auto hmget = [&](const std::string& key) {
    std::vector<std::string> command = {"HMGET", key};
    command.insert(command.end(), fields.begin(), fields.end());
    return command;
  };
  std::vector<std::string> mget = {"MGET"};
  for (size_t i = 0; i < kOverviewParts; ++i) {
    mget.push_back(ValueKey(account_id, static_cast<OverviewPart>(i), caller));
  }
  auto replies = redis_.Pipeline({hmget(kAllAccounts), hmget(GenerationKey(account_id)), mget});
  if (!replies.ok() || replies->size() != 3) return lookup;
  for (const auto& reply : *replies) {
    if (reply.type != common::RedisValue::Type::kArray || reply.elements.size() != kOverviewParts) {
      return lookup;
    }
  }
  const auto& all = (*replies)[0].elements;
  const auto& own = (*replies)[1].elements;
  const auto& values = (*replies)[2].elements;
  std::vector<std::vector<std::string>> claims;
  for (size_t i = 0; i < kOverviewParts; ++i) {
    if (all[i].is_nil()) claims.push_back({"HSETNX", kAllAccounts, fields[i], common::NewUuidV7()});
    if (own[i].is_nil()) {
      claims.push_back({"HSETNX", GenerationKey(account_id), fields[i], common::NewUuidV7()});
    }
  }
  if (!claims.empty()) {
    // First read since the tokens were last replaced or lost: claim tokens (a concurrent reader's
    // or invalidation's win) and read what holds now; nothing stored can match yet.
    claims.push_back(hmget(kAllAccounts));
    claims.push_back(hmget(GenerationKey(account_id)));
    auto claimed = redis_.Pipeline(claims);
    if (!claimed.ok()) return lookup;
    const auto& all_now = (*claimed)[claimed->size() - 2];
    const auto& own_now = (*claimed)[claimed->size() - 1];
    if (all_now.elements.size() != kOverviewParts || own_now.elements.size() != kOverviewParts) {
      return lookup;
    }
    for (size_t i = 0; i < kOverviewParts; ++i) {
      if (all_now.elements[i].is_nil() || own_now.elements[i].is_nil()) return Lookup{};
      lookup.generation[i] = all_now.elements[i].str + "." + own_now.elements[i].str;
    }
    return lookup;
  }
  for (size_t i = 0; i < kOverviewParts; ++i) {
    lookup.generation[i] = all[i].str + "." + own[i].str;
    // A value is "{generation}\n{bytes}", current only under the tokens that hold now.
    const std::string& value = values[i].str;
    const std::string& generation = lookup.generation[i];
    if (!values[i].is_nil() && value.size() > generation.size() &&
        value.compare(0, generation.size(), generation) == 0 && value[generation.size()] == '\n') {
      lookup.bytes[i] = value.substr(generation.size() + 1);
    }
  }
  return lookup;
}

void OverviewCache::Put(const std::string& account_id, const std::string& caller,
                        const Lookup& lookup, const std::vector<Entry>& entries) {
  std::vector<std::vector<std::string>> commands;
  for (const auto& entry : entries) {
    const std::string& generation = lookup.generation[static_cast<size_t>(entry.part)];
    if (generation.empty()) continue;
    const auto ttl = std::min(entry.ttl, ttl_);
    if (ttl.count() <= 0) continue;
    commands.push_back({"SET", ValueKey(account_id, entry.part, caller),
                        generation + "\n" + entry.bytes, "EX", std::to_string(ttl.count())});
  }
  if (commands.empty()) return;
  // The tokens outlive what is stored under them; an account not read for a while is forgotten.
  commands.push_back({"EXPIRE", GenerationKey(account_id), std::to_string(ttl_.count() * 2)});
  auto stored = redis_.Pipeline(commands);
  if (!stored.ok()) {
    common::log::Debug("overview cache: store failed", {{"error", stored.status().ToString()}});
  }
}

absl::Status OverviewCache::Invalidate(const OverviewStale& stale) {
  const std::string key = stale.account_id.empty() ? kAllAccounts : GenerationKey(stale.account_id);
  auto replaced = redis_.Command({"HSET", key, OverviewPartName(stale.part), common::NewUuidV7()});
  if (!replaced.ok()) return replaced.status();
  if (replaced->type == common::RedisValue::Type::kError) {
    return absl::UnavailableError("overview cache: " + replaced->str);
  }
  return absl::OkStatus();
}

OverviewFeeds::OverviewFeeds(common::PgPool& pool, const InsightsSettings& settings,
                             OverviewCache& cache)
    : cache_(cache) {
  const common::ServiceClientOptions* peers[] = {&settings.contact, &settings.pricing,
                                                 &settings.quality};
  for (size_t i = 0; i < std::size(kSpecs); ++i) {
    auto feed = std::make_unique<Feed>();
    feed->part = kSpecs[i].part;
    feed->client = std::make_unique<common::ServiceClient>(*peers[i]);
    common::PeerFeedOptions options;
    options.name = kSpecs[i].name;
    options.schema = kSchema;
    options.type_prefix = kSpecs[i].type_prefix;
    Feed* self = feed.get();
    feed->feed = std::make_unique<common::PeerEventFeed>(
        options, pool, *feed->client,
        [this, self](common::WriteTransaction&, const common::v1::EventEnvelope& event) {
          std::optional<OverviewStale> stale = StaleOverviewPart(event);
          if (!stale || stale->part != self->part) return absl::OkStatus();
          absl::Status status = cache_.Invalidate(*stale);
          // Not trusted until an invalidation goes through again (the feed retries this one).
          self->invalidation_failed.store(!status.ok());
          return status;
        });
    feeds_.push_back(std::move(feed));
  }
}

OverviewFeeds::~OverviewFeeds() { Stop(); }

void OverviewFeeds::Start() {
  for (auto& feed : feeds_) feed->feed->Start();
}

void OverviewFeeds::Stop() {
  for (auto& feed : feeds_) feed->feed->Stop();
}

OverviewFeeds::Feed& OverviewFeeds::FeedOf(OverviewPart part) {
  for (auto& feed : feeds_) {
    if (feed->part == part) return *feed;
  }
  return *feeds_.front();
}

bool OverviewFeeds::Trusted(OverviewPart part) {
  Feed& feed = FeedOf(part);
  if (!feed.feed->connected()) {
    feed.disconnects.fetch_add(1);
    return false;
  }
  if (feed.invalidation_failed.load()) return false;
  const int64_t disconnects = feed.disconnects.load();
  if (feed.covered.load() == disconnects) return true;
  // Back after a gap (or the first time): nothing stored before now is known to be current.
  if (!cache_.Invalidate(OverviewStale{part, ""}).ok()) return false;
  feed.covered.store(disconnects);
  return true;
}

int64_t OverviewFeeds::applied_total() const {
  int64_t total = 0;
  for (const auto& feed : feeds_) total += feed->feed->applied_total();
  return total;
}

}  // namespace accord::account
