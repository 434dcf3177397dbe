// Sends the queued deliveries: takes the ones whose turn has come (one per webhook and subject,
// see DueHeads), POSTs each signed, and records the attempt. At least once: a delivery leaves the
// queue only after the receiver's 2xx is recorded, so a crash between the two sends it again
// (receivers deduplicate by the event id).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "http_poster.h"
#include "webhook_repository.h"
#include "webhooks_options.h"

namespace accord::common {
class Counter;
}

namespace accord::webhooks {

// The JSON body of a delivery: the envelope in Protobuf's JSON mapping, payload included.
std::string DeliveryBody(const common::v1::EventEnvelope& envelope);
// The headers of a delivery of `delivery` with `body`, signed at unix time `timestamp`.
std::vector<std::pair<std::string, std::string>> DeliveryHeaders(const ClaimedDelivery& delivery,
                                                                 const std::string& body,
                                                                 int64_t timestamp);

class DeliveryWorker {
 public:
  DeliveryWorker(WebhookRepository& repository, WebhooksOptions options);
  ~DeliveryWorker();

  void Start();
  void Stop();
  // Looks at the queue now rather than at the next poll.
  void Wake();
  // One pass: claims and sends what is due; returns how many were sent.
  absl::StatusOr<int> RunOnce();

 private:
  void Deliver(const ClaimedDelivery& delivery);
  double Random01();

  WebhookRepository& repository_;
  WebhooksOptions options_;
  HttpPoster poster_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  bool woken_ = false;
  std::mt19937_64 random_;
  std::thread thread_;
  common::Counter* delivered_ = nullptr;
  common::Counter* failed_ = nullptr;
};

}  // namespace accord::webhooks
