#include "delivery_worker.h"

#include <google/protobuf/util/json_util.h>

#include "accord/common/log.h"
#include "accord/common/metrics.h"
#include "accord/common/thread_name.h"

namespace accord::webhooks {

std::string DeliveryBody(const common::v1::EventEnvelope& envelope) {
  std::string body;
  auto status = google::protobuf::util::MessageToJsonString(envelope, &body);
  if (status.ok()) return body;
  // A payload of a type this build does not know: the envelope goes without it rather than not
  // at all, and the log says why.
  common::log::Warn("webhook payload not printable as JSON",
                    {{"event_id", envelope.id()}, {"error", std::string(status.message())}});
  common::v1::EventEnvelope bare = envelope;
  bare.clear_payload();
  body.clear();
  (void)google::protobuf::util::MessageToJsonString(bare, &body);
  return body;
}

std::vector<std::pair<std::string, std::string>> DeliveryHeaders(const ClaimedDelivery& delivery,
                                                                 const std::string& body,
                                                                 int64_t timestamp) {
  const std::string stamp = std::to_string(timestamp);
  return {
      {"Content-Type", "application/json"},
      {"User-Agent", "Accord-Webhooks/1"},
      {"X-Accord-Event-Id", delivery.envelope.id()},
      {"X-Accord-Event-Type", delivery.envelope.type()},
      {"X-Accord-Delivery", DeliveryName(delivery.webhook_id, delivery.id)},
      {"X-Accord-Attempt", std::to_string(delivery.attempts + 1)},
      {"X-Accord-Timestamp", stamp},
      {"X-Accord-Signature", Signature(delivery.secret, stamp, body)},
  };
}

DeliveryWorker::DeliveryWorker(WebhookRepository& repository, WebhooksOptions options)
    : repository_(repository),
      options_(std::move(options)),
      poster_(options_.timeout, options_.ca_file),
      random_(std::random_device{}()) {
  auto& registry = common::MetricsRegistry::Global();
  delivered_ = &registry.GetCounter("accord_webhook_attempts_total",
                                    "Webhook delivery attempts by result", {{"result", "ok"}});
  failed_ = &registry.GetCounter("accord_webhook_attempts_total",
                                 "Webhook delivery attempts by result", {{"result", "failed"}});
}

DeliveryWorker::~DeliveryWorker() { Stop(); }

void DeliveryWorker::Start() {
  if (thread_.joinable()) return;
  thread_ = std::thread([this] {
    common::NameCurrentThread("webhook-worker");
    std::unique_lock lock(mutex_);
    while (!stopping_) {
      lock.unlock();
      auto sent = RunOnce();
      if (!sent.ok()) {
        common::log::Warn("webhook delivery pass failed",
                          {{"error", std::string(sent.status().message())}});
      }
      lock.lock();
      // Straight on while there was work; otherwise until woken or the next poll.
      if (sent.ok() && *sent > 0) continue;
      wake_.wait_for(lock, options_.poll_interval, [this] { return stopping_ || woken_; });
      woken_ = false;
    }
  });
}

void DeliveryWorker::Stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void DeliveryWorker::Wake() {
  {
    std::lock_guard lock(mutex_);
    woken_ = true;
  }
  wake_.notify_all();
}

double DeliveryWorker::Random01() {
  std::lock_guard lock(mutex_);
  return std::uniform_real_distribution<double>(0.0, 1.0)(random_);
}

absl::StatusOr<int> DeliveryWorker::RunOnce() {
  // Leased for longer than a POST can take, so nobody takes it again while it is in flight.
  const auto lease = options_.timeout + std::chrono::seconds(30);
  ACCORD_ASSIGN_OR_RETURN(auto claimed, repository_.Claim(options_.concurrency, lease));
  std::vector<std::thread> sending;
  sending.reserve(claimed.size());
  for (const auto& delivery : claimed) {
    sending.emplace_back([this, &delivery] { Deliver(delivery); });
  }
  for (auto& thread : sending) thread.join();
  return static_cast<int>(claimed.size());
}

void DeliveryWorker::Deliver(const ClaimedDelivery& delivery) {
  const std::string body = DeliveryBody(delivery.envelope);
  const auto now = Clock::now();
  const int64_t timestamp =
      std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  const HttpAnswer answer =
      poster_.Post(delivery.url, DeliveryHeaders(delivery, body, timestamp), body);
  AttemptResult result;
  result.delivered = answer.status_code >= 200 && answer.status_code <= 299;
  result.status_code = answer.status_code;
  result.error = answer.error;
  result.duration = answer.duration;
  (result.delivered ? delivered_ : failed_)->Increment();
  const auto delay = Backoff(options_.retry, delivery.attempts + 1, Random01());
  auto recorded = repository_.Record(delivery, result, options_.retry, delay, Clock::now());
  if (!recorded.ok()) {
    // The lease runs out and the delivery is sent again: at least once.
    common::log::Warn("webhook attempt not recorded",
                      {{"delivery", DeliveryName(delivery.webhook_id, delivery.id)},
                       {"error", std::string(recorded.message())}});
  }
}

}  // namespace accord::webhooks
