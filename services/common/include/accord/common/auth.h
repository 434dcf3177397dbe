// Bearer-token authentication. The signature algorithm is pinned by configuration, never taken
// from the token: HS256 with a shared secret (local use), RS256 or ES256 with public keys in PEM
// (production). exp, nbf, iss and aud are checked; anything wrong is UNAUTHENTICATED.
#pragma once

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "absl/status/statusor.h"

namespace accord::common {

enum class Role {
  kAccountManager,
  kSalesAssistant,
  kServiceAgent,
  kServiceSupervisor,
  kPricingManager,
  kIntegration,
  kAdmin,
};

std::optional<Role> RoleFromString(std::string_view text);  // "account_manager" -> kAccountManager
std::string_view RoleName(Role role);

struct Principal {
  std::string subject;
  std::vector<Role> roles;  // known roles only; the runtime refuses a principal with none
  std::vector<std::string> territories;
  bool Has(Role role) const;
  bool HasAny(std::initializer_list<Role> roles) const;
};

struct JwtOptions {
  std::string algorithm = "HS256";  // HS256, RS256 or ES256
  std::string hs256_secret;
  std::vector<std::string> public_keys_pem;  // RS256/ES256: any of these may verify
  // Both are required: an empty one would switch its check off, so Create refuses it unless the
  // matching allow_any_* opt-out is set (ACCORD_JWT_ALLOW_ANY_ISSUER / _AUDIENCE).
  std::string issuer;
  std::string audience;
  bool allow_any_issuer = false;
  bool allow_any_audience = false;
  std::chrono::seconds leeway{30};
};

struct TokenClaims {
  std::string subject;
  std::vector<Role> roles;
  std::vector<std::string> territories;
  std::string issuer;
  std::string audience;
  int64_t not_before = 0;  // unix seconds; 0 = omit
  int64_t expires_at = 0;  // unix seconds
};

class JwtVerifier {
 public:
  // Fails on an unknown algorithm, a missing secret, an unparsable key, or an empty issuer or
  // audience without its opt-out.
  static absl::StatusOr<std::unique_ptr<JwtVerifier>> Create(JwtOptions options);
  ~JwtVerifier();

  // `now` in unix seconds. Verified tokens are remembered until they expire, so a client that
  // reuses its token pays for the signature check once.
  absl::StatusOr<Principal> Verify(std::string_view token, int64_t now) const;
  // From the `authorization` header value: "Bearer <token>".
  absl::StatusOr<Principal> VerifyAuthorizationHeader(std::string_view header, int64_t now) const;

 private:
  struct Keys;
  explicit JwtVerifier(JwtOptions options);
  absl::StatusOr<Principal> VerifyUncached(std::string_view token, int64_t now, int64_t* exp,
                                           int64_t* nbf) const;
  absl::Status CheckTimes(int64_t exp, int64_t nbf, int64_t now) const;

  JwtOptions options_;
  std::unique_ptr<Keys> keys_;
  struct CachedPrincipal {
    Principal principal;
    int64_t expires_at;
    int64_t not_before;
  };
  mutable std::mutex cache_mutex_;
  // Looked up by the token's string_view: a hit copies nothing but the principal.
  struct TokenHash {
    using is_transparent = void;
    size_t operator()(std::string_view token) const { return std::hash<std::string_view>{}(token); }
  };
  mutable std::unordered_map<std::string, CachedPrincipal, TokenHash, std::equal_to<>> cache_;
};

// Signs claims with HS256: dev tokens (accordctl, scripts) and tests.
std::string MintHs256Token(const TokenClaims& claims, std::string_view secret);
// Signs with an RS256 or ES256 private key in PEM (tests of the production algorithms).
absl::StatusOr<std::string> MintAsymmetricToken(const TokenClaims& claims,
                                                std::string_view algorithm,
                                                std::string_view private_key_pem);

}  // namespace accord::common
