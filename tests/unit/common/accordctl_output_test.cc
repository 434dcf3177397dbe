// accordctl's shared command line: `-o json|table` on every command, and required flags named
// when missing and marked in help.
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "command.h"
#include "commands.h"

namespace accord::accordctl {
namespace {

struct Result {
  int code;
  std::string out;
  std::string err;
};

class AccordctlOutputTest : public ::testing::Test {
 protected:
  AccordctlOutputTest() {
    registry_.Add(
        {.path = {"things", "get"},
         .summary = "Print one thing as JSON.",
         .flags = {{.name = "name", .value_name = "N", .help = "Its name.", .required = true},
                   {.name = "kind", .value_name = "K", .help = "Its kind.", .required = true},
                   {.name = "note", .value_name = "T", .help = "A note."}},
         .run = [](const Invocation& inv) {
           inv.out << "{\n  \"name\": \"" << inv.args.GetOr("name", "")
                   << "\",\n  \"size\": 3,\n  \"owner\": {\"id\": \"u1\", \"tags\": "
                      "[\"a\", \"b\"]}\n}\n";
           return kExitOk;
         }});
    registry_.Add({.path = {"things", "list"},
                   .summary = "Print things as JSON lines.",
                   .run = [](const Invocation& inv) {
                     inv.out << R"({"name":"things/1","size":3})"
                             << "\n"
                             << R"({"name":"things/2","color":"red"})"
                             << "\n";
                     return kExitOk;
                   }});
    registry_.Add({.path = {"plain"}, .summary = "Print text.", .run = [](const Invocation& inv) {
                     inv.out << (inv.wants_json() ? "{\"ok\":true}\n" : "all good\n");
                     return kExitOk;
                   }});
    RegisterTokenCommands(registry_);
  }

  Result Run(std::vector<std::string> args) {
    std::ostringstream out;
    std::ostringstream err;
    int code = registry_.Run(args, out, err);
    return {code, out.str(), err.str()};
  }

  Registry registry_;
};

TEST_F(AccordctlOutputTest, JsonIsTheDefaultAndTheSameWithDashOJson) {
  auto plain = Run({"things", "get", "--name", "x", "--kind", "k"});
  auto json = Run({"things", "get", "--name", "x", "--kind", "k", "-o", "json"});
  EXPECT_EQ(plain.code, kExitOk);
  EXPECT_EQ(plain.out, json.out);
  EXPECT_NE(plain.out.find("\"size\": 3"), std::string::npos);
}

TEST_F(AccordctlOutputTest, TableOfOneResourceHasARowPerFieldWithNestedPaths) {
  auto result = Run({"things", "get", "--name", "x", "--kind", "k", "--output=table"});
  ASSERT_EQ(result.code, kExitOk) << result.err;
  EXPECT_EQ(result.out,
            "FIELD       VALUE\n"
            "name        x\n"
            "size        3\n"
            "owner.id    u1\n"
            "owner.tags  [\"a\",\"b\"]\n");
}

TEST_F(AccordctlOutputTest, TableOfAListHasAColumnPerField) {
  auto result = Run({"things", "list", "-o", "table"});
  ASSERT_EQ(result.code, kExitOk) << result.err;
  EXPECT_EQ(result.out,
            "NAME      SIZE  COLOR\n"
            "things/1  3     -\n"
            "things/2  -     red\n");
}

TEST_F(AccordctlOutputTest, AListOfOneIsStillARow) {
  Registry registry;
  registry.Add({.path = {"one"}, .summary = "A list of one.", .run = [](const Invocation& inv) {
                  inv.out << R"({"name":"things/1","size":3})"
                          << "\n";
                  return kExitOk;
                }});
  std::ostringstream out;
  std::ostringstream err;
  ASSERT_EQ(registry.Run({"one", "-o", "table"}, out, err), kExitOk);
  EXPECT_EQ(out.str(), "NAME      SIZE\nthings/1  3\n");
}

TEST_F(AccordctlOutputTest, TextCommandsPrintJsonWhenAskedAndPassTheirTextThroughAsATable) {
  EXPECT_EQ(Run({"plain", "-o", "json"}).out, "{\"ok\":true}\n");
  EXPECT_EQ(Run({"plain", "-o", "table"}).out, "all good\n");
  auto bad = Run({"plain", "-o", "yaml"});
  EXPECT_EQ(bad.code, kExitUsage);
  EXPECT_NE(bad.err.find("bad -o 'yaml' (json or table)"), std::string::npos) << bad.err;
}

TEST_F(AccordctlOutputTest, MissingRequiredFlagsAreAllNamedAndMarkedInHelp) {
  auto none = Run({"things", "get"});
  EXPECT_EQ(none.code, kExitUsage);
  EXPECT_NE(none.err.find("missing required flags --name, --kind"), std::string::npos) << none.err;
  EXPECT_EQ(none.out, "");
  auto one = Run({"things", "get", "--kind", "k"});
  EXPECT_NE(one.err.find("missing required flag --name\n"), std::string::npos) << one.err;
  auto help = Run({"things", "get", "--help"});
  EXPECT_NE(help.out.find("(required) Its name."), std::string::npos) << help.out;
  EXPECT_NE(help.out.find("--note T"), std::string::npos) << help.out;
  EXPECT_EQ(help.out.find("(required) A note."), std::string::npos) << help.out;
  EXPECT_NE(help.out.find("--output json|table"), std::string::npos) << help.out;
}

TEST_F(AccordctlOutputTest, TokenNeedsARoleAndPrintsJsonOnRequest) {
  auto missing = Run({"token"});
  EXPECT_EQ(missing.code, kExitUsage);
  EXPECT_NE(missing.err.find("missing required flag --role"), std::string::npos) << missing.err;
  setenv("ACCORD_JWT_SECRET", "accordctl-test-secret", 1);
  auto json = Run({"token", "--role", "admin", "-o", "json"});
  unsetenv("ACCORD_JWT_SECRET");
  ASSERT_EQ(json.code, kExitOk) << json.err;
  EXPECT_EQ(json.out.rfind("{\"token\":\"ey", 0), 0u) << json.out;
}

}  // namespace
}  // namespace accord::accordctl
