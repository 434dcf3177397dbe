#include "accord/common/filter.h"

#include <chrono>
#include <random>
#include <string>
#include <vector>

#include "accord/common/errors.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace accord::common::filter {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

Schema AccountSchema() {
  Schema schema;
  schema.fields = {
      {"display_name", "a.display_name", FieldType::kString, {}, {}},
      {"lifecycle_stage",
       "a.lifecycle_stage",
       FieldType::kEnum,
       {{"PROSPECT", "1"},
        {"LIFECYCLE_STAGE_PROSPECT", "1"},
        {"ACTIVE", "2"},
        {"LIFECYCLE_STAGE_ACTIVE", "2"}},
       {}},
      {"employee_count", "a.employee_count", FieldType::kInt, {}, {}},
      {"key_account", "a.key_account", FieldType::kBool, {}, {}},
      {"create_time", "a.create_time", FieldType::kTimestamp, {}, {}},
      {"labels", "a.labels", FieldType::kStringArray, {}, {}},
      {"external_ids", "a.external_ids", FieldType::kStringMap, {}, {}},
      {"region", "a.region", FieldType::kString, {}, {"="}},
  };
  // As in the real schema, an index answers membership in labels (GIN) and external ids.
  for (auto& field : schema.fields) {
    field.indexed = field.name == "labels" || field.name == "external_ids";
  }
  schema.text_search_sql = "a.display_name ILIKE {} OR a.legal_name ILIKE {}";
  return schema;
}

SqlFilter Ok(std::string_view filter, int first_param_index = 1,
             const Schema& schema = AccountSchema()) {
  absl::StatusOr<SqlFilter> result = Compile(filter, schema, first_param_index);
  EXPECT_TRUE(result.ok()) << filter << ": " << result.status();
  return result.ok() ? *std::move(result) : SqlFilter{};
}

// The description of the single "filter" violation the filter must produce.
std::string Err(std::string_view filter, const Schema& schema = AccountSchema()) {
  absl::StatusOr<SqlFilter> result = Compile(filter, schema);
  if (result.ok()) {
    ADD_FAILURE() << filter << " compiled to " << result->where;
    return "";
  }
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument) << result.status();
  std::vector<FieldViolation> violations = FieldViolationsOf(result.status());
  EXPECT_EQ(violations.size(), 1u) << result.status();
  if (violations.empty()) return "";
  EXPECT_EQ(violations[0].field, "filter");
  return violations[0].description;
}

TEST(FilterTest, EmptyFilterGivesEmptyWhere) {
  for (std::string_view filter : {"", "   ", " \t\r\n "}) {
    SqlFilter sql = Ok(filter);
    EXPECT_EQ(sql.where, "");
    EXPECT_THAT(sql.params, IsEmpty());
  }
}

TEST(FilterTest, StringComparisons) {
  SqlFilter eq = Ok(R"(display_name = "Acme GmbH")");
  EXPECT_EQ(eq.where, "(a.display_name = $1)");
  EXPECT_THAT(eq.params, ElementsAre("Acme GmbH"));

  SqlFilter ne = Ok("display_name!=Acme");
  EXPECT_EQ(ne.where, "(a.display_name IS DISTINCT FROM $1)");
  EXPECT_THAT(ne.params, ElementsAre("Acme"));

  SqlFilter has = Ok("display_name:acme");
  EXPECT_EQ(has.where, "(a.display_name ILIKE $1 ESCAPE E'\\\\')");
  EXPECT_THAT(has.params, ElementsAre("%acme%"));

  EXPECT_THAT(Err("display_name < b"), HasSubstr("operator '<' at offset 13 is not allowed"));
  EXPECT_THAT(Err("display_name < b"), HasSubstr("it accepts =, !=, :"));
}

TEST(FilterTest, SubstringEscapesLikeMetacharacters) {
  SqlFilter sql = Ok(R"(display_name:"50%_off\\")");
  EXPECT_THAT(sql.params, ElementsAre(R"(%50\%\_off\\%)"));
}

