#include <stdexcept>

#include "appointment_service.h"
#include "campaign_service.h"
#include "contact_service.h"
#include "contact_sql.h"
#include "engagement_service.h"
#include "relation_service.h"
#include "relation_sql.h"
#include "stewardship_service.h"

namespace accord::contact {

const std::vector<common::Migration>& Migrations();  // generated from migrations/*.sql

common::ServiceDefinition ContactServiceDefinition(ContactSettings settings) {
  common::ServiceDefinition definition;
  definition.name = "contact";
  definition.schema = "contact";
  definition.default_grpc_port = 50052;
  definition.default_metrics_port = 9092;
  definition.migrations = []() -> const std::vector<common::Migration>& { return Migrations(); };
  definition.statements = sql::ContactStatements();
  for (const auto& statement : sql::RelationStatements())
    definition.statements.push_back(statement);
  for (const auto& statement : CampaignStatements()) definition.statements.push_back(statement);
  definition.make_services = [settings = std::move(settings)](common::Runtime& runtime) {
    auto cipher = PiiCipher::Create(settings.keys);
    // main() validated the keys already; this guards definitions built some other way.
    if (!cipher.ok()) throw std::runtime_error(std::string(cipher.status().message()));
    auto components = std::make_shared<ContactComponents>(runtime, settings, std::move(*cipher));
    // Subscribe needs a service identity (the integration role): without ACCORD_SERVICE_TOKEN
    // account merges and deletions and sales are not followed.
    if (!settings.account.service_token.empty()) {
      components->followed =
          std::make_unique<FollowedEvents>(runtime.pg(), settings.account, settings.pricing);
      components->followed->Start();
    }
    std::vector<std::unique_ptr<grpc::Service>> services;
    services.push_back(std::make_unique<ContactServiceImpl>(components));
    services.push_back(std::make_unique<RelationServiceImpl>(components));
    services.push_back(std::make_unique<EngagementServiceImpl>(components));
    services.push_back(std::make_unique<AppointmentServiceImpl>(components));
    services.push_back(std::make_unique<CampaignServiceImpl>(components));
    services.push_back(std::make_unique<StewardshipServiceImpl>(components));
    return services;
  };
  definition.access = {
      {"accord.contact.v1.*", common::MethodAccess::AnyRole()}};  // roles in the logic
  return definition;
}

}  // namespace accord::contact
