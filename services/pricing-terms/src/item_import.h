// ImportPriceListItems: a stream of item rows, each checked as it arrives, the good ones kept
// (serialized, about a hundred bytes a row) until the client closes its side, then written by
// the repository in one transaction: COPY into a staging table and one merge. Memory is the
// good rows and at most kMaxImportErrors errors, however many messages the import has.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "accord/common/auth.h"
#include "accord/pricing/v1/price_list.pb.h"
#include "pricing_repository.h"

namespace accord::pricing {

inline constexpr int kMaxImportErrors = 10000;
inline constexpr int kMaxImportItemsPerMessage = 1000;

class ItemImport {
 public:
  // `meta` carries who and the trace; its request_id and fingerprint come from the batch.
  ItemImport(PricingRepository& repository, WriteMeta meta)
      : repository_(repository), meta_(std::move(meta)) {}

  // Checks one message and keeps its good rows. An error here (no parent or batch id in the
  // first message, another one later, too many items, an unknown list) ends the import; a bad
  // row does not: it is counted and reported.
  absl::Status Apply(const v1::ImportPriceListItemsRequest& message);
  // Writes the kept rows and returns the tally; INVALID_ARGUMENT when no message came.
  absl::StatusOr<v1::ImportPriceListItemsResponse> Finish();

 private:
  void Refuse(int64_t row, const std::string& sku, const absl::Status& status);

  PricingRepository& repository_;
  WriteMeta meta_;
  std::string list_id_;
  std::string currency_;
  std::set<std::string> skus_;
  std::vector<std::string> rows_;  // the good rows, serialized as stored
  v1::ImportPriceListItemsResponse response_;
};

}  // namespace accord::pricing
