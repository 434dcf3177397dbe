#include "accord/common/auth.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <utility>

#include "accord/common/errors.h"
#include "accord/common/page_token.h"

namespace accord::common {
namespace {

using nlohmann::json;

struct PkeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
struct EcdsaSigFree {
  void operator()(ECDSA_SIG* sig) const { ECDSA_SIG_free(sig); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using BioPtr = std::unique_ptr<BIO, BioFree>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;
using EcdsaSigPtr = std::unique_ptr<ECDSA_SIG, EcdsaSigFree>;

// gRPC caps metadata at 8 KiB by default; anything larger is not a token we issued.
constexpr size_t kMaxTokenSize = 16 * 1024;
constexpr size_t kMaxCacheEntries = 10000;
constexpr int kMinRsaBits = 2048;
constexpr size_t kEs256CoordinateSize = 32;

constexpr std::array<std::pair<Role, std::string_view>, 7> kRoleNames = {{
    {Role::kAccountManager, "account_manager"},
    {Role::kSalesAssistant, "sales_assistant"},
    {Role::kServiceAgent, "service_agent"},
    {Role::kServiceSupervisor, "service_supervisor"},
    {Role::kPricingManager, "pricing_manager"},
    {Role::kIntegration, "integration"},
    {Role::kAdmin, "admin"},
}};

absl::Status Malformed(std::string_view message) {
  return Unauthenticated("MALFORMED_TOKEN", message);
}

const unsigned char* Bytes(std::string_view text) {
  return reinterpret_cast<const unsigned char*>(text.data());
}

// Key type must match the pinned algorithm: an RSA key never verifies ES256 and vice versa.
absl::Status CheckKeyType(EVP_PKEY* key, std::string_view algorithm, std::string_view field) {
  if (algorithm == "RS256") {
    if (!EVP_PKEY_is_a(key, "RSA")) return InvalidArgument(std::string(field), "is not an RSA key");
    if (EVP_PKEY_get_bits(key) < kMinRsaBits) {
      return InvalidArgument(std::string(field), "RSA keys must have at least 2048 bits");
    }
    return absl::OkStatus();
  }
  if (!EVP_PKEY_is_a(key, "EC")) return InvalidArgument(std::string(field), "is not an EC key");
  char group[64] = {0};
  size_t group_size = 0;
  if (EVP_PKEY_get_group_name(key, group, sizeof(group), &group_size) != 1 ||
      (std::string_view(group) != "prime256v1" && std::string_view(group) != "P-256")) {
    return InvalidArgument(std::string(field), "ES256 needs a P-256 key");
  }
  return absl::OkStatus();
}

// Without a callback OpenSSL would prompt on the terminal for an encrypted key's passphrase.
int NoPassphrase(char* /*buf*/, int /*size*/, int /*rwflag*/, void* /*userdata*/) { return -1; }

bool IsSupportedAlgorithm(std::string_view algorithm) {
  return algorithm == "HS256" || algorithm == "RS256" || algorithm == "ES256";
}

// NumericDate per RFC 7519: a JSON number of seconds, possibly fractional.
std::optional<int64_t> NumericDate(const json& value, bool round_up) {
  if (value.is_number_integer() && !value.is_number_unsigned()) return value.get<int64_t>();
  if (value.is_number_unsigned()) {
    const uint64_t v = value.get<uint64_t>();
    return v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())
               ? std::numeric_limits<int64_t>::max()
               : static_cast<int64_t>(v);
  }
  if (value.is_number_float()) {
    double v = value.get<double>();
    if (!std::isfinite(v) || v > 9.0e18 || v < -9.0e18) return std::nullopt;
    v = round_up ? std::ceil(v) : std::floor(v);
    return static_cast<int64_t>(v);
  }
  return std::nullopt;
}

std::optional<json> DecodeJsonObject(std::string_view encoded) {
  auto text = Base64UrlDecode(encoded);
  if (!text.ok()) return std::nullopt;
  json value = json::parse(*text, nullptr, false);
  if (value.is_discarded() || !value.is_object()) return std::nullopt;
  return value;
}

std::string EncodeClaims(const TokenClaims& claims) {
  json payload = json::object();
  payload["sub"] = claims.subject;
  payload["exp"] = claims.expires_at;
  if (claims.not_before != 0) payload["nbf"] = claims.not_before;
  if (!claims.issuer.empty()) payload["iss"] = claims.issuer;
  if (!claims.audience.empty()) payload["aud"] = claims.audience;
  json roles = json::array();
  for (Role role : claims.roles) roles.push_back(std::string(RoleName(role)));
  payload["roles"] = std::move(roles);
  payload["territories"] = claims.territories;
  return Base64UrlEncode(payload.dump());
}

std::string SigningInput(std::string_view algorithm, const TokenClaims& claims) {
  const json header = {{"alg", std::string(algorithm)}, {"typ", "JWT"}};
  return Base64UrlEncode(header.dump()) + "." + EncodeClaims(claims);
}

bool VerifyWithKey(EVP_PKEY* key, std::string_view data, const unsigned char* sig,
                   size_t sig_size) {
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx) return false;
  if (EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) != 1) return false;
  return EVP_DigestVerify(ctx.get(), sig, sig_size, Bytes(data), data.size()) == 1;
}

// JWS carries ES256 signatures as fixed-size big-endian r||s; OpenSSL speaks DER ECDSA-Sig-Value.
std::optional<std::string> RawEcdsaToDer(std::string_view raw) {
  if (raw.size() != 2 * kEs256CoordinateSize) return std::nullopt;
  EcdsaSigPtr sig(ECDSA_SIG_new());
  if (!sig) return std::nullopt;
  BIGNUM* r = BN_bin2bn(Bytes(raw), kEs256CoordinateSize, nullptr);
  BIGNUM* s = BN_bin2bn(Bytes(raw) + kEs256CoordinateSize, kEs256CoordinateSize, nullptr);
  if (r == nullptr || s == nullptr || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    return std::nullopt;
  }
  unsigned char* der = nullptr;
  const int der_size = i2d_ECDSA_SIG(sig.get(), &der);
  if (der_size <= 0) return std::nullopt;
  std::string out(reinterpret_cast<const char*>(der), static_cast<size_t>(der_size));
  OPENSSL_free(der);
  return out;
}

std::optional<std::string> DerEcdsaToRaw(std::string_view der) {
  const unsigned char* p = Bytes(der);
  EcdsaSigPtr sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size())));
  if (!sig) return std::nullopt;
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig.get(), &r, &s);
  std::string raw(2 * kEs256CoordinateSize, '\0');
  auto* out = reinterpret_cast<unsigned char*>(raw.data());
  if (BN_bn2binpad(r, out, kEs256CoordinateSize) < 0 ||
      BN_bn2binpad(s, out + kEs256CoordinateSize, kEs256CoordinateSize) < 0) {
    return std::nullopt;
  }
  return raw;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

