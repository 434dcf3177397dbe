#include "accord/common/idempotency.h"

#include "accord/common/errors.h"
#include "accord/common/ids.h"
#include "accord/common/page_token.h"

namespace accord::common {

IdempotencyKeys::IdempotencyKeys(std::string schema)
    : insert_name_("accord_idempotency_claim_" + schema),
      store_name_("accord_idempotency_store_" + schema),
      insert_sql_("INSERT INTO " + schema +
                  ".idempotency_keys (request_id, method, fingerprint, subject) "
                  "VALUES ($1, $2, $3, $4) "
                  "ON CONFLICT (request_id) DO NOTHING"),
      select_sql_("SELECT method, fingerprint, subject, response FROM " + schema +
                  ".idempotency_keys WHERE request_id = $1"),
      store_sql_("UPDATE " + schema + ".idempotency_keys SET response = $2 WHERE request_id = $1") {
}

absl::Status IdempotencyKeys::Validate(std::string_view request_id, const std::string& field) {
  if (request_id.empty() || IsUuid(request_id)) return absl::OkStatus();
  return InvalidArgument(field, "must be a UUID (e.g. 0190a5d8-7c3e-7abc-8def-0123456789ab)");
}

std::string IdempotencyKeys::Fingerprint(const google::protobuf::Message& request) {
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    request.SerializeToCodedStream(&coded);
  }
  return Base64UrlEncode(HmacSha256("accord.idempotency", bytes));
}

absl::StatusOr<std::optional<std::string>> IdempotencyKeys::Claim(WriteTransaction& transaction,
                                                                  std::string_view request_id,
                                                                  std::string_view method,
                                                                  std::string_view fingerprint,
                                                                  std::string_view subject) const {
  // Usually a write's first statement, so a prepared one: it carries the transaction's BEGIN.
  transaction.conn().prepare(insert_name_, insert_sql_);
  auto inserted =
      transaction.exec_prepared(insert_name_, std::string(request_id), std::string(method),
                                std::string(fingerprint), std::string(subject));
  if (inserted.affected_rows() == 1) return std::nullopt;
  auto rows = transaction.exec_params(select_sql_, std::string(request_id));
  if (rows.empty()) return Aborted("REQUEST_IN_FLIGHT", "retry the request");
  const auto& row = rows[0];
  // A key claimed before subjects were recorded (NULL) has no provable owner and is refused too.
  if (row[0].as<std::string>() != method || row[1].as<std::string>() != fingerprint ||
      row[2].is_null() || row[2].as<std::string>() != subject) {
    return InvalidArgument("request_id", "was already used for a different request");
  }
  if (row[3].is_null()) return Aborted("REQUEST_IN_FLIGHT", "retry the request");
  pqxx::binarystring response(row[3]);
  return std::optional<std::string>(response.str());
}

void IdempotencyKeys::Store(WriteTransaction& transaction, std::string_view request_id,
                            const std::string& response) const {
  transaction.conn().prepare(store_name_, store_sql_);
  transaction.exec_prepared_at_commit(store_name_, std::string(request_id),
                                      pqxx::binarystring(response));
}

}  // namespace accord::common
