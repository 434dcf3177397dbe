// The service's one write path: a transaction that claims the request_id (AIP-155), runs the
// change, appends its events to the outbox and keeps the response for retries. Every mutation of
// the pricing repository goes through PricingWriter::Write, so switching to a shared helper in
// common is a change of this file only.
#pragma once

#include <google/protobuf/message.h>

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "accord/common/errors.h"
#include "accord/common/idempotency.h"
#include "accord/common/outbox.h"
#include "accord/common/pg.h"
#include "pricing_common.h"

namespace accord::pricing {

inline constexpr char kSchema[] = "pricing_terms";
inline constexpr char kServiceName[] = "pricing-terms";

class PricingWriter {
 public:
  explicit PricingWriter(common::PgPool& pool)
      : pool_(pool), idempotency_(kSchema), outbox_(kSchema, kServiceName) {}

  // Runs `change` in a transaction; a repeated request_id returns the first call's response.
  template <typename Result>
  absl::StatusOr<Result> Write(
      const WriteMeta& meta,
      const std::function<absl::Status(common::WriteTransaction&, Result*)>& change) {
    Result result;
    ACCORD_RETURN_IF_ERROR(
        pool_.Transact([&](common::WriteTransaction& transaction) -> absl::Status {
          result.Clear();
          if (!meta.request_id.empty()) {
            ACCORD_ASSIGN_OR_RETURN(auto previous,
                                    idempotency_.Claim(transaction, meta.request_id, meta.method,
                                                       meta.fingerprint, meta.actor));
            if (previous) {
              if (!result.ParseFromString(*previous)) {
                return common::Internal("corrupt stored response");
              }
              return absl::OkStatus();
            }
          }
          ACCORD_RETURN_IF_ERROR(change(transaction, &result));
          if (!meta.request_id.empty()) {
            idempotency_.Store(transaction, meta.request_id, result.SerializeAsString());
          }
          return absl::OkStatus();
        }));
    return result;
  }

  // Appends "accord.pricing.v1.<event>" about `subject` (the resource after the change).
  void Emit(common::WriteTransaction& transaction, const std::string& event,
            const std::string& subject, int64_t version, const google::protobuf::Message& payload,
            const WriteMeta& meta, std::vector<std::string> changed_fields = {}) const {
    common::EventSpec spec;
    spec.type = "accord.pricing.v1." + event;
    spec.subject = subject;
    spec.aggregate_version = version;
    spec.actor = meta.actor;
    spec.trace_id = meta.trace_id;
    spec.payload = &payload;
    spec.changed_fields = std::move(changed_fields);
    outbox_.Append(transaction, spec);
  }

  common::PgPool& pool() { return pool_; }

 private:
  common::PgPool& pool_;
  common::IdempotencyKeys idempotency_;
  common::OutboxWriter outbox_;
};

}  // namespace accord::pricing
