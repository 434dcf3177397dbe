#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <memory>
#include <string>
#include <vector>

#include "accord/common/auth.h"
#include "accord/common/errors.h"
#include "accord/common/page_token.h"

namespace accord::common {
namespace {

constexpr int64_t kNow = 1'700'000'000;
constexpr char kSecret[] = "jwt-test-secret-with-at-least-32-bytes!";
constexpr char kIssuer[] = "https://id.accord.example";
constexpr char kAudience[] = "accord";

struct KeyPair {
  std::string private_pem;
  std::string public_pem;
};

KeyPair ExportPem(EVP_PKEY* key) {
  KeyPair pair;
  std::unique_ptr<BIO, decltype(&BIO_free)> priv(BIO_new(BIO_s_mem()), BIO_free);
  std::unique_ptr<BIO, decltype(&BIO_free)> pub(BIO_new(BIO_s_mem()), BIO_free);
  EXPECT_EQ(PEM_write_bio_PrivateKey(priv.get(), key, nullptr, nullptr, 0, nullptr, nullptr), 1);
  EXPECT_EQ(PEM_write_bio_PUBKEY(pub.get(), key), 1);
  char* data = nullptr;
  long size = BIO_get_mem_data(priv.get(), &data);
  pair.private_pem.assign(data, static_cast<size_t>(size));
  size = BIO_get_mem_data(pub.get(), &data);
  pair.public_pem.assign(data, static_cast<size_t>(size));
  return pair;
}

KeyPair GenerateRsa() {
  EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(2048));
  EXPECT_NE(key, nullptr);
  KeyPair pair = ExportPem(key);
  EVP_PKEY_free(key);
  return pair;
}

KeyPair GenerateP256() {
  EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  EXPECT_NE(key, nullptr);
  KeyPair pair = ExportPem(key);
  EVP_PKEY_free(key);
  return pair;
}

TokenClaims ValidClaims() {
  TokenClaims claims;
  claims.subject = "user-123";
  claims.roles = {Role::kAccountManager, Role::kPricingManager};
  claims.territories = {"DE-north", "AT"};
  claims.issuer = kIssuer;
  claims.audience = kAudience;
  claims.not_before = kNow - 60;
  claims.expires_at = kNow + 3600;
  return claims;
}

JwtOptions Hs256Options() {
  JwtOptions options;
  options.algorithm = "HS256";
  options.hs256_secret = kSecret;
  options.issuer = kIssuer;
  options.audience = kAudience;
  options.leeway = std::chrono::seconds(30);
  return options;
}

JwtOptions AsymmetricOptions(std::string algorithm, std::vector<std::string> public_keys) {
  JwtOptions options = Hs256Options();
  options.algorithm = std::move(algorithm);
  options.hs256_secret.clear();
  options.public_keys_pem = std::move(public_keys);
  return options;
}

std::unique_ptr<JwtVerifier> MakeVerifier(JwtOptions options) {
  auto verifier = JwtVerifier::Create(std::move(options));
  EXPECT_TRUE(verifier.ok()) << verifier.status();
  return verifier.ok() ? std::move(verifier).value() : nullptr;
}

// Hand-built token: lets tests put anything in the header and payload.
std::string Hs256Raw(const std::string& header_json, const std::string& payload_json,
                     const std::string& secret = kSecret) {
  const std::string input = Base64UrlEncode(header_json) + "." + Base64UrlEncode(payload_json);
  return input + "." + Base64UrlEncode(HmacSha256(secret, input));
}

std::vector<std::string> Split(const std::string& token) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (size_t dot = token.find('.'); dot != std::string::npos; dot = token.find('.', start)) {
    parts.push_back(token.substr(start, dot - start));
    start = dot + 1;
  }
  parts.push_back(token.substr(start));
  return parts;
}

void ExpectUnauthenticated(const absl::StatusOr<Principal>& result, const std::string& reason) {
  ASSERT_FALSE(result.ok()) << "accepted, expected " << reason;
  EXPECT_EQ(result.status().code(), absl::StatusCode::kUnauthenticated) << result.status();
  EXPECT_EQ(ReasonOf(result.status()), reason) << result.status();
}

class JwtTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    rsa_ = new KeyPair(GenerateRsa());
    other_rsa_ = new KeyPair(GenerateRsa());
    ec_ = new KeyPair(GenerateP256());
    other_ec_ = new KeyPair(GenerateP256());
  }
  static void TearDownTestSuite() {
    delete rsa_;
    delete other_rsa_;
    delete ec_;
    delete other_ec_;
  }

  static KeyPair* rsa_;
  static KeyPair* other_rsa_;
  static KeyPair* ec_;
  static KeyPair* other_ec_;
};

KeyPair* JwtTest::rsa_ = nullptr;
KeyPair* JwtTest::other_rsa_ = nullptr;
KeyPair* JwtTest::ec_ = nullptr;
KeyPair* JwtTest::other_ec_ = nullptr;

TEST_F(JwtTest, ValidHs256TokenYieldsPrincipal) {
  auto verifier = MakeVerifier(Hs256Options());
  ASSERT_NE(verifier, nullptr);
  const std::string token = MintHs256Token(ValidClaims(), kSecret);
  EXPECT_EQ(Split(token).size(), 3u);

  auto principal = verifier->Verify(token, kNow);
  ASSERT_TRUE(principal.ok()) << principal.status();
  EXPECT_EQ(principal->subject, "user-123");
  EXPECT_EQ(principal->roles, (std::vector<Role>{Role::kAccountManager, Role::kPricingManager}));
  EXPECT_EQ(principal->territories, (std::vector<std::string>{"DE-north", "AT"}));
  EXPECT_TRUE(principal->Has(Role::kPricingManager));
  EXPECT_FALSE(principal->Has(Role::kAdmin));
  EXPECT_TRUE(principal->HasAny({Role::kAdmin, Role::kAccountManager}));
  EXPECT_FALSE(principal->HasAny({Role::kAdmin, Role::kServiceAgent}));
}

TEST_F(JwtTest, MintedHeaderIsStandard) {
  const std::string token = MintHs256Token(ValidClaims(), kSecret);
  auto header = Base64UrlDecode(Split(token)[0]);
  ASSERT_TRUE(header.ok());
  EXPECT_EQ(*header, R"({"alg":"HS256","typ":"JWT"})");
}

TEST_F(JwtTest, RolesAndTerritoriesParsedUnknownRolesIgnored) {
  auto verifier = MakeVerifier(Hs256Options());
  ASSERT_NE(verifier, nullptr);
  const std::string payload =
      R"({"sub":"svc-1","exp":)" + std::to_string(kNow + 60) +
      R"(,"iss":"https://id.accord.example","aud":"accord",)" +
      R"("roles":["sales_assistant","service_agent","service_supervisor",)" +
      R"("integration","admin","wizard","ADMIN"],)" + R"("territories":["FR","IT-south"]})";
  auto principal = verifier->Verify(Hs256Raw(R"({"alg":"HS256","typ":"JWT"})", payload), kNow);
  ASSERT_TRUE(principal.ok()) << principal.status();
  EXPECT_EQ(principal->subject, "svc-1");
  EXPECT_EQ(principal->roles,
            (std::vector<Role>{Role::kSalesAssistant, Role::kServiceAgent, Role::kServiceSupervisor,
                               Role::kIntegration, Role::kAdmin}));
  EXPECT_EQ(principal->territories, (std::vector<std::string>{"FR", "IT-south"}));
}

TEST_F(JwtTest, RoleNamesRoundTrip) {
  for (Role role :
       {Role::kAccountManager, Role::kSalesAssistant, Role::kServiceAgent, Role::kServiceSupervisor,
        Role::kPricingManager, Role::kIntegration, Role::kAdmin}) {
    auto parsed = RoleFromString(RoleName(role));
    ASSERT_TRUE(parsed.has_value()) << RoleName(role);
    EXPECT_EQ(*parsed, role);
  }
  EXPECT_EQ(RoleFromString("account_manager"), Role::kAccountManager);
  EXPECT_FALSE(RoleFromString("Account_Manager").has_value());
  EXPECT_FALSE(RoleFromString("").has_value());
}

