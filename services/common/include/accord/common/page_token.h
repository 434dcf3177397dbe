// Opaque, tamper-evident page tokens. A token carries the sort key of the last row returned and a
// fingerprint of the query (filter + order_by) it belongs to, signed with HMAC-SHA256. An edited
// token, or one reused with another query, is INVALID_ARGUMENT.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace accord::common {

struct PageCursor {
  // Fingerprint of everything that shapes the result set, e.g. filter + "|" + order_by.
  std::string query;
  // The sort key of the last row of the previous page (e.g. display_name, id).
  std::vector<std::string> last_key;
};

class PageTokenCodec {
 public:
  explicit PageTokenCodec(std::string secret);
  std::string Encode(const PageCursor& cursor) const;
  // `query` must equal the cursor's query, else INVALID_ARGUMENT (field page_token).
  absl::StatusOr<PageCursor> Decode(std::string_view token, std::string_view query) const;

 private:
  std::string secret_;
};

// base64url without padding; shared with the JWT code.
std::string Base64UrlEncode(std::string_view bytes);
absl::StatusOr<std::string> Base64UrlDecode(std::string_view text);
std::string HmacSha256(std::string_view key, std::string_view data);
// Lower-case hex, two digits per byte.
std::string LowerHex(std::string_view bytes);

}  // namespace accord::common
