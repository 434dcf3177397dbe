#include "pg_filter_schemas.h"

#include <algorithm>
#include <set>
#include <string>

#include "accord/account/v1/account.pb.h"
#include "accord/account/v1/insights.pb.h"
#include "accord/account/v1/need.pb.h"
#include "accord/account/v1/team.pb.h"
#include "accord/common/filter_fields.h"
#include "accord/common/list_query.h"
#include "team_repository.h"

namespace accord::account {

namespace filter = common::filter;

// Filterable fields of an account, over the row alias `a` used by the repository's List query.
const filter::Schema& AccountFilterSchema() {
  static const filter::Schema kSchema = [] {
    filter::Schema schema;
    schema.fields = {
        {"display_name", "a.display_name", filter::FieldType::kString, {}, {}},
        {"legal_name", "a.legal_name", filter::FieldType::kString, {}, {}},
        {"owner", "a.owner", filter::FieldType::kString, {}, {}},
        {"type",
         "a.type",
         filter::FieldType::kEnum,
         common::FilterEnumValues(common::v1::OrganizationType_descriptor(), "ORGANIZATION_TYPE_"),
         {}},
        {"lifecycle_stage",
         "a.lifecycle_stage",
         filter::FieldType::kEnum,
         common::FilterEnumValues(v1::LifecycleStage_descriptor(), "LIFECYCLE_STAGE_"),
         {}},
        {"create_time", "a.create_time", filter::FieldType::kTimestamp, {}, {}},
        {"update_time", "a.update_time", filter::FieldType::kTimestamp, {}, {}},
        {"tier",
         "a.tier",
         filter::FieldType::kEnum,
         common::FilterEnumValues(v1::AccountTier_descriptor(), "ACCOUNT_TIER_"),
         {}},
        {"size_band",
         "a.size_band",
         filter::FieldType::kEnum,
         common::FilterEnumValues(v1::SizeBand_descriptor(), "SIZE_BAND_"),
         {}},
        {"industry", "a.industry", filter::FieldType::kString, {}, {}},
        {"tax_id", "a.tax_id", filter::FieldType::kString, {}, {}},
        {"territory", "a.territory", filter::FieldType::kString, {}, {}},
        {"labels", "a.labels", filter::FieldType::kStringArray, {}, {}},
        filter::ReferenceField("parent", "accounts", "a.parent_id"),
        {"external_ids", "", filter::FieldType::kStringMap, {}, {}},
        {"team_member", "", filter::FieldType::kStringArray, {}, {}},
    };
    // Child tables are filtered through semi-joins on their indexes (external_ids' primary key
    // (system, external_id); team_members_by_member_everywhere), never a list built per row.
    for (auto& field : schema.fields) {
      if (field.name == "external_ids") {
        field.child = filter::FieldSpec::ChildTable{
            "a.id", "account.external_ids e", "e.account_id", "e.system", "e.external_id", ""};
      } else if (field.name == "team_member") {
        field.child = filter::FieldSpec::ChildTable{"a.id",         "account.team_members t",
                                                    "t.account_id", "",
                                                    "t.member",     ACCORD_TEAM_MEMBER_ACTIVE_SQL};
      }
    }
    // Columns an index answers `=` on (migrations/*.sql), for the filter's cost.
    const std::set<std::string> kIndexed = {
        "display_name", "legal_name",  "owner",     "type",   "lifecycle_stage",
        "create_time",  "update_time", "parent",    "tier",   "size_band",
        "industry",     "tax_id",      "territory", "labels", "external_ids",
        "team_member"};
    for (auto& field : schema.fields) {
      field.indexed = kIndexed.count(field.name) > 0;
      // pg_trgm and bigram GIN indexes (migrations/0004_search_indexes.sql).
      if (field.name == "display_name" || field.name == "legal_name") {
        field.substring_index = filter::FieldSpec::SubstringIndex{"account.bigrams"};
      }
    }
    schema.text_search_fields = {"display_name", "legal_name"};
    return schema;
  }();
  return kSchema;
}

namespace {

// Code points of UTF-8 text; an invalid sequence ends it (the filter compiler refused any).
std::vector<char32_t> Decode(const std::string& text) {
  std::vector<char32_t> out;
  for (size_t i = 0; i < text.size();) {
    const unsigned char lead = static_cast<unsigned char>(text[i]);
    const size_t length = lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
    if (i + length > text.size()) break;
    char32_t point = length == 1 ? lead : lead & (0x7F >> length);
    for (size_t k = 1; k < length; ++k) point = (point << 6) | (text[i + k] & 0x3F);
    out.push_back(point);
    i += length;
  }
  return out;
}

// Scripts without letter case: no character lower-cases to one of these or from one, so ILIKE
// (which lower-cases both sides) matches them only in text that holds them, whatever the locale.
// Latin, Greek or Cyrillic letters outside ASCII are not counted: some lower-case to ASCII
// letters or from them (the Kelvin sign K to k; Turkish I to dotless ı).
bool CaselessScript(char32_t c) {
  return (c >= 0x2E80 && c <= 0x9FFF) ||  // CJK radicals, kana, bopomofo, Han
         (c >= 0xAC00 && c <= 0xD7AF) ||  // Hangul syllables
         (c >= 0xF900 && c <= 0xFAFF) ||  // CJK compatibility ideographs
         (c >= 0x20000 && c <= 0x3FFFF);  // Han extensions B and beyond
}

// "%value%" of a substring parameter back into its value (backslash escapes removed).
std::string PatternValue(const std::string& pattern) {
  if (pattern.size() < 2 || pattern.front() != '%' || pattern.back() != '%') return "";
  std::string value;
  for (size_t i = 1; i + 1 < pattern.size(); ++i) {
    if (pattern[i] == '\\' && i + 2 < pattern.size()) ++i;
    value.push_back(pattern[i]);
  }
  return value;
}

}  // namespace

bool MatchesOnlyNonAsciiNames(const std::string& filter_sql,
                              const std::vector<std::string>& filter_params) {
  // One search binds its "%text%" pattern, and the text itself when it is two characters long
  // (the pair index's argument).
  if (filter_params.empty() || filter_params.size() > 2) return false;
  const std::string text =
      filter_params.size() == 2 ? filter_params[1] : PatternValue(filter_params[0]);
  const std::vector<char32_t> points = Decode(text);
  if (std::none_of(points.begin(), points.end(), CaselessScript)) return false;
  const std::string quoted = filter::Quoted(text);
  for (const std::string& probe : {"display_name:" + quoted, "legal_name:" + quoted, quoted}) {
    auto compiled = filter::Compile(probe, AccountFilterSchema());
    if (compiled.ok() && compiled->where == filter_sql && compiled->params == filter_params) {
      return true;
    }
  }
  return false;
}

// Filterable fields of a membership, over the row alias `t` used by the repository's List query.
const filter::Schema& TeamFilterSchema() {
  static const filter::Schema kSchema = [] {
    filter::Schema schema;
    schema.fields = {
        {"member", "t.member", filter::FieldType::kString, {}, {}},
        {"role",
         "t.role",
         filter::FieldType::kEnum,
         common::FilterEnumValues(v1::TeamRole_descriptor(), "TEAM_ROLE_"),
         {}},
        {"active", kTeamMemberActiveSql, filter::FieldType::kBool, {}, {}},
        {"start_date",
         "to_char(t.start_date, 'YYYY-MM-DD')",
         filter::FieldType::kString,
         {},
         {"=", "!="}},
        {"end_date",
         "to_char(t.end_date, 'YYYY-MM-DD')",
         filter::FieldType::kString,
         {},
         {"=", "!="}},
        {"create_time", "t.create_time", filter::FieldType::kTimestamp, {}, {}},
        {"update_time", "t.update_time", filter::FieldType::kTimestamp, {}, {}},
    };
    // team_members_by_member(_everywhere) answer `member =`, for the filter's cost.
    for (auto& field : schema.fields) field.indexed = field.name == "member";
    return schema;
  }();
  return kSchema;
}

// Filterable fields of a need, over the row alias `n` used by the repository's List query.
const filter::Schema& NeedFilterSchema() {
  static const filter::Schema kSchema = [] {
    filter::Schema schema;
    schema.fields = {
        {"title", "n.title", filter::FieldType::kString, {}, {}},
        {"owner", "n.owner", filter::FieldType::kString, {}, {}},
        {"status",
         "n.status",
         filter::FieldType::kEnum,
         common::FilterEnumValues(v1::NeedStatus_descriptor(), "NEED_STATUS_"),
         {}},
        {"priority",
         "n.priority",
         filter::FieldType::kEnum,
         common::FilterEnumValues(v1::NeedPriority_descriptor(), "NEED_PRIORITY_"),
         {}},
        {"source",
         "n.source",
         filter::FieldType::kEnum,
         common::FilterEnumValues(v1::NeedSource_descriptor(), "NEED_SOURCE_"),
         {}},
        {"due_date",
         "to_char(n.due_date, 'YYYY-MM-DD')",
         filter::FieldType::kString,
         {},
         {"=", "!="}},
        {"create_time", "n.create_time", filter::FieldType::kTimestamp, {}, {}},
        {"update_time", "n.update_time", filter::FieldType::kTimestamp, {}, {}},
    };
    schema.text_search_sql = "n.title ILIKE {} OR n.description ILIKE {}";
    // pg_trgm GIN indexes on title and description (migrations/0004_search_indexes.sql).
    schema.fields.front().substring_index = filter::FieldSpec::SubstringIndex{};
    // needs_by_owner answers `owner =`, for the filter's cost.
    for (auto& field : schema.fields) field.indexed = field.name == "owner";
    return schema;
  }();
  return kSchema;
}

// Filterable fields of a sales target, over the row alias `t` used by the repository's List query.
const filter::Schema& TargetFilterSchema() {
  static const filter::Schema kSchema = [] {
    filter::Schema schema;
    schema.fields = {
        {"assignee", "t.assignee", filter::FieldType::kString, {}, {}},
        {"metric",
         "t.metric",
         filter::FieldType::kEnum,
         common::FilterEnumValues(v1::TargetMetric_descriptor(), "TARGET_METRIC_"),
         {}},
        {"create_time", "t.create_time", filter::FieldType::kTimestamp, {}, {}},
        {"update_time", "t.update_time", filter::FieldType::kTimestamp, {}, {}},
    };
    schema.text_search_sql = "t.assignee ILIKE {}";
    for (auto& field : schema.fields) field.indexed = field.name == "assignee";
    return schema;
  }();
  return kSchema;
}

}  // namespace accord::account
