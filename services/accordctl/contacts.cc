// `accordctl contacts ...`, `accordctl relations ...` and `accordctl key-contacts`: the contact
// service (accord.contact.v1).
#include <fstream>
#include <ostream>
#include <thread>
#include <tuple>

#include "accord/common/ids.h"
#include "accord/contact/v1/account_relation.grpc.pb.h"
#include "accord/contact/v1/contact.grpc.pb.h"
#include "accord/contact/v1/stewardship.grpc.pb.h"
#include "commands.h"
#include "csv.h"
#include "resource_cli.h"
#include "rpc.h"

namespace accord::accordctl {
namespace {

using csv::CsvField;
using csv::ReadCsvRecord;

namespace v1 = ::accord::contact::v1;
namespace common_v1 = ::accord::common::v1;
using cli::EnumName;

constexpr EnumName kKinds[] = {
    {"buyer", v1::CUSTOMER_KIND_BUYER},
    {"seller", v1::CUSTOMER_KIND_SELLER},
    {"landlord", v1::CUSTOMER_KIND_LANDLORD},
    {"tenant", v1::CUSTOMER_KIND_TENANT},
    {"developer", v1::CUSTOMER_KIND_DEVELOPER},
    {"buyers-agent", v1::CUSTOMER_KIND_BUYERS_AGENT},
    {"tenants-agent", v1::CUSTOMER_KIND_TENANTS_AGENT},
    {"other", v1::CUSTOMER_KIND_OTHER},
};

constexpr EnumName kStatuses[] = {
    {"active", v1::CONTACT_STATUS_ACTIVE},
    {"left-organization", v1::CONTACT_STATUS_LEFT_ORGANIZATION},
};

constexpr EnumName kRoles[] = {
    {"decision-maker", v1::ACCOUNT_RELATION_ROLE_DECISION_MAKER},
    {"buyer", v1::ACCOUNT_RELATION_ROLE_BUYER},
    {"billing", v1::ACCOUNT_RELATION_ROLE_BILLING},
    {"technical", v1::ACCOUNT_RELATION_ROLE_TECHNICAL},
    {"end-user", v1::ACCOUNT_RELATION_ROLE_END_USER},
    {"executive-sponsor", v1::ACCOUNT_RELATION_ROLE_EXECUTIVE_SPONSOR},
    {"key-contact", v1::ACCOUNT_RELATION_ROLE_KEY_CONTACT},
};

constexpr char kBadName[] = "bad contact name (contacts/ID or ID)";
constexpr char kBadRelation[] = "bad relation name (contacts/ID/accountRelations/ID)";
constexpr char kBadAccount[] = "bad account (accounts/ID or ID)";

// "contacts/ID" or a bare "ID" -> "contacts/ID" ("-" too, for every contact).
std::optional<std::string> NameIn(const std::string& text, const std::string& collection) {
  const std::string prefix = collection + "/";
  std::string id = text.rfind(prefix, 0) == 0 ? text.substr(prefix.size()) : text;
  if (id.empty() || id.find('/') != std::string::npos) return std::nullopt;
  return prefix + id;
}

std::optional<std::string> RelationName(const std::string& text) {
  const size_t at = text.find("/accountRelations/");
  if (text.rfind("contacts/", 0) != 0 || at == std::string::npos) return std::nullopt;
  return text;
}

struct Clients {
  CallOptions call;
  std::unique_ptr<v1::ContactService::Stub> contacts;
  std::unique_ptr<v1::ContactAccountRelationService::Stub> relations;
  std::unique_ptr<v1::ContactStewardshipService::Stub> stewardship;

