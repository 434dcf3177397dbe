// How the contact service writes: every mutation of every resource of this service goes through
// common::IdempotentWrite (accord/common/write.h), which claims the request id (AIP-155), runs the
// change under its row locks, appends the change's event to the outbox and keeps the response for
// retries, all in one transaction.
//
// Kept responses hold personal data, so they are sealed like the rows (PiiCipher, through
// PiiResponseSealer), and events carry the contact with its personal fields cleared: the event
// stream is not a way around the access rules.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

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

// The shape the consent, interaction, follow-up, appointment and campaign repositories write in:
// a change fills the response and names its one event (an empty type: nothing changed). It runs
// through the same common::IdempotentWrite as every other write; this only adapts the callback.
struct ChangeEvent {
  std::string type;     // "accord.contact.v1.InteractionCreated"
  std::string subject;  // resource name
  int64_t version = 0;
  std::shared_ptr<const google::protobuf::Message> payload;  // without personal data
  std::vector<std::string> changed_fields;
};

class WritePath {
 public:
  explicit WritePath(common::IdempotentWrite& writes) : writes_(writes) {}

  template <typename Response>
  absl::StatusOr<Response> Run(
      const WriteMeta& meta,
      const std::function<absl::StatusOr<ChangeEvent>(common::WriteTransaction&, Response*)>&
          change) {
    return writes_.Run<Response>(
        meta,
        [&](common::WriteTransaction& transaction) -> absl::StatusOr<common::Written<Response>> {
          Response response;
          ACCORD_ASSIGN_OR_RETURN(ChangeEvent changed, change(transaction, &response));
          if (changed.type.empty()) {
            return common::Written<Response>::Unchanged(std::move(response));
          }
          common::Event event;
          event.type = std::move(changed.type);
          event.subject = std::move(changed.subject);
          event.aggregate_version = changed.version;
          if (changed.payload != nullptr) event.payload.PackFrom(*changed.payload);
          event.changed_fields = std::move(changed.changed_fields);
          return common::Written<Response>(std::move(response), std::move(event));
        });
  }

 private:
  common::IdempotentWrite& writes_;
};

}  // namespace accord::contact