TEST(FilterTest, EnumAcceptsShortAndLongNamesCaseInsensitively) {
  for (std::string_view filter :
       {"lifecycle_stage = ACTIVE", "lifecycle_stage = LIFECYCLE_STAGE_ACTIVE",
        "lifecycle_stage = active", R"(lifecycle_stage = "Lifecycle_Stage_Active")"}) {
    SqlFilter sql = Ok(filter);
    EXPECT_EQ(sql.where, "(a.lifecycle_stage = $1)") << filter;
    EXPECT_THAT(sql.params, ElementsAre("2")) << filter;
  }
  SqlFilter ne = Ok("lifecycle_stage != PROSPECT");
  EXPECT_EQ(ne.where, "(a.lifecycle_stage IS DISTINCT FROM $1)");
  EXPECT_THAT(ne.params, ElementsAre("1"));

  std::string error = Err("lifecycle_stage = DORMANT");
  EXPECT_THAT(error, HasSubstr("invalid value \"DORMANT\" for lifecycle_stage at offset 18"));
  EXPECT_THAT(error, HasSubstr("ACTIVE, LIFECYCLE_STAGE_ACTIVE"));
  EXPECT_THAT(Err("lifecycle_stage:ACTIVE"), HasSubstr("operator ':'"));
}

TEST(FilterTest, IntegerComparisons) {
  SqlFilter sql = Ok("employee_count >= 100");
  EXPECT_EQ(sql.where, "(a.employee_count >= $1::bigint)");
  EXPECT_THAT(sql.params, ElementsAre("100"));
  EXPECT_EQ(Ok("employee_count<5").where, "(a.employee_count < $1::bigint)");
  EXPECT_EQ(Ok("employee_count<=5").where, "(a.employee_count <= $1::bigint)");
  EXPECT_EQ(Ok("employee_count>5").where, "(a.employee_count > $1::bigint)");
  EXPECT_EQ(Ok("employee_count != 5").where, "(a.employee_count IS DISTINCT FROM $1::bigint)");
  EXPECT_THAT(Ok("employee_count = -42").params, ElementsAre("-42"));
  EXPECT_THAT(Ok("employee_count = +7").params, ElementsAre("7"));
  EXPECT_THAT(Ok(R"(employee_count = "007")").params, ElementsAre("7"));

  for (std::string_view bad :
       {"employee_count = 12abc", "employee_count = 1.5", "employee_count = 99999999999999999999",
        "employee_count = \"\"", "employee_count = -", "employee_count = true"}) {
    EXPECT_THAT(Err(bad), HasSubstr("expected a whole number")) << bad;
  }
  EXPECT_THAT(Err("employee_count:5"), HasSubstr("operator ':'"));
}

TEST(FilterTest, BoolComparisons) {
  SqlFilter sql = Ok("key_account = true");
  EXPECT_EQ(sql.where, "(a.key_account = $1::boolean)");
  EXPECT_THAT(sql.params, ElementsAre("true"));
  EXPECT_THAT(Ok("key_account != FALSE").params, ElementsAre("false"));
  EXPECT_THAT(Err("key_account = yes"), HasSubstr("expected true or false"));
  EXPECT_THAT(Err("key_account > true"), HasSubstr("operator '>'"));
}

TEST(FilterTest, TimestampComparisons) {
  SqlFilter sql = Ok("create_time >= 2024-05-01T00:00:00Z");
  EXPECT_EQ(sql.where, "(a.create_time >= $1::timestamptz)");
  EXPECT_THAT(sql.params, ElementsAre("2024-05-01T00:00:00Z"));
  EXPECT_THAT(Ok(R"(create_time < "2024-02-29T23:59:59.123456+02:00")").params,
              ElementsAre("2024-02-29T23:59:59.123456+02:00"));
  EXPECT_THAT(Ok("create_time < 2024-05-01t10:00:00z").params, ElementsAre("2024-05-01T10:00:00Z"));
  for (std::string_view bad :
       {"create_time > 2024-02-30T00:00:00Z", "create_time > 2023-02-29T00:00:00Z",
        "create_time > 2024-05-01", "create_time > 2024-05-01T00:00:00",
        "create_time > 2024-05-01T24:00:00Z", "create_time > 2024-05-01T00:00:00+0200",
        "create_time > yesterday", "create_time > 2024-05-01T00:00:00.Z",
        "create_time > 0000-01-01T00:00:00Z", "create_time > 2024-05-01T00:00:00Zjunk"}) {
    EXPECT_THAT(Err(bad), HasSubstr("expected an RFC 3339 timestamp")) << bad;
  }
  EXPECT_THAT(Err("create_time:2024-05-01T00:00:00Z"), HasSubstr("operator ':'"));
}

TEST(FilterTest, StringArrayMembership) {
  SqlFilter sql = Ok("labels:vip");
  EXPECT_EQ(sql.where, "(a.labels @> ARRAY[$1]::text[])");
  EXPECT_THAT(sql.params, ElementsAre("vip"));
  EXPECT_THAT(Ok(R"(labels : "key account")").params, ElementsAre("key account"));
  EXPECT_THAT(Err("labels = vip"), HasSubstr("operator '=' at offset 7 is not allowed on labels"));
}

