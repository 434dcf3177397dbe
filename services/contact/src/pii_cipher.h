// Sealing of personal data at rest, and the blind index for exact lookups.
//
// Values are sealed with XChaCha20-Poly1305 (libsodium's IETF AEAD with a random 192-bit nonce,
// so random nonces never collide in practice) under one of several named 256-bit keys; the key id
// travels beside the sealed value so keys can be rotated while old rows still open. The
// associated data binds a value to its row: a ciphertext copied to another row does not open.
// Lookups use a keyed BLAKE2b hash (crypto_generichash) under a separate key, so the index
// reveals equality only to someone holding that key.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace accord::contact {

struct PiiKeys {
  std::map<std::string, std::string> sealing;  // key id -> 32 raw bytes
  std::string active;                          // id of the key new values are sealed with
  std::string blind_index;                     // 32 raw bytes
};

// "id1:BASE64,id2:BASE64" (or one `id:BASE64` per line): the first key is the active one.
absl::StatusOr<PiiKeys> ParsePiiKeys(std::string_view sealing_keys, std::string_view blind_key);

struct Sealed {
  std::string key_id;
  std::string bytes;  // nonce || ciphertext (with tag)
};

class PiiCipher {
 public:
  // INVALID_ARGUMENT unless every key is 32 bytes and the active key exists.
  static absl::StatusOr<PiiCipher> Create(PiiKeys keys);

  Sealed Seal(std::string_view plaintext, std::string_view associated) const;
  // INTERNAL when the key is unknown or the value was altered or belongs elsewhere.
  absl::StatusOr<std::string> Open(const Sealed& sealed, std::string_view associated) const;
  // 32-byte keyed hash of `kind` and the normalised value.
  std::string BlindIndex(std::string_view kind, std::string_view value) const;
  // The trigrams of a name (NameTrigrams), each as 32 bits of its keyed hash; sorted, distinct.
  // Equal trigrams give equal numbers, so set similarity survives; the text does not.
  std::vector<int32_t> BlindTrigrams(std::string_view name) const;

  // The id of the key new values are sealed with.
  const std::string& active_key_id() const { return keys_.active; }

  // A sealed value with its key id in front ("id\0bytes"), for one-column storage.
  std::string SealToString(std::string_view plaintext, std::string_view associated) const;
  absl::StatusOr<std::string> OpenString(std::string_view stored,
                                         std::string_view associated) const;

 private:
  explicit PiiCipher(PiiKeys keys) : keys_(std::move(keys)) {}
  PiiKeys keys_;
};

}  // namespace accord::contact