TEST_F(JwtTest, ExpiredTokenRejected) {
  auto verifier = MakeVerifier(Hs256Options());
  ASSERT_NE(verifier, nullptr);
  TokenClaims claims = ValidClaims();
  claims.expires_at = kNow - 31;  // beyond the 30 s leeway
  ExpectUnauthenticated(verifier->Verify(MintHs256Token(claims, kSecret), kNow), "TOKEN_EXPIRED");

  claims.expires_at = kNow - 10;  // within the leeway
  EXPECT_TRUE(verifier->Verify(MintHs256Token(claims, kSecret), kNow).ok());
}

TEST_F(JwtTest, MissingExpRejected) {
  auto verifier = MakeVerifier(Hs256Options());
  ASSERT_NE(verifier, nullptr);
  ExpectUnauthenticated(
      verifier->Verify(Hs256Raw(R"({"alg":"HS256"})",
                                R"({"sub":"u","iss":"https://id.accord.example","aud":"accord"})"),
                       kNow),
      "MALFORMED_TOKEN");
  ExpectUnauthenticated(
      verifier->Verify(
          Hs256Raw(
              R"({"alg":"HS256"})",
              R"({"sub":"u","exp":"tomorrow","iss":"https://id.accord.example","aud":"accord"})"),
          kNow),
      "MALFORMED_TOKEN");
}

TEST_F(JwtTest, NotYetValidTokenRejected) {
  auto verifier = MakeVerifier(Hs256Options());
  ASSERT_NE(verifier, nullptr);
  TokenClaims claims = ValidClaims();
  claims.not_before = kNow + 300;
  ExpectUnauthenticated(verifier->Verify(MintHs256Token(claims, kSecret), kNow),
                        "TOKEN_NOT_YET_VALID");

  claims.not_before = kNow + 10;  // clock skew within the leeway
  EXPECT_TRUE(verifier->Verify(MintHs256Token(claims, kSecret), kNow).ok());
}

TEST_F(JwtTest, WrongAudienceRejected) {
  auto verifier = MakeVerifier(Hs256Options());
  ASSERT_NE(verifier, nullptr);
  TokenClaims claims = ValidClaims();
  claims.audience = "billing";
  ExpectUnauthenticated(verifier->Verify(MintHs256Token(claims, kSecret), kNow), "WRONG_AUDIENCE");
  claims.audience.clear();  // absent
  ExpectUnauthenticated(verifier->Verify(MintHs256Token(claims, kSecret), kNow), "WRONG_AUDIENCE");
}

TEST_F(JwtTest, AudienceMayBeAnArray) {
  auto verifier = MakeVerifier(Hs256Options());
  ASSERT_NE(verifier, nullptr);
  const std::string exp = std::to_string(kNow + 60);
  const std::string header = R"({"alg":"HS256","typ":"JWT"})";
  EXPECT_TRUE(verifier
                  ->Verify(Hs256Raw(header, R"({"sub":"u","exp":)" + exp +
                                                R"(,"iss":"https://id.accord.example",)" +
                                                R"("aud":["billing","accord"]})"),
                           kNow)
                  .ok());
  ExpectUnauthenticated(
      verifier->Verify(
          Hs256Raw(header, R"({"sub":"u","exp":)" + exp + R"(,"iss":"https://id.accord.example",)" +
                               R"("aud":["billing","accord-x"]})"),
          kNow),
      "WRONG_AUDIENCE");
}

TEST_F(JwtTest, WrongIssuerRejected) {
  auto verifier = MakeVerifier(Hs256Options());
  ASSERT_NE(verifier, nullptr);
  TokenClaims claims = ValidClaims();
  claims.issuer = "https://evil.example";
  ExpectUnauthenticated(verifier->Verify(MintHs256Token(claims, kSecret), kNow), "WRONG_ISSUER");
  claims.issuer.clear();
  ExpectUnauthenticated(verifier->Verify(MintHs256Token(claims, kSecret), kNow), "WRONG_ISSUER");
}

TEST_F(JwtTest, AlgNoneRejected) {
  auto verifier = MakeVerifier(Hs256Options());
  ASSERT_NE(verifier, nullptr);
  const std::string payload = Split(MintHs256Token(ValidClaims(), kSecret))[1];
  for (const std::string& alg : std::vector<std::string>{"none", "None", "NONE", "nOnE"}) {
    const std::string token =
        Base64UrlEncode(R"({"alg":")" + alg + R"(","typ":"JWT"})") + "." + payload + ".";
    ExpectUnauthenticated(verifier->Verify(token, kNow), "ALGORITHM_NOT_ALLOWED");
  }
  // Even with the right algorithm, an empty signature is not a signature.
  const std::string no_signature =
      Base64UrlEncode(R"({"alg":"HS256","typ":"JWT"})") + "." + payload + ".";
  ExpectUnauthenticated(verifier->Verify(no_signature, kNow), "BAD_SIGNATURE");
}

TEST_F(JwtTest, Hs256TokenRejectedByRs256Verifier) {
  auto verifier = MakeVerifier(AsymmetricOptions("RS256", {rsa_->public_pem}));
  ASSERT_NE(verifier, nullptr);
  // The classic confusion attack: HMAC keyed with the (public) RSA key.
  ExpectUnauthenticated(verifier->Verify(MintHs256Token(ValidClaims(), rsa_->public_pem), kNow),
                        "ALGORITHM_NOT_ALLOWED");
  ExpectUnauthenticated(verifier->Verify(MintHs256Token(ValidClaims(), kSecret), kNow),
                        "ALGORITHM_NOT_ALLOWED");
}

TEST_F(JwtTest, AsymmetricTokenRejectedByHs256Verifier) {
  auto verifier = MakeVerifier(Hs256Options());
  ASSERT_NE(verifier, nullptr);
  auto token = MintAsymmetricToken(ValidClaims(), "RS256", rsa_->private_pem);
  ASSERT_TRUE(token.ok()) << token.status();
  ExpectUnauthenticated(verifier->Verify(*token, kNow), "ALGORITHM_NOT_ALLOWED");
}

TEST_F(JwtTest, WrongSecretRejected) {
  auto verifier = MakeVerifier(Hs256Options());
  ASSERT_NE(verifier, nullptr);
  ExpectUnauthenticated(verifier->Verify(MintHs256Token(ValidClaims(), "another-secret"), kNow),
                        "BAD_SIGNATURE");
}

TEST_F(JwtTest, TamperedPayloadRejected) {
  auto verifier = MakeVerifier(Hs256Options());
  ASSERT_NE(verifier, nullptr);
  const auto parts = Split(MintHs256Token(ValidClaims(), kSecret));
  TokenClaims elevated = ValidClaims();
  elevated.roles.push_back(Role::kAdmin);
  const auto forged_payload = Split(MintHs256Token(elevated, "attacker-secret"))[1];
  ExpectUnauthenticated(verifier->Verify(parts[0] + "." + forged_payload + "." + parts[2], kNow),
                        "BAD_SIGNATURE");

  // Any single-character change to the signed parts breaks the signature.
  const std::string token = parts[0] + "." + parts[1] + "." + parts[2];
  for (size_t i = 0; i < parts[0].size() + 1 + parts[1].size(); ++i) {
    if (token[i] == '.') continue;
    std::string tampered = token;
    tampered[i] = token[i] == 'A' ? 'B' : 'A';
    auto result = verifier->Verify(tampered, kNow);
    ASSERT_FALSE(result.ok()) << "position " << i;
    EXPECT_EQ(result.status().code(), absl::StatusCode::kUnauthenticated);
  }
}

TEST_F(JwtTest, GarbageRejectedAsMalformed) {
  auto verifier = MakeVerifier(Hs256Options());
  ASSERT_NE(verifier, nullptr);
  for (const std::string& garbage : std::vector<std::string>{
           "abc", "a.b", "a.b.c.d", "..", "!!.??.**", "eyJhbGciOiJIUzI1NiJ9", "e30.e30.e30"}) {
    auto result = verifier->Verify(garbage, kNow);
    ASSERT_FALSE(result.ok()) << garbage;
    EXPECT_EQ(result.status().code(), absl::StatusCode::kUnauthenticated) << garbage;
  }
  ExpectUnauthenticated(verifier->Verify("a.b", kNow), "MALFORMED_TOKEN");
  ExpectUnauthenticated(verifier->Verify("e30.e30.e30", kNow), "MALFORMED_TOKEN");  // no alg
  ExpectUnauthenticated(verifier->Verify("", kNow), "MISSING_TOKEN");
  // Correctly signed but missing a subject.
  ExpectUnauthenticated(
      verifier->Verify(Hs256Raw(R"({"alg":"HS256"})", R"({"exp":)" + std::to_string(kNow + 60) +
                                                          R"(,"iss":"https://id.accord.example",)" +
                                                          R"("aud":"accord"})"),
                       kNow),
      "MALFORMED_TOKEN");
}

TEST_F(JwtTest, AuthorizationHeader) {
  auto verifier = MakeVerifier(Hs256Options());
  ASSERT_NE(verifier, nullptr);
  const std::string token = MintHs256Token(ValidClaims(), kSecret);

  EXPECT_TRUE(verifier->VerifyAuthorizationHeader("Bearer " + token, kNow).ok());
  EXPECT_TRUE(verifier->VerifyAuthorizationHeader("bearer " + token, kNow).ok());
  EXPECT_TRUE(verifier->VerifyAuthorizationHeader("BEARER   " + token + "  ", kNow).ok());

  ExpectUnauthenticated(verifier->VerifyAuthorizationHeader("", kNow), "MISSING_TOKEN");
  ExpectUnauthenticated(verifier->VerifyAuthorizationHeader("   ", kNow), "MISSING_TOKEN");
  ExpectUnauthenticated(verifier->VerifyAuthorizationHeader(token, kNow), "MISSING_TOKEN");
  ExpectUnauthenticated(verifier->VerifyAuthorizationHeader("Bearer", kNow), "MISSING_TOKEN");
  ExpectUnauthenticated(verifier->VerifyAuthorizationHeader("Bearer   ", kNow), "MISSING_TOKEN");
  ExpectUnauthenticated(verifier->VerifyAuthorizationHeader("Basic " + token, kNow),
                        "MISSING_TOKEN");
  ExpectUnauthenticated(verifier->VerifyAuthorizationHeader("Bearertoken " + token, kNow),
                        "MISSING_TOKEN");
  ExpectUnauthenticated(verifier->VerifyAuthorizationHeader("Bearer garbage", kNow),
                        "MALFORMED_TOKEN");
}

TEST_F(JwtTest, Rs256HappyPathAndWrongKey) {
  auto token = MintAsymmetricToken(ValidClaims(), "RS256", rsa_->private_pem);
  ASSERT_TRUE(token.ok()) << token.status();
  EXPECT_EQ(*Base64UrlDecode(Split(*token)[0]), R"({"alg":"RS256","typ":"JWT"})");

  auto verifier = MakeVerifier(AsymmetricOptions("RS256", {rsa_->public_pem}));
  ASSERT_NE(verifier, nullptr);
  auto principal = verifier->Verify(*token, kNow);
  ASSERT_TRUE(principal.ok()) << principal.status();
  EXPECT_EQ(principal->subject, "user-123");

  auto wrong = MakeVerifier(AsymmetricOptions("RS256", {other_rsa_->public_pem}));
  ASSERT_NE(wrong, nullptr);
  ExpectUnauthenticated(wrong->Verify(*token, kNow), "BAD_SIGNATURE");
}

TEST_F(JwtTest, AnyConfiguredKeyMayVerify) {
  // Key rotation: old and new keys side by side, also as one PEM bundle.
  auto token = MintAsymmetricToken(ValidClaims(), "RS256", rsa_->private_pem);
  ASSERT_TRUE(token.ok()) << token.status();
  auto two_entries =
      MakeVerifier(AsymmetricOptions("RS256", {other_rsa_->public_pem, rsa_->public_pem}));
  ASSERT_NE(two_entries, nullptr);
  EXPECT_TRUE(two_entries->Verify(*token, kNow).ok());
  auto bundle =
      MakeVerifier(AsymmetricOptions("RS256", {other_rsa_->public_pem + rsa_->public_pem}));
  ASSERT_NE(bundle, nullptr);
  EXPECT_TRUE(bundle->Verify(*token, kNow).ok());
}

TEST_F(JwtTest, Es256HappyPathAndWrongKey) {
  auto token = MintAsymmetricToken(ValidClaims(), "ES256", ec_->private_pem);
  ASSERT_TRUE(token.ok()) << token.status();
  const auto parts = Split(*token);
  EXPECT_EQ(*Base64UrlDecode(parts[0]), R"({"alg":"ES256","typ":"JWT"})");
  // JWS ES256 signatures are raw r||s, not DER.
  EXPECT_EQ(Base64UrlDecode(parts[2])->size(), 64u);

  auto verifier = MakeVerifier(AsymmetricOptions("ES256", {ec_->public_pem}));
  ASSERT_NE(verifier, nullptr);
  auto principal = verifier->Verify(*token, kNow);
  ASSERT_TRUE(principal.ok()) << principal.status();
  EXPECT_EQ(principal->territories, (std::vector<std::string>{"DE-north", "AT"}));

  auto wrong = MakeVerifier(AsymmetricOptions("ES256", {other_ec_->public_pem}));
  ASSERT_NE(wrong, nullptr);
  ExpectUnauthenticated(wrong->Verify(*token, kNow), "BAD_SIGNATURE");

  // Signature of the wrong size (e.g. DER, or truncated) is a bad signature, not a crash.
  const std::string truncated =
      parts[0] + "." + parts[1] + "." + Base64UrlEncode(Base64UrlDecode(parts[2])->substr(0, 63));
  ExpectUnauthenticated(verifier->Verify(truncated, kNow), "BAD_SIGNATURE");
}

TEST_F(JwtTest, Es256VerifierRejectsRs256Token) {
  auto token = MintAsymmetricToken(ValidClaims(), "RS256", rsa_->private_pem);
  ASSERT_TRUE(token.ok());
  auto verifier = MakeVerifier(AsymmetricOptions("ES256", {ec_->public_pem}));
  ASSERT_NE(verifier, nullptr);
  ExpectUnauthenticated(verifier->Verify(*token, kNow), "ALGORITHM_NOT_ALLOWED");
}

std::string EncryptedPrivatePem() {
  EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  static const char kPassphrase[] = "passphrase";
  EXPECT_EQ(PEM_write_bio_PrivateKey(bio.get(), key, EVP_aes_256_cbc(),
                                     reinterpret_cast<const unsigned char*>(kPassphrase),
                                     sizeof(kPassphrase) - 1, nullptr, nullptr),
            1);
  EVP_PKEY_free(key);
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(size));
}

TEST_F(JwtTest, MintAsymmetricRejectsBadInput) {
  // Must fail rather than prompt for a passphrase on the terminal.
  EXPECT_FALSE(MintAsymmetricToken(ValidClaims(), "ES256", EncryptedPrivatePem()).ok());
  EXPECT_FALSE(MintAsymmetricToken(ValidClaims(), "HS256", rsa_->private_pem).ok());
  EXPECT_FALSE(MintAsymmetricToken(ValidClaims(), "RS256", "not a pem").ok());
  EXPECT_FALSE(MintAsymmetricToken(ValidClaims(), "RS256", ec_->private_pem).ok());
  EXPECT_FALSE(MintAsymmetricToken(ValidClaims(), "ES256", rsa_->private_pem).ok());
}

TEST_F(JwtTest, CreateRejectsBadConfiguration) {
  JwtOptions unknown = Hs256Options();
  unknown.algorithm = "HS512";
  EXPECT_EQ(JwtVerifier::Create(unknown).status().code(), absl::StatusCode::kInvalidArgument);
  JwtOptions none = Hs256Options();
  none.algorithm = "none";
  EXPECT_EQ(JwtVerifier::Create(none).status().code(), absl::StatusCode::kInvalidArgument);
  JwtOptions no_secret = Hs256Options();
  no_secret.hs256_secret.clear();
  EXPECT_EQ(JwtVerifier::Create(no_secret).status().code(), absl::StatusCode::kInvalidArgument);

  EXPECT_FALSE(JwtVerifier::Create(AsymmetricOptions("RS256", {})).ok());
  EXPECT_FALSE(JwtVerifier::Create(AsymmetricOptions("RS256", {"garbage"})).ok());
  EXPECT_FALSE(JwtVerifier::Create(AsymmetricOptions("ES256", {""})).ok());
  // A private key is not a public key, and key types must match the algorithm.
  EXPECT_FALSE(JwtVerifier::Create(AsymmetricOptions("RS256", {rsa_->private_pem})).ok());
  EXPECT_FALSE(JwtVerifier::Create(AsymmetricOptions("RS256", {ec_->public_pem})).ok());
  EXPECT_FALSE(JwtVerifier::Create(AsymmetricOptions("ES256", {rsa_->public_pem})).ok());
  EXPECT_TRUE(JwtVerifier::Create(AsymmetricOptions("ES256", {ec_->public_pem})).ok());
}

TEST_F(JwtTest, CacheHitStillHonoursExpiry) {
  auto verifier = MakeVerifier(Hs256Options());
  ASSERT_NE(verifier, nullptr);
  const TokenClaims claims = ValidClaims();
  const std::string token = MintHs256Token(claims, kSecret);
  ASSERT_TRUE(verifier->Verify(token, kNow).ok());
  ASSERT_TRUE(verifier->Verify(token, kNow + 1).ok());  // served from the cache
  ExpectUnauthenticated(verifier->Verify(token, claims.expires_at + 31), "TOKEN_EXPIRED");
  ExpectUnauthenticated(
      verifier->VerifyAuthorizationHeader("Bearer " + token, claims.expires_at + 31),
      "TOKEN_EXPIRED");
  // ...and not-before, should the clock step back.
  ASSERT_TRUE(verifier->Verify(token, kNow).ok());
  ExpectUnauthenticated(verifier->Verify(token, claims.not_before - 31), "TOKEN_NOT_YET_VALID");
  EXPECT_TRUE(verifier->Verify(token, kNow).ok());
}

TEST_F(JwtTest, CacheDoesNotRememberFailures) {
  auto verifier = MakeVerifier(Hs256Options());
  ASSERT_NE(verifier, nullptr);
  TokenClaims claims = ValidClaims();
  claims.not_before = kNow + 100;
  const std::string token = MintHs256Token(claims, kSecret);
  ExpectUnauthenticated(verifier->Verify(token, kNow), "TOKEN_NOT_YET_VALID");
  EXPECT_TRUE(verifier->Verify(token, kNow + 100).ok());
}

TEST_F(JwtTest, CacheSurvivesManyTokens) {
  auto verifier = MakeVerifier(Hs256Options());
  ASSERT_NE(verifier, nullptr);
  TokenClaims claims = ValidClaims();
  std::string first;
  for (int i = 0; i < 10050; ++i) {
    claims.subject = "user-" + std::to_string(i);
    const std::string token = MintHs256Token(claims, kSecret);
    if (i == 0) first = token;
    auto principal = verifier->Verify(token, kNow);
    ASSERT_TRUE(principal.ok()) << i;
    ASSERT_EQ(principal->subject, claims.subject);
  }
  auto again = verifier->Verify(first, kNow);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->subject, "user-0");
}

}  // namespace
}  // namespace accord::common