TEST(FilterTest, StringMapKeysAndValues) {
  SqlFilter eq = Ok(R"(external_ids.erp = "123")");
  EXPECT_EQ(eq.where, "((a.external_ids ->> $1::text) = $2)");
  EXPECT_THAT(eq.params, ElementsAre("erp", "123"));

  SqlFilter ne = Ok("external_ids.sap.de != 9");
  EXPECT_EQ(ne.where, "((a.external_ids ->> $1::text) IS DISTINCT FROM $2)");
  EXPECT_THAT(ne.params, ElementsAre("sap.de", "9"));

  SqlFilter has = Ok("external_ids:erp");
  EXPECT_EQ(has.where, "(a.external_ids ? $1::text)");
  EXPECT_THAT(has.params, ElementsAre("erp"));

  EXPECT_THAT(Err("external_ids = x"), HasSubstr("compare one key instead"));
  EXPECT_THAT(Err("external_ids.erp:1"), HasSubstr("operator ':'"));
  EXPECT_THAT(Err("external_ids. = 1"), HasSubstr("unknown field"));
}

TEST(FilterTest, AllowedOpsRestrictAField) {
  EXPECT_EQ(Ok("region = eu").where, "(a.region = $1)");
  EXPECT_THAT(Err("region:eu"), HasSubstr("it accepts ="));
  EXPECT_THAT(Err("region != eu"), HasSubstr("operator '!='"));
}

TEST(FilterTest, AndBindsTighterThanOr) {
  SqlFilter sql = Ok("labels:a OR labels:b AND labels:c");
  EXPECT_EQ(sql.where,
            "((a.labels @> ARRAY[$1]::text[]) OR ((a.labels @> ARRAY[$2]::text[]) AND (a.labels @> "
            "ARRAY[$3]::text[])))");
  EXPECT_THAT(sql.params, ElementsAre("a", "b", "c"));

  EXPECT_EQ(Ok("labels:a AND labels:b OR labels:c").where,
            "(((a.labels @> ARRAY[$1]::text[]) AND (a.labels @> ARRAY[$2]::text[])) OR (a.labels "
            "@> ARRAY[$3]::text[]))");
  EXPECT_EQ(Ok("labels:a AND labels:b AND labels:c").where,
            "((a.labels @> ARRAY[$1]::text[]) AND (a.labels @> ARRAY[$2]::text[]) AND (a.labels @> "
            "ARRAY[$3]::text[]))");
}

TEST(FilterTest, ParenthesesOverridePrecedence) {
  EXPECT_EQ(Ok("(labels:a OR labels:b) AND labels:c").where,
            "(((a.labels @> ARRAY[$1]::text[]) OR (a.labels @> ARRAY[$2]::text[])) AND (a.labels "
            "@> ARRAY[$3]::text[]))");
  EXPECT_EQ(Ok("((labels:a))").where, "(a.labels @> ARRAY[$1]::text[])");
  EXPECT_EQ(Ok("( labels:a OR(labels:b) )").where,
            "((a.labels @> ARRAY[$1]::text[]) OR (a.labels @> ARRAY[$2]::text[]))");
}

TEST(FilterTest, NotAndMinusNegate) {
  SqlFilter sql = Ok("NOT display_name = Acme");
  EXPECT_EQ(sql.where, "((a.display_name = $1) IS NOT TRUE)");
  EXPECT_EQ(Ok("-labels:vip").where, "((a.labels @> ARRAY[$1]::text[]) IS NOT TRUE)");
  EXPECT_EQ(Ok("NOT(labels:a OR labels:b)").where,
            "(((a.labels @> ARRAY[$1]::text[]) OR (a.labels @> ARRAY[$2]::text[])) IS NOT TRUE)");
  // NOT applies to one term only.
  EXPECT_EQ(Ok("NOT labels:a AND labels:b").where,
            "(((a.labels @> ARRAY[$1]::text[]) IS NOT TRUE) AND (a.labels @> ARRAY[$2]::text[]))");
  EXPECT_EQ(Ok("labels:a AND -external_ids:erp").where,
            "((a.labels @> ARRAY[$1]::text[]) AND ((a.external_ids ? $2::text) IS NOT TRUE))");
  EXPECT_THAT(Err("NOT NOT labels:a"), HasSubstr("found the keyword NOT"));
  EXPECT_THAT(Err("NOT"), HasSubstr("found end of filter"));
}

