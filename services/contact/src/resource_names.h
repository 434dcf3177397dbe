// Resource names of the contact service, shared by the logic (which parses what callers send)
// and storage (which names what it reads), so that storage needs nothing from the logic layer.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace accord::contact {

// `contacts/{uuid}` <-> id.
std::string ContactName(std::string_view id);
absl::StatusOr<std::string> ParseContactName(std::string_view name, const std::string& field);
// `accounts/{uuid}` <-> id.
std::string AccountName(std::string_view id);
absl::StatusOr<std::string> ParseAccountName(std::string_view name, const std::string& field);

// `contacts/{contact_id}/{collection}/{id}` <-> ids.
struct ChildId {
  std::string contact_id;
  std::string id;
};
std::string ChildName(std::string_view contact_id, std::string_view collection,
                      std::string_view id);
absl::StatusOr<ChildId> ParseChildName(std::string_view name, std::string_view collection,
                                       const std::string& field);
// `campaigns/{uuid}` -> id.
absl::StatusOr<std::string> ParseCampaignName(std::string_view name, const std::string& field);

// `contacts/{contact_id}/accountRelations/{relation_id}` <-> ids.
struct RelationId {
  std::string contact_id;
  std::string id;
};
std::string RelationName(std::string_view contact_id, std::string_view relation_id);
absl::StatusOr<RelationId> ParseRelationName(std::string_view name, const std::string& field);

// `appointments/{uuid}` <-> id.
std::string AppointmentName(std::string_view id);
absl::StatusOr<std::string> ParseAppointmentName(std::string_view name, const std::string& field);

}  // namespace accord::contact
