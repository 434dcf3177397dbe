#include "sealed_contact.h"

#include <gtest/gtest.h>

namespace accord::contact {
namespace {

TEST(SealedContactTest, EncodingKeepsEveryColumnNullsAndBytes) {
  SealedContact sealed;
  sealed.columns[0] = "0190c0de-0000-7000-8000-000000000001";
  sealed.columns[1] = std::string("\0\1\2sealed\xff", 10);
  sealed.columns[2] = "k1";
  sealed.columns[3] = "";  // present but empty: not the same as NULL
  sealed.columns[8] = "a,b";
  sealed.columns[13] = "42";
  const auto decoded = SealedContact::Decode(sealed.Encode());
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(decoded->columns, sealed.columns);
  EXPECT_FALSE(decoded->columns[7].has_value());
  EXPECT_EQ(decoded->cache_version(), 42);
}

TEST(SealedContactTest, RefusesWhatIsNotAnEncoding) {
  SealedContact sealed;
  sealed.columns[1] = "bytes";
  const std::string encoded = sealed.Encode();
  EXPECT_FALSE(SealedContact::Decode(encoded.substr(0, encoded.size() - 1)).has_value());
  EXPECT_FALSE(SealedContact::Decode(encoded + "x").has_value());
  EXPECT_FALSE(SealedContact::Decode("").has_value());
  EXPECT_FALSE(SealedContact::Decode("garbage that is long enough").has_value());
  EXPECT_EQ(SealedContact().cache_version(), 0);
}

}  // namespace
}  // namespace accord::contact