TEST(FilterTest, QuotedStringsWithEscapes) {
  SqlFilter sql = Ok(R"(display_name = "say \"hi\" \\ o/ (AND) OR NOT")");
  EXPECT_EQ(sql.where, "(a.display_name = $1)");
  EXPECT_THAT(sql.params, ElementsAre(R"(say "hi" \ o/ (AND) OR NOT)"));
  EXPECT_THAT(Ok(R"(display_name = "")").params, ElementsAre(""));
  EXPECT_THAT(Ok("display_name = \"Müller & Söhne\"").params, ElementsAre("Müller & Söhne"));

  EXPECT_THAT(Err(R"(display_name = "a\nb")"), HasSubstr("invalid escape at offset 17"));
  EXPECT_THAT(Err(R"(display_name = "abc)"),
              HasSubstr("unterminated string: the quote at offset 15 is never closed"));
  EXPECT_THAT(Err(R"(display_name = "abc\")"), HasSubstr("unterminated string"));
  EXPECT_THAT(Err(R"(display_name = "abc\)"), HasSubstr("unterminated string"));
  EXPECT_THAT(Err("display_name = AND"), HasSubstr("quote it"));
}

TEST(FilterTest, FreeTextSearch) {
  SqlFilter sql = Ok("acme");
  EXPECT_EQ(sql.where, "(a.display_name ILIKE $1 OR a.legal_name ILIKE $1)");
  EXPECT_THAT(sql.params, ElementsAre("%acme%"));

  SqlFilter quoted = Ok(R"("acme 100%" AND lifecycle_stage = ACTIVE)", 3);
  EXPECT_EQ(quoted.where,
            "((a.display_name ILIKE $3 OR a.legal_name ILIKE $3) AND (a.lifecycle_stage = $4))");
  EXPECT_THAT(quoted.params, ElementsAre("%acme 100\\%%", "2"));

  EXPECT_THAT(Ok("info@acme.example").params, ElementsAre("%info@acme.example%"));

  Schema no_text = AccountSchema();
  no_text.text_search_sql.clear();
  std::string error = Err("acme", no_text);
  EXPECT_THAT(error, HasSubstr("free-text search is not supported"));
  EXPECT_THAT(error, HasSubstr("allowed fields: display_name, lifecycle_stage"));
}

TEST(FilterTest, PlaceholdersStartAtFirstParamIndex) {
  SqlFilter sql = Ok("display_name = x AND external_ids.erp = y OR employee_count > 3 AND acme", 4);
  EXPECT_EQ(sql.where,
            "(((a.display_name = $4) AND ((a.external_ids ->> $5::text) = $6)) OR "
            "((a.employee_count > $7::bigint) AND (a.display_name ILIKE $8 OR a.legal_name "
            "ILIKE $8)))");
  EXPECT_THAT(sql.params, ElementsAre("x", "erp", "y", "3", "%acme%"));

  absl::StatusOr<SqlFilter> bad = Compile("labels:a", AccountSchema(), 0);
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInternal);
}

