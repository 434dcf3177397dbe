// accord-bench-overview-floor: the floor of GetAccountOverview's ratio in scripts/bench.sh
// (section insights). It serves accord.account.v1.AccountInsightsService/GetAccountOverview
// through Accord's runtime like the account service, and answers with nothing but the peers'
// parts: the same fan-out (account_overview.h OverviewPeers, its clients, the caller's identity,
// the overview's deadline from ACCORD_INSIGHTS_OVERVIEW_DEADLINE and the peers' addresses from
// the same settings as accord-account), started on gRPC's thread as soon as the call is
// authenticated and answered from the peers' last callback. No worker, no PostgreSQL, no Redis:
// no work of the overview's own.
//
//   --parts=key_contacts[,open_cases,active_terms]  the parts asked of the peers (default
//       key_contacts: what an admin's overview asks when the cache holds the others)
#include <chrono>
#include <iostream>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "accord/account/v1/insights.grpc.pb.h"
#include "accord/common/config.h"
#include "accord/common/errors.h"
#include "accord/common/server.h"
#include "accord/common/service_client.h"
#include "account_overview.h"
#include "insights_overview_cache.h"
#include "insights_settings.h"
#include "resource_names.h"

namespace {

using accord::account::OverviewPeers;
namespace v1 = accord::account::v1;

class OverviewFloor final : public v1::AccountInsightsService::CallbackService {
 public:
  OverviewFloor(accord::common::Runtime& runtime, const accord::account::InsightsSettings& settings,
                OverviewPeers::Parts wanted)
      : runtime_(runtime),
        deadline_(settings.overview_deadline),
        wanted_(wanted),
        peers_(settings) {}

  grpc::ServerUnaryReactor* GetAccountOverview(grpc::CallbackServerContext* context,
                                               const v1::GetAccountOverviewRequest* request,
                                               v1::AccountOverview* response) override {
    return runtime_.UnaryDeferred(
        context, method_, nullptr,
        [this, context, request, response](std::shared_ptr<const accord::common::RpcContext> rpc,
                                           accord::common::Runtime::Completion done) {
          constexpr std::string_view kSuffix = "/overview";
          const std::string& name = request->name();
          if (name.size() <= kSuffix.size() || !name.ends_with(kSuffix)) {
            return done(accord::common::InvalidArgument(
                "name", "must be `accounts/{account_id}/overview`"));
          }
          const std::string account = name.substr(0, name.size() - kSuffix.size());
          if (auto id = accord::account::ParseAccountName(account, "name"); !id.ok()) {
            return done(id.status());
          }
          const auto deadline =
              std::min(std::chrono::system_clock::now() + deadline_, context->deadline());
          auto pending = peers_.Start(accord::common::CallIdentity::ForUser(*context, *rpc),
                                      account, deadline, wanted_);
          OverviewPeers::WhenDone(pending, [pending, response, name, done]() {
            response->set_name(name);
            OverviewPeers::Finish(pending, *response);
            done(absl::OkStatus());
          });
        });
  }

 private:
  accord::common::Runtime& runtime_;
  const std::chrono::milliseconds deadline_;
  const OverviewPeers::Parts wanted_;
  OverviewPeers peers_;
  accord::common::RpcMethod method_{"accord.account.v1.AccountInsightsService",
                                    "GetAccountOverview"};
};

}  // namespace

int main(int argc, char** argv) {
  OverviewPeers::Parts wanted{};
  wanted[static_cast<size_t>(accord::account::OverviewPart::kKeyContacts)] = true;
  std::vector<char*> rest = {argv[0]};
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.rfind("--parts=", 0) != 0) {
      rest.push_back(argv[i]);
      continue;
    }
    wanted.fill(false);
    std::string list = arg.substr(8) + ",";
    for (size_t start = 0, comma; (comma = list.find(',', start)) != std::string::npos;
         start = comma + 1) {
      const std::string part = list.substr(start, comma - start);
      bool known = false;
      for (size_t p = 0; p < accord::account::kOverviewParts; ++p) {
        if (part ==
            accord::account::OverviewPartName(static_cast<accord::account::OverviewPart>(p))) {
          wanted[p] = known = true;
        }
      }
      if (!known) {
        std::cerr << "accord-bench-overview-floor: unknown part " << part
                  << " (key_contacts, open_cases, active_terms)\n";
        return 2;
      }
    }
  }
  accord::common::ConfigReader config(1, argv);  // environment only, as accord-account reads it
  auto settings = accord::account::ReadInsightsSettings(config);
  if (!settings.ok()) {
    std::cerr << "accord-bench-overview-floor: " << settings.status().message() << "\n";
    return 2;
  }
  accord::common::ServiceDefinition definition;
  definition.name = "bench-overview-floor";
  definition.schema = "bench_overview_floor";
  definition.migrations = []() -> const std::vector<accord::common::Migration>& {
    static const std::vector<accord::common::Migration> kNone;
    return kNone;
  };
  definition.make_services = [settings = *settings, wanted](accord::common::Runtime& runtime) {
    std::vector<std::unique_ptr<grpc::Service>> services;
    services.push_back(std::make_unique<OverviewFloor>(runtime, settings, wanted));
    return services;
  };
  definition.access = {{"accord.account.v1.*", accord::common::MethodAccess::AnyRole()}};
  rest.push_back(nullptr);
  return accord::common::ServiceMain(static_cast<int>(rest.size()) - 1, rest.data(), definition);
}
