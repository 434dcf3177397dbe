#include "contact_logic.h"

#include <algorithm>

#include "accord/common/filter.h"
#include "accord/common/idempotency.h"
#include "accord/common/paging.h"
#include "contact_fields.h"

namespace accord::contact {
namespace {

namespace filter = common::filter;

std::vector<std::string> EffectivePaths(const v1::UpdateContactRequest& request) {
  if (request.update_mask().paths_size() > 0) {
    return {request.update_mask().paths().begin(), request.update_mask().paths().end()};
  }
  const Contact& c = request.contact();
  std::vector<std::string> paths;
  auto add = [&](bool set, const char* path) {
    if (set) paths.push_back(path);
  };
  add(!c.given_name().empty(), "given_name");
  add(!c.family_name().empty(), "family_name");
  add(!c.job_title().empty(), "job_title");
  add(!c.department().empty(), "department");
  add(c.emails_size() > 0, "emails");
  add(c.phones_size() > 0, "phones");
  add(c.has_address(), "address");
  add(c.preferred_channel() != 0, "preferred_channel");
  add(!c.preferred_language().empty(), "preferred_language");
  add(!c.time_zone().empty(), "time_zone");
  add(c.has_accessibility(), "accessibility");
  add(c.customer_kind() != 0, "customer_kind");
  add(c.status() != 0, "status");
  add(c.external_ids_size() > 0, "external_ids");
  add(c.labels_size() > 0, "labels");
  add(!c.owner().empty(), "owner");
  add(!c.notes().empty(), "notes");
  return paths;
}

void ClearOutputOnly(Contact& contact) {
  contact.clear_name();
  contact.clear_etag();
  contact.clear_create_time();
  contact.clear_update_time();
  contact.clear_delete_time();
  contact.clear_personal_data_masked();
}

absl::Status ValidateExternalKey(const std::string& system, const std::string& external_id) {
  common::Violations violations;
  if (system.empty() || system.size() > 50 ||
      !std::all_of(system.begin(), system.end(), [](unsigned char c) {
        return std::islower(c) || std::isdigit(c) || c == '-' || c == '_' || c == ':' || c == '.';
      })) {
    violations.Add("system", "required: 1 to 50 characters of a-z, 0-9, -, _, : and .");
  }
  if (external_id.empty() || IsBlank(external_id) || CodePoints(external_id) > 200) {
    violations.Add("external_id", "required: 1 to 200 characters, not blank");
  }
  return violations.ToStatus();
}

}  // namespace

const std::vector<std::string>& UpdatableContactPaths() {
  static const std::vector<std::string> kPaths = {"given_name",
                                                  "family_name",
                                                  "job_title",
                                                  "department",
                                                  "emails",
                                                  "phones",
                                                  "address",
                                                  "preferred_channel",
                                                  "preferred_language",
                                                  "time_zone",
                                                  "accessibility",
                                                  "customer_kind",
                                                  "status",
                                                  "external_ids",
                                                  "labels",
                                                  "owner",
                                                  "notes"};
  return kPaths;
}

void ApplyContactPaths(const Contact& patch, const std::vector<std::string>& paths,
                       Contact& target) {
  for (const auto& path : paths) {
    if (path == "given_name") target.set_given_name(patch.given_name());
    if (path == "family_name") target.set_family_name(patch.family_name());
    if (path == "job_title") target.set_job_title(patch.job_title());
    if (path == "department") target.set_department(patch.department());
    if (path == "emails") *target.mutable_emails() = patch.emails();
    if (path == "phones") *target.mutable_phones() = patch.phones();
    if (path == "address") *target.mutable_address() = patch.address();
    if (path == "preferred_channel") target.set_preferred_channel(patch.preferred_channel());
    if (path == "preferred_language") target.set_preferred_language(patch.preferred_language());
    if (path == "time_zone") target.set_time_zone(patch.time_zone());
    if (path == "accessibility") *target.mutable_accessibility() = patch.accessibility();
    if (path == "customer_kind") target.set_customer_kind(patch.customer_kind());
    if (path == "status") target.set_status(patch.status());
    if (path == "external_ids") *target.mutable_external_ids() = patch.external_ids();
    if (path == "labels") *target.mutable_labels() = patch.labels();
    if (path == "owner") target.set_owner(patch.owner());
    if (path == "notes") target.set_notes(patch.notes());
  }
}

ContactLogic::ContactLogic(ContactRepository& repository, ContactAccess& access,
                           ContactPresenter& presenter, const common::PageTokenCodec& page_tokens,
                           std::string default_region)
    : repository_(repository),
      access_(access),
      presenter_(presenter),
      page_tokens_(page_tokens),
      default_region_(std::move(default_region)) {}

absl::StatusOr<Contact> ContactLogic::Create(const Caller& caller,
                                             const v1::CreateContactRequest& request,
                                             WriteMeta meta) {
  ACCORD_RETURN_IF_ERROR(CheckCreate(caller.principal));
  common::Violations violations;
  MergeViolations(common::IdempotencyKeys::Validate(request.request_id()), violations);
  meta.request_id = request.request_id();
  Contact contact = request.contact();
  ClearOutputOnly(contact);
  if (contact.status() == v1::CONTACT_STATUS_UNSPECIFIED) {
    contact.set_status(v1::CONTACT_STATUS_ACTIVE);
  }
  if (contact.owner().empty()) contact.set_owner(caller.principal.subject);
  NormalizeAndValidate(contact, "contact.", default_region_, violations);
  ACCORD_RETURN_IF_ERROR(violations.ToStatus());
  // The creator sees what it sent unless its role masks it: that read is appended to the access
  // log in the create's own transaction (one commit), and the presenter does not append it again.
  const bool shown = access_.SeesPersonalData(caller, ContactFacts{contact.owner(), {}});
  ACCORD_ASSIGN_OR_RETURN(ContactRecord record,
                          repository_.Create(contact, meta, shown ? &caller : nullptr));
  return presenter_.Present(caller, std::move(record));
}

absl::StatusOr<Contact> ContactLogic::Get(const Caller& caller,
                                          const v1::GetContactRequest& request) {
  ACCORD_ASSIGN_OR_RETURN(std::string id, ParseContactName(request.name(), "name"));
  ACCORD_ASSIGN_OR_RETURN(ContactRecord record, repository_.Get(id));
  return presenter_.Present(caller, std::move(record));
}

std::optional<absl::StatusOr<Contact>> ContactLogic::GetWithoutIo(
    const Caller& caller, const v1::GetContactRequest& request) {
  auto id = ParseContactName(request.name(), "name");
  if (!id.ok()) return absl::StatusOr<Contact>(id.status());
  auto record = repository_.PeekLocalMasked(*id);
  if (!record) return std::nullopt;
  // A caller who sees the personal fields needs them opened and its read logged: Get does both.
  const auto sees = ContactAccess::SeesPersonalDataWithoutIo(caller, record->facts);
  if (!sees.has_value() || *sees) return std::nullopt;
  return absl::StatusOr<Contact>(std::move(record->contact));
}

absl::StatusOr<v1::ListContactsResponse> ContactLogic::List(
    const Caller& caller, const v1::ListContactsRequest& request) {
  if (request.page_size() < 0) return common::InvalidArgument("page_size", "must not be negative");
  ACCORD_ASSIGN_OR_RETURN(OrderBy order,
                          ParseOrderBy(request.order_by(), {"create_time", "update_time"}));
  ACCORD_ASSIGN_OR_RETURN(filter::SqlFilter compiled,
                          filter::Compile(request.filter(), repository_.FilterSchema()));
  ACCORD_ASSIGN_OR_RETURN(
      common::PageStart start,
      common::StartPage(page_tokens_, request.page_size(), request.page_token(),
                        "contacts\n" + request.filter() + "\n" + order.canonical));
  ContactListQuery query;
  query.limit = start.limit;
  query.after = start.after;
  query.order =
      order.field == "update_time" ? ContactOrder::kUpdateTime : ContactOrder::kCreateTime;
  query.descending = order.descending;
  query.filter_sql = std::move(compiled.where);
  query.filter_params = std::move(compiled.params);
  ACCORD_ASSIGN_OR_RETURN(ContactPage page, repository_.List(query));
  const size_t fetched = page.contacts.size();
  page.contacts.resize(common::RowsToReturn(start, fetched));
  ACCORD_ASSIGN_OR_RETURN(auto contacts, presenter_.Present(caller, std::move(page.contacts)));
  // The byte budget counts contacts as they are sent (decrypted).
  const size_t returned = common::PageRows(start, contacts);
  v1::ListContactsResponse response;
  for (size_t i = 0; i < returned; ++i) *response.add_contacts() = std::move(contacts[i]);
  response.set_next_page_token(
      common::NextPageToken(page_tokens_, start, returned, fetched, page.keys));
  return response;
}

absl::StatusOr<Contact> ContactLogic::Update(const Caller& caller,
                                             const v1::UpdateContactRequest& request,
                                             WriteMeta meta) {
  common::Violations violations;
  auto id = ParseContactName(request.contact().name(), "contact.name");
  MergeViolations(id.status(), violations);
  if (request.etag().empty()) {
    violations.Add("etag", "required: send the etag of the contact as you last read it");
  }
  MergeViolations(common::IdempotencyKeys::Validate(request.request_id()), violations);
  meta.request_id = request.request_id();
  const auto& updatable = UpdatableContactPaths();
  for (const auto& path : request.update_mask().paths()) {
    if (std::find(updatable.begin(), updatable.end(), path) == updatable.end()) {
      violations.Add("update_mask", "`" + path + "` cannot be updated");
    }
  }
  ACCORD_RETURN_IF_ERROR(violations.ToStatus());
  const std::vector<std::string> paths = EffectivePaths(request);
  if (paths.empty()) return common::InvalidArgument("update_mask", "names no field to change");

  ACCORD_ASSIGN_OR_RETURN(ContactRecord current, repository_.Get(*id));
  ACCORD_RETURN_IF_ERROR(access_.CheckChange(caller, current.facts, current.contact.name()));
  ACCORD_ASSIGN_OR_RETURN(ContactRecord record,
                          repository_.Update(
                              *id,
                              [&](const Contact& locked) -> absl::StatusOr<Contact> {
                                if (request.etag() != locked.etag())
                                  return common::EtagMismatch(locked.name());
                                Contact next = locked;
                                ApplyContactPaths(request.contact(), paths, next);
                                common::Violations field_violations;
                                NormalizeAndValidate(next, "contact.", default_region_,
                                                     field_violations);
                                ACCORD_RETURN_IF_ERROR(field_violations.ToStatus());
                                return next;
                              },
                              meta));
  return presenter_.Present(caller, std::move(record));
}

absl::StatusOr<Contact> ContactLogic::Delete(const Caller& caller,
                                             const v1::DeleteContactRequest& request,
                                             WriteMeta meta) {
  common::Violations violations;
  auto id = ParseContactName(request.name(), "name");
  MergeViolations(id.status(), violations);
  if (request.etag().empty()) {
    violations.Add("etag", "required: send the etag of the contact as you last read it");
  }
  MergeViolations(common::IdempotencyKeys::Validate(request.request_id()), violations);
  meta.request_id = request.request_id();
  ACCORD_RETURN_IF_ERROR(violations.ToStatus());
  ACCORD_ASSIGN_OR_RETURN(ContactRecord current, repository_.Get(*id));
  ACCORD_RETURN_IF_ERROR(access_.CheckChange(caller, current.facts, current.contact.name()));
  ACCORD_ASSIGN_OR_RETURN(ContactRecord record,
                          repository_.Delete(
                              *id,
                              [&](const Contact& locked) -> absl::StatusOr<Contact> {
                                if (request.etag() != locked.etag()) {
                                  return common::EtagMismatch(locked.name());
                                }
                                return locked;
                              },
                              meta));
  record.facts = current.facts;
  return presenter_.Present(caller, std::move(record));
}

absl::StatusOr<v1::LookupContactsResponse> ContactLogic::Lookup(
    const Caller& caller, const v1::LookupContactsRequest& request) {
  LookupKind kind;
  std::string value;
  switch (request.key_case()) {
    case v1::LookupContactsRequest::kEmail: {
      auto email = NormalizeEmail(request.email());
      if (!email.ok()) {
        return common::InvalidArgument("email", std::string(email.status().message()));
      }
      kind = LookupKind::kEmail;
      value = *email;
      break;
    }
    case v1::LookupContactsRequest::kPhone: {
      auto phone = NormalizePhone(request.phone(), default_region_);
      if (!phone.ok()) {
        return common::InvalidArgument("phone", std::string(phone.status().message()));
      }
      kind = LookupKind::kPhone;
      value = *phone;
      break;
    }
    default:
      return common::InvalidArgument("email", "required: give an email or a phone to look up");
  }
  ACCORD_ASSIGN_OR_RETURN(auto records, repository_.Lookup(kind, value));
  ACCORD_ASSIGN_OR_RETURN(auto contacts, presenter_.Present(caller, std::move(records)));
  v1::LookupContactsResponse response;
  for (auto& contact : contacts) *response.add_contacts() = std::move(contact);
  return response;
}

absl::StatusOr<Contact> ContactLogic::LookupByExternalId(
    const Caller& caller, const v1::LookupContactByExternalIdRequest& request) {
  ACCORD_RETURN_IF_ERROR(ValidateExternalKey(request.system(), request.external_id()));
  ACCORD_ASSIGN_OR_RETURN(ContactRecord record,
                          repository_.LookupByExternalId(request.system(), request.external_id()));
  return presenter_.Present(caller, std::move(record));
}

absl::StatusOr<v1::UpsertContactByExternalIdResponse> ContactLogic::Upsert(
    const Caller& caller, const v1::UpsertContactByExternalIdRequest& request, WriteMeta meta) {
  ACCORD_ASSIGN_OR_RETURN(auto upserted, UpsertRecord(caller, request, std::move(meta)));
  v1::UpsertContactByExternalIdResponse response;
  ACCORD_ASSIGN_OR_RETURN(*response.mutable_contact(),
                          presenter_.Present(caller, std::move(upserted.record)));
  response.set_created(upserted.created);
  return response;
}

absl::StatusOr<ContactRepository::Upserted> ContactLogic::UpsertRecord(
    const Caller& caller, const v1::UpsertContactByExternalIdRequest& request, WriteMeta meta) {
  ACCORD_RETURN_IF_ERROR(CheckUpsert(caller.principal));
  common::Violations violations;
  MergeViolations(ValidateExternalKey(request.system(), request.external_id()), violations);
  // The contact as sent, with the key it is upserted by among its external ids.
  Contact sent = request.contact();
  ClearOutputOnly(sent);
  (*sent.mutable_external_ids())[request.system()] = request.external_id();
  if (sent.status() == v1::CONTACT_STATUS_UNSPECIFIED) sent.set_status(v1::CONTACT_STATUS_ACTIVE);
  Contact checked = sent;
  if (checked.owner().empty()) checked.set_owner(caller.principal.subject);
  NormalizeAndValidate(checked, "contact.", default_region_, violations);
  ACCORD_RETURN_IF_ERROR(violations.ToStatus());
  return repository_.Upsert(
      request.system(), request.external_id(),
      [&](const Contact* current) -> absl::StatusOr<Contact> {
        if (current == nullptr) return checked;
        // The source system's copy replaces every updatable field; an owner
        // it does not know stays as it is.
        Contact next = *current;
        ApplyContactPaths(checked, UpdatableContactPaths(), next);
        if (sent.owner().empty()) next.set_owner(current->owner());
        // Ids of other systems are theirs to change, not this one's.
        for (const auto& [system, id] : current->external_ids()) {
          if (!next.external_ids().contains(system)) (*next.mutable_external_ids())[system] = id;
        }
        return next;
      },
      meta);
}

}  // namespace accord::contact
