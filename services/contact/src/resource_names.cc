#include "resource_names.h"

#include "accord/common/errors.h"
#include "accord/common/ids.h"
#include "accord/common/resource_name.h"
#include "contact_fields.h"

namespace accord::contact {
namespace {

constexpr std::string_view kContactsPrefix = "contacts/";
constexpr std::string_view kAccountsPrefix = "accounts/";
constexpr std::string_view kRelations = "/accountRelations/";

absl::StatusOr<std::string> ParseName(std::string_view name, std::string_view prefix,
                                      const std::string& field) {
  return common::ParseTopName(name, prefix.substr(0, prefix.size() - 1), field);
}

}  // namespace

std::string ContactName(std::string_view id) {
  return std::string(kContactsPrefix) + std::string(id);
}

absl::StatusOr<std::string> ParseContactName(std::string_view name, const std::string& field) {
  return ParseName(name, kContactsPrefix, field);
}

std::string AccountName(std::string_view id) {
  return std::string(kAccountsPrefix) + std::string(id);
}

absl::StatusOr<std::string> ParseAccountName(std::string_view name, const std::string& field) {
  return ParseName(name, kAccountsPrefix, field);
}

std::string ChildName(std::string_view contact_id, std::string_view collection,
                      std::string_view id) {
  return ContactName(contact_id) + "/" + std::string(collection) + "/" + std::string(id);
}

absl::StatusOr<ChildId> ParseChildName(std::string_view name, std::string_view collection,
                                       const std::string& field) {
  ACCORD_ASSIGN_OR_RETURN(
      auto ids,
      common::ParseName(name, "contacts/{contact_id}/" + std::string(collection) + "/{id}", field));
  return ChildId{std::move(ids[0]), std::move(ids[1])};
}

absl::StatusOr<std::string> ParseCampaignName(std::string_view name, const std::string& field) {
  const std::string id = common::Lower(name.substr(0, 10) == "campaigns/" ? name.substr(10) : "");
  if (!common::IsUuid(id)) {
    return common::InvalidArgument(field, "must look like campaigns/{campaign_id} (a UUID)");
  }
  return id;
}

std::string RelationName(std::string_view contact_id, std::string_view relation_id) {
  return ContactName(contact_id) + std::string(kRelations) + std::string(relation_id);
}

absl::StatusOr<RelationId> ParseRelationName(std::string_view name, const std::string& field) {
  const std::string example = "contacts/{contact_id}/accountRelations/{relation_id}";
  if (name.empty()) return common::InvalidArgument(field, "required, e.g. " + example);
  const size_t at = name.find(kRelations);
  if (name.substr(0, 9) != "contacts/" || at == std::string_view::npos) {
    return common::InvalidArgument(field, "must look like " + example);
  }
  RelationId out;
  out.contact_id = common::Lower(name.substr(9, at - 9));
  out.id = common::Lower(name.substr(at + kRelations.size()));
  if (!common::IsUuid(out.contact_id) || !common::IsUuid(out.id)) {
    return common::InvalidArgument(field, "both ids in " + example + " must be UUIDs");
  }
  return out;
}

std::string AppointmentName(std::string_view id) { return "appointments/" + std::string(id); }

absl::StatusOr<std::string> ParseAppointmentName(std::string_view name, const std::string& field) {
  const std::string id =
      common::Lower(name.substr(0, 13) == "appointments/" ? name.substr(13) : "");
  if (!common::IsUuid(id)) {
    return common::InvalidArgument(field, "must look like appointments/{appointment_id} (a UUID)");
  }
  return id;
}

}  // namespace accord::contact
