#include "pg_webhook_repository.h"

#include <google/protobuf/util/time_util.h>

#include <map>

#include "accord/common/errors.h"
#include "accord/common/list_query.h"
#include "accord/common/page_token.h"
#include "accord/common/v1/event_type.pb.h"

namespace accord::webhooks {
namespace {

using google::protobuf::util::TimeUtil;

#define ACCORD_MICROS(column) "(extract(epoch FROM " column ") * 1000000)::bigint"

constexpr char kColumns[] = "t.id::text, t.attributes, t.state, t.version, " ACCORD_MICROS(
    "t.create_time") ", " ACCORD_MICROS("t.update_time") ", " ACCORD_MICROS("t.failing_since");

constexpr char kDeliveryColumns[] =
    "d.id, d.webhook_id::text, d.event_id, d.event_type, d.subject, d.state, " ACCORD_MICROS(
        "d.create_time") ", " ACCORD_MICROS("d.next_attempt_time");

const char* kCreated = "accord.webhooks.v1.WebhookCreated";
const char* kUpdated = "accord.webhooks.v1.WebhookUpdated";
const char* kDeleted = "accord.webhooks.v1.WebhookDeleted";
const char* kDisabled = "accord.webhooks.v1.WebhookDisabled";

std::string Hex(std::string_view bytes) { return "\\x" + common::LowerHex(bytes); }

int64_t MicrosOf(Clock::time_point time) {
  return std::chrono::duration_cast<std::chrono::microseconds>(time.time_since_epoch()).count();
}

absl::StatusOr<Webhook> RowToWebhook(const pqxx::row& row) {
  Webhook webhook;
  const std::string name = WebhookName(row[0].as<std::string>());
  if (!webhook.ParseFromString(pqxx::binarystring(row[1]).str())) {
    return common::Internal("corrupt attributes of " + name);
  }
  webhook.set_name(name);
  webhook.set_state(static_cast<v1::WebhookState>(row[2].as<int>()));
  webhook.set_etag(row[3].as<std::string>());
  *webhook.mutable_create_time() = TimeUtil::MicrosecondsToTimestamp(row[4].as<int64_t>());
  *webhook.mutable_update_time() = TimeUtil::MicrosecondsToTimestamp(row[5].as<int64_t>());
  if (!row[6].is_null()) {
    *webhook.mutable_failing_since() = TimeUtil::MicrosecondsToTimestamp(row[6].as<int64_t>());
  }
  return webhook;
}

// What the attributes column keeps: the webhook without what has columns of its own, and never
// the secret.
std::string Attributes(const Webhook& webhook) {
  Webhook stored = webhook;
  stored.clear_name();
  stored.clear_secret();
  stored.clear_state();
  stored.clear_etag();
  stored.clear_create_time();
  stored.clear_update_time();
  stored.clear_failing_since();
  return Hex(stored.SerializeAsString());
}

v1::WebhookDelivery RowToDelivery(const pqxx::row& row) {
  v1::WebhookDelivery delivery;
  delivery.set_name(DeliveryName(row[1].as<std::string>(), row[0].as<int64_t>()));
  delivery.set_event_id(row[2].as<std::string>());
  delivery.set_event_type(row[3].as<std::string>());
  delivery.set_subject(row[4].as<std::string>());
  delivery.set_state(static_cast<v1::DeliveryState>(row[5].as<int>()));
  *delivery.mutable_create_time() = TimeUtil::MicrosecondsToTimestamp(row[6].as<int64_t>());
  if (delivery.state() == v1::DELIVERY_STATE_PENDING) {
    *delivery.mutable_next_attempt_time() = TimeUtil::MicrosecondsToTimestamp(row[7].as<int64_t>());
  }
  return delivery;
}

// The webhook `id`, locked for the rest of the transaction; NOT_FOUND when there is none.
absl::StatusOr<Webhook> Lock(common::WriteTransaction& transaction, const std::string& id) {
  auto rows =
      transaction.exec_params(std::string("SELECT ") + kColumns +
                                  " FROM webhooks.webhooks t WHERE t.id = $1::uuid FOR UPDATE",
                              id);
  if (rows.empty()) return common::NotFound(WebhookName(id));
  return RowToWebhook(rows[0]);
}

}  // namespace

PgWebhookRepository::PgWebhookRepository(common::PgPool& pool, common::IdempotentWrite& writes,
                                         const SecretBox& secrets)
    : pool_(pool), writes_(writes), secrets_(secrets) {}

// Over the webhooks row alias `t` of List.
const common::filter::Schema& PgWebhookRepository::WebhookFilterSchema() const {
  using common::filter::FieldType;
  static const common::filter::Schema schema{{
      {"state", "t.state", FieldType::kEnum,
       common::FilterEnumValues(v1::WebhookState_descriptor(), "WEBHOOK_STATE_")},
  }};
  return schema;
}

// Over the deliveries row alias `d` of ListDeliveries.
const common::filter::Schema& PgWebhookRepository::DeliveryFilterSchema() const {
  using common::filter::FieldType;
  static const common::filter::Schema schema{{
      {"state", "d.state", FieldType::kEnum,
       common::FilterEnumValues(v1::DeliveryState_descriptor(), "DELIVERY_STATE_")},
      {"event_id", "d.event_id", FieldType::kString},
      {"event_type", "d.event_type", FieldType::kString},
      {"subject", "d.subject", FieldType::kString},
  }};
  return schema;
}

absl::StatusOr<Webhook> PgWebhookRepository::Create(const Webhook& webhook, const WriteMeta& meta) {
  ACCORD_ASSIGN_OR_RETURN(const std::string id, ParseWebhookName(webhook.name(), "name"));
  return writes_.Run<Webhook>(
      meta, [&](common::WriteTransaction& transaction) -> absl::StatusOr<common::Written<Webhook>> {
        ACCORD_ASSIGN_OR_RETURN(
            Webhook created,
            RowToWebhook(transaction.exec_params1(
                std::string("INSERT INTO webhooks.webhooks AS t (id, attributes, sealed_secret, "
                            "state) VALUES ($1::uuid, $2::bytea, $3::bytea, $4) RETURNING ") +
                    kColumns,
                id, Attributes(webhook), Hex(secrets_.Seal(webhook.secret(), id)),
                static_cast<int>(webhook.state()))));
        auto event = common::ResourceEvent(kCreated, created);
        return common::Written<Webhook>(std::move(created), std::move(event));
      });
}

absl::StatusOr<Webhook> PgWebhookRepository::Get(const std::string& id) {
  std::optional<pqxx::result> rows;
  ACCORD_RETURN_IF_ERROR(pool_.Read(
      [&](pqxx::transaction_base& transaction) -> absl::Status {
        rows = transaction.exec_params(
            std::string("SELECT ") + kColumns + " FROM webhooks.webhooks t WHERE t.id = $1::uuid",
            id);
        return absl::OkStatus();
      },
      common::ReadScope::kOneStatement));
  if (rows->empty()) return common::NotFound(WebhookName(id));
  return RowToWebhook((*rows)[0]);
}

absl::StatusOr<std::vector<Webhook>> PgWebhookRepository::List(
    const common::filter::SqlFilter& filter, const std::optional<std::string>& after_id,
    int limit) {
  std::vector<std::string> params = filter.params;
  std::string statement =
      std::string("SELECT ") + kColumns + " FROM webhooks.webhooks t WHERE true";
  if (!filter.where.empty()) statement += " AND " + filter.where;
  if (after_id) {
    params.push_back(*after_id);
    statement += " AND t.id > $" + std::to_string(params.size()) + "::uuid";
  }
  params.push_back(std::to_string(limit));
  statement += " ORDER BY t.id LIMIT $" + std::to_string(params.size()) + "::int";
  std::vector<Webhook> out;
  ACCORD_RETURN_IF_ERROR(pool_.Read(
      [&](pqxx::transaction_base& transaction) -> absl::Status {
        auto rows = transaction.exec(common::InlineParams(transaction.conn(), statement, params));
        for (const auto& row : rows) {
          ACCORD_ASSIGN_OR_RETURN(Webhook webhook, RowToWebhook(row));
          out.push_back(std::move(webhook));
        }
        return absl::OkStatus();
      },
      common::ReadScope::kOneStatement));
  return out;
}

absl::StatusOr<Webhook> PgWebhookRepository::Update(const std::string& id, const Mutation& mutate,
                                                    const WriteMeta& meta) {
  return writes_.Run<Webhook>(
      meta, [&](common::WriteTransaction& transaction) -> absl::StatusOr<common::Written<Webhook>> {
        ACCORD_ASSIGN_OR_RETURN(const Webhook current, Lock(transaction, id));
        ACCORD_ASSIGN_OR_RETURN(Webhook next, mutate(current));
        std::optional<std::string> sealed;
        if (!next.secret().empty()) sealed = Hex(secrets_.Seal(next.secret(), id));
        // Resuming a webhook forgets its failures: the disable period starts again.
        const bool resumed =
            current.state() != v1::WEBHOOK_STATE_ACTIVE && next.state() == v1::WEBHOOK_STATE_ACTIVE;
        ACCORD_ASSIGN_OR_RETURN(
            Webhook updated,
            RowToWebhook(transaction.exec_params1(
                std::string(
                    "UPDATE webhooks.webhooks AS t SET attributes = $2::bytea, state = $3, "
                    "sealed_secret = coalesce($4::bytea, t.sealed_secret), "
                    "failing_since = CASE WHEN $5::boolean THEN NULL ELSE t.failing_since END, "
                    "version = t.version + 1, update_time = now() "
                    "WHERE t.id = $1::uuid RETURNING ") +
                    kColumns,
                id, Attributes(next), static_cast<int>(next.state()), sealed, resumed)));
        auto event = common::ResourceEvent(kUpdated, updated, &current);
        return common::Written<Webhook>(std::move(updated), std::move(event));
      });
}

absl::StatusOr<Webhook> PgWebhookRepository::Delete(const std::string& id, const Check& check,
                                                    const WriteMeta& meta) {
  return writes_.Run<Webhook>(
      meta, [&](common::WriteTransaction& transaction) -> absl::StatusOr<common::Written<Webhook>> {
        ACCORD_ASSIGN_OR_RETURN(Webhook current, Lock(transaction, id));
        ACCORD_RETURN_IF_ERROR(check(current));
        transaction.exec_params0("DELETE FROM webhooks.webhooks WHERE id = $1::uuid", id);
        // The deleted resource's last version, one past what it was.
        current.set_etag(std::to_string(std::stoll(current.etag()) + 1));
        auto event = common::ResourceEvent(kDeleted, current);
        return common::Written<Webhook>(std::move(current), std::move(event));
      });
}

absl::StatusOr<std::vector<v1::WebhookDelivery>> PgWebhookRepository::ListDeliveries(
    const std::string& webhook_id, const common::filter::SqlFilter& filter,
    const std::optional<int64_t>& before_id, int limit) {
  std::vector<std::string> params = filter.params;
  params.push_back(webhook_id);
  std::string statement = std::string("SELECT ") + kDeliveryColumns +
                          " FROM webhooks.deliveries d WHERE d.webhook_id = $" +
                          std::to_string(params.size()) + "::uuid";
  if (!filter.where.empty()) statement += " AND " + filter.where;
  if (before_id) {
    params.push_back(std::to_string(*before_id));
    statement += " AND d.id < $" + std::to_string(params.size()) + "::bigint";
  }
  params.push_back(std::to_string(limit));
  statement += " ORDER BY d.id DESC LIMIT $" + std::to_string(params.size()) + "::int";
  std::vector<v1::WebhookDelivery> out;
  ACCORD_RETURN_IF_ERROR(pool_.Read([&](pqxx::transaction_base& transaction) -> absl::Status {
    auto found =
        transaction.exec_params("SELECT 1 FROM webhooks.webhooks WHERE id = $1::uuid", webhook_id);
    if (found.empty()) return common::NotFound(WebhookName(webhook_id));
    auto rows = transaction.exec(common::InlineParams(transaction.conn(), statement, params));
    std::map<int64_t, size_t> index;
    for (const auto& row : rows) {
      index[row[0].as<int64_t>()] = out.size();
      out.push_back(RowToDelivery(row));
    }
    if (out.empty()) return absl::OkStatus();
    auto attempts = transaction.exec_params(
        "SELECT delivery_id, attempt_number, status_code, error, duration_micros, " ACCORD_MICROS(
            "attempt_time") " FROM webhooks.attempts WHERE delivery_id = ANY($1::bigint[]) "
                            "ORDER BY delivery_id, attempt_number",
        [&] {
          std::string array = "{";
          for (const auto& [id, position] : index) {
            array += (array.size() > 1 ? "," : "") + std::to_string(id);
          }
          return array + "}";
        }());
    for (const auto& row : attempts) {
      auto* attempt = out[index.at(row[0].as<int64_t>())].add_attempts();
      attempt->set_attempt_number(row[1].as<int>());
      attempt->set_status_code(row[2].as<int>());
      attempt->set_error(row[3].as<std::string>());
      *attempt->mutable_duration() = TimeUtil::MicrosecondsToDuration(row[4].as<int64_t>());
      *attempt->mutable_attempt_time() = TimeUtil::MicrosecondsToTimestamp(row[5].as<int64_t>());
    }
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<v1::WebhookDelivery> PgWebhookRepository::Redeliver(const std::string& webhook_id,
                                                                   const std::string& event_id,
                                                                   const WriteMeta& meta) {
  return writes_.Run<v1::WebhookDelivery>(
      meta,
      [&](common::WriteTransaction& transaction)
          -> absl::StatusOr<common::Written<v1::WebhookDelivery>> {
        auto found = transaction.exec_params(
            "SELECT 1 FROM webhooks.webhooks WHERE id = $1::uuid FOR SHARE", webhook_id);
        if (found.empty()) return common::NotFound(WebhookName(webhook_id));
        auto rows = transaction.exec_params(
            std::string("INSERT INTO webhooks.deliveries AS d (webhook_id, event_id, event_type, "
                        "subject, envelope, state) SELECT webhook_id, event_id, event_type, "
                        "subject, envelope, 1 FROM webhooks.deliveries WHERE webhook_id = "
                        "$1::uuid AND event_id = $2 ORDER BY id LIMIT 1 RETURNING ") +
                kDeliveryColumns,
            webhook_id, event_id);
        if (rows.empty()) {
          return common::NotFound(WebhookName(webhook_id) + "/events/" + event_id);
        }
        // A delivery is a queue entry, not a resource with versions: no event describes it.
        return common::Written<v1::WebhookDelivery>::Unchanged(RowToDelivery(rows[0]));
      });
}

absl::Status PgWebhookRepository::Enqueue(common::WriteTransaction& transaction,
                                          const common::v1::EventEnvelope& event) {
  auto rows = transaction.exec(
      "SELECT id::text, attributes FROM webhooks.webhooks WHERE state = 1 ORDER BY id");
  std::string envelope;
  for (const auto& row : rows) {
    Webhook webhook;
    if (!webhook.ParseFromString(pqxx::binarystring(row[1]).str())) {
      return common::Internal("corrupt attributes of " + WebhookName(row[0].as<std::string>()));
    }
    if (!Matches(webhook, event.type(), event.subject())) continue;
    if (envelope.empty()) envelope = Hex(event.SerializeAsString());
    transaction.exec_params0(
        "INSERT INTO webhooks.deliveries (webhook_id, event_id, event_type, subject, envelope, "
        "state) VALUES ($1::uuid, $2, $3, $4, $5::bytea, 1)",
        row[0].as<std::string>(), event.id(), event.type(), event.subject(), envelope);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<ClaimedDelivery>> PgWebhookRepository::Claim(
    int limit, std::chrono::milliseconds lease) {
  // The pending deliveries looked at per pass; a backlog beyond it is reached as it drains.
  constexpr int kScan = 5000;
  std::vector<ClaimedDelivery> claimed;
  ACCORD_RETURN_IF_ERROR(pool_.Transact([&](common::WriteTransaction& transaction) -> absl::Status {
    claimed.clear();
    // One claimer at a time (across replicas), so that two never both see a subject's head free.
    transaction.exec("SELECT pg_advisory_xact_lock(hashtext('webhooks.claim'))");
    auto rows = transaction.exec_params(
        "SELECT d.id, d.webhook_id::text, d.subject, d.next_attempt_time <= now() "
        "FROM webhooks.deliveries d JOIN webhooks.webhooks w ON w.id = d.webhook_id "
        "WHERE d.state = 1 AND w.state = 1 ORDER BY d.id LIMIT $1",
        kScan);
    std::vector<Pending> pending;
    pending.reserve(rows.size());
    for (const auto& row : rows) {
      pending.push_back(Pending{row[0].as<int64_t>(), row[1].as<std::string>(),
                                row[2].as<std::string>(), row[3].as<bool>()});
    }
    std::vector<int64_t> due = DueHeads(pending);
    if (due.size() > static_cast<size_t>(limit)) due.resize(limit);
    if (due.empty()) return absl::OkStatus();
    std::string ids = "{";
    for (int64_t id : due) ids += (ids.size() > 1 ? "," : "") + std::to_string(id);
    ids += "}";
    auto taken = transaction.exec_params(
        "UPDATE webhooks.deliveries d SET next_attempt_time = now() + $2 * interval '1 "
        "millisecond' "
        "FROM webhooks.webhooks w WHERE w.id = d.webhook_id AND d.id = ANY($1::bigint[]) "
        "RETURNING d.id, d.webhook_id::text, w.attributes, w.sealed_secret, d.envelope, "
        "d.attempts, " ACCORD_MICROS("d.create_time"),
        ids, static_cast<int64_t>(lease.count()));
    for (const auto& row : taken) {
      ClaimedDelivery delivery;
      delivery.id = row[0].as<int64_t>();
      delivery.webhook_id = row[1].as<std::string>();
      Webhook webhook;
      if (!webhook.ParseFromString(pqxx::binarystring(row[2]).str())) {
        return common::Internal("corrupt attributes of " + WebhookName(delivery.webhook_id));
      }
      delivery.url = webhook.url();
      ACCORD_ASSIGN_OR_RETURN(delivery.secret,
                              secrets_.Open(pqxx::binarystring(row[3]).str(), delivery.webhook_id));
      if (!delivery.envelope.ParseFromString(pqxx::binarystring(row[4]).str())) {
        return common::Internal("corrupt envelope of delivery " + std::to_string(delivery.id));
      }
      delivery.attempts = row[5].as<int>();
      delivery.create_time = Clock::time_point(std::chrono::microseconds(row[6].as<int64_t>()));
      claimed.push_back(std::move(delivery));
    }
    return absl::OkStatus();
  }));
  return claimed;
}

absl::Status PgWebhookRepository::Record(const ClaimedDelivery& delivery,
                                         const AttemptResult& result, const RetryPolicy& policy,
                                         std::chrono::milliseconds retry_delay,
                                         Clock::time_point now) {
  WriteMeta meta;
  meta.actor = "system/webhooks";
  meta.method = "DeliverWebhook";
  auto recorded = writes_.Run<Webhook>(
      meta, [&](common::WriteTransaction& transaction) -> absl::StatusOr<common::Written<Webhook>> {
        const int attempt = delivery.attempts + 1;
        transaction.exec_params0(
            "INSERT INTO webhooks.attempts (delivery_id, attempt_number, status_code, error, "
            "duration_micros, attempt_time) VALUES ($1, $2, $3, $4, $5, "
            "to_timestamp($6::double precision / 1000000)) ON CONFLICT DO NOTHING",
            delivery.id, attempt, result.status_code, result.error.substr(0, 1000),
            static_cast<int64_t>(result.duration.count()), MicrosOf(now));
        // The webhook's row lock orders this against an update or a delete of it.
        auto locked = Lock(transaction, delivery.webhook_id);
        if (absl::IsNotFound(locked.status())) {
          return common::Written<Webhook>::Unchanged(Webhook());  // deleted meanwhile
        }
        ACCORD_ASSIGN_OR_RETURN(const Webhook current, std::move(locked));
        if (result.delivered) {
          transaction.exec_params0(
              "UPDATE webhooks.deliveries SET state = 2, attempts = $2 WHERE id = $1", delivery.id,
              attempt);
          transaction.exec_params0(
              "UPDATE webhooks.webhooks SET failing_since = NULL WHERE id = $1::uuid AND "
              "failing_since IS NOT NULL",
              delivery.webhook_id);
          return common::Written<Webhook>::Unchanged(current);
        }
        const bool give_up = GiveUp(policy, delivery.create_time, now);
        transaction.exec_params0(
            "UPDATE webhooks.deliveries SET state = $2, attempts = $3, next_attempt_time = "
            "to_timestamp($4::double precision / 1000000) WHERE id = $1",
            delivery.id, give_up ? 3 : 1, attempt, MicrosOf(now + retry_delay));
        std::optional<Clock::time_point> failing_since;
        if (current.has_failing_since()) {
          failing_since = Clock::time_point(std::chrono::microseconds(
              TimeUtil::TimestampToMicroseconds(current.failing_since())));
        } else {
          transaction.exec_params0(
              "UPDATE webhooks.webhooks SET failing_since = to_timestamp($2::double precision / "
              "1000000) WHERE id = $1::uuid",
              delivery.webhook_id, MicrosOf(now));
        }
        if (current.state() != v1::WEBHOOK_STATE_ACTIVE ||
            !ShouldDisable(policy, failing_since, now)) {
          return common::Written<Webhook>::Unchanged(current);
        }
        ACCORD_ASSIGN_OR_RETURN(
            Webhook disabled,
            RowToWebhook(transaction.exec_params1(
                std::string("UPDATE webhooks.webhooks AS t SET state = 2, version = t.version + "
                            "1, update_time = now() WHERE t.id = $1::uuid RETURNING ") +
                    kColumns,
                delivery.webhook_id)));
        v1::WebhookDisabled payload;
        *payload.mutable_webhook() = disabled;
        payload.set_last_error(result.error.substr(0, 1000));
        auto event =
            common::MakeEvent(kDisabled, disabled.name(), std::stoll(disabled.etag()), payload);
        return common::Written<Webhook>(std::move(disabled), std::move(event));
      });
  return recorded.status();
}

}  // namespace accord::webhooks
