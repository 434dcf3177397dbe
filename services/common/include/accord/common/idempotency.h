// Idempotent retries (AIP-155). A mutation that carries a request_id claims it inside its own
// transaction and stores its response there too, so a retry, even one racing the first call,
// gets the first response and changes nothing. The table lives in each service's schema and is
// created by the common migrations.
//
// A stored response belongs to the principal whose call made it: the claim records the caller's
// subject, and a request id replayed by anyone else is refused as INVALID_ARGUMENT, exactly as a
// request id reused for another request is, so that neither who owns an id nor what it was used
// for is disclosed. Without this a caller who learnt another's request id (a log line, a shared
// client library) could resend the same body and be told OK with a result of a change it may not
// make. The owner's own retry is still answered from the store: its rights were checked under the
// row lock by the call that made the change. (The write path, write.h, is what every service
// uses; it passes WriteMeta.actor as the subject.)
#pragma once

#include <google/protobuf/message.h>

#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "accord/common/pg.h"

namespace accord::common {

class IdempotencyKeys {
 public:
  explicit IdempotencyKeys(std::string schema);

  // Validates request_id (empty, or a UUID) as field `field`.
  static absl::Status Validate(std::string_view request_id,
                               const std::string& field = "request_id");
  // Fingerprint of a request, ignoring nothing: callers clear request_id first if it is inside.
  static std::string Fingerprint(const google::protobuf::Message& request);

  // Returns the stored response when request_id was used before by the same subject, method and
  // request; nullopt when this call claimed it for `subject` (then Store must be called before
  // commit). Blocks while a concurrent call holding the same id is in flight. Reuse with another
  // request, or by another subject, is INVALID_ARGUMENT.
  absl::StatusOr<std::optional<std::string>> Claim(WriteTransaction& transaction,
                                                   std::string_view request_id,
                                                   std::string_view method,
                                                   std::string_view fingerprint,
                                                   std::string_view subject) const;
  // Keeps the response, in the transaction's COMMIT round trip.
  void Store(WriteTransaction& transaction, std::string_view request_id,
             const std::string& response) const;

 private:
  // Statement names, prepared on each connection at first use.
  std::string insert_name_;
  std::string store_name_;
  std::string insert_sql_;
  std::string select_sql_;
  std::string store_sql_;
};

}  // namespace accord::common
