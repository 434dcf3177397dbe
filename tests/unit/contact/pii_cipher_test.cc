#include "pii_cipher.h"

#include <gtest/gtest.h>

namespace accord::contact {
namespace {

// 32 bytes of 'A'..., in base64.
constexpr char kKeyA[] = "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE=";
constexpr char kKeyB[] = "QkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkI=";
constexpr char kBlind[] = "Q0NDQ0NDQ0NDQ0NDQ0NDQ0NDQ0NDQ0NDQ0NDQ0NDQ0M=";

PiiCipher Make(const std::string& keys) { return *PiiCipher::Create(*ParsePiiKeys(keys, kBlind)); }

TEST(PiiCipherTest, SealsAndOpensWithTheRowAsAssociatedData) {
  PiiCipher cipher = Make(std::string("k1:") + kKeyA);
  Sealed sealed = cipher.Seal("Ada Lovelace", "contacts/1");
  EXPECT_EQ(sealed.key_id, "k1");
  EXPECT_EQ(sealed.bytes.find("Ada"), std::string::npos);
  EXPECT_EQ(*cipher.Open(sealed, "contacts/1"), "Ada Lovelace");
  // Moved to another row, or altered: it does not open.
  EXPECT_FALSE(cipher.Open(sealed, "contacts/2").ok());
  sealed.bytes.back() ^= 1;
  EXPECT_FALSE(cipher.Open(sealed, "contacts/1").ok());
}

TEST(PiiCipherTest, TwoSealsOfTheSameValueDiffer) {
  PiiCipher cipher = Make(std::string("k1:") + kKeyA);
  EXPECT_NE(cipher.Seal("x", "a").bytes, cipher.Seal("x", "a").bytes);
}

TEST(PiiCipherTest, OldKeysStillOpenAfterANewOneLeads) {
  PiiCipher old_cipher = Make(std::string("k1:") + kKeyA);
  Sealed sealed = old_cipher.Seal("secret", "row");
  PiiCipher rotated = Make(std::string("k2:") + kKeyB + ",k1:" + kKeyA);
  EXPECT_EQ(*rotated.Open(sealed, "row"), "secret");
  EXPECT_EQ(rotated.Seal("new", "row").key_id, "k2");
  PiiCipher without = Make(std::string("k2:") + kKeyB);
  EXPECT_FALSE(without.Open(sealed, "row").ok());
}

TEST(PiiCipherTest, BlindIndexIsKeyedAndSeparatesKinds) {
  PiiCipher cipher = Make(std::string("k1:") + kKeyA);
  EXPECT_EQ(cipher.BlindIndex("email", "a@example.com"),
            cipher.BlindIndex("email", "a@example.com"));
  EXPECT_NE(cipher.BlindIndex("email", "a@example.com"),
            cipher.BlindIndex("phone", "a@example.com"));
  auto other = *PiiCipher::Create(*ParsePiiKeys(std::string("k1:") + kKeyA, kKeyB));
  EXPECT_NE(cipher.BlindIndex("email", "a@example.com"),
            other.BlindIndex("email", "a@example.com"));
  EXPECT_EQ(cipher.BlindIndex("email", "x").size(), 32u);
}

TEST(PiiCipherTest, BadKeysAreRefused) {
  EXPECT_FALSE(ParsePiiKeys("", kBlind).ok());
  EXPECT_FALSE(ParsePiiKeys("k1:c2hvcnQ=", kBlind).ok());
  EXPECT_FALSE(ParsePiiKeys(std::string("nokeyid") + kKeyA, kBlind).ok());
  EXPECT_FALSE(ParsePiiKeys(std::string("k1:") + kKeyA, "c2hvcnQ=").ok());
  EXPECT_FALSE(ParsePiiKeys(std::string("k1:") + kKeyA + ",k1:" + kKeyB, kBlind).ok());
  auto keys = ParsePiiKeys(std::string("# comment\nk1:") + kKeyA + "\nk0:" + kKeyB + "\n", kBlind);
  ASSERT_TRUE(keys.ok()) << keys.status();
  EXPECT_EQ(keys->active, "k1");
  EXPECT_EQ(keys->sealing.size(), 2u);
}

TEST(PiiCipherTest, StringFormCarriesTheKeyId) {
  PiiCipher cipher = Make(std::string("k1:") + kKeyA);
  const std::string stored = cipher.SealToString(std::string("with\0zero", 9), "ad");
  EXPECT_EQ(stored.substr(0, 3), std::string("k1\0", 3));
  EXPECT_EQ(*cipher.OpenString(stored, "ad"), std::string("with\0zero", 9));
}

}  // namespace
}  // namespace accord::contact