TEST(FilterTest, InjectionThroughValuesStaysInParams) {
  const std::string payload = "x'; DROP TABLE accounts; --";
  SqlFilter sql = Ok(R"(display_name = "x'; DROP TABLE accounts; --")");
  EXPECT_EQ(sql.where, "(a.display_name = $1)");
  EXPECT_THAT(sql.params, ElementsAre(payload));

  SqlFilter has = Ok(R"(display_name:"' OR 1=1 --" OR external_ids.erp = "\"); DELETE")");
  EXPECT_EQ(has.where,
            "((a.display_name ILIKE $1 ESCAPE E'\\\\') OR ((a.external_ids ->> $2::text) = $3))");
  EXPECT_THAT(has.params, ElementsAre("%' OR 1=1 --%", "erp", "\"); DELETE"));

  SqlFilter text = Ok(R"("'); DROP TABLE accounts; --")");
  EXPECT_EQ(text.where, "(a.display_name ILIKE $1 OR a.legal_name ILIKE $1)");

  // Unquoted, the SQL characters are simply not part of any token.
  EXPECT_THAT(Err("display_name = x'; DROP TABLE accounts; --"), HasSubstr("offset 16"));
  EXPECT_THAT(Err("display_name = x OR 1=1; --"), HasSubstr("found ';'"));
}

TEST(FilterTest, InjectionThroughFieldNamesIsRejected) {
  for (std::string_view filter :
       {"display_name;DROP = 1", "a.b\"c = 1", "display_name) OR (1 = 1", "display_name-- = 1",
        "\"display_name\" = 1", "display_name/**/= 1", "a.display_name = x", "DISPLAY_NAME = x",
        "display_name' = x", "display_name = 1 OR pg_sleep(10) = 1", "1 = 1",
        "external_ids.erp'||' = 1"}) {
    absl::StatusOr<SqlFilter> result = Compile(filter, AccountSchema());
    EXPECT_FALSE(result.ok()) << filter << " compiled to " << result->where;
    EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument) << filter;
  }
  EXPECT_THAT(Err("DISPLAY_NAME = x"), HasSubstr("did you mean display_name?"));
}

TEST(FilterTest, UnknownFieldNamesItAndListsAllowedFields) {
  std::string error = Err("labels:a AND owner = bob");
  EXPECT_THAT(error, HasSubstr("unknown field \"owner\" at offset 13"));
  EXPECT_THAT(error,
              HasSubstr("allowed fields: display_name, lifecycle_stage, employee_count, "
                        "key_account, create_time, labels, external_ids, external_ids.<key>, "
                        "region"));
}

TEST(FilterTest, SyntaxErrorsSayWhatWasExpectedWhere) {
  EXPECT_THAT(Err("(display_name = x"),
              HasSubstr("expected ')' to close the '(' at offset 0, found end of filter"));
  EXPECT_THAT(Err("display_name = x)"),
              HasSubstr("unexpected ')' at offset 16: there is no '(' to close"));
  EXPECT_THAT(Err("((labels:a)"), HasSubstr("expected ')'"));
  EXPECT_THAT(Err(")"), HasSubstr("offset 0"));
  EXPECT_THAT(Err("()"), HasSubstr("expected a comparison, '(' or search text at offset 1"));
  EXPECT_THAT(Err("(labels:a labels:b)"),
              HasSubstr("expected AND, OR or ')' at offset 10, found \"labels:b\""));
  EXPECT_THAT(Err("display_name = a labels:b"), HasSubstr("join terms with AND or OR"));
  EXPECT_THAT(Err("labels:a and labels:b"), HasSubstr("upper-case"));
  EXPECT_THAT(Err("labels:a AND"), HasSubstr("at offset 12, found end of filter"));
  EXPECT_THAT(Err("OR labels:a"), HasSubstr("found the keyword OR"));
  EXPECT_THAT(Err("display_name ! x"), HasSubstr("expected '=' after '!' at offset 14"));
  EXPECT_THAT(Err("display_name ="), HasSubstr("expected a value after '=' at offset 14"));
  EXPECT_THAT(Err("display_name = (x)"), HasSubstr("found '('"));
  EXPECT_THAT(Err("labels:a AND *"), HasSubstr("found '*'"));
  EXPECT_THAT(Err("labels:a\x01"), HasSubstr("control character 1"));
}

TEST(FilterTest, RejectsBadEncoding) {
  EXPECT_THAT(Err(std::string("display_name = \"a\0b\"", 20)),
              HasSubstr("not valid UTF-8 text: bad byte at offset 17"));
  EXPECT_THAT(Err("display_name = \"\xC3\x28\""), HasSubstr("bad byte at offset 16"));
  EXPECT_THAT(Err("display_name = \"\xED\xA0\x80\""), HasSubstr("bad byte"));  // surrogate
  EXPECT_THAT(Err("display_name = \"\xC0\xAF\""), HasSubstr("bad byte"));      // overlong
}

TEST(FilterTest, DeepNestingIsRejectedQuickly) {
  const auto start = std::chrono::steady_clock::now();
  EXPECT_THAT(Err(std::string(10000, '(')), HasSubstr("too long"));
  EXPECT_THAT(Err(std::string(2000, '(')), HasSubstr("nested more than 16 deep at offset 16"));
  EXPECT_THAT(Err(std::string(17, '(') + "labels:a" + std::string(17, ')')),
              HasSubstr("nested more than 16"));
  EXPECT_THAT(Err(std::string(1999, '-') + "a"), HasSubstr("offset 1"));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));

  SqlFilter deepest = Ok(std::string(16, '(') + "labels:a" + std::string(16, ')'));
  EXPECT_EQ(deepest.where, "(a.labels @> ARRAY[$1]::text[])");
  // Depth is about nesting, not the number of parentheses.
  std::string wide = "(labels:a)";
  for (int i = 0; i < 30; ++i) wide += " AND (labels:a)";
  EXPECT_EQ(Ok(wide).params.size(), 31u);
}

TEST(FilterTest, HugeInputIsRejected) {
  const std::string huge(1 << 20, 'a');
  std::string error = Err(huge);
  EXPECT_THAT(error, HasSubstr("filter is too long: 1048576 bytes; at most 2000 are allowed"));
  EXPECT_THAT(Err("display_name = \"" + huge + "\""), HasSubstr("too long"));
  EXPECT_TRUE(Compile(std::string(2000, ' '), AccountSchema()).ok());
  EXPECT_THAT(Err(std::string(2001, ' ')), HasSubstr("too long"));
}

