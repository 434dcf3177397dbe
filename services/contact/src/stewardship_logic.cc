#include "stewardship_logic.h"

#include <algorithm>

#include "accord/common/errors.h"
#include "accord/common/idempotency.h"
#include "contact_fields.h"
#include "stewardship_rules.h"

namespace accord::contact {
namespace {

using common::Role;

absl::Status CheckAdmin(const common::Principal& caller, std::string_view what) {
  if (caller.Has(Role::kAdmin)) return absl::OkStatus();
  return common::PermissionDenied("NOT_ALLOWED", "only admin may " + std::string(what));
}

}  // namespace

std::vector<std::pair<ContactRecord, v1::DuplicateCandidate>> RankDuplicates(
    std::vector<DuplicateMatch> matches, float min_similarity, int max_results) {
  std::vector<std::pair<ContactRecord, v1::DuplicateCandidate>> ranked;
  for (auto& match : matches) {
    const float similarity =
        TrigramSimilarity(match.shared_trigrams, match.trigram_count, match.probe_trigram_count);
    const bool similar_name =
        !match.shared_accounts.empty() && similarity >= min_similarity && match.shared_trigrams > 0;
    if (!match.same_email && !match.same_phone && !similar_name) continue;
    v1::DuplicateCandidate candidate;
    candidate.set_score(
        DuplicateScore(match.same_email, match.same_phone, similar_name ? similarity : 0));
    if (match.same_email) candidate.add_reasons()->set_kind(v1::DuplicateReason::KIND_SAME_EMAIL);
    if (match.same_phone) candidate.add_reasons()->set_kind(v1::DuplicateReason::KIND_SAME_PHONE);
    if (similar_name) {
      auto* reason = candidate.add_reasons();
      reason->set_kind(v1::DuplicateReason::KIND_SIMILAR_NAME);
      reason->set_similarity(similarity);
      std::sort(match.shared_accounts.begin(), match.shared_accounts.end());
      reason->set_account(AccountName(match.shared_accounts.front()));
    }
    ranked.emplace_back(std::move(match.record), std::move(candidate));
  }
  std::stable_sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) {
    return a.second.score() > b.second.score();
  });
  if (ranked.size() > static_cast<size_t>(max_results)) ranked.resize(max_results);
  return ranked;
}

StewardshipLogic::StewardshipLogic(ContactRepository& contacts, StewardshipRepository& repository,
                                   ContactAccess& access, ContactPresenter& presenter,
                                   AccessLog& log, std::string default_region)
    : contacts_(contacts),
      repository_(repository),
      access_(access),
      presenter_(presenter),
      log_(log),
      default_region_(std::move(default_region)) {}

