#include "engagement_logic.h"

#include <google/protobuf/util/time_util.h>

#include <algorithm>
#include <map>
#include <tuple>

#include "absl/time/clock.h"
#include "accord/common/filter.h"
#include "accord/common/idempotency.h"
#include "accord/common/ids.h"
#include "accord/common/paging.h"
#include "accord/common/resource_name.h"
#include "contact_fields.h"

namespace accord::contact {
namespace {

namespace filter = common::filter;
using common::Role;
using google::protobuf::util::TimeUtil;

constexpr int64_t kDayMicros = 86400LL * 1000000;

int64_t Micros(const google::protobuf::Timestamp& t) {
  return TimeUtil::TimestampToMicroseconds(t);
}

// absl's clock: protobuf's GetCurrentTime is whole seconds on some builds, which would order a
// decision made now before one recorded earlier in the same second.
int64_t NowMicros() { return absl::ToUnixMicros(absl::Now()); }

// Timestamps from 1970 to 9999, as Postgres and the keyset tokens take them.
bool IsPlausibleTime(const google::protobuf::Timestamp& t) {
  return t.seconds() >= 0 && t.seconds() < 253402300800LL && t.nanos() >= 0 &&
         t.nanos() < 1000000000;
}

// The parent of a List: one contact, or every contact for `contacts/-`.
absl::StatusOr<std::optional<std::string>> ParseListParent(const std::string& parent) {
  if (parent == "contacts/-") return std::optional<std::string>();
  ACCORD_ASSIGN_OR_RETURN(std::string id, ParseContactName(parent, "parent"));
  return std::optional<std::string>(std::move(id));
}

}  // namespace

absl::Status CheckEngagementWrite(const common::Principal& caller, bool manages,
                                  std::string_view contact) {
  if (caller.HasAny(
          {Role::kAdmin, Role::kSalesAssistant, Role::kServiceAgent, Role::kServiceSupervisor})) {
    return absl::OkStatus();
  }
  if (caller.Has(Role::kAccountManager) && manages) return absl::OkStatus();
  return common::PermissionDenied(
      "NOT_ALLOWED", caller.subject + " may not record consent, interactions or follow-ups of " +
                         std::string(contact));
}

absl::Status CheckEngagementRead(const common::Principal& caller) {
  if (caller.HasAny({Role::kAdmin, Role::kAccountManager, Role::kSalesAssistant,
                     Role::kServiceAgent, Role::kServiceSupervisor})) {
    return absl::OkStatus();
  }
  return common::PermissionDenied("NOT_ALLOWED",
                                  caller.subject + " may not read consent or interactions");
}

void ValidateConsent(const ConsentRecord& record, int64_t now_micros, const std::string& prefix,
                     common::Violations& violations) {
  if (record.channel() == 0 || !v1::ConsentChannel_IsValid(record.channel())) {
    violations.Add(prefix + "channel", "required: PHONE, EMAIL, SMS or LETTER");
  }
  if (record.purpose() == 0 || !v1::ConsentPurpose_IsValid(record.purpose())) {
    violations.Add(prefix + "purpose", "required: MARKETING or SERVICE");
  }
  if (record.decision() == 0 || !v1::ConsentDecision_IsValid(record.decision())) {
    violations.Add(prefix + "decision", "required: GRANTED or WITHDRAWN");
  }
  if (IsBlank(record.source())) {
    violations.Add(prefix + "source", "required: where the decision came from");
  }
  CheckText(record.source(), prefix + "source", kMaxSourceLength, false, violations);
  if (record.has_decision_time()) {
    if (!IsPlausibleTime(record.decision_time())) {
      violations.Add(prefix + "decision_time", "not a time between 1970 and 9999");
    } else if (Micros(record.decision_time()) > now_micros + 60LL * 1000000) {
      violations.Add(prefix + "decision_time", "is in the future");
    }
  }
}

std::vector<ConsentRecord> CurrentConsents(const std::vector<ConsentRecord>& ledger) {
  std::map<std::pair<int, int>, const ConsentRecord*> latest;
  const auto key = [](const ConsentRecord& r) {
    return std::make_tuple(Micros(r.decision_time()), Micros(r.record_time()), r.name());
  };
  for (const auto& record : ledger) {
    auto& slot = latest[{record.channel(), record.purpose()}];
    if (slot == nullptr || key(*slot) < key(record)) slot = &record;
  }
  std::vector<ConsentRecord> out;
  for (const auto& [unused, record] : latest) out.push_back(*record);
  return out;
}

bool HasConsent(const std::vector<ConsentRecord>& ledger, v1::ConsentChannel channel,
                v1::ConsentPurpose purpose) {
  for (const auto& record : CurrentConsents(ledger)) {
    if (record.channel() == channel && record.purpose() == purpose) {
      return record.decision() == v1::CONSENT_DECISION_GRANTED;
    }
  }
  return false;
}

void ValidateInteraction(const Interaction& interaction, int64_t now_micros,
                         const std::string& prefix, common::Violations& violations) {
  if (interaction.channel() == 0 || !v1::InteractionChannel_IsValid(interaction.channel())) {
    violations.Add(prefix + "channel", "required: one of the InteractionChannel values");
  }
  if (!v1::InteractionOutcome_IsValid(interaction.outcome())) {
    violations.Add(prefix + "outcome", "unknown outcome " + std::to_string(interaction.outcome()));
  }
  if (interaction.has_interaction_time()) {
    if (!IsPlausibleTime(interaction.interaction_time())) {
      violations.Add(prefix + "interaction_time", "not a time between 1970 and 9999");
    } else if (Micros(interaction.interaction_time()) > now_micros + kDayMicros) {
      violations.Add(prefix + "interaction_time", "more than a day in the future");
    }
  }
  if (interaction.duration_seconds() < 0 || interaction.duration_seconds() > kMaxDurationSeconds) {
    violations.Add(prefix + "duration_seconds", "between 0 and 86400");
  }
  CheckText(interaction.subject(), prefix + "subject", kMaxSubjectLength, false, violations);
  CheckText(interaction.summary(), prefix + "summary", kMaxSummaryLength, false, violations);
  CheckText(interaction.owner(), prefix + "owner", kMaxTextLength, false, violations);
  if (!interaction.campaign().empty()) {
    MergeViolations(ParseCampaignName(interaction.campaign(), prefix + "campaign").status(),
                    violations);
  }
  if (!interaction.account().empty()) {
    MergeViolations(ParseAccountName(interaction.account(), prefix + "account").status(),
                    violations);
  }
}

InteractionEffects EffectsOf(const Interaction& interaction, std::string_view interaction_name,
                             const google::protobuf::Timestamp& when) {
  InteractionEffects effects;
  if (interaction.outcome() == v1::INTERACTION_OUTCOME_DO_NOT_CALL_REQUESTED) {
    effects.set_do_not_call = true;
    for (auto purpose : {v1::CONSENT_PURPOSE_MARKETING, v1::CONSENT_PURPOSE_SERVICE}) {
      ConsentRecord record;
      record.set_channel(v1::CONSENT_CHANNEL_PHONE);
      record.set_purpose(purpose);
      record.set_decision(v1::CONSENT_DECISION_WITHDRAWN);
      *record.mutable_decision_time() = when;
      record.set_source("interaction:" + std::string(interaction_name));
      effects.consents.push_back(std::move(record));
    }
  }
  if (interaction.outcome() == v1::INTERACTION_OUTCOME_WRONG_NUMBER) {
    effects.mark_phone_unverified = true;
  }
  return effects;
}

void ValidateFollowUp(const FollowUp& follow_up, const std::string& prefix,
                      common::Violations& violations) {
  if (!follow_up.has_due_time()) {
    violations.Add(prefix + "due_time", "required: when it is due");
  } else if (!IsPlausibleTime(follow_up.due_time())) {
    violations.Add(prefix + "due_time", "not a time between 1970 and 9999");
  }
  if (!v1::FollowUpStatus_IsValid(follow_up.status())) {
    violations.Add(prefix + "status", "unknown status " + std::to_string(follow_up.status()));
  }
  CheckText(follow_up.subject(), prefix + "subject", kMaxSubjectLength, false, violations);
  CheckText(follow_up.owner(), prefix + "owner", kMaxTextLength, false, violations);
}

absl::Status CheckFollowUpTransition(const FollowUp& current, v1::FollowUpStatus next) {
  if (current.status() == v1::FOLLOW_UP_STATUS_OPEN || current.status() == next) {
    return absl::OkStatus();
  }
  return common::FailedPrecondition(
      "FOLLOW_UP_CLOSED", current.name() + " is " + v1::FollowUpStatus_Name(current.status()) +
                              ": a closed follow-up does not change");
}

EngagementLogic::EngagementLogic(EngagementRepository& repository, ContactAccess& access,
                                 const common::PageTokenCodec& page_tokens)
    : repository_(repository), access_(access), page_tokens_(page_tokens) {}

absl::Status EngagementLogic::CheckWrite(const Caller& caller, const std::string& contact_id) {
  ACCORD_ASSIGN_OR_RETURN(ContactFacts facts, repository_.Facts(contact_id));
  const auto& principal = caller.principal;
  // An account manager's right depends on the account service; the others' does not.
  if (!principal.HasAny(
          {Role::kAdmin, Role::kSalesAssistant, Role::kServiceAgent, Role::kServiceSupervisor}) &&
      principal.Has(Role::kAccountManager)) {
    return access_.CheckChange(caller, facts, ContactName(contact_id));
  }
  return CheckEngagementWrite(principal, false, ContactName(contact_id));
}

absl::StatusOr<v1::ConsentState> EngagementLogic::StateOf(const std::string& contact_id,
                                                          const ConsentSnapshot& snapshot) {
  v1::ConsentState state;
  state.set_contact(ContactName(contact_id));
  state.set_do_not_call(snapshot.flags.do_not_call);
  state.set_do_not_email(snapshot.flags.do_not_email);
  state.set_phone_unverified(snapshot.flags.phone_unverified);
  state.set_etag(std::to_string(snapshot.flags.version));
  for (auto& record : CurrentConsents(snapshot.ledger)) *state.add_current() = std::move(record);
  return state;
}

absl::StatusOr<ConsentRecord> EngagementLogic::RecordConsent(
    const Caller& caller, const v1::RecordConsentRequest& request, WriteMeta meta) {
  common::Violations violations;
  auto contact_id = ParseContactName(request.parent(), "parent");
  MergeViolations(contact_id.status(), violations);
  MergeViolations(common::IdempotencyKeys::Validate(request.request_id()), violations);
  ValidateConsent(request.consent(), NowMicros(), "consent.", violations);
  ACCORD_RETURN_IF_ERROR(violations.ToStatus());
  ACCORD_RETURN_IF_ERROR(CheckWrite(caller, *contact_id));
  ConsentRecord record = request.consent();
  record.clear_name();
  record.set_recorded_by(caller.principal.subject);
  record.clear_record_time();
  return repository_.AppendConsent(*contact_id, record, meta);
}

absl::StatusOr<v1::ListConsentsResponse> EngagementLogic::ListConsents(
    const Caller& caller, const v1::ListConsentsRequest& request) {
  ACCORD_RETURN_IF_ERROR(CheckEngagementRead(caller.principal));
  ChildListQuery query;
  ACCORD_ASSIGN_OR_RETURN(std::string contact_id, ParseContactName(request.parent(), "parent"));
  query.contact_id = contact_id;
  ACCORD_ASSIGN_OR_RETURN(common::PageStart start,
                          common::StartPage(page_tokens_, request.page_size(), request.page_token(),
                                            "consents\n" + request.parent()));
  query.limit = start.limit;
  query.after = start.after;
  query.descending = true;
  ACCORD_ASSIGN_OR_RETURN(auto page, repository_.ListConsents(query));
  v1::ListConsentsResponse response;
  const size_t returned = common::PageRows(start, page.items);
  for (size_t i = 0; i < returned; ++i) *response.add_consents() = std::move(page.items[i]);
  response.set_next_page_token(
      common::NextPageToken(page_tokens_, start, returned, page.items.size(), page.keys));
  return response;
}

absl::StatusOr<v1::ConsentState> EngagementLogic::GetConsentState(
    const Caller& caller, const v1::GetConsentStateRequest& request) {
  ACCORD_RETURN_IF_ERROR(CheckEngagementRead(caller.principal));
  ACCORD_ASSIGN_OR_RETURN(std::string contact_id, ParseContactName(request.contact(), "contact"));
  ACCORD_ASSIGN_OR_RETURN(ConsentSnapshot snapshot, repository_.Consents(contact_id));
  return StateOf(contact_id, snapshot);
}

absl::StatusOr<v1::ConsentState> EngagementLogic::UpdateContactFlags(
    const Caller& caller, const v1::UpdateContactFlagsRequest& request, WriteMeta meta) {
  common::Violations violations;
  auto contact_id = ParseContactName(request.contact(), "contact");
  MergeViolations(contact_id.status(), violations);
  if (request.etag().empty()) {
    violations.Add("etag", "required: send ConsentState.etag as you last read it");
  }
  if (!request.has_do_not_call() && !request.has_do_not_email()) {
    violations.Add("do_not_call", "set do_not_call, do_not_email or both");
  }
  MergeViolations(common::IdempotencyKeys::Validate(request.request_id()), violations);
  ACCORD_RETURN_IF_ERROR(violations.ToStatus());
  ACCORD_RETURN_IF_ERROR(CheckWrite(caller, *contact_id));
  ACCORD_ASSIGN_OR_RETURN(
      ConsentSnapshot snapshot,
      repository_.UpdateFlags(
          *contact_id,
          [&](const ContactFlags& current) -> absl::StatusOr<ContactFlags> {
            if (request.etag() != std::to_string(current.version)) {
              return common::EtagMismatch(ContactName(*contact_id) + "/consentState");
            }
            ContactFlags next = current;
            if (request.has_do_not_call()) next.do_not_call = request.do_not_call();
            if (request.has_do_not_email()) next.do_not_email = request.do_not_email();
            return next;
          },
          meta));
  return StateOf(*contact_id, snapshot);
}

absl::StatusOr<Interaction> EngagementLogic::CreateInteraction(
    const Caller& caller, const v1::CreateInteractionRequest& request, WriteMeta meta) {
  common::Violations violations;
  auto contact_id = ParseContactName(request.parent(), "parent");
  MergeViolations(contact_id.status(), violations);
  MergeViolations(common::IdempotencyKeys::Validate(request.request_id()), violations);
  ValidateInteraction(request.interaction(), NowMicros(), "interaction.", violations);
  ACCORD_RETURN_IF_ERROR(violations.ToStatus());
  ACCORD_RETURN_IF_ERROR(CheckWrite(caller, *contact_id));
  Interaction interaction = request.interaction();
  interaction.clear_name();
  interaction.clear_create_time();
  if (interaction.owner().empty()) interaction.set_owner(caller.principal.subject);
  if (!interaction.has_interaction_time()) {
    *interaction.mutable_interaction_time() = TimeUtil::MicrosecondsToTimestamp(NowMicros());
  }
  if (!interaction.campaign().empty()) {
    interaction.set_campaign("campaigns/" + *ParseCampaignName(interaction.campaign(), ""));
  }
  if (!interaction.account().empty()) {
    interaction.set_account(AccountName(*ParseAccountName(interaction.account(), "")));
  }
  // The id is chosen here so the effects' ledger entries can name the interaction.
  interaction.set_name(ChildName(*contact_id, "interactions", common::NewUuidV7()));
  const InteractionEffects effects =
      EffectsOf(interaction, interaction.name(), interaction.interaction_time());
  return repository_.CreateInteraction(*contact_id, interaction, effects, meta);
}

absl::StatusOr<Interaction> EngagementLogic::GetInteraction(
    const Caller& caller, const v1::GetInteractionRequest& request) {
  ACCORD_RETURN_IF_ERROR(CheckEngagementRead(caller.principal));
  ACCORD_ASSIGN_OR_RETURN(ChildId id, ParseChildName(request.name(), "interactions", "name"));
  return repository_.GetInteraction(id.contact_id, id.id);
}

absl::StatusOr<v1::ListInteractionsResponse> EngagementLogic::ListInteractions(
    const Caller& caller, const v1::ListInteractionsRequest& request) {
  ACCORD_RETURN_IF_ERROR(CheckEngagementRead(caller.principal));
  ChildListQuery query;
  ACCORD_ASSIGN_OR_RETURN(query.contact_id, ParseListParent(request.parent()));
  ACCORD_ASSIGN_OR_RETURN(OrderBy order, ParseOrderBy(request.order_by(), {"interaction_time"}));
  ACCORD_ASSIGN_OR_RETURN(filter::SqlFilter compiled,
                          filter::Compile(request.filter(), repository_.InteractionFilterSchema()));
  ACCORD_ASSIGN_OR_RETURN(
      common::PageStart start,
      common::StartPage(page_tokens_, request.page_size(), request.page_token(),
                        request.parent() + "\n" + request.filter() + "\n" + order.canonical));
  query.limit = start.limit;
  query.after = start.after;
  query.descending = order.descending;
  query.filter_sql = std::move(compiled.where);
  query.filter_params = std::move(compiled.params);
  ACCORD_ASSIGN_OR_RETURN(auto page, repository_.ListInteractions(query));
  v1::ListInteractionsResponse response;
  const size_t returned = common::PageRows(start, page.items);
  for (size_t i = 0; i < returned; ++i) *response.add_interactions() = std::move(page.items[i]);
  response.set_next_page_token(
      common::NextPageToken(page_tokens_, start, returned, page.items.size(), page.keys));
  return response;
}

absl::StatusOr<FollowUp> EngagementLogic::CreateFollowUp(const Caller& caller,
                                                         const v1::CreateFollowUpRequest& request,
                                                         WriteMeta meta) {
  common::Violations violations;
  auto contact_id = ParseContactName(request.parent(), "parent");
  MergeViolations(contact_id.status(), violations);
  MergeViolations(common::IdempotencyKeys::Validate(request.request_id()), violations);
  const FollowUp& given = request.follow_up();
  ValidateFollowUp(given, "follow_up.", violations);
  if (given.status() != v1::FOLLOW_UP_STATUS_UNSPECIFIED &&
      given.status() != v1::FOLLOW_UP_STATUS_OPEN) {
    violations.Add("follow_up.status", "a new follow-up is OPEN");
  }
  std::string interaction_id;
  if (!given.interaction().empty()) {
    auto interaction = ParseChildName(given.interaction(), "interactions", "follow_up.interaction");
    MergeViolations(interaction.status(), violations);
    if (interaction.ok() && contact_id.ok() && interaction->contact_id != *contact_id) {
      violations.Add("follow_up.interaction", "must be an interaction of " + request.parent());
    }
    if (interaction.ok()) interaction_id = interaction->id;
  }
  ACCORD_RETURN_IF_ERROR(violations.ToStatus());
  ACCORD_RETURN_IF_ERROR(CheckWrite(caller, *contact_id));
  FollowUp follow_up = given;
  follow_up.set_status(v1::FOLLOW_UP_STATUS_OPEN);
  if (follow_up.owner().empty()) follow_up.set_owner(caller.principal.subject);
  return repository_.CreateFollowUp(*contact_id, follow_up, interaction_id, meta);
}

absl::StatusOr<FollowUp> EngagementLogic::GetFollowUp(const Caller& caller,
                                                      const v1::GetFollowUpRequest& request) {
  ACCORD_RETURN_IF_ERROR(CheckEngagementRead(caller.principal));
  ACCORD_ASSIGN_OR_RETURN(ChildId id, ParseChildName(request.name(), "followUps", "name"));
  return repository_.GetFollowUp(id.contact_id, id.id);
}

absl::StatusOr<v1::ListFollowUpsResponse> EngagementLogic::ListFollowUps(
    const Caller& caller, const v1::ListFollowUpsRequest& request) {
  ACCORD_RETURN_IF_ERROR(CheckEngagementRead(caller.principal));
  ChildListQuery query;
  ACCORD_ASSIGN_OR_RETURN(query.contact_id, ParseListParent(request.parent()));
  ACCORD_ASSIGN_OR_RETURN(filter::SqlFilter compiled,
                          filter::Compile(request.filter(), repository_.FollowUpFilterSchema()));
  ACCORD_ASSIGN_OR_RETURN(common::PageStart start,
                          common::StartPage(page_tokens_, request.page_size(), request.page_token(),
                                            request.parent() + "\n" + request.filter()));
  query.limit = start.limit;
  query.after = start.after;
  query.filter_sql = std::move(compiled.where);
  query.filter_params = std::move(compiled.params);
  ACCORD_ASSIGN_OR_RETURN(auto page, repository_.ListFollowUps(query));
  v1::ListFollowUpsResponse response;
  const size_t returned = common::PageRows(start, page.items);
  for (size_t i = 0; i < returned; ++i) *response.add_follow_ups() = std::move(page.items[i]);
  response.set_next_page_token(
      common::NextPageToken(page_tokens_, start, returned, page.items.size(), page.keys));
  return response;
}

absl::StatusOr<FollowUp> EngagementLogic::UpdateFollowUp(const Caller& caller,
                                                         const v1::UpdateFollowUpRequest& request,
                                                         WriteMeta meta) {
  static const std::vector<std::string> kUpdatable = {"due_time", "owner", "subject", "status"};
  common::Violations violations;
  auto name = ParseChildName(request.follow_up().name(), "followUps", "follow_up.name");
  MergeViolations(name.status(), violations);
  if (request.etag().empty()) {
    violations.Add("etag", "required: send the etag of the follow-up as you last read it");
  }
  if (request.update_mask().paths_size() == 0) {
    violations.Add("update_mask", "required: name the fields to change");
  }
  for (const auto& path : request.update_mask().paths()) {
    if (std::find(kUpdatable.begin(), kUpdatable.end(), path) == kUpdatable.end()) {
      violations.Add("update_mask", "`" + path +
                                        "` cannot be updated; updatable: due_time, owner, subject, "
                                        "status");
    }
  }
  MergeViolations(common::IdempotencyKeys::Validate(request.request_id()), violations);
  ACCORD_RETURN_IF_ERROR(violations.ToStatus());
  ACCORD_RETURN_IF_ERROR(CheckWrite(caller, name->contact_id));
  return repository_.UpdateFollowUp(
      name->contact_id, name->id,
      [&](const FollowUp& locked) -> absl::StatusOr<FollowUp> {
        if (request.etag() != locked.etag()) return common::EtagMismatch(locked.name());
        FollowUp next = locked;
        const FollowUp& patch = request.follow_up();
        for (const auto& path : request.update_mask().paths()) {
          if (path == "due_time") *next.mutable_due_time() = patch.due_time();
          if (path == "owner")
            next.set_owner(patch.owner().empty() ? locked.owner() : patch.owner());
          if (path == "subject") next.set_subject(patch.subject());
          if (path == "status") next.set_status(patch.status());
        }
        common::Violations field_violations;
        ValidateFollowUp(next, "follow_up.", field_violations);
        if (next.status() == v1::FOLLOW_UP_STATUS_UNSPECIFIED) {
          field_violations.Add("follow_up.status", "required: OPEN, DONE or CANCELLED");
        }
        ACCORD_RETURN_IF_ERROR(field_violations.ToStatus());
        ACCORD_RETURN_IF_ERROR(CheckFollowUpTransition(locked, next.status()));
        return next;
      },
      meta);
}

absl::StatusOr<v1::ListDueFollowUpsResponse> EngagementLogic::ListDueFollowUps(
    const Caller& caller, const v1::ListDueFollowUpsRequest& request) {
  ACCORD_RETURN_IF_ERROR(CheckEngagementRead(caller.principal));
  common::Violations violations;
  const std::string owner = request.owner().empty() ? caller.principal.subject : request.owner();
  if (request.page_size() < 0) violations.Add("page_size", "must not be negative");
  if (request.has_due_before() && !IsPlausibleTime(request.due_before())) {
    violations.Add("due_before", "not a time between 1970 and 9999");
  }
  ACCORD_RETURN_IF_ERROR(violations.ToStatus());
  if (owner != caller.principal.subject &&
      !caller.principal.HasAny({Role::kAdmin, Role::kServiceSupervisor})) {
    return common::PermissionDenied(
        "NOT_ALLOWED", caller.principal.subject + " may list only its own due follow-ups");
  }
  const int limit = request.page_size() == 0 ? 100 : std::min(request.page_size(), 1000);
  const int64_t before = request.has_due_before() ? Micros(request.due_before()) : NowMicros();
  ACCORD_ASSIGN_OR_RETURN(auto due, repository_.DueFollowUps(owner, before, limit));
  v1::ListDueFollowUpsResponse response;
  for (auto& item : due) *response.add_follow_ups() = std::move(item);
  return response;
}

}  // namespace accord::contact
