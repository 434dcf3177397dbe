#include "account_events.h"

#include "accord/account/v1/account.pb.h"
#include "accord/common/account_events.h"
#include "pricing_write.h"

namespace accord::pricing {
namespace {

Date DayOf(const common::v1::EventEnvelope& event) {
  const int64_t seconds = event.time().seconds();
  return CivilFromDays(seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400);
}

}  // namespace

absl::StatusOr<std::optional<AccountChange>> AccountChangeOf(
    const common::v1::EventEnvelope& event) {
  ACCORD_ASSIGN_OR_RETURN(std::optional<common::AccountGone> gone, common::AccountGoneOf(event));
  if (!gone) return std::nullopt;
  return AccountChange{gone->account_id, gone->survivor_id, DayOf(event)};
}

absl::StatusOr<std::optional<AccountTier>> AccountTierOf(const common::v1::EventEnvelope& event) {
  if (event.type() != "accord.account.v1.AccountCreated" &&
      event.type() != "accord.account.v1.AccountUpdated") {
    return std::nullopt;
  }
  account::v1::Account account;
  if (!event.payload().UnpackTo(&account)) {
    return common::Internal(event.type() + " event " + event.id() + " carries no Account");
  }
  AccountTier tier;
  ACCORD_ASSIGN_OR_RETURN(tier.account_id, ParseTopName(account.name(), "accounts", "name"));
  switch (account.tier()) {
    case account::v1::ACCOUNT_TIER_STRATEGIC:
      tier.tier = "strategic";
      break;
    case account::v1::ACCOUNT_TIER_KEY:
      tier.tier = "key";
      break;
    case account::v1::ACCOUNT_TIER_STANDARD:
      tier.tier = "standard";
      break;
    default:
      tier.tier = "unspecified";
  }
  tier.version = event.aggregate_version();
  return tier;
}

AccountEventFeed::AccountEventFeed(common::PgPool& pool, common::ServiceClientOptions account)
    : client_(std::move(account)), repository_(pool) {
  common::PeerFeedOptions options;
  options.name = "account-events";
  options.schema = kSchema;
  options.type_prefix = "accord.account.v1.Account";
  feed_ = std::make_unique<common::PeerEventFeed>(
      options, pool, client_,
      [this](common::WriteTransaction& transaction, const common::v1::EventEnvelope& event) {
        ACCORD_ASSIGN_OR_RETURN(std::optional<AccountTier> tier, AccountTierOf(event));
        if (tier) {
          return repository_.SetAccountTier(transaction, tier->account_id, tier->tier,
                                            tier->version);
        }
        ACCORD_ASSIGN_OR_RETURN(std::optional<AccountChange> change, AccountChangeOf(event));
        if (!change) return absl::OkStatus();
        return repository_.ApplyAccountChange(transaction, *change).status();
      });
}

AccountEventFeed::~AccountEventFeed() { Stop(); }

void AccountEventFeed::Start() { feed_->Start(); }

void AccountEventFeed::Stop() {
  if (feed_) feed_->Stop();
}

}  // namespace accord::pricing