std::optional<Role> RoleFromString(std::string_view text) {
  for (const auto& [role, name] : kRoleNames) {
    if (name == text) return role;
  }
  return std::nullopt;
}

std::string_view RoleName(Role role) {
  for (const auto& [candidate, name] : kRoleNames) {
    if (candidate == role) return name;
  }
  return "unknown";
}

bool Principal::Has(Role role) const {
  return std::find(roles.begin(), roles.end(), role) != roles.end();
}

bool Principal::HasAny(std::initializer_list<Role> wanted) const {
  return std::any_of(wanted.begin(), wanted.end(), [this](Role role) { return Has(role); });
}

struct JwtVerifier::Keys {
  std::vector<PkeyPtr> public_keys;
};

JwtVerifier::JwtVerifier(JwtOptions options)
    : options_(std::move(options)), keys_(std::make_unique<Keys>()) {}

JwtVerifier::~JwtVerifier() = default;

absl::StatusOr<std::unique_ptr<JwtVerifier>> JwtVerifier::Create(JwtOptions options) {
  if (!IsSupportedAlgorithm(options.algorithm)) {
    return InvalidArgument("jwt.algorithm",
                           "must be HS256, RS256 or ES256, got \"" + options.algorithm + "\"");
  }
  if (options.leeway.count() < 0) return InvalidArgument("jwt.leeway", "must not be negative");
  // An empty issuer or audience would accept tokens minted for anyone by anyone holding a key;
  // that must be asked for explicitly.
  if (options.issuer.empty() && !options.allow_any_issuer) {
    return InvalidArgument("jwt.issuer", "is required (or opt out with allow_any_issuer)");
  }
  if (options.audience.empty() && !options.allow_any_audience) {
    return InvalidArgument("jwt.audience", "is required (or opt out with allow_any_audience)");
  }
  std::unique_ptr<JwtVerifier> verifier(new JwtVerifier(std::move(options)));
  const JwtOptions& opts = verifier->options_;
  if (opts.algorithm == "HS256") {
    if (opts.hs256_secret.empty()) {
      return InvalidArgument("jwt.hs256_secret", "is required when the algorithm is HS256");
    }
    return verifier;
  }
  if (opts.public_keys_pem.empty()) {
    return InvalidArgument("jwt.public_keys_pem",
                           "at least one public key is required for " + opts.algorithm);
  }
  for (size_t i = 0; i < opts.public_keys_pem.size(); ++i) {
    const std::string field = "jwt.public_keys_pem[" + std::to_string(i) + "]";
    const std::string& pem = opts.public_keys_pem[i];
    BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    if (!bio) return Internal("out of memory reading a public key");
    // One entry may hold several "PUBLIC KEY" blocks (a rotation bundle).
    size_t parsed = 0;
    while (PkeyPtr key{PEM_read_bio_PUBKEY(bio.get(), nullptr, NoPassphrase, nullptr)}) {
      ACCORD_RETURN_IF_ERROR(CheckKeyType(key.get(), opts.algorithm, field));
      verifier->keys_->public_keys.push_back(std::move(key));
      ++parsed;
    }
    ERR_clear_error();  // the loop ends on a "no start line" error by design
    if (parsed == 0) return InvalidArgument(field, "holds no parsable PEM public key");
  }
  return verifier;
}

