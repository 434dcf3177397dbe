// Typed errors for every layer below the gRPC handler. Domain and repository code return
// absl::Status; the details a client needs (field violations, a machine-readable reason) ride
// as payloads keyed by their google.rpc type URL, and grpc_status.h turns them into the
// standard `grpc-status-details-bin` trailer.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"

namespace accord::common {

inline constexpr std::string_view kBadRequestTypeUrl = "type.googleapis.com/google.rpc.BadRequest";
inline constexpr std::string_view kErrorInfoTypeUrl = "type.googleapis.com/google.rpc.ErrorInfo";
inline constexpr std::string_view kRetryInfoTypeUrl = "type.googleapis.com/google.rpc.RetryInfo";

// The ErrorInfo domain stamped on errors, e.g. "account.accord". Set once at start-up.
void SetErrorDomain(std::string domain);
const std::string& ErrorDomain();

struct FieldViolation {
  std::string field;  // dotted path, e.g. "account.display_name"
  std::string description;
};

// Collects field violations while validating a request; ToStatus() is OK when there are none.
class Violations {
 public:
  void Add(std::string field, std::string description);
  bool empty() const { return violations_.empty(); }
  const std::vector<FieldViolation>& items() const { return violations_; }
  absl::Status ToStatus() const;

 private:
  std::vector<FieldViolation> violations_;
};

// Each error carries an UPPER_SNAKE_CASE reason in its ErrorInfo detail.
absl::Status InvalidArgument(std::vector<FieldViolation> violations);
absl::Status InvalidArgument(std::string field, std::string description);
absl::Status NotFound(std::string_view resource_name);
absl::Status AlreadyExists(std::string_view reason, std::string_view message);
absl::Status EtagMismatch(std::string_view resource_name);
absl::Status FailedPrecondition(std::string_view reason, std::string_view message);
absl::Status PermissionDenied(std::string_view reason, std::string_view message);
absl::Status Unauthenticated(std::string_view reason, std::string_view message);
absl::Status Unavailable(std::string_view reason, std::string_view message);
absl::Status Aborted(std::string_view reason, std::string_view message);
absl::Status Internal(std::string_view message);

// Attaches (or replaces) the ErrorInfo reason of any status, with optional metadata.
absl::Status WithReason(absl::Status status, std::string_view reason);
absl::Status WithReason(absl::Status status, std::string_view reason,
                        const std::vector<std::pair<std::string, std::string>>& metadata);

// Attaches a google.rpc.RetryInfo: how long a client should wait before retrying.
absl::Status WithRetryDelay(absl::Status status, std::chrono::milliseconds delay);

// Reads back what the helpers above attached (empty when absent).
std::optional<std::chrono::milliseconds> RetryDelayOf(const absl::Status& status);
std::string ReasonOf(const absl::Status& status);
std::string MetadataOf(const absl::Status& status, const std::string& key);
std::vector<FieldViolation> FieldViolationsOf(const absl::Status& status);

}  // namespace accord::common

// Early-return helpers in the Abseil idiom.
#define ACCORD_RETURN_IF_ERROR(expr)                 \
  do {                                               \
    ::absl::Status accord_status_ = (expr);          \
    if (!accord_status_.ok()) return accord_status_; \
  } while (0)

#define ACCORD_CONCAT_INNER(a, b) a##b
#define ACCORD_CONCAT(a, b) ACCORD_CONCAT_INNER(a, b)
#define ACCORD_ASSIGN_OR_RETURN(lhs, expr) \
  ACCORD_ASSIGN_OR_RETURN_IMPL(ACCORD_CONCAT(accord_statusor_, __LINE__), lhs, expr)
#define ACCORD_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                 \
  if (!tmp.ok()) return tmp.status();                \
  lhs = std::move(tmp).value()
