// Webhook secrets at rest: sealed with libsodium's XChaCha20-Poly1305 under the service's key
// (ACCORD_WEBHOOKS_SECRET_KEY, 32 bytes in base64), bound to the webhook's id so that one sealed
// secret cannot be moved to another webhook. The secret has to be read back in the clear to sign
// with it (HMAC needs the key), so it is encrypted rather than hashed.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace accord::webhooks {

class SecretBox {
 public:
  // INVALID_ARGUMENT unless `key_base64` decodes to 32 bytes.
  static absl::StatusOr<SecretBox> Create(std::string_view key_base64);

  std::string Seal(std::string_view secret, std::string_view webhook_id) const;
  absl::StatusOr<std::string> Open(std::string_view sealed, std::string_view webhook_id) const;

 private:
  explicit SecretBox(std::string key) : key_(std::move(key)) {}
  std::string key_;
};

}  // namespace accord::webhooks