TEST(FilterTest, AtMostFiftyComparisons) {
  std::string filter = "labels:a";
  for (int i = 1; i < kMaxComparisons; ++i) filter += " OR labels:a";
  EXPECT_EQ(Ok(filter).params.size(), 50u);
  filter += " OR acme";
  EXPECT_THAT(Err(filter), HasSubstr("too many comparisons: at most 50"));
}

TEST(FilterTest, ErrorsCarryTheFilterFieldViolation) {
  absl::StatusOr<SqlFilter> result = Compile("nope = 1", AccountSchema());
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ReasonOf(result.status()), "INVALID_ARGUMENT");
  EXPECT_THAT(FieldViolationsOf(result.status()), Not(IsEmpty()));
}

// Random soup of grammar pieces and hostile characters: never crashes, and whatever compiles
// has no client text in its SQL.
TEST(FilterTest, RandomInputNeverLeaksIntoSql) {
  const std::vector<std::string> pieces = {"display_name",
                                           "labels",
                                           "external_ids",
                                           ".erp",
                                           "employee_count",
                                           "create_time",
                                           "key_account",
                                           "AND",
                                           "OR",
                                           "NOT",
                                           "-",
                                           "(",
                                           ")",
                                           "=",
                                           "!=",
                                           "<",
                                           ">=",
                                           ":",
                                           "\"",
                                           "\\",
                                           "'",
                                           ";",
                                           "--",
                                           "DROP",
                                           "x",
                                           "1",
                                           "true",
                                           " ",
                                           " ",
                                           "2024-05-01T00:00:00Z",
                                           "ACTIVE",
                                           "$1",
                                           "{}",
                                           "%",
                                           "\xC3\xBC",
                                           "\t"};
  std::mt19937 rng(160);
  std::uniform_int_distribution<size_t> pick(0, pieces.size() - 1);
  std::uniform_int_distribution<int> length(1, 25);
  int compiled = 0;
  for (int i = 0; i < 5000; ++i) {
    std::string filter;
    for (int n = length(rng); n > 0; --n) filter += pieces[pick(rng)];
    absl::StatusOr<SqlFilter> result = Compile(filter, AccountSchema());
    if (!result.ok()) {
      EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument) << filter;
      continue;
    }
    ++compiled;
    std::string rest = result->where;
    for (const char* trusted : {" ESCAPE E'\\\\'"}) {
      for (size_t at; (at = rest.find(trusted)) != std::string::npos;) {
        rest.erase(at, std::string_view(trusted).size());
      }
    }
    EXPECT_EQ(rest.find_first_of("'\";\\{}%"), std::string::npos) << filter << " -> " << rest;
    EXPECT_EQ(rest.find("DROP"), std::string::npos) << filter;
    EXPECT_EQ(rest.find("--"), std::string::npos) << filter;
  }
  EXPECT_GT(compiled, 50);
}

}  // namespace
}  // namespace accord::common::filter

