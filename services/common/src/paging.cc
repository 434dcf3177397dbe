#include "accord/common/paging.h"

#include <algorithm>
#include <atomic>

#include "absl/strings/str_cat.h"
#include "accord/common/catalog.h"
#include "accord/common/errors.h"

namespace accord::common {

absl::StatusOr<PageStart> StartPage(const PageTokenCodec& tokens, int page_size,
                                    const std::string& page_token, std::string fingerprint) {
  if (page_size < 0) return InvalidArgument("page_size", "must not be negative");
  PageStart start;
  start.limit = page_size == 0 ? kDefaultPageSize : std::min(page_size, kMaxPageSize);
  start.fingerprint = std::move(fingerprint);
  if (!page_token.empty()) {
    auto cursor = tokens.Decode(page_token, start.fingerprint);
    if (!cursor.ok()) return cursor.status();
    if (cursor->last_key.size() != 2) {
      return InvalidArgument("page_token", "not a token for this list");
    }
    start.after = std::move(cursor->last_key);
  }
  return start;
}

size_t RowsToReturn(const PageStart& start, size_t fetched) {
  return std::min(fetched, static_cast<size_t>(start.limit));
}

std::string NextPageToken(const PageTokenCodec& tokens, const PageStart& start, size_t fetched,
                          const std::vector<std::vector<std::string>>& keys) {
  return NextPageToken(tokens, start, RowsToReturn(start, fetched), fetched, keys);
}

std::string NextPageToken(const PageTokenCodec& tokens, const PageStart& start, size_t returned,
                          size_t fetched, const std::vector<std::vector<std::string>>& keys) {
  if (fetched <= returned || returned == 0 || returned > keys.size()) return "";
  return tokens.Encode({start.fingerprint, keys[returned - 1]});
}

size_t ResponseBudget(size_t max_message_bytes) {
  return max_message_bytes - max_message_bytes / 8;
}

namespace {
std::atomic<size_t> process_max_message_bytes{kDefaultMaxMessageBytes};
}  // namespace

size_t ProcessResponseBudget() { return ResponseBudget(process_max_message_bytes.load()); }

void SetProcessMaxMessageBytes(size_t max_message_bytes) {
  process_max_message_bytes.store(max_message_bytes);
}

size_t RepeatedEntryBytes(size_t message_bytes) {
  size_t varint = 1;
  for (size_t rest = message_bytes >> 7; rest != 0; rest >>= 7) ++varint;
  return 1 + varint + message_bytes;  // field numbers of list entries are below 16: one tag byte
}

size_t RowsWithinBudget(const PageStart& start, const std::vector<size_t>& row_bytes,
                        size_t budget_bytes) {
  const size_t limit = RowsToReturn(start, row_bytes.size());
  size_t used = 0;
  size_t rows = 0;
  for (; rows < limit; ++rows) {
    if (rows > 0 && used + row_bytes[rows] > budget_bytes) break;
    used += row_bytes[rows];
  }
  return rows;
}

absl::Status CheckResponseBudget(const std::vector<size_t>& item_bytes, size_t budget_bytes,
                                 absl::string_view what) {
  size_t total = 0;
  size_t fit = 0;
  for (size_t bytes : item_bytes) {
    total += bytes;
    if (total <= budget_bytes) ++fit;
  }
  if (total <= budget_bytes) return absl::OkStatus();
  return WithReason(
      absl::ResourceExhaustedError(absl::StrCat(
          "the ", item_bytes.size(), " ", what, " asked for add up to ", total,
          " bytes, more than the ", budget_bytes,
          " bytes one response may carry (set by ACCORD_MAX_MESSAGE_BYTES); ask for at most ", fit,
          " at a time")),
      ReasonName(v1::RESPONSE_TOO_LARGE),
      {{"max_response_bytes", std::to_string(budget_bytes)},
       {"items_that_fit", std::to_string(fit)}});
}

}  // namespace accord::common
