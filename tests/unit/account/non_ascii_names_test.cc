// Which account filters only accounts with a name outside ASCII can match
// (MatchesOnlyNonAsciiNames): the repository confines their name-order pages to the partial index
// of such accounts, so a filter taken for one wrongly would lose matches.
#include <gtest/gtest.h>

#include <string>

#include "accord/common/filter.h"
#include "pg_filter_schemas.h"

namespace accord::account {
namespace {

bool OnlyNonAscii(const std::string& filter) {
  auto compiled = common::filter::Compile(filter, AccountFilterSchema());
  EXPECT_TRUE(compiled.ok()) << filter << ": " << compiled.status();
  if (!compiled.ok()) return false;
  return MatchesOnlyNonAsciiNames(compiled->where, compiled->params);
}

TEST(NonAsciiNamesTest, ASearchForTextOfACaselessScriptInANameIsOne) {
  for (const std::string filter : {
           "legal_name:股份",              // two characters: the pair index
           "display_name:鴻海",            //
           "display_name:台積電",          // three: trigrams
           "legal_name:\"鴻海精密工業\"",  //
           "鴻海",                         // free text over both names
           "\"台積電 3f\"",                // mixed with Latin text and a space
           "display_name:삼성",            // Hangul
           "display_name:トヨタ",          // katakana
           "legal_name:\"股%份\"",         // a LIKE metacharacter, escaped in the pattern
           "legal_name:\"a_\\\\股\"",      // and a backslash
           "(legal_name:股份)",            // parentheses change nothing
       }) {
    EXPECT_TRUE(OnlyNonAscii(filter)) << filter;
  }
}

TEST(NonAsciiNamesTest, AnythingElseIsNot) {
  for (const std::string filter : {
           "legal_name:gmbh",                            // Latin
           "display_name:café",                          // outside ASCII, but cased
           "display_name:\"\u212a\"",                    // the Kelvin sign lower-cases to k
           "display_name:\"\u0131\"",                    // and Turkish I to this dotless i
           "legal_name:股份 AND tier = STRATEGIC",       // other comparisons around it
           "legal_name:股份 OR legal_name:gmbh",         //
           "NOT legal_name:股份",                        //
           "-display_name:鴻海",                         //
           "legal_name = \"鴻海精密工業股份有限公司\"",  // equality
           "legal_name = \"%股份%\"",                    // equality with a pattern's look
           "owner:股份",                                 // not a name
           "labels:股份",                                //
           "industry = \"半導體\"",                      //
       }) {
    EXPECT_FALSE(OnlyNonAscii(filter)) << filter;
  }
  EXPECT_FALSE(MatchesOnlyNonAsciiNames("", {}));
}

}  // namespace
}  // namespace accord::account
