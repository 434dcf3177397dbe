// How the contact service writes: every mutation of every resource of this service goes through
// common::IdempotentWrite (accord/common/write.h), which claims the request id (AIP-155), runs the
// change under its row locks, appends the change's event to the outbox and keeps the response for
// retries, all in one transaction.
//
// Kept responses hold personal data, so they are sealed like the rows (PiiCipher, through
// PiiResponseSealer), and events carry the contact with its personal fields cleared: the event
// stream is not a way around the access rules.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "accord/common/write.h"
#include "accord/common/write_meta.h"
#include "pii_cipher.h"

namespace accord::contact {

using common::MetaFor;
using common::WriteMeta;

// Seals kept responses with the PII cipher, bound to "idempotency/<request id>" so that one kept
// response cannot be replayed for another.
class PiiResponseSealer final : public common::ResponseSealer {
 public:
  explicit PiiResponseSealer(const PiiCipher& cipher) : cipher_(cipher) {}

  std::string Seal(const std::string& response, const std::string& request_id) const override {
    return cipher_.SealToString(response, "idempotency/" + request_id);
  }
  absl::StatusOr<std::string> Open(const std::string& stored,
                                   const std::string& request_id) const override {
    return cipher_.OpenString(stored, "idempotency/" + request_id);
  }

 private:
  const PiiCipher& cipher_;
};

}  // namespace accord::contact
