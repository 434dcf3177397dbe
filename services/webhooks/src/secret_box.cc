#include "secret_box.h"

#include <sodium.h>

#include "accord/common/errors.h"

namespace accord::webhooks {

absl::StatusOr<SecretBox> SecretBox::Create(std::string_view key_base64) {
  if (sodium_init() < 0) return common::Internal("libsodium failed to initialise");
  std::string key(crypto_aead_xchacha20poly1305_ietf_KEYBYTES, '\0');
  size_t length = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(key.data()), key.size(), key_base64.data(),
                        key_base64.size(), nullptr, &length, nullptr,
                        sodium_base64_VARIANT_ORIGINAL) != 0 ||
      length != key.size()) {
    return absl::InvalidArgumentError(
        "ACCORD_WEBHOOKS_SECRET_KEY: expected 32 bytes in base64 (openssl rand -base64 32)");
  }
  return SecretBox(std::move(key));
}

std::string SecretBox::Seal(std::string_view secret, std::string_view webhook_id) const {
  std::string out(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES + secret.size() +
                      crypto_aead_xchacha20poly1305_ietf_ABYTES,
                  '\0');
  auto* nonce = reinterpret_cast<unsigned char*>(out.data());
  randombytes_buf(nonce, crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
  unsigned long long written = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(
      nonce + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, &written,
      reinterpret_cast<const unsigned char*>(secret.data()), secret.size(),
      reinterpret_cast<const unsigned char*>(webhook_id.data()), webhook_id.size(), nullptr, nonce,
      reinterpret_cast<const unsigned char*>(key_.data()));
  return out;
}

absl::StatusOr<std::string> SecretBox::Open(std::string_view sealed,
                                            std::string_view webhook_id) const {
  constexpr size_t kOverhead =
      crypto_aead_xchacha20poly1305_ietf_NPUBBYTES + crypto_aead_xchacha20poly1305_ietf_ABYTES;
  if (sealed.size() < kOverhead) return common::Internal("sealed secret too short");
  const auto* nonce = reinterpret_cast<const unsigned char*>(sealed.data());
  std::string secret(sealed.size() - kOverhead, '\0');
  unsigned long long length = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          reinterpret_cast<unsigned char*>(secret.data()), &length, nullptr,
          nonce + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES,
          sealed.size() - crypto_aead_xchacha20poly1305_ietf_NPUBBYTES,
          reinterpret_cast<const unsigned char*>(webhook_id.data()), webhook_id.size(), nonce,
          reinterpret_cast<const unsigned char*>(key_.data())) != 0) {
    return common::Internal("the secret of webhook " + std::string(webhook_id) +
                            " does not open with ACCORD_WEBHOOKS_SECRET_KEY");
  }
  secret.resize(length);
  return secret;
}

}  // namespace accord::webhooks
