#include "pg_filter_schemas.h"

#include "accord/account/v1/account.pb.h"
#include "accord/common/filter_fields.h"
#include "accord/common/list_query.h"
#include "accord/quality/v1/case.pb.h"
#include "accord/quality/v1/sla.pb.h"
#include "accord/quality/v1/survey.pb.h"

namespace accord::quality {
namespace {

namespace filter = common::filter;

// Over the cases row alias `c` of PgQualityRepository::ListCases.
const filter::Schema& CaseFilterSchema() {
  static const filter::Schema kSchema = [] {
    const filter::FieldSpec::SubstringIndex kTrigrams{};
    filter::Schema schema;
    schema.fields = {
        // `:` on the resource names through their trigram indexes (migration 0007).
        {"account", "c.account", filter::FieldType::kString, {}, {}, true, {}, kTrigrams},
        {"contact", "c.contact", filter::FieldType::kString, {}, {}, true, {}, kTrigrams},
        {"assignee", "c.assignee", filter::FieldType::kString, {}, {}},
        {"team", "c.team", filter::FieldType::kString, {}, {}},
        {"kind",
         "c.kind",
         filter::FieldType::kEnum,
         common::FilterEnumValues(v1::CaseKind_descriptor(), "CASE_KIND_"),
         {}},
        {"category",
         "c.category",
         filter::FieldType::kEnum,
         common::FilterEnumValues(v1::CaseCategory_descriptor(), "CASE_CATEGORY_"),
         {}},
        {"status",
         "c.status",
         filter::FieldType::kEnum,
         common::FilterEnumValues(v1::CaseStatus_descriptor(), "CASE_STATUS_"),
         {}},
        {"priority",
         "c.priority",
         filter::FieldType::kEnum,
         common::FilterEnumValues(v1::Priority_descriptor(), "PRIORITY_"),
         {}},
        {"escalation_level",
         "c.escalation_level",
         filter::FieldType::kEnum,
         common::FilterEnumValues(v1::EscalationLevel_descriptor(), "ESCALATION_LEVEL_"),
         {}},
        {"create_time", "c.create_time", filter::FieldType::kTimestamp, {}, {}},
        {"update_time", "c.update_time", filter::FieldType::kTimestamp, {}, {}},
    };
    schema.text_search_sql = "c.description ILIKE {}";
    return schema;
  }();
  return kSchema;
}

// Over the timeline row alias `t`.
const filter::Schema& TimelineFilterSchema() {
  static const filter::Schema kSchema = [] {
    filter::Schema schema;
    schema.fields = {
        {"kind",
         "t.kind",
         filter::FieldType::kEnum,
         common::FilterEnumValues(v1::TimelineEntryKind_descriptor(), "TIMELINE_ENTRY_KIND_"),
         {}},
        {"actor", "t.actor", filter::FieldType::kString, {}, {}},
        {"customer_visible", "t.customer_visible", filter::FieldType::kBool, {}, {}},
        {"create_time", "t.create_time", filter::FieldType::kTimestamp, {}, {}},
    };
    return schema;
  }();
  return kSchema;
}

// Over the sla_policies row alias `p`.
const filter::Schema& PolicyFilterSchema() {
  static const filter::Schema kSchema = [] {
    filter::Schema schema;
    schema.fields = {
        {"display_name", "p.display_name", filter::FieldType::kString, {}, {}},
        {"tier",
         "p.tier",
         filter::FieldType::kEnum,
         common::FilterEnumValues(accord::account::v1::AccountTier_descriptor(), "ACCOUNT_TIER_"),
         {}},
        {"priority",
         "p.priority",
         filter::FieldType::kEnum,
         common::FilterEnumValues(v1::Priority_descriptor(), "PRIORITY_"),
         {}},
        filter::ReferenceField("calendar", "calendars", "p.calendar_id"),
        {"create_time", "p.create_time", filter::FieldType::kTimestamp, {}, {}},
    };
    return schema;
  }();
  return kSchema;
}

// Over the calendars row alias `k`.
const filter::Schema& CalendarFilterSchema() {
  static const filter::Schema kSchema = [] {
    filter::Schema schema;
    schema.fields = {
        {"display_name", "k.display_name", filter::FieldType::kString, {}, {}},
        {"time_zone", "k.time_zone", filter::FieldType::kString, {}, {}},
        {"create_time", "k.create_time", filter::FieldType::kTimestamp, {}, {}},
    };
    return schema;
  }();
  return kSchema;
}

// Over the surveys row alias `s`.
const filter::Schema& SurveyFilterSchema() {
  static const filter::Schema kSchema = [] {
    filter::Schema schema;
    schema.fields = {
        {"account", "s.account", filter::FieldType::kString, {}, {}},
        {"contact", "s.contact", filter::FieldType::kString, {}, {}},
        filter::ReferenceField("case", "cases", "s.case_id"),
        {"state",
         "s.state",
         filter::FieldType::kEnum,
         common::FilterEnumValues(v1::SurveyState_descriptor(), "SURVEY_STATE_"),
         {}},
        {"csat", "s.csat", filter::FieldType::kInt, {}, {}},
        {"nps", "s.nps", filter::FieldType::kInt, {}, {}},
        {"effort", "s.effort", filter::FieldType::kInt, {}, {}},
        {"create_time", "s.create_time", filter::FieldType::kTimestamp, {}, {}},
        {"answer_time", "s.answer_time", filter::FieldType::kTimestamp, {}, {}},
    };
    return schema;
  }();
  return kSchema;
}

// Over the signals row alias `g`.
const filter::Schema& SignalFilterSchema() {
  static const filter::Schema kSchema = [] {
    filter::Schema schema;
    schema.fields = {
        {"account", "g.account", filter::FieldType::kString, {}, {}},
        {"kind",
         "g.kind",
         filter::FieldType::kEnum,
         common::FilterEnumValues(v1::SignalKind_descriptor(), "SIGNAL_KIND_"),
         {}},
        {"source", "g.source", filter::FieldType::kString, {}, {}},
        {"occur_time", "g.occur_time", filter::FieldType::kTimestamp, {}, {}},
        {"create_time", "g.create_time", filter::FieldType::kTimestamp, {}, {}},
    };
    return schema;
  }();
  return kSchema;
}

}  // namespace

const common::filter::Schema& QualityFilterSchema(Listing listing) {
  switch (listing) {
    case Listing::kCases:
      return CaseFilterSchema();
    case Listing::kTimeline:
      return TimelineFilterSchema();
    case Listing::kPolicies:
      return PolicyFilterSchema();
    case Listing::kCalendars:
      return CalendarFilterSchema();
    case Listing::kSurveys:
      return SurveyFilterSchema();
    case Listing::kSignals:
      break;
  }
  return SignalFilterSchema();
}

}  // namespace accord::quality
