#include "accord/common/page_token.h"

#include <gtest/gtest.h>

#include <cctype>
#include <string>
#include <vector>

#include "accord/common/errors.h"

namespace accord::common {
namespace {

constexpr char kSecret[] = "page-token-test-secret-0123456789";
constexpr char kQuery[] = "state = \"ACTIVE\"|display_name asc";

void ExpectPageTokenInvalid(const absl::Status& status) {
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  const auto violations = FieldViolationsOf(status);
  ASSERT_EQ(violations.size(), 1u) << status;
  EXPECT_EQ(violations[0].field, "page_token");
  EXPECT_FALSE(violations[0].description.empty());
}

TEST(EncodingTest, LowerHexWritesTwoDigitsPerByte) {
  EXPECT_EQ(LowerHex(std::string("\x00\x0f\xa0\xff", 4)), "000fa0ff");
  EXPECT_EQ(LowerHex(""), "");
}

TEST(PageTokenTest, RoundTrip) {
  PageTokenCodec codec(kSecret);
  PageCursor cursor{kQuery, {"Acme GmbH", "01890a5d-ac96-774b-bcce-b302099a8057"}};
  const std::string token = codec.Encode(cursor);
  auto decoded = codec.Decode(token, kQuery);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->query, kQuery);
  EXPECT_EQ(decoded->last_key, cursor.last_key);
}

TEST(PageTokenTest, RoundTripsAwkwardKeys) {
  PageTokenCodec codec(kSecret);
  // Empty key, quotes, dots, non-ASCII, invalid UTF-8 and an embedded NUL all survive.
  PageCursor cursor{"", {"", "a.b\"c\\", "Müller & Söhne", std::string("\xff\xfe\x00z", 4)}};
  auto decoded = codec.Decode(codec.Encode(cursor), "");
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->last_key, cursor.last_key);

  PageCursor empty{kQuery, {}};
  auto decoded_empty = codec.Decode(codec.Encode(empty), kQuery);
  ASSERT_TRUE(decoded_empty.ok()) << decoded_empty.status();
  EXPECT_TRUE(decoded_empty->last_key.empty());
}

TEST(PageTokenTest, TokenIsUrlSafe) {
  PageTokenCodec codec(kSecret);
  const std::string token = codec.Encode({kQuery, {"?/?+>>>", "~~~"}});
  for (char c : token) {
    EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.')
        << token;
  }
}

TEST(PageTokenTest, FlippingAnySingleCharacterIsRejected) {
  PageTokenCodec codec(kSecret);
  const std::string token = codec.Encode({kQuery, {"Acme GmbH", "42"}});
  const std::string alphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ ";
  int attempts = 0;
  for (size_t i = 0; i < token.size(); ++i) {
    for (char replacement : alphabet) {
      if (replacement == token[i]) continue;
      std::string tampered = token;
      tampered[i] = replacement;
      auto decoded = codec.Decode(tampered, kQuery);
      ASSERT_FALSE(decoded.ok()) << "position " << i << " -> '" << replacement << "' accepted";
      ExpectPageTokenInvalid(decoded.status());
      ++attempts;
    }
  }
  EXPECT_GT(attempts, 1000);
}

TEST(PageTokenTest, TruncatedOrExtendedTokensAreRejected) {
  PageTokenCodec codec(kSecret);
  const std::string token = codec.Encode({kQuery, {"x"}});
  for (size_t length = 0; length < token.size(); ++length) {
    auto decoded = codec.Decode(token.substr(0, length), kQuery);
    ASSERT_FALSE(decoded.ok()) << "prefix of length " << length << " accepted";
    ExpectPageTokenInvalid(decoded.status());
  }
  ExpectPageTokenInvalid(codec.Decode(token + "A", kQuery).status());
  ExpectPageTokenInvalid(codec.Decode(token + ".", kQuery).status());
  ExpectPageTokenInvalid(codec.Decode("A" + token, kQuery).status());
}

TEST(PageTokenTest, WrongQueryIsRejected) {
  PageTokenCodec codec(kSecret);
  const std::string token = codec.Encode({kQuery, {"Acme"}});
  auto decoded = codec.Decode(token, "state = \"CLOSED\"|display_name asc");
  ASSERT_FALSE(decoded.ok());
  ExpectPageTokenInvalid(decoded.status());
  ExpectPageTokenInvalid(codec.Decode(token, "").status());
  EXPECT_TRUE(codec.Decode(token, kQuery).ok());
}

