#include "accord/common/page_token.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <nlohmann/json.hpp>

#include "accord/common/errors.h"

namespace accord::common {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
// Separates page-token MACs from any other use of the same secret.
constexpr std::string_view kMacContext = "accord.page_token.v1\n";

int DecodeChar(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

std::string QueryFingerprint(std::string_view query) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(query.data()), query.size(), digest);
  // 128 bits is plenty to tell queries apart and keeps tokens short.
  return Base64UrlEncode(std::string_view(reinterpret_cast<const char*>(digest), 16));
}

std::string Mac(std::string_view secret, std::string_view encoded_payload) {
  std::string input(kMacContext);
  input.append(encoded_payload);
  return HmacSha256(secret, input);
}

absl::Status Malformed() {
  return InvalidArgument("page_token",
                         "is not a page token issued by this service; start again without one");
}

}  // namespace

std::string LowerHex(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * bytes.size());
  for (unsigned char byte : bytes) {
    out.push_back(kHex[byte >> 4]);
    out.push_back(kHex[byte & 0x0F]);
  }
  return out;
}

std::string Base64UrlEncode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() * 4 + 2) / 3);
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const uint32_t n = (static_cast<unsigned char>(bytes[i]) << 16) |
                       (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                       static_cast<unsigned char>(bytes[i + 2]);
    out.push_back(kAlphabet[(n >> 18) & 63]);
    out.push_back(kAlphabet[(n >> 12) & 63]);
    out.push_back(kAlphabet[(n >> 6) & 63]);
    out.push_back(kAlphabet[n & 63]);
  }
  const size_t rest = bytes.size() - i;
  if (rest == 1) {
    const uint32_t n = static_cast<unsigned char>(bytes[i]) << 16;
    out.push_back(kAlphabet[(n >> 18) & 63]);
    out.push_back(kAlphabet[(n >> 12) & 63]);
  } else if (rest == 2) {
    const uint32_t n = (static_cast<unsigned char>(bytes[i]) << 16) |
                       (static_cast<unsigned char>(bytes[i + 1]) << 8);
    out.push_back(kAlphabet[(n >> 18) & 63]);
    out.push_back(kAlphabet[(n >> 12) & 63]);
    out.push_back(kAlphabet[(n >> 6) & 63]);
  }
  return out;
}

// Strict: no padding, no whitespace, and the unused low bits of the last character must be zero,
// so every byte string has exactly one accepted encoding (a flipped character never decodes to
// the same bytes).
absl::StatusOr<std::string> Base64UrlDecode(std::string_view text) {
  if (text.size() % 4 == 1) return absl::InvalidArgumentError("invalid base64url length");
  std::string out;
  out.reserve(text.size() * 3 / 4);
  uint32_t buffer = 0;
  int bits = 0;
  for (char c : text) {
    const int value = DecodeChar(c);
    if (value < 0) return absl::InvalidArgumentError("invalid base64url character");
    buffer = (buffer << 6) | static_cast<uint32_t>(value);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> bits) & 0xFF));
    }
  }
  if (bits > 0 && (buffer & ((1u << bits) - 1)) != 0) {
    return absl::InvalidArgumentError("non-canonical base64url");
  }
  return out;
}

std::string HmacSha256(std::string_view key, std::string_view data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_size = 0;
  // HMAC() takes a null key pointer as "no key"; an empty string must still be a valid key.
  static const unsigned char kEmpty = 0;
  const void* key_data = key.empty() ? &kEmpty : static_cast<const void*>(key.data());
  HMAC(EVP_sha256(), key_data, static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &mac_size);
  return std::string(reinterpret_cast<const char*>(mac), mac_size);
}

PageTokenCodec::PageTokenCodec(std::string secret) : secret_(std::move(secret)) {}

std::string PageTokenCodec::Encode(const PageCursor& cursor) const {
  // Key parts are base64url inside the JSON so that sort keys which are not valid UTF-8 (JSON
  // cannot carry them) still round-trip exactly.
  nlohmann::json keys = nlohmann::json::array();
  for (const auto& part : cursor.last_key) keys.push_back(Base64UrlEncode(part));
  nlohmann::json payload = {{"q", QueryFingerprint(cursor.query)}, {"k", std::move(keys)}};
  const std::string encoded = Base64UrlEncode(payload.dump());
  return encoded + "." + Base64UrlEncode(Mac(secret_, encoded));
}

absl::StatusOr<PageCursor> PageTokenCodec::Decode(std::string_view token,
                                                  std::string_view query) const {
  const size_t dot = token.find('.');
  if (dot == std::string_view::npos || token.find('.', dot + 1) != std::string_view::npos) {
    return Malformed();
  }
  const std::string_view encoded_payload = token.substr(0, dot);
  auto mac = Base64UrlDecode(token.substr(dot + 1));
  if (!mac.ok() || mac->size() != SHA256_DIGEST_LENGTH) return Malformed();
  const std::string expected = Mac(secret_, encoded_payload);
  if (CRYPTO_memcmp(expected.data(), mac->data(), expected.size()) != 0) return Malformed();

  // Past the MAC the payload is ours, but stay defensive: a leaked secret must not crash us.
  auto payload_text = Base64UrlDecode(encoded_payload);
  if (!payload_text.ok()) return Malformed();
  const nlohmann::json payload = nlohmann::json::parse(*payload_text, nullptr, false);
  if (payload.is_discarded() || !payload.is_object()) return Malformed();
  auto q = payload.find("q");
  auto k = payload.find("k");
  if (q == payload.end() || !q->is_string() || k == payload.end() || !k->is_array()) {
    return Malformed();
  }
  if (q->get_ref<const std::string&>() != QueryFingerprint(query)) {
    return InvalidArgument("page_token",
                           "belongs to a different filter or order_by; repeat the request with "
                           "the original ones, or start again without a page token");
  }
  PageCursor cursor;
  cursor.query = std::string(query);
  for (const auto& part : *k) {
    if (!part.is_string()) return Malformed();
    auto decoded = Base64UrlDecode(part.get_ref<const std::string&>());
    if (!decoded.ok()) return Malformed();
    cursor.last_key.push_back(*std::move(decoded));
  }
  return cursor;
}

}  // namespace accord::common
