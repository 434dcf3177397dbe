// Idempotent retries (AIP-155). A mutation that carries a request_id claims it inside its own
// transaction and stores its response there too, so a retry, even one racing the first call,
// gets the first response and changes nothing. The table lives in each service's schema and is
// created by the common migrations.
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

  // Returns the stored response when request_id was used before by the same method and request;
  // nullopt when this call claimed it (then Store must be called before commit). Blocks while a
  // concurrent call holding the same id is in flight. Reuse with another request is
  // INVALID_ARGUMENT.
  absl::StatusOr<std::optional<std::string>> Claim(WriteTransaction& transaction,
                                                   std::string_view request_id,
                                                   std::string_view method,
                                                   std::string_view fingerprint) const;
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