  // A context with the reason for reading personal data, when --reason is given.
  std::unique_ptr<grpc::ClientContext> Context(const Invocation& inv) const {
    auto context = call.NewContext();
    if (auto reason = inv.args.Get("reason")) context->AddMetadata("x-access-reason", *reason);
    return context;
  }
};

std::optional<Clients> Connect(const Invocation& inv) {
  auto call = CallOptionsFor(inv, *FindService("contact"));
  if (!call) return std::nullopt;
  Clients clients{std::move(*call), nullptr, nullptr, nullptr};
  auto channel = clients.call.NewChannel();
  clients.contacts = v1::ContactService::NewStub(channel);
  clients.relations = v1::ContactAccountRelationService::NewStub(channel);
  clients.stewardship = v1::ContactStewardshipService::NewStub(channel);
  return clients;
}

int Print(const Invocation& inv, const google::protobuf::Message& message) {
  inv.out << ToJson(message, /*pretty=*/true) << "\n";
  return kExitOk;
}

template <size_t N, typename Set>
bool EnumFlag(const Invocation& inv, const char* flag, const EnumName (&names)[N], Set set,
              std::vector<std::string>* paths, const char* path) {
  auto value = inv.args.Get(flag);
  if (!value) return true;
  auto parsed = cli::ParseEnum(names, *value);
  if (!parsed) {
    inv.UsageError(std::string("bad --") + flag + " '" + *value + "' (" + cli::Choices(names) +
                   ")");
    return false;
  }
  set(*parsed);
  paths->push_back(path);
  return true;
}

// Copies the field flags given into `contact` and names them in `paths`.
bool ApplyFieldFlags(const Invocation& inv, v1::Contact* contact, std::vector<std::string>* paths) {
  auto text = [&](const char* flag, const char* path, auto set) {
    if (auto value = inv.args.Get(flag)) {
      set(*value);
      paths->push_back(path);
    }
  };
  text("given-name", "given_name", [&](const std::string& v) { contact->set_given_name(v); });
  text("family-name", "family_name", [&](const std::string& v) { contact->set_family_name(v); });
  text("job-title", "job_title", [&](const std::string& v) { contact->set_job_title(v); });
  text("department", "department", [&](const std::string& v) { contact->set_department(v); });
  text("language", "preferred_language",
       [&](const std::string& v) { contact->set_preferred_language(v); });
  text("time-zone", "time_zone", [&](const std::string& v) { contact->set_time_zone(v); });
  text("owner", "owner", [&](const std::string& v) { contact->set_owner(v); });
  text("notes", "notes", [&](const std::string& v) { contact->set_notes(v); });
  if (inv.args.Has("email")) {
    for (const auto& email : inv.args.GetAll("email")) contact->add_emails()->set_address(email);
    paths->push_back("emails");
  }
  if (inv.args.Has("phone")) {
    for (const auto& phone : inv.args.GetAll("phone")) contact->add_phones()->set_number(phone);
    paths->push_back("phones");
  }
  if (inv.args.Has("address-line") || inv.args.Has("locality") || inv.args.Has("postal-code") ||
      inv.args.Has("region")) {
    auto* address = contact->mutable_address();
    for (const auto& line : inv.args.GetAll("address-line")) address->add_address_lines(line);
    address->set_locality(inv.args.GetOr("locality", ""));
    address->set_postal_code(inv.args.GetOr("postal-code", ""));
    address->set_region_code(inv.args.GetOr("region", ""));
    paths->push_back("address");
  }
  if (inv.args.Has("label")) {
    for (const auto& label : inv.args.GetAll("label")) contact->add_labels(label);
    paths->push_back("labels");
  }
  if (inv.args.Has("external-id")) {
    for (const auto& item : inv.args.GetAll("external-id")) {
      const size_t eq = item.find('=');
      if (eq == std::string::npos) {
        inv.UsageError("bad --external-id '" + item + "' (SYSTEM=ID)");
        return false;
      }
      (*contact->mutable_external_ids())[item.substr(0, eq)] = item.substr(eq + 1);
    }
    paths->push_back("external_ids");
  }
  if (inv.args.Has("accessibility") || inv.args.Has("needs-hearing") ||
      inv.args.Has("needs-sight") || inv.args.Has("needs-mobility") ||
      inv.args.Has("needs-language")) {
    auto* accessibility = contact->mutable_accessibility();
    accessibility->set_needs(inv.args.GetOr("accessibility", ""));
    accessibility->set_hearing(inv.args.Bool("needs-hearing"));
    accessibility->set_sight(inv.args.Bool("needs-sight"));
    accessibility->set_mobility(inv.args.Bool("needs-mobility"));
    accessibility->set_language_assistance(inv.args.Bool("needs-language"));
    paths->push_back("accessibility");
  }
  return EnumFlag(
             inv, "kind", kKinds,
             [&](int v) { contact->set_customer_kind(static_cast<v1::CustomerKind>(v)); }, paths,
             "customer_kind") &&
         EnumFlag(
             inv, "status", kStatuses,
             [&](int v) { contact->set_status(static_cast<v1::ContactStatus>(v)); }, paths,
             "status") &&
         EnumFlag(
             inv, "channel", cli::kCommunicationChannels,
             [&](int v) {
               contact->set_preferred_channel(static_cast<common_v1::CommunicationChannel>(v));
             },
             paths, "preferred_channel");
}

std::vector<FlagSpec> FieldFlags() {
  return {
      {"given-name", "TEXT", "Given name (personal)."},
      {"family-name", "TEXT", "Family name (personal)."},
      {"job-title", "TEXT", "Job title."},
      {"department", "TEXT", "Department."},
      {"email", "ADDRESS", "Email address (personal; repeat for several).", true},
      {"phone", "NUMBER", "Phone number, any notation (personal; repeat for several).", true},
      {"address-line", "TEXT", "Address line (personal; repeat for several).", true},
      {"locality", "TEXT", "Town or city."},
      {"postal-code", "TEXT", "Postal code."},
      {"region", "CC", "ISO 3166 region, e.g. GB (also the region of national phone numbers)."},
      {"channel", "CHANNEL",
       "Preferred channel: " + cli::Choices(cli::kCommunicationChannels) + "."},
      {"language", "TAG", "Preferred language, BCP 47 (en, pt-BR)."},
      {"time-zone", "ZONE", "IANA time zone, e.g. Europe/Paris."},
      {"accessibility", "TEXT", "Accessibility needs, free text (personal)."},
      {"needs-hearing", "", "Flag: hearing."},
      {"needs-sight", "", "Flag: sight."},
      {"needs-mobility", "", "Flag: mobility."},
      {"needs-language", "", "Flag: language assistance."},
      {"kind", "KIND", "Customer kind: " + cli::Choices(kKinds) + "."},
      {"status", "STATUS", cli::Choices(kStatuses) + "."},
      {"label", "LABEL", "Label (repeat for several).", true},
      {"external-id", "SYSTEM=ID", "Id in another system (repeat for several).", true},
      {"owner", "SUBJECT", "Responsible account manager (default: the caller)."},
      {"notes", "TEXT", "Notes (personal)."},
  };
}

const FlagSpec kReason{"reason", "TEXT",
                       "Why you read personal data (x-access-reason, kept in the access log)."};
const FlagSpec kRequestId{"request-id", "UUID",
                          "Idempotency key: a retry with the same id changes nothing twice."};

std::vector<std::string> ContactRow(const v1::Contact& contact) {
  std::string email = contact.emails_size() > 0 ? contact.emails(0).address() : "-";
  std::string phone = contact.phones_size() > 0 ? contact.phones(0).number() : "-";
  std::string name = contact.personal_data_masked()
                         ? "(masked)"
                         : contact.given_name() + " " + contact.family_name();
  return {contact.name(), name,  contact.job_title().empty() ? "-" : contact.job_title(),
          email,          phone, cli::EnumText(kStatuses, contact.status()),
          contact.owner()};
}

int RunCreate(const Invocation& inv) {
  v1::CreateContactRequest request;
  std::vector<std::string> paths;
  if (!ApplyFieldFlags(inv, request.mutable_contact(), &paths)) return kExitUsage;
  request.set_request_id(inv.args.GetOr("request-id", ""));
  auto clients = Connect(inv);
  if (!clients) return kExitUsage;
  v1::Contact response;
  auto status = clients->contacts->CreateContact(clients->Context(inv).get(), request, &response);
  if (!status.ok()) return ReportRpcError(status, inv.err);
  return Print(inv, response);
}

int RunGet(const Invocation& inv) {
  auto name = NameIn(inv.args.positional()[0], "contacts");
  if (!name) return inv.UsageError(kBadName);
  auto clients = Connect(inv);
  if (!clients) return kExitUsage;
  v1::GetContactRequest request;
  request.set_name(*name);
  v1::Contact response;
  auto status = clients->contacts->GetContact(clients->Context(inv).get(), request, &response);
  if (!status.ok()) return ReportRpcError(status, inv.err);
  return Print(inv, response);
}

int RunList(const Invocation& inv) {
  v1::ListContactsRequest request;
  if (!cli::FillListRequest(inv, &request)) return kExitUsage;
  auto clients = Connect(inv);
  if (!clients) return kExitUsage;
  return cli::RunListPages<v1::ListContactsRequest, v1::Contact>(
      inv, request,
      [&](const v1::ListContactsRequest& page_request, std::vector<v1::Contact>* items,
          std::string* next_page_token) {
        v1::ListContactsResponse response;
        auto status =
            clients->contacts->ListContacts(clients->Context(inv).get(), page_request, &response);
        items->assign(response.contacts().begin(), response.contacts().end());
        *next_page_token = response.next_page_token();
        return status;
      },
      {"NAME", "PERSON", "TITLE", "EMAIL", "PHONE", "STATUS", "OWNER"}, ContactRow);
}

// An update request's mask (the fields the flags named), etag and request id.
template <typename Request>
void FillUpdate(const Invocation& inv, const std::vector<std::string>& paths,
                const std::string& etag, Request* request) {
  for (const auto& path : paths) request->mutable_update_mask()->add_paths(path);
  request->set_etag(etag);
  request->set_request_id(inv.args.GetOr("request-id", ""));
}

int RunUpdate(const Invocation& inv) {
  auto name = NameIn(inv.args.positional()[0], "contacts");
  if (!name) return inv.UsageError(kBadName);
  auto etag = inv.args.Get("etag");
  if (!etag) return inv.UsageError("--etag is required (from get or list)");
  v1::UpdateContactRequest request;
  request.mutable_contact()->set_name(*name);
  std::vector<std::string> paths;
  if (!ApplyFieldFlags(inv, request.mutable_contact(), &paths)) return kExitUsage;
  if (paths.empty()) return inv.UsageError("nothing to update: give at least one field flag");
  FillUpdate(inv, paths, *etag, &request);
  auto clients = Connect(inv);
  if (!clients) return kExitUsage;
  v1::Contact response;
  auto status = clients->contacts->UpdateContact(clients->Context(inv).get(), request, &response);
  if (!status.ok()) return ReportRpcError(status, inv.err);
  return Print(inv, response);
}

int RunDelete(const Invocation& inv) {
  auto name = NameIn(inv.args.positional()[0], "contacts");
  if (!name) return inv.UsageError(kBadName);
  auto etag = inv.args.Get("etag");
  if (!etag) return inv.UsageError("--etag is required (from get or list)");
  v1::DeleteContactRequest request;
  request.set_name(*name);
  request.set_etag(*etag);
  request.set_request_id(inv.args.GetOr("request-id", ""));
  auto clients = Connect(inv);
  if (!clients) return kExitUsage;
  v1::Contact response;
  auto status = clients->contacts->DeleteContact(clients->Context(inv).get(), request, &response);
  if (!status.ok()) return ReportRpcError(status, inv.err);
  return Print(inv, response);
}

int RunLookup(const Invocation& inv) {
  auto clients = Connect(inv);
  if (!clients) return kExitUsage;
  if (auto external = inv.args.Get("external-id")) {
    const size_t eq = external->find('=');
    if (eq == std::string::npos) return inv.UsageError("bad --external-id (SYSTEM=ID)");
    v1::LookupContactByExternalIdRequest request;
    request.set_system(external->substr(0, eq));
    request.set_external_id(external->substr(eq + 1));
    v1::Contact response;
    auto status = clients->contacts->LookupContactByExternalId(clients->Context(inv).get(), request,
                                                               &response);
    if (!status.ok()) return ReportRpcError(status, inv.err);
    return Print(inv, response);
  }
  v1::LookupContactsRequest request;
  if (auto email = inv.args.Get("email")) {
    request.set_email(*email);
  } else if (auto phone = inv.args.Get("phone")) {
    request.set_phone(*phone);
  } else {
    return inv.UsageError("give one of --email, --phone or --external-id");
  }
  v1::LookupContactsResponse response;
  auto status = clients->contacts->LookupContacts(clients->Context(inv).get(), request, &response);
  if (!status.ok()) return ReportRpcError(status, inv.err);
  return Print(inv, response);
}

// Fills the relation fields given as flags (--role, --primary true|false, --start-date,
// --end-date) and names them in `paths`; false after a usage error.
bool RelationFlags(const Invocation& inv, v1::AccountRelation* relation,
                   std::vector<std::string>* paths) {
  if (inv.args.Has("role")) paths->push_back("roles");
  for (const auto& text : inv.args.GetAll("role")) {
    for (const auto& item : SplitList(text)) {
      auto role = cli::ParseEnum(kRoles, item);
      if (!role) {
        inv.UsageError("bad --role '" + item + "' (" + cli::Choices(kRoles) + ")");
        return false;
      }
      relation->add_roles(static_cast<v1::AccountRelationRole>(*role));
    }
  }
  if (inv.args.Has("primary")) {
    // `relations add --primary` takes no value; `relations update --primary true|false` does.
    const std::string value = inv.args.GetOr("primary", "");
    if (value != "" && value != "true" && value != "false") {
      inv.UsageError("bad --primary '" + value + "' (true or false)");
      return false;
    }
    relation->set_is_primary(value != "false");
    paths->push_back("is_primary");
  }
  for (const auto& [flag, date, path] :
       {std::tuple{"start-date", relation->mutable_start_date(), "start_date"},
        std::tuple{"end-date", relation->mutable_end_date(), "end_date"}}) {
    if (auto value = inv.args.Get(flag)) {
      int year = 0, month = 0, day = 0;
      if (std::sscanf(value->c_str(), "%d-%d-%d", &year, &month, &day) != 3) {
        inv.UsageError(std::string("bad --") + flag + " (YYYY-MM-DD)");
        return false;
      }
      date->set_year(year);
      date->set_month(month);
      date->set_day(day);
      paths->push_back(path);
    }
  }
  return true;
}

int RunRelationAdd(const Invocation& inv) {
  auto contact = NameIn(inv.args.positional()[0], "contacts");
  if (!contact) return inv.UsageError(kBadName);
  auto account = NameIn(inv.args.positional()[1], "accounts");
  if (!account) return inv.UsageError(kBadAccount);
  v1::CreateAccountRelationRequest request;
  request.set_parent(*contact);
  auto* relation = request.mutable_account_relation();
  relation->set_account(*account);
  std::vector<std::string> paths;
  if (!RelationFlags(inv, relation, &paths)) return kExitUsage;
  request.set_request_id(inv.args.GetOr("request-id", ""));
  auto clients = Connect(inv);
  if (!clients) return kExitUsage;
  v1::AccountRelation response;
  auto status =
      clients->relations->CreateAccountRelation(clients->Context(inv).get(), request, &response);
  if (!status.ok()) return ReportRpcError(status, inv.err);
  return Print(inv, response);
}

int RunRelationGet(const Invocation& inv) {
  auto name = RelationName(inv.args.positional()[0]);
  if (!name) return inv.UsageError(kBadRelation);
  v1::GetAccountRelationRequest request;
  request.set_name(*name);
  auto clients = Connect(inv);
  if (!clients) return kExitUsage;
  v1::AccountRelation response;
  auto status =
      clients->relations->GetAccountRelation(clients->Context(inv).get(), request, &response);
  if (!status.ok()) return ReportRpcError(status, inv.err);
  return Print(inv, response);
}

int RunRelationUpdate(const Invocation& inv) {
  auto name = RelationName(inv.args.positional()[0]);
  if (!name) return inv.UsageError(kBadRelation);
  auto etag = inv.args.Get("etag");
  if (!etag) return inv.UsageError("--etag is required (from relations get)");
  v1::UpdateAccountRelationRequest request;
  request.mutable_account_relation()->set_name(*name);
  std::vector<std::string> paths;
  if (!RelationFlags(inv, request.mutable_account_relation(), &paths)) return kExitUsage;
  if (paths.empty()) return inv.UsageError("nothing to update: give at least one field flag");
  FillUpdate(inv, paths, *etag, &request);
  auto clients = Connect(inv);
  if (!clients) return kExitUsage;
  v1::AccountRelation response;
  auto status =
      clients->relations->UpdateAccountRelation(clients->Context(inv).get(), request, &response);
  if (!status.ok()) return ReportRpcError(status, inv.err);
  return Print(inv, response);
}

int RunRelationList(const Invocation& inv) {
  auto contact = NameIn(inv.args.positional()[0], "contacts");
  if (!contact) return inv.UsageError(kBadName);
  v1::ListAccountRelationsRequest request;
  request.set_parent(*contact);
  if (!cli::FillListRequest(inv, &request)) return kExitUsage;
  auto clients = Connect(inv);
  if (!clients) return kExitUsage;
  return cli::RunListPages<v1::ListAccountRelationsRequest, v1::AccountRelation>(
      inv, request,
      [&](const v1::ListAccountRelationsRequest& page_request,
          std::vector<v1::AccountRelation>* items, std::string* next_page_token) {
        v1::ListAccountRelationsResponse response;
        auto status = clients->relations->ListAccountRelations(clients->Context(inv).get(),
                                                               page_request, &response);
        items->assign(response.account_relations().begin(), response.account_relations().end());
        *next_page_token = response.next_page_token();
        return status;
      },
      {"NAME", "ACCOUNT", "ROLES", "PRIMARY", "ETAG"},
      [](const v1::AccountRelation& relation) -> std::vector<std::string> {
        std::string roles;
        for (int role : relation.roles()) {
          roles += (roles.empty() ? "" : ",") + cli::EnumText(kRoles, role);
        }
        return {relation.name(), relation.account(), roles.empty() ? "-" : roles,
                relation.is_primary() ? "yes" : "no", relation.etag()};
      });
}

int RunRelationRemove(const Invocation& inv) {
  auto name = RelationName(inv.args.positional()[0]);
  if (!name) return inv.UsageError(kBadRelation);
  auto etag = inv.args.Get("etag");
  if (!etag) return inv.UsageError("--etag is required (from relations list)");
  v1::DeleteAccountRelationRequest request;
  request.set_name(*name);
  request.set_etag(*etag);
  request.set_request_id(inv.args.GetOr("request-id", ""));
  auto clients = Connect(inv);
  if (!clients) return kExitUsage;
  v1::AccountRelation response;
  auto status =
      clients->relations->DeleteAccountRelation(clients->Context(inv).get(), request, &response);
  if (!status.ok()) return ReportRpcError(status, inv.err);
  return Print(inv, response);
}

int RunKeyContacts(const Invocation& inv) {
  auto account = NameIn(inv.args.positional()[0], "accounts");
  if (!account) return inv.UsageError(kBadAccount);
  auto clients = Connect(inv);
  if (!clients) return kExitUsage;
  v1::ListKeyContactsRequest request;
  request.set_account(*account);
  v1::ListKeyContactsResponse response;
  auto status =
      clients->relations->ListKeyContacts(clients->Context(inv).get(), request, &response);
  if (!status.ok()) return ReportRpcError(status, inv.err);
  if (!inv.args.Bool("table")) return Print(inv, response);
  std::vector<std::vector<std::string>> rows = {
      {"ROLE", "PRIMARY", "CONTACT", "PERSON", "EMAIL", "PHONE"}};
  for (const auto& key : response.key_contacts()) {
    auto row = ContactRow(key.contact());
    rows.push_back({cli::EnumText(kRoles, key.role()), key.relation().is_primary() ? "yes" : "no",
                    row[0], row[1], row[3], row[4]});
  }
  cli::PrintTable(inv.out, rows);
  return kExitOk;
}

int RunDuplicates(const Invocation& inv) {
  v1::FindDuplicateContactsRequest request;
  if (!inv.args.positional().empty()) {
    auto name = NameIn(inv.args.positional()[0], "contacts");
    if (!name) return inv.UsageError(kBadName);
    request.set_name(*name);
  } else {
    std::vector<std::string> paths;
    if (!ApplyFieldFlags(inv, request.mutable_draft(), &paths)) return kExitUsage;
    if (paths.empty()) return inv.UsageError("give a contact NAME, or field flags of a draft");
  }
  for (const auto& text : inv.args.GetAll("account")) {
    auto account = NameIn(text, "accounts");
    if (!account) return inv.UsageError(kBadAccount);
    request.add_accounts(*account);
  }
  if (auto value = inv.args.Get("min-similarity")) {
    request.set_min_name_similarity(std::strtof(value->c_str(), nullptr));
  }
  if (auto value = inv.args.Get("max-results")) request.set_max_results(std::atoi(value->c_str()));
  auto clients = Connect(inv);
  if (!clients) return kExitUsage;
  v1::FindDuplicateContactsResponse response;
  auto status =
      clients->stewardship->FindDuplicateContacts(clients->Context(inv).get(), request, &response);
  if (!status.ok()) return ReportRpcError(status, inv.err);
  if (!inv.args.Bool("table")) return Print(inv, response);
  std::vector<std::vector<std::string>> rows = {
      {"SCORE", "REASONS", "CONTACT", "PERSON", "EMAIL", "PHONE"}};
  for (const auto& candidate : response.duplicates()) {
    std::string reasons;
    for (const auto& reason : candidate.reasons()) {
      if (!reasons.empty()) reasons += ",";
      reasons += v1::DuplicateReason::Kind_Name(reason.kind()).substr(5);  // KIND_
    }
    auto row = ContactRow(candidate.contact());
    char score[16];
    std::snprintf(score, sizeof score, "%.2f", candidate.score());
    rows.push_back({score, reasons, row[0], row[1], row[3], row[4]});
  }
  cli::PrintTable(inv.out, rows);
  return kExitOk;
}

int RunMerge(const Invocation& inv) {
  auto survivor = NameIn(inv.args.positional()[0], "contacts");
  auto duplicate = NameIn(inv.args.positional()[1], "contacts");
  if (!survivor || !duplicate) return inv.UsageError(kBadName);
  auto survivor_etag = inv.args.Get("survivor-etag");
  auto duplicate_etag = inv.args.Get("duplicate-etag");
  if (!survivor_etag || !duplicate_etag) {
    return inv.UsageError("--survivor-etag and --duplicate-etag are required (from get)");
  }
  v1::MergeContactsRequest request;
  request.set_survivor(*survivor);
  request.set_survivor_etag(*survivor_etag);
  request.set_duplicate(*duplicate);
  request.set_duplicate_etag(*duplicate_etag);
  request.set_request_id(inv.args.GetOr("request-id", ""));
  auto clients = Connect(inv);
  if (!clients) return kExitUsage;
  v1::MergeContactsResponse response;
  auto status =
      clients->stewardship->MergeContacts(clients->Context(inv).get(), request, &response);
  if (!status.ok()) return ReportRpcError(status, inv.err);
  return Print(inv, response);
}

int RunExport(const Invocation& inv) {
  auto name = NameIn(inv.args.positional()[0], "contacts");
  if (!name) return inv.UsageError(kBadName);
  auto clients = Connect(inv);
  if (!clients) return kExitUsage;
  v1::ExportContactDataRequest request;
  request.set_name(*name);
  v1::ContactDataExport response;
  auto status =
      clients->stewardship->ExportContactData(clients->Context(inv).get(), request, &response);
  if (!status.ok()) return ReportRpcError(status, inv.err);
  return Print(inv, response);
}

int RunErase(const Invocation& inv) {
  auto name = NameIn(inv.args.positional()[0], "contacts");
  if (!name) return inv.UsageError(kBadName);
  auto etag = inv.args.Get("etag");
  auto reason = inv.args.Get("erase-reason");
  if (!etag || !reason) return inv.UsageError("--etag and --erase-reason are required");
  v1::EraseContactRequest request;
  request.set_name(*name);
  request.set_etag(*etag);
  request.set_reason(*reason);
  request.set_request_id(inv.args.GetOr("request-id", ""));
  auto clients = Connect(inv);
  if (!clients) return kExitUsage;
  v1::EraseContactResponse response;
  auto status = clients->stewardship->EraseContact(clients->Context(inv).get(), request, &response);
  if (!status.ok()) return ReportRpcError(status, inv.err);
  return Print(inv, response);
}

int RunQuality(const Invocation& inv) {
  v1::GetDataQualityReportRequest request;
  if (auto account = inv.args.Get("account")) {
    auto name = NameIn(*account, "accounts");
    if (!name) return inv.UsageError(kBadAccount);
    request.set_account(*name);
  }
  request.set_owner(inv.args.GetOr("owner", ""));
  if (auto days = inv.args.Get("stale-days"))
    request.set_stale_after_days(std::atoi(days->c_str()));
  auto clients = Connect(inv);
  if (!clients) return kExitUsage;
  v1::DataQualityReport response;
  auto status =
      clients->stewardship->GetDataQualityReport(clients->Context(inv).get(), request, &response);
  if (!status.ok()) return ReportRpcError(status, inv.err);
  if (!inv.args.Bool("table")) return Print(inv, response);
  std::vector<std::vector<std::string>> rows = {{"ISSUE", "CONTACTS", "FIRST"}};
  for (const auto& issue : response.issues()) {
    rows.push_back({v1::DataQualityIssue::Kind_Name(issue.kind()).substr(5),  // KIND_
                    std::to_string(issue.count()),
                    issue.contacts_size() > 0 ? issue.contacts(0) : "-"});
  }
  cli::PrintTable(inv.out, rows);
  inv.out << response.contacts() << " contacts\n";
  return kExitOk;
}

// Calls RotateContactKeys until nothing remains under an older key, printing progress.
int RunRotateKeys(const Invocation& inv) {
  v1::RotateContactKeysRequest request;
  request.set_batch_size(std::atoi(inv.args.GetOr("batch", "500").c_str()));
  auto clients = Connect(inv);
  if (!clients) return kExitUsage;
  int64_t contacts = 0, interactions = 0;
  for (;;) {
    v1::RotateContactKeysResponse response;
    auto status =
        clients->stewardship->RotateContactKeys(clients->Context(inv).get(), request, &response);
    if (!status.ok()) return ReportRpcError(status, inv.err);
    contacts += response.contacts_resealed();
    interactions += response.interactions_resealed();
    inv.err << "\rkey " << response.active_key_id() << ": " << contacts << " contacts, "
            << interactions << " interactions resealed, " << response.remaining() << " to go"
            << std::flush;
    if (response.remaining() == 0) break;
    if (response.contacts_resealed() + response.interactions_resealed() == 0) {
      // What remains is locked by writers right now; they reseal it themselves. Try again soon.
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  }
  inv.err << "\n";
  return kExitOk;
}

std::vector<std::string> SplitOnSemicolons(const std::string& text) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(';', start);
    if (end == std::string::npos) end = text.size();
    if (end > start) parts.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return parts;
}

// A CSV row as a contact: columns by the header's names (see the command's description).
v1::ImportContactRow CsvRow(const std::vector<std::string>& header,
                            const std::vector<std::string>& fields, const std::string& system,
                            size_t line) {
  v1::ImportContactRow row;
  row.set_key(std::to_string(line));
  row.set_system(system);
  v1::Contact* contact = row.mutable_contact();
  for (size_t i = 0; i < header.size() && i < fields.size(); ++i) {
    const std::string& column = header[i];
    const std::string& value = fields[i];
    if (value.empty()) continue;
    if (column == "key") row.set_key(value);
    if (column == "system") row.set_system(value);
    if (column == "external_id") row.set_external_id(value);
    if (column == "given_name") contact->set_given_name(value);
    if (column == "family_name") contact->set_family_name(value);
    if (column == "job_title") contact->set_job_title(value);
    if (column == "department") contact->set_department(value);
    if (column == "emails") {
      for (const auto& email : SplitOnSemicolons(value)) contact->add_emails()->set_address(email);
    }
    if (column == "phones") {
      for (const auto& phone : SplitOnSemicolons(value)) contact->add_phones()->set_number(phone);
    }
    if (column == "address_lines") {
      for (const auto& line_text : SplitOnSemicolons(value)) {
        contact->mutable_address()->add_address_lines(line_text);
      }
    }
    if (column == "locality") contact->mutable_address()->set_locality(value);
    if (column == "postal_code") contact->mutable_address()->set_postal_code(value);
    if (column == "region") contact->mutable_address()->set_region_code(value);
    if (column == "time_zone") contact->set_time_zone(value);
    if (column == "language") contact->set_preferred_language(value);
    if (column == "labels") {
      for (const auto& label : SplitOnSemicolons(value)) contact->add_labels(label);
    }
    if (column == "owner") contact->set_owner(value);
    if (column == "notes") contact->set_notes(value);
    if (column == "kind") {
      if (auto kind = cli::ParseEnum(kKinds, value)) {
        contact->set_customer_kind(static_cast<v1::CustomerKind>(*kind));
      } else {
        contact->set_customer_kind(static_cast<v1::CustomerKind>(-1));  // refused by the service
      }
    }
    if (column == "status") {
      if (auto status = cli::ParseEnum(kStatuses, value)) {
        contact->set_status(static_cast<v1::ContactStatus>(*status));
      } else {
        contact->set_status(static_cast<v1::ContactStatus>(-1));
      }
    }
  }
  return row;
}

int RunImport(const Invocation& inv) {
  const std::string path = inv.args.positional()[0];
  csv::CsvInput input;
  if (auto error = csv::OpenCsv(path, {"external_id"}, &input); !error.empty()) {
    return inv.UsageError(error);
  }
  std::ifstream& in = input.in;
  const std::vector<std::string>& header = input.header;
  const double size = input.size;
  const std::string system = inv.args.GetOr("system", "");
  const int batch = std::clamp(std::atoi(inv.args.GetOr("batch", "500").c_str()), 1, 500);
  const std::string errors_path = inv.args.GetOr("errors", path + ".errors.csv");
  auto call = CallOptionsFor(inv, *FindService("contact"), true, std::chrono::hours(1));
  if (!call) return kExitUsage;
  auto stub = v1::ContactStewardshipService::NewStub(call->NewChannel());
  auto context = call->NewContext();
  v1::ImportContactsResponse response;
  auto writer = stub->ImportContacts(context.get(), &response);

  v1::ImportContactsRequest message;
  message.set_import_id(inv.args.GetOr("import-id", common::NewUuidV7()));
  size_t line = 1, sent = 0;
  bool open = true;
  auto progress = [&](bool last) { csv::DrawProgress(inv.err, in, size, sent, last); };
  std::vector<std::string> fields;
  while (open && ReadCsvRecord(in, &fields)) {
    ++line;
    if (fields.size() == 1 && fields[0].empty()) continue;  // a blank line
    *message.add_rows() = CsvRow(header, fields, system, line);
    if (message.rows_size() == batch) {
      sent += message.rows_size();
      open = writer->Write(message);
      message.Clear();
      progress(false);
    }
  }
  if (open && message.rows_size() > 0) {
    sent += message.rows_size();
    writer->Write(message);
  }
  writer->WritesDone();
  auto status = writer->Finish();
  progress(true);
  if (!status.ok()) return ReportRpcError(status, inv.err);

  std::ofstream errors(errors_path);
  errors << "key,code,fields,error\n";
  for (const auto& result : response.results()) {
    if (result.outcome() != v1::ImportRowResult::OUTCOME_FAILED) continue;
    std::string fields_text;
    for (const auto& field : result.fields())
      fields_text += (fields_text.empty() ? "" : ";") + field;
    errors << CsvField(result.key()) << "," << result.error_code() << "," << CsvField(fields_text)
           << "," << CsvField(result.error()) << "\n";
  }
  inv.out << "import " << response.import_id() << ": " << response.rows() << " rows, "
          << response.created() << " created, " << response.updated() << " updated, "
          << response.unchanged() << " unchanged, " << response.failed() << " failed"
          << (response.failed() > 0 ? " (see " + errors_path + ")" : "")
          << (response.results_truncated() ? "; only the first 10000 errors are listed" : "")
          << "\n";
  return response.failed() > 0 ? kExitFailure : kExitOk;
}

}  // namespace

// contact_engagement.cc: consents, interactions, follow-ups and appointments.
void RegisterContactEngagementCommands(Registry& registry);

void RegisterContactCommands(Registry& registry) {
  RegisterContactEngagementCommands(registry);
  registry.AddGroup("contacts", "Contacts (accord.contact.v1.ContactService).");
  std::vector<FlagSpec> create_flags = FieldFlags();
  create_flags.push_back(kRequestId);
  create_flags.push_back(kReason);
  std::vector<FlagSpec> update_flags = {{"etag", "ETAG", "The etag last read (required)."}};
  for (auto& flag : FieldFlags()) update_flags.push_back(std::move(flag));
  update_flags.push_back(kRequestId);
  update_flags.push_back(kReason);
  auto list_flags = cli::ListFlags("create_time (default) or update_time, optionally \" desc\".",
                                   "Print aligned columns: name, person, title, email, phone, "
                                   "status, owner.");
  list_flags.push_back(kReason);

  registry.Add({
      .path = {"contacts", "create"},
      .synopsis = "--family-name TEXT [field flags]",
      .summary = "Create a contact; prints it as JSON.",
      .description = "Phones are stored in E.164, read in --region (else the service's default\n"
                     "region) unless written with +country code; emails are lower-cased.",
      .flags = cli::WithRpcFlags(std::move(create_flags)),
      .run = RunCreate,
  });
  registry.Add({
      .path = {"contacts", "get"},
      .synopsis = "NAME",
      .summary = "Show one contact as JSON (personal fields masked unless you may see them).",
      .flags = cli::WithRpcFlags({kReason}),
      .min_positional = 1,
      .max_positional = 1,
      .run = RunGet,
  });
  registry.Add({
      .path = {"contacts", "list"},
      .synopsis = "",
      .summary = "List contacts: JSON lines, or a table.",
      .description = "Filter fields: owner, job_title, department, status, customer_kind,\n"
                     "preferred_channel, time_zone, labels, external_ids, create_time,\n"
                     "update_time. Personal fields cannot be filtered on; use lookup.",
      .flags = std::move(list_flags),
      .run = RunList,
  });
  registry.Add({
      .path = {"contacts", "update"},
      .synopsis = "NAME --etag ETAG [field flags]",
      .summary = "Change a contact; only the flags given are updated.",
      .flags = cli::WithRpcFlags(std::move(update_flags)),
      .min_positional = 1,
      .max_positional = 1,
      .run = RunUpdate,
  });
  registry.Add({
      .path = {"contacts", "delete"},
      .synopsis = "NAME --etag ETAG",
      .summary = "Soft-delete a contact; prints its final state.",
      .flags = cli::WithRpcFlags({{"etag", "ETAG", "The etag last read (required)."}, kRequestId}),
      .min_positional = 1,
      .max_positional = 1,
      .run = RunDelete,
  });
  registry.Add({
      .path = {"contacts", "lookup"},
      .synopsis = "--email ADDRESS | --phone NUMBER | --external-id SYSTEM=ID",
      .summary = "Find contacts by exact email, phone (any notation) or external id.",
      .flags = cli::WithRpcFlags({{"email", "ADDRESS", "Email address."},
                                  {"phone", "NUMBER", "Phone number."},
                                  {"external-id", "SYSTEM=ID", "Id in another system."},
                                  kReason}),
      .run = RunLookup,
  });

  std::vector<FlagSpec> duplicate_flags = FieldFlags();
  duplicate_flags.push_back(
      {"account", "ACCOUNT", "With a draft: an account it works with (repeat for several).", true});
  duplicate_flags.push_back(
      {"min-similarity", "0..1", "Lowest name similarity that counts (default 0.3)."});
  duplicate_flags.push_back({"max-results", "N", "At most this many (default 20, at most 100)."});
  duplicate_flags.push_back({"table", "", "Print aligned columns."});
  duplicate_flags.push_back(kReason);
  registry.Add({
      .path = {"contacts", "duplicates"},
      .synopsis = "[NAME] [field flags of a draft] [--account ACCOUNT]",
      .summary = "Likely duplicates of a contact, or of a draft, with score and reasons.",
      .flags = cli::WithRpcFlags(std::move(duplicate_flags)),
      .max_positional = 1,
      .run = RunDuplicates,
  });
  registry.Add({
      .path = {"contacts", "merge"},
      .synopsis = "SURVIVOR DUPLICATE --survivor-etag ETAG --duplicate-etag ETAG",
      .summary = "Fold DUPLICATE into SURVIVOR; DUPLICATE becomes a tombstone.",
      .flags = cli::WithRpcFlags({{"survivor-etag", "ETAG", "The survivor's etag (required)."},
                                  {"duplicate-etag", "ETAG", "The duplicate's etag (required)."},
                                  kRequestId,
                                  kReason}),
      .min_positional = 2,
      .max_positional = 2,
      .run = RunMerge,
  });
  registry.Add({
      .path = {"contacts", "export"},
      .synopsis = "NAME --reason TEXT",
      .summary = "Everything held about a contact, as JSON (admin; access-logged).",
      .flags = cli::WithRpcFlags({kReason}),
      .min_positional = 1,
      .max_positional = 1,
      .run = RunExport,
  });
  registry.Add({
      .path = {"contacts", "erase"},
      .synopsis = "NAME --etag ETAG --erase-reason TEXT",
      .summary = "Erase a contact's personal data, keeping an anonymous record (admin).",
      .flags = cli::WithRpcFlags({{"etag", "ETAG", "The etag last read (required)."},
                                  {"erase-reason", "TEXT", "Why, e.g. the request's reference."},
                                  kRequestId}),
      .min_positional = 1,
      .max_positional = 1,
      .run = RunErase,
  });

  registry.Add({
      .path = {"contacts", "import"},
      .synopsis = "FILE.csv [--system SYSTEM] [--errors FILE]",
      .summary = "Upsert contacts from a CSV file by external id; failed rows go to a file.",
      .description =
          "The first line names the columns: external_id (required), system (or --system),\n"
          "key (default: the line number), given_name, family_name, job_title, department,\n"
          "emails, phones, address_lines, labels (several separated by ;), locality,\n"
          "postal_code, region, time_zone, language, owner, notes, kind, status. Rows are\n"
          "streamed in batches; each succeeds or fails on its own, and an import run again\n"
          "changes only what changed. Exit status 1 when a row failed.",
      .flags = cli::WithRpcFlags(
          {{"system", "SYSTEM", "Source system of rows without a system column, e.g. crm."},
           {"errors", "FILE", "Where failed rows are written (default FILE.csv.errors.csv)."},
           {"batch", "N", "Rows per streamed message (default and at most 500)."},
           {"import-id", "UUID", "Name of the import (default: a new one)."}}),
      .min_positional = 1,
      .max_positional = 1,
      .run = RunImport,
  });

  registry.Add({
      .path = {"contacts", "quality"},
      .synopsis = "[--account ACCOUNT] [--owner SUBJECT]",
      .summary = "Data-quality report: contacts to correct, per kind of problem.",
      .flags = cli::WithRpcFlags({{"account", "ACCOUNT", "The contacts of this account."},
                                  {"owner", "SUBJECT", "The contacts of this owner."},
                                  {"stale-days", "N", "Stale after N days untouched (365)."},
                                  {"table", "", "Print aligned columns."}}),
      .run = RunQuality,
  });
  registry.Add({
      .path = {"contacts", "rotate-keys"},
      .synopsis = "[--batch N]",
      .summary = "Reseal personal data under the active key, in batches, while serving.",
      .description = "Run after putting the new key first in ACCORD_CONTACT_PII_KEYS and\n"
                     "restarting the service; when it ends, the old key may be removed.",
      .flags = cli::WithRpcFlags({{"batch", "N", "Rows per call (default 500, at most 5000)."}}),
      .run = RunRotateKeys,
  });

  registry.AddGroup("relations",
                    "Contacts' relations to accounts "
                    "(accord.contact.v1.ContactAccountRelationService).");
  registry.Add({
      .path = {"relations", "add"},
      .synopsis = "CONTACT ACCOUNT [--role ROLE,...] [--primary]",
      .summary = "Relate a contact to an account (which must exist in the account service).",
      .flags = cli::WithRpcFlags({{"role", "ROLES", "Roles: " + cli::Choices(kRoles) + ".", true},
                                  {"primary", "", "The account's main contact."},
                                  {"start-date", "YYYY-MM-DD", "First day."},
                                  {"end-date", "YYYY-MM-DD", "Last day."},
                                  kRequestId}),
      .min_positional = 2,
      .max_positional = 2,
      .run = RunRelationAdd,
  });
  registry.Add({
      .path = {"relations", "list"},
      .synopsis = "CONTACT",
      .summary = "List a contact's relations (CONTACT - for every contact).",
      .description = "Filter fields: account, is_primary, create_time, update_time.",
      .flags = cli::ListFlags("create_time (default), optionally \" desc\".",
                              "Print aligned columns: name, account, roles, primary, etag."),
      .min_positional = 1,
      .max_positional = 1,
      .run = RunRelationList,
  });
  registry.Add({
      .path = {"relations", "get"},
      .synopsis = "NAME",
      .summary = "Show one relation (contacts/ID/accountRelations/ID).",
      .flags = cli::WithRpcFlags({}),
      .min_positional = 1,
      .max_positional = 1,
      .run = RunRelationGet,
  });
  registry.Add({
      .path = {"relations", "update"},
      .synopsis = "NAME --etag ETAG [--role ROLE,...] [--primary true|false] [--end-date D]",
      .summary = "Change a relation's roles, primacy or dates (only the flags given).",
      .flags = cli::WithRpcFlags({{"etag", "ETAG", "The etag last read (required)."},
                                  {"role", "ROLES", "Roles: " + cli::Choices(kRoles) + ".", true},
                                  {"primary", "BOOL", "true or false."},
                                  {"start-date", "YYYY-MM-DD", "First day."},
                                  {"end-date", "YYYY-MM-DD", "Last day."},
                                  kRequestId}),
      .min_positional = 1,
      .max_positional = 1,
      .run = RunRelationUpdate,
  });
  registry.Add({
      .path = {"relations", "remove"},
      .synopsis = "NAME --etag ETAG",
      .summary = "End a relation (soft delete); prints its final state.",
      .flags = cli::WithRpcFlags({{"etag", "ETAG", "The etag last read (required)."}, kRequestId}),
      .min_positional = 1,
      .max_positional = 1,
      .run = RunRelationRemove,
  });
  registry.Add({
      .path = {"key-contacts"},
      .synopsis = "ACCOUNT",
      .summary = "An account's key contacts, ordered by role.",
      .flags = cli::WithRpcFlags({{"table", "", "Print aligned columns."}, kReason}),
      .min_positional = 1,
      .max_positional = 1,
      .run = RunKeyContacts,
  });
}

}  // namespace accord::accordctl
