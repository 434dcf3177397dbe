#include "followed_events.h"

#include <google/protobuf/util/time_util.h>

#include <algorithm>
#include <set>

#include "accord/common/account_events.h"
#include "accord/common/errors.h"
#include "accord/common/resource_name.h"
#include "accord/pricing/v1/quote.pb.h"
#include "contact_fields.h"
#include "pg_relation_repository.h"
#include "relation_sql.h"

namespace accord::contact {
namespace {

using google::protobuf::util::TimeUtil;

constexpr char kSaleRecorded[] = "accord.pricing.v1.SaleRecorded";

std::string DayOf(const google::protobuf::Timestamp& time) {
  const std::string text = TimeUtil::ToString(time);  // RFC 3339, UTC
  return text.substr(0, 10);
}

}  // namespace

absl::StatusOr<std::optional<AccountChange>> AccountChangeOf(
    const common::v1::EventEnvelope& event) {
  ACCORD_ASSIGN_OR_RETURN(std::optional<common::AccountGone> gone, common::AccountGoneOf(event));
  if (!gone) return std::nullopt;
  return AccountChange{gone->account_id, gone->survivor_id, DayOf(event.time())};
}

absl::StatusOr<std::optional<Purchase>> PurchaseOf(const common::v1::EventEnvelope& event) {
  if (event.type() != kSaleRecorded) return std::nullopt;
  pricing::v1::Sale sale;
  if (!event.payload().UnpackTo(&sale)) {
    return common::Internal("SaleRecorded event " + event.id() + " carries no Sale");
  }
  // `contact` is free text in pricing-terms (a name or a resource); only our resource names count.
  auto contact_id = ParseContactName(sale.contact(), "contact");
  if (!contact_id.ok()) return std::nullopt;
  Purchase purchase;
  purchase.sale = sale.name();
  purchase.contact_id = *contact_id;
  auto account_id = common::ParseTopName(sale.account(), "accounts", "account");
  if (account_id.ok()) purchase.account_id = *account_id;
  purchase.total = sale.pricing().total();
  purchase.sale_time_micros =
      TimeUtil::TimestampToMicroseconds(sale.has_create_time() ? sale.create_time() : event.time());
  return purchase;
}

absl::StatusOr<int> ApplyAccountChange(common::WriteTransaction& transaction,
                                       const AccountChange& change,
                                       const common::OutboxWriter& outbox,
                                       const std::string& trace_id) {
  const std::string actor = "system/account-events";
  int changed = 0;
  auto append = [&](common::Event event) {
    outbox.Append(transaction, std::move(event), actor, trace_id);
    ++changed;
  };
  for (const auto& row :
       transaction.exec_prepared(sql::kLockAccountRelations.name, change.account_id)) {
    const AccountRelation current = RelationFromRow(row);
    const std::string contact_id = row[1].as<std::string>();
    const std::string id = row[0].as<std::string>();
    if (change.survivor_id.empty()) {
      // Deleted: the relation ends on the event's day (or on its start, if that is later).
      if (!IsUnset(current.end_date()) && DateText(current.end_date()) <= change.day) continue;
      const AccountRelation ended = RelationFromRow(
          transaction.exec_prepared1(sql::kEndRelation.name, contact_id, id, change.day));
      append(common::ResourceEvent(kRelationUpdated, ended, &current));
      continue;
    }
    auto existing =
        transaction.exec_prepared(sql::kFindLiveRelation.name, contact_id, change.survivor_id);
    if (existing.empty()) {
      const AccountRelation moved = RelationFromRow(
          transaction.exec_prepared1(sql::kMoveRelation.name, contact_id, id, change.survivor_id));
      append(common::ResourceEvent(kRelationUpdated, moved, &current));
      continue;
    }
    // The contact already works with the survivor: its relation there takes this one's roles
    // (and primacy, and the earlier start); this one is removed.
    const std::string kept_id = existing[0][0].as<std::string>();
    const AccountRelation kept =
        RelationFromRow(transaction.exec_prepared1(sql::kLockRelation.name, contact_id, kept_id));
    std::set<int> roles(kept.roles().begin(), kept.roles().end());
    roles.insert(current.roles().begin(), current.roles().end());
    AccountRelation merged_roles;
    for (int role : roles) merged_roles.add_roles(static_cast<v1::AccountRelationRole>(role));
    std::string start = DateText(kept.start_date());
    const std::string other_start = DateText(current.start_date());
    if (start.empty() || other_start.empty()) {
      start.clear();
    } else {
      start = std::min(start, other_start);
    }
    std::string end = DateText(kept.end_date());
    const std::string other_end = DateText(current.end_date());
    if (end.empty() || other_end.empty()) {
      end.clear();
    } else {
      end = std::max(end, other_end);
    }
    const AccountRelation folded = RelationFromRow(transaction.exec_prepared1(
        sql::kUpdateRelation.name, contact_id, kept_id, RolesLiteral(merged_roles), start, end,
        kept.is_primary() || current.is_primary()));
    append(common::ResourceEvent(kRelationUpdated, folded, &kept));
    const AccountRelation removed =
        RelationFromRow(transaction.exec_prepared1(sql::kDeleteRelation.name, contact_id, id));
    append(common::ResourceEvent(kRelationDeleted, removed));
  }
  return changed;
}

absl::StatusOr<int> ApplyPurchase(common::WriteTransaction& transaction, const Purchase& purchase) {
  // A merged contact's purchases belong to its survivor (merges chain at most a few times).
  std::string contact_id = purchase.contact_id;
  for (int hop = 0; hop < 10; ++hop) {
    auto rows = transaction.exec_params(
        "SELECT merged_into::text FROM contact.contacts WHERE id = $1::uuid", contact_id);
    if (rows.empty()) return 0;  // not a contact of this service
    if (rows[0][0].is_null()) break;
    contact_id = rows[0][0].as<std::string>();
  }
  auto inserted = transaction.exec_params(
      "INSERT INTO contact.purchases (sale, contact_id, account_id, currency, total_nanos, "
      "sale_time) VALUES ($1, $2::uuid, NULLIF($3, '')::uuid, $4, $5::numeric * 1000000000 + "
      "$6::numeric, to_timestamp($7::bigint / 1e6)) ON CONFLICT (sale) DO NOTHING RETURNING 1",
      purchase.sale, contact_id, purchase.account_id, purchase.total.currency_code(),
      purchase.total.units(), purchase.total.nanos(), purchase.sale_time_micros);
  return static_cast<int>(inserted.size());
}

FollowedEvents::FollowedEvents(common::PgPool& pool, common::ServiceClientOptions account,
                               common::ServiceClientOptions pricing)
    : account_client_(std::move(account)), outbox_("contact", "contact") {
  common::PeerFeedOptions accounts;
  accounts.name = kAccountFeed;
  accounts.schema = "contact";
  accounts.type_prefix = "accord.account.v1.Account";
  account_feed_ = std::make_unique<common::PeerEventFeed>(
      accounts, pool, account_client_,
      [this](common::WriteTransaction& transaction, const common::v1::EventEnvelope& event) {
        ACCORD_ASSIGN_OR_RETURN(std::optional<AccountChange> change, AccountChangeOf(event));
        if (!change) return absl::OkStatus();
        return ApplyAccountChange(transaction, *change, outbox_, event.trace_id()).status();
      });
  if (pricing.address.empty()) return;
  pricing_client_ = std::make_unique<common::ServiceClient>(std::move(pricing));
  common::PeerFeedOptions sales;
  sales.name = kSaleFeed;
  sales.schema = "contact";
  sales.type_prefix = kSaleRecorded;
  sale_feed_ = std::make_unique<common::PeerEventFeed>(
      sales, pool, *pricing_client_,
      [](common::WriteTransaction& transaction, const common::v1::EventEnvelope& event) {
        ACCORD_ASSIGN_OR_RETURN(std::optional<Purchase> purchase, PurchaseOf(event));
        if (!purchase) return absl::OkStatus();
        return ApplyPurchase(transaction, *purchase).status();
      });
}

FollowedEvents::~FollowedEvents() { Stop(); }

void FollowedEvents::Start() {
  account_feed_->Start();
  if (sale_feed_) sale_feed_->Start();
}

void FollowedEvents::Stop() {
  if (account_feed_) account_feed_->Stop();
  if (sale_feed_) sale_feed_->Stop();
}

}  // namespace accord::contact
