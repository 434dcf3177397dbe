#include "pii_cipher.h"

#include <sodium.h>

#include <algorithm>
#include <cstring>
#include <mutex>

#include "accord/common/errors.h"
#include "stewardship_rules.h"

namespace accord::contact {
namespace {

void InitSodium() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
  });
}

std::string Trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) {
    text.remove_prefix(1);
  }
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
    text.remove_suffix(1);
  }
  return std::string(text);
}

absl::StatusOr<std::string> DecodeKey(std::string_view base64, const std::string& what) {
  InitSodium();
  std::string raw(64, '\0');
  size_t length = 0;
  const std::string text = Trim(base64);
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(raw.data()), raw.size(), text.data(),
                        text.size(), nullptr, &length, nullptr,
                        sodium_base64_VARIANT_ORIGINAL) != 0 ||
      length != 32) {
    return common::InvalidArgument(what,
                                   "must be 32 bytes in standard base64 (openssl rand -base64 32)");
  }
  raw.resize(length);
  return raw;
}

}  // namespace

absl::StatusOr<PiiKeys> ParsePiiKeys(std::string_view sealing_keys, std::string_view blind_key) {
  PiiKeys keys;
  std::string item;
  auto add = [&](const std::string& entry) -> absl::Status {
    const std::string text = Trim(entry);
    if (text.empty() || text[0] == '#') return absl::OkStatus();
    const size_t colon = text.find(':');
    if (colon == std::string::npos || colon == 0) {
      return common::InvalidArgument("pii_keys", "each key must be written `id:BASE64`");
    }
    const std::string id = text.substr(0, colon);
    ACCORD_ASSIGN_OR_RETURN(std::string key, DecodeKey(text.substr(colon + 1), "pii_keys." + id));
    if (keys.sealing.count(id))
      return common::InvalidArgument("pii_keys", "key id " + id + " twice");
    keys.sealing[id] = std::move(key);
    if (keys.active.empty()) keys.active = id;
    return absl::OkStatus();
  };
  for (char c : sealing_keys) {
    if (c == ',' || c == '\n') {
      ACCORD_RETURN_IF_ERROR(add(item));
      item.clear();
    } else {
      item += c;
    }
  }
  ACCORD_RETURN_IF_ERROR(add(item));
  if (keys.sealing.empty()) return common::InvalidArgument("pii_keys", "no key given");
  ACCORD_ASSIGN_OR_RETURN(keys.blind_index, DecodeKey(blind_key, "blind_index_key"));
  return keys;
}

absl::StatusOr<PiiCipher> PiiCipher::Create(PiiKeys keys) {
  InitSodium();
  if (!keys.sealing.count(keys.active)) {
    return common::InvalidArgument("pii_keys", "the active key " + keys.active + " is not given");
  }
  for (const auto& [id, key] : keys.sealing) {
    if (key.size() != crypto_aead_xchacha20poly1305_ietf_KEYBYTES) {
      return common::InvalidArgument("pii_keys." + id, "must be 32 bytes");
    }
  }
  if (keys.blind_index.size() != crypto_generichash_KEYBYTES) {
    return common::InvalidArgument("blind_index_key", "must be 32 bytes");
  }
  return PiiCipher(std::move(keys));
}

Sealed PiiCipher::Seal(std::string_view plaintext, std::string_view associated) const {
  const std::string& key = keys_.sealing.at(keys_.active);
  constexpr size_t kNonce = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
  std::string out(kNonce + plaintext.size() + crypto_aead_xchacha20poly1305_ietf_ABYTES, '\0');
  auto* bytes = reinterpret_cast<unsigned char*>(out.data());
  randombytes_buf(bytes, kNonce);
  unsigned long long written = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(
      bytes + kNonce, &written, reinterpret_cast<const unsigned char*>(plaintext.data()),
      plaintext.size(), reinterpret_cast<const unsigned char*>(associated.data()),
      associated.size(), nullptr, bytes, reinterpret_cast<const unsigned char*>(key.data()));
  out.resize(kNonce + written);
  return Sealed{keys_.active, std::move(out)};
}

absl::StatusOr<std::string> PiiCipher::Open(const Sealed& sealed,
                                            std::string_view associated) const {
  auto key = keys_.sealing.find(sealed.key_id);
  if (key == keys_.sealing.end()) {
    return common::Internal("personal data sealed with key `" + sealed.key_id +
                            "`, which this service was not given");
  }
  constexpr size_t kNonce = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
  if (sealed.bytes.size() < kNonce + crypto_aead_xchacha20poly1305_ietf_ABYTES) {
    return common::Internal("sealed personal data is truncated");
  }
  const auto* bytes = reinterpret_cast<const unsigned char*>(sealed.bytes.data());
  std::string out(sealed.bytes.size() - kNonce, '\0');
  unsigned long long written = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          reinterpret_cast<unsigned char*>(out.data()), &written, nullptr, bytes + kNonce,
          sealed.bytes.size() - kNonce, reinterpret_cast<const unsigned char*>(associated.data()),
          associated.size(), bytes,
          reinterpret_cast<const unsigned char*>(key->second.data())) != 0) {
    return common::Internal("sealed personal data does not open: altered, or from another row");
  }
  out.resize(written);
  return out;
}

std::string PiiCipher::BlindIndex(std::string_view kind, std::string_view value) const {
  std::string input(kind);
  input += '\0';
  input += value;
  std::string out(32, '\0');
  crypto_generichash(reinterpret_cast<unsigned char*>(out.data()), out.size(),
                     reinterpret_cast<const unsigned char*>(input.data()), input.size(),
                     reinterpret_cast<const unsigned char*>(keys_.blind_index.data()),
                     keys_.blind_index.size());
  return out;
}

std::vector<int32_t> PiiCipher::BlindTrigrams(std::string_view name) const {
  std::vector<int32_t> out;
  for (const auto& trigram : NameTrigrams(name)) {
    const std::string digest = BlindIndex("trigram", trigram);
    uint32_t bits = 0;
    std::memcpy(&bits, digest.data(), sizeof bits);
    out.push_back(static_cast<int32_t>(bits));
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::string PiiCipher::SealToString(std::string_view plaintext, std::string_view associated) const {
  Sealed sealed = Seal(plaintext, associated);
  std::string out = sealed.key_id;
  out += '\0';
  out += sealed.bytes;
  return out;
}

absl::StatusOr<std::string> PiiCipher::OpenString(std::string_view stored,
                                                  std::string_view associated) const {
  const size_t zero = stored.find('\0');
  if (zero == std::string_view::npos) return common::Internal("sealed value without a key id");
  return Open(Sealed{std::string(stored.substr(0, zero)), std::string(stored.substr(zero + 1))},
              associated);
}

}  // namespace accord::contact
