// Keyset paging, the same for every List: page size rules (default 50, at most 1000), a page
// token bound to its query, and the next token from the rows a repository fetched (it fetches
// one row more than the page, to know whether another page follows). Pages and batch reads also
// keep to a byte budget below the server's message limit, so that a page of large rows ends early
// with a next_page_token instead of failing with RESOURCE_EXHAUSTED in gRPC.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "accord/common/page_token.h"

namespace accord::common {

inline constexpr int kDefaultPageSize = 50;
inline constexpr int kMaxPageSize = 1000;

struct PageStart {
  int limit = kDefaultPageSize;  // rows to return
  // Sort key and id of the last row of the previous page; nullopt on the first page.
  std::optional<std::vector<std::string>> after;
  std::string fingerprint;  // what the token is bound to: parent, filter, order
};

// INVALID_ARGUMENT on a negative page_size (field "page_size") or a token that was edited or
// belongs to another query (field "page_token").
absl::StatusOr<PageStart> StartPage(const PageTokenCodec& tokens, int page_size,
                                    const std::string& page_token, std::string fingerprint);

// The rows to return (at most start.limit) and the token of the next page ("" on the last).
// `keys[i]` is the sort key of fetched row i.
size_t RowsToReturn(const PageStart& start, size_t fetched);
std::string NextPageToken(const PageTokenCodec& tokens, const PageStart& start, size_t fetched,
                          const std::vector<std::vector<std::string>>& keys);
// The same when the page ended after `returned` rows (for example on the byte budget): a next
// token whenever fetched rows were left over.
std::string NextPageToken(const PageTokenCodec& tokens, const PageStart& start, size_t returned,
                          size_t fetched, const std::vector<std::vector<std::string>>& keys);

// The default ACCORD_MAX_MESSAGE_BYTES (server.h's ServiceSettings::max_message_bytes).
inline constexpr size_t kDefaultMaxMessageBytes = 4 * 1024 * 1024;

// Bytes the rows of one response may add up to when the server sends messages of at most
// `max_message_bytes`: an eighth is left for the rest of the response (next_page_token, field tags)
// and for rows measured before a cached field was filled in.
size_t ResponseBudget(size_t max_message_bytes);

// Bytes a message of `message_bytes` takes as one entry of a repeated field: tag, length, body.
size_t RepeatedEntryBytes(size_t message_bytes);

// How many of `row_bytes` (encoded sizes of the fetched rows, in order) go on a page: at most
// start.limit, and no more than add up to `budget_bytes`; at least one, so paging always advances
// (field limits keep any one row far below the budget).
size_t RowsWithinBudget(const PageStart& start, const std::vector<size_t>& row_bytes,
                        size_t budget_bytes);

// OK when items of `item_bytes` fit in `budget_bytes` together; else RESOURCE_EXHAUSTED, reason
// RESPONSE_TOO_LARGE, naming the limit and how many of the first items would fit (ErrorInfo
// metadata `max_response_bytes` and `items_that_fit`). For reads that cannot be paged (BatchGet).
absl::Status CheckResponseBudget(const std::vector<size_t>& item_bytes, size_t budget_bytes,
                                 absl::string_view what);

// Encoded sizes of messages, as entries of a repeated field.
template <typename Messages>
std::vector<size_t> EntryBytes(const Messages& messages) {
  std::vector<size_t> sizes;
  sizes.reserve(messages.size());
  for (const auto& message : messages) sizes.push_back(RepeatedEntryBytes(message.ByteSizeLong()));
  return sizes;
}

// The response budget of the server in this process: ResponseBudget of its
// ACCORD_MAX_MESSAGE_BYTES, which GrpcServer sets when it starts (kDefaultMaxMessageBytes until
// then). For Lists whose logic is not handed the budget.
size_t ProcessResponseBudget();
void SetProcessMaxMessageBytes(size_t max_message_bytes);

// How many of the fetched `rows` (messages, in page order) go on a page: at most start.limit and
// within the process's response budget, at least one. With the five-argument NextPageToken.
template <typename Messages>
size_t PageRows(const PageStart& start, const Messages& rows) {
  return RowsWithinBudget(start, EntryBytes(rows), ProcessResponseBudget());
}

}  // namespace accord::common
