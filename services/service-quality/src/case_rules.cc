#include "case_rules.h"

#include <algorithm>
#include <cctype>

#include "accord/common/ids.h"
#include "accord/common/money.h"
#include "accord/common/resource_name.h"

namespace accord::quality {
namespace {

using enum v1::CaseStatus;

int LevelIndex(Level level) {
  // Rows and columns run HIGH, MEDIUM, LOW.
  switch (level) {
    case v1::LEVEL_HIGH:
      return 0;
    case v1::LEVEL_MEDIUM:
      return 1;
    default:
      return 2;
  }
}

std::vector<std::string> Tokens(std::string_view text, std::string_view separators) {
  std::vector<std::string> out;
  std::string current;
  for (char c : text) {
    if (separators.find(c) != std::string_view::npos) {
      if (!current.empty()) out.push_back(std::move(current));
      current.clear();
    } else {
      current += c;
    }
  }
  if (!current.empty()) out.push_back(std::move(current));
  return out;
}

}  // namespace

PriorityMatrix::PriorityMatrix() {
  using enum v1::Priority;
  cells_ = {{{PRIORITY_CRITICAL, PRIORITY_HIGH, PRIORITY_MEDIUM},
             {PRIORITY_HIGH, PRIORITY_MEDIUM, PRIORITY_LOW},
             {PRIORITY_MEDIUM, PRIORITY_LOW, PRIORITY_LOW}}};
}

absl::StatusOr<PriorityMatrix> PriorityMatrix::Parse(std::string_view text) {
  const auto words = Tokens(text, ", \t");
  if (words.size() != 9) {
    return common::InvalidArgument("priority_matrix",
                                   "needs 9 priorities (3 rows of impact HIGH, MEDIUM, LOW by "
                                   "urgency HIGH, MEDIUM, LOW), got " +
                                       std::to_string(words.size()));
  }
  PriorityMatrix matrix;
  for (size_t i = 0; i < 9; ++i) {
    const std::string word = common::Lower(words[i]);
    Priority priority;
    if (word == "low") {
      priority = v1::PRIORITY_LOW;
    } else if (word == "medium") {
      priority = v1::PRIORITY_MEDIUM;
    } else if (word == "high") {
      priority = v1::PRIORITY_HIGH;
    } else if (word == "critical") {
      priority = v1::PRIORITY_CRITICAL;
    } else {
      return common::InvalidArgument("priority_matrix",
                                     "`" + words[i] + "` is not low, medium, high or critical");
    }
    matrix.cells_[i / 3][i % 3] = priority;
  }
  return matrix;
}

Priority PriorityMatrix::Lookup(Level impact, Level urgency) const {
  return cells_[LevelIndex(impact)][LevelIndex(urgency)];
}

Priority RaiseOneStep(Priority priority) {
  switch (priority) {
    case v1::PRIORITY_LOW:
      return v1::PRIORITY_MEDIUM;
    case v1::PRIORITY_MEDIUM:
      return v1::PRIORITY_HIGH;
    default:
      return v1::PRIORITY_CRITICAL;
  }
}

Priority CasePriority(const PriorityMatrix& matrix, Level impact, Level urgency,
                      accord::account::v1::AccountTier tier, bool raise_strategic) {
  const Priority base = matrix.Lookup(impact, urgency);
  if (raise_strategic && tier == accord::account::v1::ACCOUNT_TIER_STRATEGIC) {
    return RaiseOneStep(base);
  }
  return base;
}

bool IsAllowedTransition(CaseStatus from, CaseStatus to) {
  if (from == to) return from == CASE_STATUS_ESCALATED;  // one level up
  switch (from) {
    case CASE_STATUS_NEW:
      return to == CASE_STATUS_ACKNOWLEDGED || to == CASE_STATUS_IN_PROGRESS ||
             to == CASE_STATUS_ESCALATED;
    case CASE_STATUS_ACKNOWLEDGED:
      return to == CASE_STATUS_IN_PROGRESS || to == CASE_STATUS_WAITING_ON_CUSTOMER ||
             to == CASE_STATUS_ESCALATED || to == CASE_STATUS_RESOLVED;
    case CASE_STATUS_IN_PROGRESS:
    case CASE_STATUS_WAITING_ON_CUSTOMER:
    case CASE_STATUS_ESCALATED:
    case CASE_STATUS_REOPENED:
      return to == CASE_STATUS_IN_PROGRESS || to == CASE_STATUS_WAITING_ON_CUSTOMER ||
             to == CASE_STATUS_ESCALATED || to == CASE_STATUS_RESOLVED;
    case CASE_STATUS_RESOLVED:
      return to == CASE_STATUS_CLOSED || to == CASE_STATUS_REOPENED;
    default:
      return false;
  }
}

bool IsOpenStatus(CaseStatus status) {
  return status != CASE_STATUS_RESOLVED && status != CASE_STATUS_CLOSED &&
         status != CASE_STATUS_UNSPECIFIED;
}

absl::Status IllegalTransition(CaseStatus from, CaseStatus to) {
  return common::WithReason(
      common::FailedPrecondition("ILLEGAL_STATUS_TRANSITION", "a case cannot move from " +
                                                                  v1::CaseStatus_Name(from) +
                                                                  " to " + v1::CaseStatus_Name(to)),
      "ILLEGAL_STATUS_TRANSITION",
      {{"from", v1::CaseStatus_Name(from)}, {"to", v1::CaseStatus_Name(to)}});
}

std::optional<EscalationLevel> NextEscalationLevel(EscalationLevel level) {
  switch (level) {
    case v1::ESCALATION_LEVEL_UNSPECIFIED:
    case v1::ESCALATION_LEVEL_AGENT:
      return v1::ESCALATION_LEVEL_SUPERVISOR;
    case v1::ESCALATION_LEVEL_SUPERVISOR:
      return v1::ESCALATION_LEVEL_MANAGER;
    default:
      return std::nullopt;
  }
}

absl::StatusOr<std::vector<common::v1::Money>> CompensationLimits::ParseList(
    std::string_view text) {
  std::vector<common::v1::Money> limits;
  for (const auto& item : Tokens(text, ",")) {
    const auto parts = Tokens(item, " \t");
    if (parts.size() != 2 || parts[0].size() != 3) {
      return common::InvalidArgument("compensation_limit",
                                     "`" + item + "` is not `CUR amount`, e.g. `EUR 500`");
    }
    const std::string& number = parts[1];
    const size_t dot = number.find('.');
    const std::string whole = number.substr(0, dot);
    std::string fraction = dot == std::string::npos ? "" : number.substr(dot + 1);
    auto digits = [](const std::string& s) {
      return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
    };
    if (whole.empty() || whole.size() > 15 || !digits(whole) || !digits(fraction) ||
        fraction.size() > 9) {
      return common::InvalidArgument("compensation_limit",
                                     "`" + parts[1] + "` is not a non-negative amount");
    }
    fraction.resize(9, '0');
    limits.push_back(common::MakeMoney(parts[0], std::stoll(whole), std::stoi(fraction)));
    ACCORD_RETURN_IF_ERROR(common::ValidateMoney(limits.back(), "compensation_limit"));
  }
  return limits;
}

absl::Status CheckCompensation(const CompensationLimits& limits, const common::Principal& caller,
                               const common::v1::Money& amount) {
  // The most generous of the caller's roles applies: a role without limits grants any amount.
  bool limited = false;
  std::vector<const common::v1::Money*> applicable;
  for (common::Role role : caller.roles) {
    auto found = limits.by_role.find(role);
    if (found == limits.by_role.end()) return absl::OkStatus();
    limited = true;
    for (const auto& limit : found->second) applicable.push_back(&limit);
  }
  if (!limited) return absl::OkStatus();
  const common::v1::Money* same_currency = nullptr;
  for (const auto* limit : applicable) {
    if (limit->currency_code() != amount.currency_code()) continue;
    auto compared = common::Compare(amount, *limit);
    if (compared.ok() && *compared <= 0) return absl::OkStatus();
    if (same_currency == nullptr || *common::Compare(*limit, *same_currency) > 0) {
      same_currency = limit;
    }
  }
  if (same_currency == nullptr) {
    return common::WithReason(
        common::FailedPrecondition("COMPENSATION_ABOVE_LIMIT",
                                   "your role may not grant compensation in " +
                                       amount.currency_code() + "; escalate the case"),
        "COMPENSATION_ABOVE_LIMIT", {{"currency", amount.currency_code()}});
  }
  return common::WithReason(
      common::FailedPrecondition("COMPENSATION_ABOVE_LIMIT",
                                 "compensation " + common::FormatMoney(amount) +
                                     " is above your limit of " +
                                     common::FormatMoney(*same_currency) + "; escalate the case"),
      "COMPENSATION_ABOVE_LIMIT", {{"limit", common::FormatMoney(*same_currency)}});
}

absl::StatusOr<std::string> ParseSimpleName(std::string_view name, std::string_view collection,
                                            const std::string& field) {
  return common::ParseTopName(name, collection, field);
}

absl::StatusOr<std::string> ParseCaseName(std::string_view name, const std::string& field) {
  return ParseSimpleName(name, "cases", field);
}

std::string CaseName(std::string_view id) { return "cases/" + std::string(id); }

std::string TimelineEntryName(std::string_view case_id, std::string_view id) {
  return CaseName(case_id) + "/timelineEntries/" + std::string(id);
}

bool IsResourceName(std::string_view name, std::string_view collection) {
  return ParseSimpleName(name, collection, "x").ok();
}

using common::CheckText;

void ValidateCaseFields(const v1::Case& c, const std::string& prefix,
                        common::Violations& violations) {
  if (!IsResourceName(c.account(), "accounts")) {
    violations.Add(prefix + "account", "required: accounts/{uuid}");
  }
  if (!c.contact().empty() && !IsResourceName(c.contact(), "contacts")) {
    violations.Add(prefix + "contact", "must be contacts/{uuid} or empty");
  }
  if (c.channel() == 0 || !common::v1::CommunicationChannel_IsValid(c.channel())) {
    violations.Add(prefix + "channel",
                   "required: PHONE, EMAIL, MEETING, VIDEO, LETTER, SMS, TTY, "
                   "SIGN_LANGUAGE or WEB");
  }
  if (c.kind() == 0 || !v1::CaseKind_IsValid(c.kind())) {
    violations.Add(prefix + "kind", "required: COMPLAINT, ENQUIRY, REQUEST or FEEDBACK");
  }
  if (c.category() == 0 || !v1::CaseCategory_IsValid(c.category())) {
    violations.Add(prefix + "category", "required: one of the CaseCategory values");
  }
  CheckText(c.description(), prefix + "description", 8000, true, violations);
  if (c.impact() == 0 || !v1::Level_IsValid(c.impact())) {
    violations.Add(prefix + "impact", "required: LOW, MEDIUM or HIGH");
  }
  if (c.urgency() == 0 || !v1::Level_IsValid(c.urgency())) {
    violations.Add(prefix + "urgency", "required: LOW, MEDIUM or HIGH");
  }
  if (c.special_needs_size() > 7) {
    violations.Add(prefix + "special_needs", "at most 7 entries, one per kind");
  }
  std::vector<int> kinds;
  for (int i = 0; i < c.special_needs_size(); ++i) {
    const auto& need = c.special_needs(i);
    const std::string field = prefix + "special_needs[" + std::to_string(i) + "]";
    if (need.kind() == 0 || !v1::SpecialNeedKind_IsValid(need.kind())) {
      violations.Add(field + ".kind", "required: one of the SpecialNeedKind values");
    } else if (std::find(kinds.begin(), kinds.end(), need.kind()) != kinds.end()) {
      violations.Add(field + ".kind", "listed twice; put both notes in one entry");
    }
    kinds.push_back(need.kind());
    CheckText(need.note(), field + ".note", 500, false, violations);
  }
  CheckText(c.assignee(), prefix + "assignee", 200, false, violations);
  CheckText(c.team(), prefix + "team", 100, false, violations);
  // A BCP 47 tag: subtags of 1-8 letters or digits joined by '-', the first letters only.
  const std::string& language = c.language();
  bool language_ok = language.size() <= 35;
  size_t subtag = 0;
  for (size_t i = 0; language_ok && i <= language.size(); ++i) {
    if (i == language.size() || language[i] == '-') {
      language_ok = subtag >= 1 && subtag <= 8;
      subtag = 0;
    } else if (std::isalpha(static_cast<unsigned char>(language[i])) ||
               (std::isdigit(static_cast<unsigned char>(language[i])) && i > subtag)) {
      ++subtag;
    } else {
      language_ok = false;
    }
  }
  if (!language.empty() && !language_ok) {
    violations.Add(prefix + "language", "a BCP 47 language tag such as en, de-CH or pt-BR");
  }
}

void ValidateResolution(const v1::Resolution& resolution, const std::string& prefix,
                        common::Violations& violations) {
  CheckText(resolution.summary(), prefix + "summary", 4000, true, violations);
  if (resolution.code() == 0 || !v1::ResolutionCode_IsValid(resolution.code())) {
    violations.Add(prefix + "code", "required: one of the ResolutionCode values");
  }
  if (resolution.has_compensation()) {
    const auto& compensation = resolution.compensation();
    if (compensation.kind() == 0 || !v1::CompensationKind_IsValid(compensation.kind())) {
      violations.Add(prefix + "compensation.kind",
                     "required: CREDIT_NOTE, REFUND, REPLACEMENT or EXTENDED_DEADLINE");
    }
    auto money = common::ValidateMoney(compensation.amount(), prefix + "compensation.amount");
    if (!money.ok()) {
      for (auto& v : common::FieldViolationsOf(money)) violations.Add(v.field, v.description);
    } else if (compensation.amount().units() < 0 || compensation.amount().nanos() < 0) {
      violations.Add(prefix + "compensation.amount", "must not be negative");
    }
  }
}

}  // namespace accord::quality
