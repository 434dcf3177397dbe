#include "account_overview.h"

#include <google/protobuf/util/time_util.h>
#include <grpcpp/alarm.h>

#include <functional>
#include <mutex>

#include "accord/contact/v1/account_relation.grpc.pb.h"
#include "accord/pricing/v1/trading_terms.grpc.pb.h"
#include "accord/quality/v1/case.grpc.pb.h"
#include "resource_names.h"

namespace accord::account {
namespace {

constexpr int kCases = 50;
constexpr int kTerms = 20;
constexpr int kContacts = 50;
// gRPC ends every call at its deadline by itself; a call still open this much later is cancelled
// and the overview answered without it (its callback finishes later against the shared state).
constexpr std::chrono::milliseconds kCancelGrace{20};

std::string CodeName(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::UNAVAILABLE:
      return "UNAVAILABLE";
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return "DEADLINE_EXCEEDED";
    case grpc::StatusCode::PERMISSION_DENIED:
      return "PERMISSION_DENIED";
    case grpc::StatusCode::UNAUTHENTICATED:
      return "UNAUTHENTICATED";
    case grpc::StatusCode::CANCELLED:
      return "CANCELLED";
    case grpc::StatusCode::NOT_FOUND:
      return "NOT_FOUND";
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return "RESOURCE_EXHAUSTED";
    case grpc::StatusCode::INVALID_ARGUMENT:
      return "INVALID_ARGUMENT";
    default:
      return "INTERNAL";
  }
}

}  // namespace

struct OverviewPeers::Clients {
  // No retry policy: a part that fails is named missing, and retrying UNAVAILABLE from a service
  // that is down only held the overview (and its worker) through the backoffs: with contact
  // stopped the bench measured 25 overviews/s, each waiting out two retries. With several
  // replicas, gRPC already sends each call to a ready one.
  explicit Clients(const InsightsSettings& settings)
      : contact(WithoutRetries(settings.contact)),
        pricing(WithoutRetries(settings.pricing)),
        quality(WithoutRetries(settings.quality)),
        relations(contact::v1::ContactAccountRelationService::NewStub(contact.channel())),
        terms(pricing::v1::TradingTermsService::NewStub(pricing.channel())),
        cases(quality::v1::CaseService::NewStub(quality.channel())) {}

  static common::ServiceClientOptions WithoutRetries(common::ServiceClientOptions options) {
    options.idempotent_methods.clear();
    return options;
  }

  common::ServiceClient contact;
  common::ServiceClient pricing;
  common::ServiceClient quality;
  std::unique_ptr<contact::v1::ContactAccountRelationService::Stub> relations;
  std::unique_ptr<pricing::v1::TradingTermsService::Stub> terms;
  std::unique_ptr<quality::v1::CaseService::Stub> cases;
};

// One call of the fan-out: its context, request and response live here, in the shared state,
// so a callback that fires after the overview was answered still has them.
struct Call {
  bool wanted = false;
  std::string part;
  std::string service;
  std::unique_ptr<grpc::ClientContext> context;
  bool done = false;
  grpc::Status status;
};

class OverviewPeers::Pending {
 public:
  std::mutex mutex;
  int open = 0;
  bool expired = false;  // the deadline's alarm went off: the calls still open were cancelled
  bool fired = false;    // `then` has been taken to run
  std::function<void()> then;
  grpc::Alarm alarm;
  Call contacts, cases, terms;
  contact::v1::ListKeyContactsRequest contacts_request;
  contact::v1::ListKeyContactsResponse contacts_response;
  quality::v1::ListCasesRequest cases_request;
  quality::v1::ListCasesResponse cases_response;
  pricing::v1::ListTradingTermsRequest terms_request;
  pricing::v1::ListTradingTermsResponse terms_response;

  // Takes the continuation to run once the lock is released, if the wait is over and it has not
  // run yet.
  std::function<void()> TakeThenLocked() {
    if (fired || !then || (open > 0 && !expired)) return nullptr;
    fired = true;
    return std::move(then);
  }

  void CancelOpenLocked() {
    for (Call* call : {&contacts, &cases, &terms}) {
      if (call->wanted && !call->done) call->context->TryCancel();
    }
  }

  std::function<void(grpc::Status)> Done(std::shared_ptr<Pending> self, Call* call) {
    return [self = std::move(self), call](grpc::Status status) {
      std::function<void()> then;
      {
        std::lock_guard lock(self->mutex);
        call->status = std::move(status);
        call->done = true;
        --self->open;
        then = self->TakeThenLocked();
      }
      if (then) then();
    };
  }
};

OverviewPeers::OverviewPeers(const InsightsSettings& settings)
    : clients_(std::make_unique<Clients>(settings)) {}

OverviewPeers::~OverviewPeers() = default;

