#include "pg_filter_schemas.h"

#include "accord/common/filter_fields.h"
#include "accord/common/v1/types.pb.h"
#include "accord/contact/v1/account_relation.pb.h"
#include "accord/contact/v1/appointment.pb.h"
#include "accord/contact/v1/campaign.pb.h"
#include "accord/contact/v1/contact.pb.h"
#include "accord/contact/v1/engagement.pb.h"
#include "contact_fields.h"

namespace accord::contact {

namespace filter = common::filter;

const filter::Schema& ContactFilterSchema() {
  static const filter::Schema kSchema = [] {
    filter::Schema schema;
    schema.fields = {
        {"owner", "c.owner", filter::FieldType::kString, {}, {}},
        {"job_title", "c.job_title", filter::FieldType::kString, {}, {}},
        {"department", "c.department", filter::FieldType::kString, {}, {}},
        {"time_zone", "c.time_zone", filter::FieldType::kString, {}, {}},
        {"status",
         "c.status",
         filter::FieldType::kEnum,
         FilterEnumValues(v1::ContactStatus_descriptor(), "CONTACT_STATUS_"),
         {}},
        {"customer_kind",
         "c.customer_kind",
         filter::FieldType::kEnum,
         FilterEnumValues(v1::CustomerKind_descriptor(), "CUSTOMER_KIND_"),
         {}},
        {"preferred_channel",
         "c.preferred_channel",
         filter::FieldType::kEnum,
         FilterEnumValues(common::v1::CommunicationChannel_descriptor(), "COMMUNICATION_CHANNEL_"),
         {}},
        {"labels", "c.labels", filter::FieldType::kStringArray, {}, {}},
        {"external_ids", "c.external_ids", filter::FieldType::kStringMap, {}, {}},
        {"create_time", "c.create_time", filter::FieldType::kTimestamp, {}, {}},
        {"update_time", "c.update_time", filter::FieldType::kTimestamp, {}, {}},
        {"repeat_customer", "c.repeat_customer", filter::FieldType::kBool, {}, {}},
        {"relationship_strength", "c.relationship_strength", filter::FieldType::kInt, {}, {}},
        {"purchase_count", "c.purchase_count", filter::FieldType::kInt, {}, {}},
    };
    // External ids as a semi-join on their own table's primary key (system, external_id): no
    // index answers `external_ids ->> 'crm' = ...` on the jsonb copy, which scanned every contact.
    for (auto& field : schema.fields) {
      if (field.name == "external_ids") {
        field.child = filter::FieldSpec::ChildTable{
            "c.id", "contact.contact_external_ids x", "x.contact_id", "x.system", "x.external_id",
            ""};
      }
    }
    return schema;
  }();
  return kSchema;
}

const filter::Schema& RelationFilterSchema() {
  static const filter::Schema kSchema = [] {
    filter::Schema schema;
    schema.fields = {
        filter::ReferenceField("account", "accounts", "r.account_id"),
        {"is_primary", "r.is_primary", filter::FieldType::kBool, {}, {}},
        {"create_time", "r.create_time", filter::FieldType::kTimestamp, {}, {}},
        {"update_time", "r.update_time", filter::FieldType::kTimestamp, {}, {}},
    };
    return schema;
  }();
  return kSchema;
}

const filter::Schema& InteractionFilterSchema() {
  static const filter::Schema kSchema = [] {
    filter::Schema schema;
    schema.fields = {
        filter::ReferenceField("account", "accounts", "t.account_id"),
        filter::ReferenceField("campaign", "campaigns", "t.campaign_id"),
        {"owner", "t.owner", filter::FieldType::kString, {}, {"=", "!="}},
        {"channel",
         "t.channel",
         filter::FieldType::kEnum,
         FilterEnumValues(v1::InteractionChannel_descriptor(), "INTERACTION_CHANNEL_"),
         {}},
        {"outcome",
         "t.outcome",
         filter::FieldType::kEnum,
         FilterEnumValues(v1::InteractionOutcome_descriptor(), "INTERACTION_OUTCOME_"),
         {}},
        {"interaction_time", "t.interaction_time", filter::FieldType::kTimestamp, {}, {}},
    };
    return schema;
  }();
  return kSchema;
}

const filter::Schema& FollowUpFilterSchema() {
  static const filter::Schema kSchema = [] {
    filter::Schema schema;
    schema.fields = {
        {"owner", "t.owner", filter::FieldType::kString, {}, {"=", "!="}},
        {"status",
         "t.status",
         filter::FieldType::kEnum,
         FilterEnumValues(v1::FollowUpStatus_descriptor(), "FOLLOW_UP_STATUS_"),
         {}},
        {"due_time", "t.due_time", filter::FieldType::kTimestamp, {}, {}},
    };
    return schema;
  }();
  return kSchema;
}

const filter::Schema& AppointmentFilterSchema() {
  static const filter::Schema kSchema = [] {
    filter::Schema schema;
    schema.fields = {
        {"staff", "t.staff", filter::FieldType::kStringArray, {}, {}},
        {"contacts",
         "ARRAY(SELECT 'contacts/' || x::text FROM unnest(t.contact_ids) x)",
         filter::FieldType::kStringArray,
         {},
         {}},
        {"status",
         "t.status",
         filter::FieldType::kEnum,
         FilterEnumValues(v1::AppointmentStatus_descriptor(), "APPOINTMENT_STATUS_"),
         {}},
        {"organizer", "t.organizer", filter::FieldType::kString, {}, {"=", "!="}},
        {"start_time", "t.start_time", filter::FieldType::kTimestamp, {}, {}},
        {"end_time", "t.end_time", filter::FieldType::kTimestamp, {}, {}},
    };
    return schema;
  }();
  return kSchema;
}

const filter::Schema& CampaignFilterSchema() {
  static const filter::Schema kSchema = [] {
    filter::Schema schema;
    schema.fields = {
        {"status",
         "t.status",
         filter::FieldType::kEnum,
         FilterEnumValues(v1::CampaignStatus_descriptor(), "CAMPAIGN_STATUS_"),
         {}},
        {"create_time", "t.create_time", filter::FieldType::kTimestamp, {}, {}},
        {"update_time", "t.update_time", filter::FieldType::kTimestamp, {}, {}},
    };
    return schema;
  }();
  return kSchema;
}

}  // namespace accord::contact
