#include "account_events.h"

#include <algorithm>

#include "accord/account/v1/account.pb.h"
#include "accord/common/account_events.h"
#include "accord/common/errors.h"

namespace accord::quality {
namespace {

constexpr char kPrefix[] = "accord.account.v1.";

WriteMeta FeedMeta(const common::v1::EventEnvelope& event) {
  WriteMeta meta;
  meta.actor = "system/account-events";
  meta.method = "AccountEvent";
  meta.trace_id = event.trace_id();
  return meta;
}

}  // namespace

absl::Status ApplyAccountEvent(QualityRepository& repository, common::WriteTransaction& transaction,
                               const common::v1::EventEnvelope& event, Instant now) {
  const std::string type = event.type();
  const WriteMeta meta = FeedMeta(event);
  ACCORD_ASSIGN_OR_RETURN(std::optional<common::AccountGone> gone, common::AccountGoneOf(event));
  if (gone) {
    ACCORD_RETURN_IF_ERROR(repository.KeepAccountFacts(
        &transaction, AccountFacts{.account = gone->account,
                                   .tier = 0,
                                   .merged_into = gone->survivor,
                                   .deleted = gone->survivor.empty(),
                                   .version = event.aggregate_version()}));
    if (!gone->survivor.empty()) {
      ACCORD_RETURN_IF_ERROR(repository
                                 .ChangeCasesOfAccount(
                                     transaction, gone->account, /*open_only=*/false,
                                     [&](const CaseRecord& record) {
                                       return MoveCaseToAccount(record, gone->survivor);
                                     },
                                     meta)
                                 .status());
      return repository.MoveSurveys(transaction, gone->account, gone->survivor);
    }
    return repository
        .ChangeCasesOfAccount(
            transaction, gone->account, /*open_only=*/true,
            [&](const CaseRecord& record) { return CloseForDeletedAccount(record, now); }, meta)
        .status();
  }
  if (type == std::string(kPrefix) + "AccountCreated" ||
      type == std::string(kPrefix) + "AccountUpdated") {
    account::v1::Account account;
    if (!event.payload().UnpackTo(&account)) return common::Internal("bad account payload");
    ACCORD_RETURN_IF_ERROR(repository.KeepAccountFacts(
        &transaction, AccountFacts{.account = event.subject(),
                                   .tier = account.tier(),
                                   .merged_into = "",
                                   .deleted = false,
                                   .version = event.aggregate_version()}));
    if (account.lifecycle_stage() != account::v1::LIFECYCLE_STAGE_CHURNED) return absl::OkStatus();
    const bool changed_now =
        type == std::string(kPrefix) + "AccountCreated" ||
        std::any_of(event.changed_fields().paths().begin(), event.changed_fields().paths().end(),
                    [](const std::string& path) { return path == "lifecycle_stage"; });
    if (!changed_now) return absl::OkStatus();
    v1::Signal signal;
    signal.set_account(event.subject());
    signal.set_kind(v1::SIGNAL_KIND_LOST_CUSTOMER);
    signal.set_source("account-service");
    signal.set_figure(1);
    signal.set_note("the account moved to CHURNED (event " + event.id() + ")");
    *signal.mutable_occur_time() = event.time();
    return repository.RecordSignal(transaction, signal, event.id(), meta).status();
  }
  return absl::OkStatus();
}

AccountEventFollower::AccountEventFollower(common::PgPool& pool, QualityRepository& repository,
                                           const common::ServiceClient& peer, Clock clock)
    : feed_(
          [] {
            common::PeerFeedOptions options;
            options.name = kAccountFeed;
            options.schema = kSchema;
            options.type_prefix = "accord.account.v1.Account";
            return options;
          }(),
          pool, peer,
          [&repository, clock](common::WriteTransaction& transaction,
                               const common::v1::EventEnvelope& event) {
            return ApplyAccountEvent(repository, transaction, event, clock());
          }) {}

}  // namespace accord::quality
