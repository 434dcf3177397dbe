// Item 9 of issue 18: an empty issuer or audience would switch its token check off, so start-up
// refuses it unless the documented opt-out is set.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "accord/common/auth.h"
#include "accord/common/config.h"
#include "accord/common/server.h"

namespace accord::common {
namespace {

using ::testing::HasSubstr;

std::map<std::string, std::string> Env() {
  return {{"ACCORD_PG_URL", "postgresql://accord@localhost/accord"},
          {"ACCORD_JWT_SECRET", "secret"},
          {"ACCORD_PAGE_TOKEN_SECRET", "pages"}};
}

TEST(JwtSettingsTest, StartUpRefusesAnEmptyIssuerOrAudience) {
  for (const std::string name : {"ACCORD_JWT_ISSUER", "ACCORD_JWT_AUDIENCE"}) {
    SCOPED_TRACE(name);
    auto env = Env();
    env[name] = "";
    ConfigReader config({}, env);
    ReadServiceSettings(config, "account", 50051, 9091);
    auto status = config.Finish();
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(status.message()), HasSubstr(name + " is empty"));
  }
  ConfigReader defaults({}, Env());
  ReadServiceSettings(defaults, "account", 50051, 9091);
  EXPECT_TRUE(defaults.Finish().ok());
}

TEST(JwtSettingsTest, VerifierRefusesAnEmptyIssuerOrAudience) {
  JwtOptions options;
  options.hs256_secret = "secret";
  options.issuer = "accord";
  options.audience = "accord";
  ASSERT_TRUE(JwtVerifier::Create(options).ok());
  JwtOptions no_issuer = options;
  no_issuer.issuer.clear();
  EXPECT_EQ(JwtVerifier::Create(no_issuer).status().code(), absl::StatusCode::kInvalidArgument);
  JwtOptions no_audience = options;
  no_audience.audience.clear();
  EXPECT_EQ(JwtVerifier::Create(no_audience).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(JwtSettingsTest, ExplicitOptOutAcceptsAnyIssuerOrAudience) {
  auto env = Env();
  env["ACCORD_JWT_AUDIENCE"] = "";
  env["ACCORD_JWT_ALLOW_ANY_AUDIENCE"] = "true";
  env["ACCORD_JWT_ISSUER"] = "";
  env["ACCORD_JWT_ALLOW_ANY_ISSUER"] = "true";
  ConfigReader config({}, env);
  ServiceSettings settings = ReadServiceSettings(config, "account", 50051, 9091);
  ASSERT_TRUE(config.Finish().ok()) << config.Finish();
  auto verifier = JwtVerifier::Create(settings.jwt);
  ASSERT_TRUE(verifier.ok()) << verifier.status();
  TokenClaims claims;
  claims.subject = "alice";
  claims.roles = {Role::kAdmin};
  claims.issuer = "anyone";
  claims.audience = "anything";
  claims.expires_at = std::time(nullptr) + 60;
  EXPECT_TRUE((*verifier)->Verify(MintHs256Token(claims, "secret"), std::time(nullptr)).ok());
}

}  // namespace
}  // namespace accord::common
