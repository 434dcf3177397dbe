#include "accord/common/validation.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "accord/account/v1/account.pb.h"
#include "accord/account/v1/need.pb.h"
#include "accord/common/errors.h"

namespace accord::common {
namespace {

using ::testing::UnorderedElementsAre;

std::vector<std::string> Fields(const absl::Status& status) {
  std::vector<std::string> out;
  for (const auto& violation : FieldViolationsOf(status)) out.push_back(violation.field);
  return out;
}

TEST(ValidationTest, EveryControlCharacterButBlanksInFreeTextIsRefused) {
  for (int c = 0; c < 0x20; ++c) {
    EXPECT_TRUE(HasControlCharacter(std::string(1, static_cast<char>(c)), false)) << c;
    const bool blank = c == '\t' || c == '\n' || c == '\r';
    EXPECT_EQ(HasControlCharacter(std::string(1, static_cast<char>(c)), true), !blank) << c;
  }
  EXPECT_TRUE(HasControlCharacter("\x7f", true));
  EXPECT_FALSE(HasControlCharacter("Café Ünïcødé 東京", false));
}

// Long text is checked eight bytes at a time before byte by byte: every byte value at every
// position of a long text, beside clean ASCII and multi-byte UTF-8 on either side, answers as the
// byte alone does.
TEST(ValidationTest, LongTextAnswersAsItsWorstByteDoes) {
  const std::string clean = "accounts/0190c5de-7a1b-7c3d-8e4f-a1b2c3d4e5f6 Ünïcødé 東京 ~";
  ASSERT_GT(clean.size(), 40u);
  EXPECT_FALSE(HasControlCharacter(clean, false));
  for (int c = 0; c < 0x100; ++c) {
    const bool refused_single = c < 0x20 || c == 0x7f;
    const bool refused_multi = refused_single && c != '\t' && c != '\n' && c != '\r';
    for (size_t at = 0; at <= 24; ++at) {
      std::string text = clean.substr(0, 24);
      text.insert(at, 1, static_cast<char>(c));
      text += clean.substr(24);
      // A byte >= 0x80 alone is not valid UTF-8 but is no control character either.
      EXPECT_EQ(HasControlCharacter(text, false), refused_single) << c << " at " << at;
      EXPECT_EQ(HasControlCharacter(text, true), refused_multi) << c << " at " << at;
    }
  }
}

TEST(ValidationTest, WalksNestedRepeatedAndMapFields) {
  account::v1::CreateAccountRequest request;
  auto* account = request.mutable_account();
  account->set_display_name("fine");
  account->add_labels("ok");
  account->add_labels(std::string("b\0d", 3));
  (*account->mutable_external_ids())["erp"] = "\x01";
  account->mutable_shipping_address()->add_address_lines("line\n");
  auto status = CheckTextFields(request);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ReasonOf(status), "CONTROL_CHARACTER");
  EXPECT_THAT(Fields(status), UnorderedElementsAre("account.labels[1]", "account.external_ids[erp]",
                                                   "account.shipping_address.address_lines[0]"));

  account::v1::CreateNeedRequest need;
  need.mutable_need()->set_description("a\r\n\tb");
  EXPECT_TRUE(CheckTextFields(need).ok());
}

}  // namespace
}  // namespace accord::common