std::shared_ptr<OverviewPeers::Pending> OverviewPeers::Start(
    const common::CallIdentity& identity, const std::string& account_name,
    std::chrono::system_clock::time_point deadline, Parts wanted) {
  auto pending = std::make_shared<Pending>();
  auto prepare = [&](Call& call, const common::ServiceClient& client, OverviewPart part) {
    call.part = OverviewPartName(part);
    call.service = client.options().service;
    call.wanted = wanted[static_cast<size_t>(part)];
    if (!call.wanted) return;
    call.context = client.NewContext(identity);
    call.context->set_deadline(deadline);
    ++pending->open;
  };
  prepare(pending->contacts, clients_->contact, OverviewPart::kKeyContacts);
  prepare(pending->cases, clients_->quality, OverviewPart::kOpenCases);
  prepare(pending->terms, clients_->pricing, OverviewPart::kActiveTerms);
  if (pending->open == 0) return pending;

  pending->contacts_request.set_account(account_name);
  pending->cases_request.set_filter("account = \"" + account_name +
                                    "\" AND status != RESOLVED AND status != CLOSED");
  pending->cases_request.set_page_size(kCases);
  pending->terms_request.set_parent(account_name);
  pending->terms_request.set_filter("status = ACTIVE");
  pending->terms_request.set_page_size(kTerms);

  Pending& p = *pending;
  if (p.contacts.wanted) {
    clients_->relations->async()->ListKeyContacts(p.contacts.context.get(), &p.contacts_request,
                                                  &p.contacts_response,
                                                  p.Done(pending, &p.contacts));
  }
  if (p.cases.wanted) {
    clients_->cases->async()->ListCases(p.cases.context.get(), &p.cases_request, &p.cases_response,
                                        p.Done(pending, &p.cases));
  }
  if (p.terms.wanted) {
    clients_->terms->async()->ListTradingTerms(p.terms.context.get(), &p.terms_request,
                                               &p.terms_response, p.Done(pending, &p.terms));
  }
  // The alarm holds only a weak reference: a fan-out that ended before it is freed (and its
  // alarm cancelled) by whoever held it last.
  std::weak_ptr<Pending> weak = pending;
  pending->alarm.Set(deadline + kCancelGrace, [weak](bool fired) {
    if (!fired) return;
    auto self = weak.lock();
    if (!self) return;
    std::function<void()> then;
    {
      std::lock_guard lock(self->mutex);
      self->expired = true;
      self->CancelOpenLocked();
      then = self->TakeThenLocked();
    }
    if (then) then();
  });
  return pending;
}

void OverviewPeers::WhenDone(const std::shared_ptr<Pending>& pending, std::function<void()> then) {
  {
    std::lock_guard lock(pending->mutex);
    pending->then = std::move(then);
    then = pending->TakeThenLocked();
  }
  if (then) then();
}

void OverviewPeers::Cancel(const std::shared_ptr<Pending>& pending) {
  std::lock_guard lock(pending->mutex);
  pending->CancelOpenLocked();
}

OverviewPeers::Parts OverviewPeers::Finish(const std::shared_ptr<Pending>& pending,
                                           v1::AccountOverview& overview) {
  Pending& p = *pending;
  Parts answered{};
  // Only the calls marked done are read: a call cancelled at the deadline may still be writing.
  std::lock_guard lock(p.mutex);
  const bool cancelled = p.expired;
  auto missing = [&](const Call& call) {
    auto* part = overview.add_missing();
    part->set_part(call.part);
    part->set_service(call.service);
    const grpc::StatusCode code =
        call.done ? call.status.error_code() : grpc::StatusCode::DEADLINE_EXCEEDED;
    if (code == grpc::StatusCode::DEADLINE_EXCEEDED ||
        (cancelled && code == grpc::StatusCode::CANCELLED)) {
      part->set_code("DEADLINE_EXCEEDED");
      part->set_reason(call.service + " did not answer within the overview's deadline");
    } else {
      part->set_code(CodeName(code));
      part->set_reason(call.service + ": " + call.status.error_message().substr(0, 400));
    }
  };
  auto ok = [&](const Call& call, OverviewPart part) {
    const bool answer = call.done && call.status.ok();
    answered[static_cast<size_t>(part)] = answer;
    if (!answer) missing(call);
    return answer;
  };
  if (p.contacts.wanted && ok(p.contacts, OverviewPart::kKeyContacts)) {
    for (const auto& key : p.contacts_response.key_contacts()) {
      if (overview.key_contacts_size() >= kContacts) break;
      auto* c = overview.add_key_contacts();
      c->set_contact(key.contact().name());
      if (!key.contact().personal_data_masked()) {
        std::string display = key.contact().given_name();
        if (!key.contact().family_name().empty()) {
          display += (display.empty() ? "" : " ") + key.contact().family_name();
        }
        c->set_display_name(display);
        c->set_job_title(key.contact().job_title());
      }
      for (int role : key.relation().roles()) {
        if (c->roles_size() >= 10) break;
        c->add_roles(contact::v1::AccountRelationRole_Name(role));
      }
      c->set_is_primary(key.relation().is_primary());
      c->set_personal_data_masked(key.contact().personal_data_masked());
    }
  }
  if (p.cases.wanted && ok(p.cases, OverviewPart::kOpenCases)) {
    for (const auto& c : p.cases_response.cases()) {
      auto* out = overview.add_open_cases();
      out->set_case_(c.name());
      out->set_kind(quality::v1::CaseKind_Name(c.kind()));
      out->set_status(quality::v1::CaseStatus_Name(c.status()));
      out->set_priority(quality::v1::Priority_Name(c.priority()));
      out->set_sla_state(quality::v1::SlaState_Name(c.sla().state()));
      if (c.sla().has_resolution_due()) *out->mutable_resolution_due() = c.sla().resolution_due();
      *out->mutable_create_time() = c.create_time();
    }
  }
  if (p.terms.wanted && ok(p.terms, OverviewPart::kActiveTerms)) {
    for (const auto& t : p.terms_response.trading_terms()) {
      auto* out = overview.add_active_terms();
      out->set_trading_terms(t.name());
      out->set_state(pricing::v1::TradingTermsStatus_Name(t.status()));
      *out->mutable_start_date() = t.valid_from();
      if (t.has_valid_until()) *out->mutable_end_date() = t.valid_until();
      out->set_price_list(t.price_list());
    }
  }
  return answered;
}

}  // namespace accord::account