absl::Status JwtVerifier::CheckTimes(int64_t exp, int64_t nbf, int64_t now) const {
  const int64_t leeway = options_.leeway.count();
  int64_t expires_with_leeway = 0;
  if (__builtin_add_overflow(exp, leeway, &expires_with_leeway)) {
    expires_with_leeway = std::numeric_limits<int64_t>::max();
  }
  if (now >= expires_with_leeway) return Unauthenticated("TOKEN_EXPIRED", "the token has expired");
  if (nbf != 0) {
    int64_t starts_with_leeway = 0;
    if (__builtin_sub_overflow(nbf, leeway, &starts_with_leeway)) {
      starts_with_leeway = std::numeric_limits<int64_t>::min();
    }
    if (now < starts_with_leeway) {
      return Unauthenticated("TOKEN_NOT_YET_VALID", "the token is not valid yet");
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<Principal> JwtVerifier::VerifyUncached(std::string_view token, int64_t now,
                                                      int64_t* exp_out, int64_t* nbf_out) const {
  const size_t first_dot = token.find('.');
  const size_t second_dot =
      first_dot == std::string_view::npos ? first_dot : token.find('.', first_dot + 1);
  if (second_dot == std::string_view::npos ||
      token.find('.', second_dot + 1) != std::string_view::npos) {
    return Malformed("a JWT has three dot-separated parts");
  }
  const std::string_view header_part = token.substr(0, first_dot);
  const std::string_view payload_part = token.substr(first_dot + 1, second_dot - first_dot - 1);
  const std::string_view signing_input = token.substr(0, second_dot);

  const auto header = DecodeJsonObject(header_part);
  if (!header) return Malformed("the token header is not base64url JSON");
  const auto alg = header->find("alg");
  if (alg == header->end() || !alg->is_string()) return Malformed("the token header has no alg");
  // The configured algorithm is the only one accepted: this is what stops "none" and
  // HS256-signed-with-the-public-key confusion.
  if (alg->get_ref<const std::string&>() != options_.algorithm) {
    return Unauthenticated("ALGORITHM_NOT_ALLOWED",
                           "tokens must be signed with " + options_.algorithm);
  }
  if (header->contains("crit")) return Malformed("critical header extensions are not supported");

  const auto signature = Base64UrlDecode(token.substr(second_dot + 1));
  if (!signature.ok() || signature->empty()) {
    return Unauthenticated("BAD_SIGNATURE", "the token signature is missing or not base64url");
  }
  bool verified = false;
  if (options_.algorithm == "HS256") {
    const std::string expected = HmacSha256(options_.hs256_secret, signing_input);
    verified = signature->size() == expected.size() &&
               CRYPTO_memcmp(expected.data(), signature->data(), expected.size()) == 0;
  } else {
    std::string der_storage;
    std::string_view sig = *signature;
    if (options_.algorithm == "ES256") {
      auto der = RawEcdsaToDer(*signature);
      if (der) der_storage = std::move(*der);
      sig = der_storage;
    }
    if (!sig.empty()) {
      for (const auto& key : keys_->public_keys) {
        if (VerifyWithKey(key.get(), signing_input, Bytes(sig), sig.size())) {
          verified = true;
          break;
        }
      }
    }
    ERR_clear_error();  // failed verifications leave entries on the thread's error queue
  }
  if (!verified) return Unauthenticated("BAD_SIGNATURE", "the token signature does not verify");

  const auto claims = DecodeJsonObject(payload_part);
  if (!claims) return Malformed("the token payload is not base64url JSON");

  const auto exp_it = claims->find("exp");
  if (exp_it == claims->end()) return Malformed("the token has no exp claim");
  const auto exp = NumericDate(*exp_it, /*round_up=*/false);
  if (!exp) return Malformed("the exp claim is not a number");
  int64_t nbf = 0;
  if (const auto nbf_it = claims->find("nbf"); nbf_it != claims->end()) {
    const auto value = NumericDate(*nbf_it, /*round_up=*/true);
    if (!value) return Malformed("the nbf claim is not a number");
    nbf = *value;
  }
  ACCORD_RETURN_IF_ERROR(CheckTimes(*exp, nbf, now));

  if (!options_.issuer.empty()) {
    const auto iss = claims->find("iss");
    if (iss == claims->end() || !iss->is_string() ||
        iss->get_ref<const std::string&>() != options_.issuer) {
      return Unauthenticated("WRONG_ISSUER", "the token was not issued by " + options_.issuer);
    }
  }
  if (!options_.audience.empty()) {
    bool match = false;
    if (const auto aud = claims->find("aud"); aud != claims->end()) {
      if (aud->is_string()) {
        match = aud->get_ref<const std::string&>() == options_.audience;
      } else if (aud->is_array()) {
        match = std::any_of(aud->begin(), aud->end(), [this](const json& item) {
          return item.is_string() && item.get_ref<const std::string&>() == options_.audience;
        });
      }
    }
    if (!match) {
      return Unauthenticated("WRONG_AUDIENCE", "the token is not meant for " + options_.audience);
    }
  }

  Principal principal;
  const auto sub = claims->find("sub");
  if (sub == claims->end() || !sub->is_string() || sub->get_ref<const std::string&>().empty()) {
    return Malformed("the token has no sub claim");
  }
  principal.subject = sub->get<std::string>();
  if (const auto roles = claims->find("roles"); roles != claims->end() && !roles->is_null()) {
    if (!roles->is_array()) return Malformed("the roles claim is not an array");
    for (const auto& item : *roles) {
      if (!item.is_string()) return Malformed("the roles claim holds a non-string");
      // Unknown roles are ignored so that an issuer can add roles before every service knows them.
      const auto role = RoleFromString(item.get_ref<const std::string&>());
      if (role && !principal.Has(*role)) principal.roles.push_back(*role);
    }
  }
  if (const auto territories = claims->find("territories");
      territories != claims->end() && !territories->is_null()) {
    if (!territories->is_array()) return Malformed("the territories claim is not an array");
    for (const auto& item : *territories) {
      if (!item.is_string()) return Malformed("the territories claim holds a non-string");
      principal.territories.push_back(item.get<std::string>());
    }
  }
  if (exp_out != nullptr) *exp_out = *exp;
  if (nbf_out != nullptr) *nbf_out = nbf;
  return principal;
}

absl::StatusOr<Principal> JwtVerifier::Verify(std::string_view token, int64_t now) const {
  if (token.empty()) return Unauthenticated("MISSING_TOKEN", "a bearer token is required");
  if (token.size() > kMaxTokenSize) return Malformed("the token is too large");
  {
    std::lock_guard<std::mutex> lock(cache_mutex_);
    if (auto it = cache_.find(token); it != cache_.end()) {
      // A remembered signature is not a remembered validity window.
      absl::Status times = CheckTimes(it->second.expires_at, it->second.not_before, now);
      if (!times.ok()) {
        cache_.erase(it);  // an expired token stays expired; no need to keep it
        return times;
      }
      return it->second.principal;
    }
  }
  int64_t exp = 0;
  int64_t nbf = 0;
  auto principal = VerifyUncached(token, now, &exp, &nbf);
  if (!principal.ok()) return principal;
  std::lock_guard<std::mutex> lock(cache_mutex_);
  // Crude bound; a full clear costs one signature check per active client.
  if (cache_.size() >= kMaxCacheEntries) cache_.clear();
  cache_.insert_or_assign(std::string(token), CachedPrincipal{*principal, exp, nbf});
  return principal;
}

absl::StatusOr<Principal> JwtVerifier::VerifyAuthorizationHeader(std::string_view header,
                                                                 int64_t now) const {
  constexpr std::string_view kSpace = " \t";
  const size_t begin = header.find_first_not_of(kSpace);
  if (begin == std::string_view::npos) {
    return Unauthenticated("MISSING_TOKEN", "the authorization header is missing");
  }
  header = header.substr(begin, header.find_last_not_of(kSpace) - begin + 1);
  const size_t space = header.find_first_of(kSpace);
  if (space == std::string_view::npos || !EqualsIgnoreCase(header.substr(0, space), "Bearer")) {
    return Unauthenticated("MISSING_TOKEN", "the authorization header must be \"Bearer <token>\"");
  }
  const std::string_view token = header.substr(header.find_first_not_of(kSpace, space));
  return Verify(token, now);
}

std::string MintHs256Token(const TokenClaims& claims, std::string_view secret) {
  const std::string input = SigningInput("HS256", claims);
  return input + "." + Base64UrlEncode(HmacSha256(secret, input));
}

absl::StatusOr<std::string> MintAsymmetricToken(const TokenClaims& claims,
                                                std::string_view algorithm,
                                                std::string_view private_key_pem) {
  if (algorithm != "RS256" && algorithm != "ES256") {
    return InvalidArgument("algorithm", "must be RS256 or ES256");
  }
  BioPtr bio(BIO_new_mem_buf(private_key_pem.data(), static_cast<int>(private_key_pem.size())));
  if (!bio) return Internal("out of memory reading a private key");
  PkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, NoPassphrase, nullptr));
  if (!key) {
    ERR_clear_error();
    return InvalidArgument("private_key_pem", "holds no parsable PEM private key");
  }
  ACCORD_RETURN_IF_ERROR(CheckKeyType(key.get(), algorithm, "private_key_pem"));

  const std::string input = SigningInput(algorithm, claims);
  MdCtxPtr ctx(EVP_MD_CTX_new());
  size_t size = 0;
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.get()) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &size, Bytes(input), input.size()) != 1) {
    ERR_clear_error();
    return Internal("could not sign the token");
  }
  std::string signature(size, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &size,
                     Bytes(input), input.size()) != 1) {
    ERR_clear_error();
    return Internal("could not sign the token");
  }
  signature.resize(size);
  if (algorithm == "ES256") {
    auto raw = DerEcdsaToRaw(signature);
    if (!raw) return Internal("could not encode the ES256 signature");
    signature = std::move(*raw);
  }
  return input + "." + Base64UrlEncode(signature);
}

}  // namespace accord::common
