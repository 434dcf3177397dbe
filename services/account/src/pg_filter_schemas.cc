#include "pg_filter_schemas.h"

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