absl::StatusOr<v1::FindDuplicateContactsResponse> StewardshipLogic::FindDuplicates(
    const Caller& caller, const v1::FindDuplicateContactsRequest& request) {
  common::Violations violations;
  DuplicateProbe probe;
  Contact subject;
  std::vector<std::string> accounts;
  switch (request.subject_case()) {
    case v1::FindDuplicateContactsRequest::kName: {
      auto id = ParseContactName(request.name(), "name");
      MergeViolations(id.status(), violations);
      if (id.ok()) probe.exclude_id = *id;
      break;
    }
    case v1::FindDuplicateContactsRequest::kDraft:
      subject = request.draft();
      // Checked as CreateContact would, with its defaults.
      if (subject.status() == v1::CONTACT_STATUS_UNSPECIFIED) {
        subject.set_status(v1::CONTACT_STATUS_ACTIVE);
      }
      NormalizeAndValidate(subject, "draft.", default_region_, violations);
      break;
    default:
      violations.Add("name", "required: name a contact, or send a draft");
  }
  for (int i = 0; i < request.accounts_size(); ++i) {
    auto account = ParseAccountName(request.accounts(i), "accounts[" + std::to_string(i) + "]");
    MergeViolations(account.status(), violations);
    if (account.ok()) accounts.push_back(*account);
  }
  const float min_similarity =
      request.min_name_similarity() == 0 ? kDefaultNameSimilarity : request.min_name_similarity();
  if (!(min_similarity > 0 && min_similarity <= 1)) {
    violations.Add("min_name_similarity", "must be between 0 and 1");
  }
  const int max_results =
      request.max_results() == 0 ? kDefaultDuplicateResults : request.max_results();
  if (max_results < 1 || max_results > kMaxDuplicateResults) {
    violations.Add("max_results", "must be between 1 and " + std::to_string(kMaxDuplicateResults));
  }
  ACCORD_RETURN_IF_ERROR(violations.ToStatus());

  if (!probe.exclude_id.empty()) {
    ACCORD_ASSIGN_OR_RETURN(ContactRecord record, contacts_.Get(probe.exclude_id));
    subject = std::move(record.contact);
    for (const auto& id : record.facts.account_ids) accounts.push_back(id);
  }
  for (const auto& email : subject.emails()) probe.emails.push_back(email.address());
  for (const auto& phone : subject.phones()) probe.phones.push_back(phone.number());
  probe.full_name = FullName(subject);
  std::sort(accounts.begin(), accounts.end());
  accounts.erase(std::unique(accounts.begin(), accounts.end()), accounts.end());
  probe.account_ids = std::move(accounts);
  probe.min_name_similarity = min_similarity;

  ACCORD_ASSIGN_OR_RETURN(auto matches, repository_.FindDuplicates(probe, 1000));
  auto ranked = RankDuplicates(std::move(matches), min_similarity, max_results);
  std::vector<ContactRecord> records;
  for (auto& [record, candidate] : ranked) records.push_back(std::move(record));
  ACCORD_ASSIGN_OR_RETURN(auto contacts, presenter_.Present(caller, std::move(records)));
  v1::FindDuplicateContactsResponse response;
  for (size_t i = 0; i < ranked.size(); ++i) {
    auto* candidate = response.add_duplicates();
    *candidate = std::move(ranked[i].second);
    *candidate->mutable_contact() = std::move(contacts[i]);
  }
  return response;
}

absl::StatusOr<v1::MergeContactsResponse> StewardshipLogic::Merge(
    const Caller& caller, const v1::MergeContactsRequest& request, WriteMeta meta) {
  common::Violations violations;
  auto survivor_id = ParseContactName(request.survivor(), "survivor");
  auto duplicate_id = ParseContactName(request.duplicate(), "duplicate");
  MergeViolations(survivor_id.status(), violations);
  MergeViolations(duplicate_id.status(), violations);
  if (survivor_id.ok() && duplicate_id.ok() && *survivor_id == *duplicate_id) {
    violations.Add("duplicate", "must name another contact than survivor");
  }
  if (request.survivor_etag().empty()) violations.Add("survivor_etag", "required");
  if (request.duplicate_etag().empty()) violations.Add("duplicate_etag", "required");
  MergeViolations(common::IdempotencyKeys::Validate(request.request_id()), violations);
  meta.request_id = request.request_id();
  ACCORD_RETURN_IF_ERROR(violations.ToStatus());
  if (!caller.principal.HasAny({Role::kAdmin, Role::kAccountManager})) {
    return common::PermissionDenied("NOT_ALLOWED",
                                    "only admin and account_manager may merge contacts");
  }
  ContactFacts facts;
  ACCORD_ASSIGN_OR_RETURN(v1::MergeContactsResponse merged,
                          repository_.Merge(
                              *survivor_id, *duplicate_id,
                              [&](const ContactRecord& survivor,
                                  const ContactRecord& duplicate) -> absl::StatusOr<Contact> {
                                // Under both row locks: who may change them, and whether the caller
                                // saw them as they are.
                                ACCORD_RETURN_IF_ERROR(access_.CheckChange(
                                    caller, survivor.facts, survivor.contact.name()));
                                ACCORD_RETURN_IF_ERROR(access_.CheckChange(
                                    caller, duplicate.facts, duplicate.contact.name()));
                                if (request.survivor_etag() != survivor.contact.etag()) {
                                  return common::EtagMismatch(survivor.contact.name());
                                }
                                if (request.duplicate_etag() != duplicate.contact.etag()) {
                                  return common::EtagMismatch(duplicate.contact.name());
                                }
                                facts.owner = survivor.facts.owner;
                                facts.account_ids = survivor.facts.account_ids;
                                for (const auto& id : duplicate.facts.account_ids)
                                  facts.account_ids.push_back(id);
                                return MergeContactFields(survivor.contact, duplicate.contact);
                              },
                              meta));
  // A retried request is answered from the store without running the change: its facts are the
  // stored survivor's owner (the masking then errs towards hiding).
  if (facts.owner.empty()) facts.owner = merged.survivor().owner();
  std::vector<ContactRecord> records(2);
  records[0] = {merged.survivor(), facts};
  records[1] = {merged.duplicate(), facts};
  ACCORD_ASSIGN_OR_RETURN(auto shown, presenter_.Present(caller, std::move(records)));
  *merged.mutable_survivor() = std::move(shown[0]);
  *merged.mutable_duplicate() = std::move(shown[1]);
  return merged;
}

