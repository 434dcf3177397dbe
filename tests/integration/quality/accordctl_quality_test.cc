// accordctl's service-quality commands against the service over gRPC: recording and reading a
// signal, updating a case, a policy and a calendar from flags, the review as CSV and the report
// as readable tables.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>

#include "command.h"
#include "commands.h"
#include "quality_fixture.h"

namespace accord::quality {
namespace {

using ::testing::HasSubstr;

class AccordctlQualityTest : public QualityFixture {
 protected:
  AccordctlQualityTest() { accordctl::RegisterQualityCommands(registry_); }

  // Runs `accordctl ARGS --addr <service> --token <supervisor>`; the exit code and what it printed.
  std::pair<int, std::string> Run(std::vector<std::string> args) {
    args.insert(args.end(), {"--addr", "127.0.0.1:" + std::to_string(harness_.port()), "--token",
                             testing::TokenFor("sue", {Role::kServiceSupervisor})});
    std::ostringstream out;
    std::ostringstream err;
    const int code = registry_.Run(args, out, err);
    return {code, out.str() + err.str()};
  }

  accordctl::Registry registry_;
};

TEST_F(AccordctlQualityTest, SignalsCasesPoliciesCalendarsAndReports) {
  const auto account = CreateAccount("max");
  auto [code, text] = Run({"signals", "create", "--account", account.name(), "--kind", "return",
                           "--source", "warehouse", "--figure", "12.5", "--note", "Pallet 7"});
  ASSERT_EQ(code, 0) << text;
  EXPECT_THAT(text, HasSubstr("\"kind\": \"SIGNAL_KIND_RETURN\""));
  EXPECT_THAT(text, HasSubstr("\"figure\": 12.5"));
  const size_t at = text.find("signals/");
  ASSERT_NE(at, std::string::npos);
  const std::string signal = text.substr(at, text.find('"', at) - at);
  std::tie(code, text) = Run({"signals", "get", signal});
  ASSERT_EQ(code, 0) << text;
  EXPECT_THAT(text, HasSubstr("Pallet 7"));
  std::tie(code, text) = Run({"signals", "create", "--account", account.name(), "--kind", "lost",
                              "--source", "x", "--figure", "1"});
  EXPECT_EQ(code, 2) << text;  // a usage error, before any call
  std::tie(code, text) = Run({"signals", "create", "--account", account.name(), "--kind",
                              "call-review", "--source", "qa", "--figure", "101"});
  EXPECT_EQ(code, 1) << text;  // the service refuses the score
  EXPECT_THAT(text, HasSubstr("signal.figure"));

  // A case updated from flags: only those fields change.
  const v1::Case c = Create(NewCase(v1::LEVEL_HIGH, v1::LEVEL_MEDIUM, account.name()));
  std::tie(code, text) = Run(
      {"cases", "update", c.name(), "--etag", c.etag(), "--urgency", "high", "--team", "north"});
  ASSERT_EQ(code, 0) << text;
  EXPECT_THAT(text, HasSubstr("\"urgency\": \"LEVEL_HIGH\""));
  EXPECT_THAT(text, HasSubstr("\"priority\": \"PRIORITY_CRITICAL\""));  // high x high
  EXPECT_THAT(text, HasSubstr("\"team\": \"north\""));
  EXPECT_THAT(text, HasSubstr("Pallet arrived crushed"));  // the description kept
  std::tie(code, text) = Run({"cases", "update", c.name(), "--etag", "9"});
  EXPECT_EQ(code, 2) << text;  // nothing to change

  const v1::Calendar calendar = AlwaysOpen();
  const v1::SlaPolicy policy = Policy(calendar, v1::PRIORITY_LOW, 60, 480);
  std::tie(code, text) = Run(
      {"sla-policies", "update", policy.name(), "--etag", policy.etag(), "--resolution", "12h"});
  ASSERT_EQ(code, 0) << text;
  EXPECT_THAT(text, HasSubstr("\"resolutionTarget\": \"43200s\""));
  std::tie(code, text) = Run({"calendars", "update", calendar.name(), "--etag", calendar.etag(),
                              "--time-zone", "Europe/Berlin", "--holiday", "2026-12-25"});
  ASSERT_EQ(code, 0) << text;
  EXPECT_THAT(text, HasSubstr("\"timeZone\": \"Europe/Berlin\""));
  EXPECT_THAT(text, HasSubstr("2026-12-25"));

  const std::string start = "2020-01-01T00:00:00Z";
  const std::string end = "2020-12-31T00:00:00Z";
  std::tie(code, text) = Run({"report", "--start", start, "--end", end, "--group-by", "account"});
  ASSERT_EQ(code, 0) << text;
  EXPECT_THAT(text, HasSubstr("Top categories"));
  EXPECT_THAT(text, HasSubstr("Signals"));
  EXPECT_THAT(text, HasSubstr("Recommendations"));
  std::tie(code, text) = Run({"review", account.name(), "--start", start, "--end", end, "--csv"});
  ASSERT_EQ(code, 0) << text;
  EXPECT_THAT(text, ::testing::StartsWith("section,key,figure,value\r\n"));
}

}  // namespace
}  // namespace accord::quality