namespace accord::common::filter {
namespace {

// Names searched through pg_trgm (three characters or more) and a bigram index (two).
Schema SearchSchema() {
  Schema schema;
  schema.fields = {
      {"display_name", "a.display_name", FieldType::kString, {}, {}},
      {"legal_name", "a.legal_name", FieldType::kString, {}, {}},
      {"note", "a.note", FieldType::kString, {}, {}},
  };
  schema.fields[0].substring_index = FieldSpec::SubstringIndex{"account.bigrams"};
  schema.fields[1].substring_index = FieldSpec::SubstringIndex{"account.bigrams"};
  schema.text_search_fields = {"display_name", "legal_name"};
  return schema;
}

TEST(FilterSearchTest, TwoCharacterValuesUseTheBigramIndexAndLongerOnesTrigrams) {
  SqlFilter two = Ok("display_name:鴻海", 1, SearchSchema());
  EXPECT_EQ(two.where,
            "(a.display_name ILIKE $1 ESCAPE E'\\\\' AND account.bigrams(a.display_name) @> "
            "account.bigrams($2::text))");
  EXPECT_THAT(two.params, ElementsAre("%鴻海%", "鴻海"));

  SqlFilter three = Ok("display_name:台積電", 1, SearchSchema());
  EXPECT_EQ(three.where, "(a.display_name ILIKE $1 ESCAPE E'\\\\')");
  EXPECT_THAT(three.params, ElementsAre("%台積電%"));

  // One character: nothing indexes it; a plain ILIKE.
  EXPECT_EQ(Ok("display_name:x", 1, SearchSchema()).where,
            "(a.display_name ILIKE $1 ESCAPE E'\\\\')");
}

// Free text over two pair-indexed names: the pair clauses are OR-ed on their own (one BitmapOr of
// the pair indexes, dropped from the rows' filter) and AND-ed with the OR of the ILIKEs, so no row
// calls `bigrams` (docs/filter-plans.md, "Free text over Chinese names").
TEST(FilterSearchTest, FreeTextOverIndexedFieldsBindsEachValueOnce) {
  SqlFilter sql = Ok("鴻海", 1, SearchSchema());
  EXPECT_EQ(sql.where,
            "((account.bigrams(a.display_name) @> account.bigrams($2::text) OR "
            "account.bigrams(a.legal_name) @> account.bigrams($2::text)) AND "
            "((a.display_name ILIKE $1 ESCAPE E'\\\\') OR (a.legal_name ILIKE $1 ESCAPE "
            "E'\\\\')))");
  EXPECT_THAT(sql.params, ElementsAre("%鴻海%", "鴻海"));
  EXPECT_EQ(Ok("globex", 3, SearchSchema()).where,
            "((a.display_name ILIKE $3 ESCAPE E'\\\\') OR (a.legal_name ILIKE $3 ESCAPE E'\\\\'))");
}

// An OR whose every branch is a pair-indexed match (substrings, free text) has its pair clauses
// gathered in front the same way, each value bound once; an OR with any other branch keeps each
// match whole, and so does a single match (whose AND PostgreSQL splits by itself).
TEST(FilterSearchTest, AnOrOfPairMatchesGathersThePairClauses) {
  SqlFilter both = Ok("display_name:鴻海 OR legal_name:股份", 1, SearchSchema());
  EXPECT_EQ(both.where,
            "((account.bigrams(a.display_name) @> account.bigrams($2::text) OR "
            "account.bigrams(a.legal_name) @> account.bigrams($4::text)) AND "
            "((a.display_name ILIKE $1 ESCAPE E'\\\\') OR (a.legal_name ILIKE $3 ESCAPE "
            "E'\\\\')))");
  EXPECT_THAT(both.params, ElementsAre("%鴻海%", "鴻海", "%股份%", "股份"));

  SqlFilter with_text = Ok("鴻海 OR display_name:股份", 1, SearchSchema());
  EXPECT_EQ(with_text.where,
            "((account.bigrams(a.display_name) @> account.bigrams($2::text) OR "
            "account.bigrams(a.legal_name) @> account.bigrams($2::text) OR "
            "account.bigrams(a.display_name) @> account.bigrams($4::text)) AND "
            "((a.display_name ILIKE $1 ESCAPE E'\\\\') OR (a.legal_name ILIKE $1 ESCAPE "
            "E'\\\\') OR (a.display_name ILIKE $3 ESCAPE E'\\\\')))");
  EXPECT_THAT(with_text.params, ElementsAre("%鴻海%", "鴻海", "%股份%", "股份"));

  // A branch without a pair clause (an unindexed field, a longer value): every match whole.
  EXPECT_EQ(Ok("display_name:鴻海 OR note:ab", 1, SearchSchema()).where,
            "((a.display_name ILIKE $1 ESCAPE E'\\\\' AND account.bigrams(a.display_name) @> "
            "account.bigrams($2::text)) OR (a.note ILIKE $3 ESCAPE E'\\\\'))");
  EXPECT_EQ(Ok("鴻海 OR display_name:台積電", 1, SearchSchema()).where,
            "((a.display_name ILIKE $1 ESCAPE E'\\\\' AND account.bigrams(a.display_name) @> "
            "account.bigrams($2::text)) OR (a.legal_name ILIKE $1 ESCAPE E'\\\\' AND "
            "account.bigrams(a.legal_name) @> account.bigrams($2::text)) OR (a.display_name ILIKE "
            "$3 ESCAPE E'\\\\'))");
  // Any other comparison in the OR: free text keeps its own OR, gathered within itself.
  EXPECT_EQ(Ok("鴻海 OR legal_name = \"x\"", 1, SearchSchema()).where,
            "(((account.bigrams(a.display_name) @> account.bigrams($2::text) OR "
            "account.bigrams(a.legal_name) @> account.bigrams($2::text)) AND "
            "((a.display_name ILIKE $1 ESCAPE E'\\\\') OR (a.legal_name ILIKE $1 ESCAPE "
            "E'\\\\'))) OR (a.legal_name = $3))");
  // Under NOT and AND the form is the same; a lone match is unchanged.
  EXPECT_EQ(Ok("NOT 鴻海", 1, SearchSchema()).where,
            "(" + Ok("鴻海", 1, SearchSchema()).where + " IS NOT TRUE)");
  EXPECT_EQ(Ok("(display_name:鴻海)", 1, SearchSchema()).where,
            "(a.display_name ILIKE $1 ESCAPE E'\\\\' AND account.bigrams(a.display_name) @> "
            "account.bigrams($2::text))");
  // Latin values: OR-ed ILIKEs as before.
  EXPECT_EQ(Ok("display_name:globex OR legal_name:gmbh", 1, SearchSchema()).where,
            "((a.display_name ILIKE $1 ESCAPE E'\\\\') OR (a.legal_name ILIKE $2 ESCAPE "
            "E'\\\\'))");
}

// A List may walk its ordering index when a filter matches a two-character value through the
// pair index (the account repository): the compiled filter says so, under NOT and OR too; values
// the planner can estimate (trigrams, unindexed fields, equality) do not.
TEST(FilterSearchTest, SaysWhenItMatchesCharacterPairs) {
  EXPECT_TRUE(Ok("display_name:鴻海", 1, SearchSchema()).matches_pairs);
  EXPECT_TRUE(Ok("鴻海", 1, SearchSchema()).matches_pairs);
  EXPECT_TRUE(Ok("note:ab OR NOT legal_name:股份", 1, SearchSchema()).matches_pairs);
  EXPECT_FALSE(Ok("globex", 1, SearchSchema()).matches_pairs);
  EXPECT_FALSE(Ok("display_name:台積電", 1, SearchSchema()).matches_pairs);
  EXPECT_FALSE(Ok("note:ab", 1, SearchSchema()).matches_pairs);
  EXPECT_FALSE(Ok("legal_name = \"股份\"", 1, SearchSchema()).matches_pairs);
}

// Membership in a list kept in the row (labels) says so too, under NOT and OR: PostgreSQL
// estimates only the list's most common elements (the account repository walks for such a
// filter's page first). A list kept in a child table is a semi-join, estimated from that table's
// own statistics, and other fields say nothing.
TEST(FilterSearchTest, SaysWhenItMatchesListElements) {
  EXPECT_TRUE(Ok("labels:vip").matches_elements);
  EXPECT_TRUE(Ok("NOT labels:rare").matches_elements);
  EXPECT_TRUE(Ok("display_name = \"x\" OR labels:vip").matches_elements);
  EXPECT_FALSE(Ok("labels:vip").matches_pairs);
  EXPECT_FALSE(Ok("display_name = \"x\" AND external_ids:erp").matches_elements);
  EXPECT_FALSE(Ok("display_name:鴻海", 1, SearchSchema()).matches_elements);
  Schema child = AccountSchema();
  for (auto& field : child.fields) {
    if (field.name == "labels") {
      field.child = FieldSpec::ChildTable{"a.id", "x.labels l", "l.account_id", "", "l.label", ""};
    }
  }
  EXPECT_FALSE(Ok("labels:vip", 1, child).matches_elements);
}

TEST(FilterSearchTest, IndexedSubstringsCostLessThanScans) {
  // 50 comparisons at most either way; the cost limit (100) tells them apart: 30 OR-ed
  // substring terms on an indexed name fit, on an unindexed one they do not.
  std::string indexed, scanned;
  for (int i = 0; i < 30; ++i) {
    indexed += (i ? " OR " : "") + std::string("display_name:ab") + std::to_string(i);
    scanned += (i ? " OR " : "") + std::string("note:ab") + std::to_string(i);
  }
  EXPECT_TRUE(Compile(indexed, SearchSchema()).ok());
  absl::StatusOr<SqlFilter> refused = Compile(scanned, SearchSchema());
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(ReasonOf(refused.status()), "FILTER_TOO_COMPLEX");
}

}  // namespace
}  // namespace accord::common::filter

namespace accord::common::filter {
namespace {

TEST(FilterTest, BareValuesAndSearchWordsMayBeAnyLanguage) {
  EXPECT_THAT(Ok("display_name = Müller").params, ElementsAre("Müller"));
  EXPECT_THAT(Ok("display_name:台積電 AND lifecycle_stage = ACTIVE").params,
              ElementsAre("%台積電%", "2"));
  EXPECT_THAT(Ok("統一").params, ElementsAre("%統一%"));
}

}  // namespace
}  // namespace accord::common::filter