absl::StatusOr<v1::ContactDataExport> StewardshipLogic::Export(
    const Caller& caller, const v1::ExportContactDataRequest& request) {
  ACCORD_ASSIGN_OR_RETURN(std::string id, ParseContactName(request.name(), "name"));
  ACCORD_RETURN_IF_ERROR(CheckAdmin(caller.principal, "export a contact's data"));
  ACCORD_ASSIGN_OR_RETURN(v1::ContactDataExport data, repository_.Export(id));
  // Logged before it leaves, like every unmasked read.
  std::vector<std::string> fields = PersonalFieldsPresent(data.contact());
  if (std::any_of(data.interactions().begin(), data.interactions().end(),
                  [](const auto& interaction) { return !interaction.summary().empty(); })) {
    fields.push_back("interactions.summary");
  }
  if (!fields.empty()) ACCORD_RETURN_IF_ERROR(log_.Append(caller, {{id, fields}}));
  return data;
}

absl::StatusOr<v1::RotateContactKeysResponse> StewardshipLogic::RotateKeys(
    const Caller& caller, const v1::RotateContactKeysRequest& request) {
  const int batch = request.batch_size() == 0 ? 500 : request.batch_size();
  if (batch < 1 || batch > 5000) {
    return common::InvalidArgument("batch_size", "must be between 1 and 5000");
  }
  ACCORD_RETURN_IF_ERROR(CheckAdmin(caller.principal, "rotate the personal-data keys"));
  return repository_.RotateKeys(batch);
}

absl::StatusOr<v1::EraseContactResponse> StewardshipLogic::Erase(
    const Caller& caller, const v1::EraseContactRequest& request, WriteMeta meta) {
  common::Violations violations;
  auto id = ParseContactName(request.name(), "name");
  MergeViolations(id.status(), violations);
  if (request.etag().empty()) violations.Add("etag", "required");
  if (IsBlank(request.reason())) {
    violations.Add("reason", "required: say why (e.g. the erasure request's reference)");
  }
  MergeViolations(common::IdempotencyKeys::Validate(request.request_id()), violations);
  meta.request_id = request.request_id();
  ACCORD_RETURN_IF_ERROR(violations.ToStatus());
  ACCORD_RETURN_IF_ERROR(CheckAdmin(caller.principal, "erase a contact"));
  return repository_.Erase(
      *id,
      [&](const ContactRecord& current) -> absl::Status {
        if (request.etag() != current.contact.etag()) {
          return common::EtagMismatch(current.contact.name());
        }
        return absl::OkStatus();
      },
      request.reason(), caller.principal.subject, meta);
}

}  // namespace accord::contact