TEST(PageTokenTest, GarbageIsRejected) {
  PageTokenCodec codec(kSecret);
  for (const std::string& garbage : std::vector<std::string>{
           "", ".", "..", "abc", "abc.def", "abc.def.ghi", "!!!!.????", "eyJxIjoiIn0.", ".AAAA",
           "not a token at all", std::string(5000, 'A') + "." + std::string(43, 'A')}) {
    auto decoded = codec.Decode(garbage, kQuery);
    ASSERT_FALSE(decoded.ok()) << garbage;
    ExpectPageTokenInvalid(decoded.status());
  }
}

TEST(PageTokenTest, WellSignedButNonsensePayloadIsRejected) {
  // Someone holding the secret (or a bug) must still not crash the decoder.
  PageTokenCodec codec(kSecret);
  for (const std::string payload : {"null", "[]", "{}", "{\"q\":1,\"k\":[]}", "{\"q\":\"x\"}",
                                    "{\"q\":\"x\",\"k\":[1]}", "not json"}) {
    const std::string encoded = Base64UrlEncode(payload);
    const std::string mac = HmacSha256(kSecret, "accord.page_token.v1\n" + encoded);
    auto decoded = codec.Decode(encoded + "." + Base64UrlEncode(mac), kQuery);
    ASSERT_FALSE(decoded.ok()) << payload;
    ExpectPageTokenInvalid(decoded.status());
  }
}

TEST(PageTokenTest, TokenFromAnotherSecretIsRejected) {
  PageTokenCodec ours(kSecret);
  PageTokenCodec theirs("some-other-secret");
  const std::string token = theirs.Encode({kQuery, {"Acme"}});
  ASSERT_TRUE(theirs.Decode(token, kQuery).ok());
  auto decoded = ours.Decode(token, kQuery);
  ASSERT_FALSE(decoded.ok());
  ExpectPageTokenInvalid(decoded.status());
}

TEST(Base64UrlTest, KnownVectors) {
  // RFC 4648 test vectors, url alphabet, no padding.
  EXPECT_EQ(Base64UrlEncode(""), "");
  EXPECT_EQ(Base64UrlEncode("f"), "Zg");
  EXPECT_EQ(Base64UrlEncode("fo"), "Zm8");
  EXPECT_EQ(Base64UrlEncode("foo"), "Zm9v");
  EXPECT_EQ(Base64UrlEncode("foob"), "Zm9vYg");
  EXPECT_EQ(Base64UrlEncode("fooba"), "Zm9vYmE");
  EXPECT_EQ(Base64UrlEncode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(Base64UrlEncode("\xfb\xff\xbf"), "-_-_");
  EXPECT_EQ(*Base64UrlDecode("Zm9vYmE"), "fooba");
  EXPECT_EQ(*Base64UrlDecode("-_-_"), "\xfb\xff\xbf");
}

TEST(Base64UrlTest, DecodeIsStrict) {
  EXPECT_FALSE(Base64UrlDecode("Zg==").ok());    // padding
  EXPECT_FALSE(Base64UrlDecode("Zm9v+/").ok());  // standard alphabet
  EXPECT_FALSE(Base64UrlDecode("Z").ok());       // impossible length
  EXPECT_FALSE(Base64UrlDecode("Zh").ok());      // non-zero unused bits
  EXPECT_FALSE(Base64UrlDecode("Zm9 v").ok());
}

TEST(Base64UrlTest, RoundTripsAllLengths) {
  std::string bytes;
  for (int i = 0; i < 70; ++i) {
    auto decoded = Base64UrlDecode(Base64UrlEncode(bytes));
    ASSERT_TRUE(decoded.ok());
    EXPECT_EQ(*decoded, bytes);
    bytes.push_back(static_cast<char>(i * 37 + 200));
  }
}

TEST(HmacSha256Test, Rfc4231Vector) {
  // RFC 4231 test case 2.
  const std::string mac = HmacSha256("Jefe", "what do ya want for nothing?");
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned char c : mac) {
    hex.push_back(kHex[c >> 4]);
    hex.push_back(kHex[c & 0xF]);
  }
  EXPECT_EQ(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

}  // namespace
}  // namespace accord::common
