// The contact service in-process beside the account service it calls, both on a fresh database
// of the shared test Postgres, with stubs and helpers the contact tests share.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <pqxx/pqxx>
#include <string>

#include "accord/account/v1/account.grpc.pb.h"
#include "accord/account/v1/team.grpc.pb.h"
#include "accord/contact/v1/account_relation.grpc.pb.h"
#include "accord/contact/v1/appointment.grpc.pb.h"
#include "accord/contact/v1/campaign.grpc.pb.h"
#include "accord/contact/v1/contact.grpc.pb.h"
#include "accord/contact/v1/engagement.grpc.pb.h"
#include "account_service.h"
#include "contact_service.h"
#include "support/servers.h"
#include "support/service_harness.h"

namespace accord::contact {

using common::Role;
using testing::ContextAs;

// Dev keys of the tests (never used anywhere else).
inline ContactSettings TestContactSettings(const std::string& account_address) {
  ContactSettings settings;
  settings.keys = *ParsePiiKeys("test-k1:dGVzdC1waWkta2V5LTMyLWJ5dGVzLWxvbmctLS0tLS0=",
                                "dGVzdC1ibGluZC1pbmRleC1rZXktMzItYnl0ZXMtLS0=");
  settings.default_region = "GB";
  settings.account.service = "account";
  settings.account.address = account_address;
  settings.account.deadline = std::chrono::milliseconds(1500);
  settings.access_cache_ttl = std::chrono::milliseconds(30000);
  return settings;
}

class ContactFixture : public ::testing::Test {
 protected:
  ContactFixture()
      : account_(account::AccountServiceDefinition(), database_.url(), testing::SharedRedisUrl()),
        contact_(ContactServiceDefinition(
                     TestContactSettings("127.0.0.1:" + std::to_string(account_.port()))),
                 database_.url(), testing::SharedRedisUrl()),
        accounts_(account::v1::AccountService::NewStub(account_.channel())),
        teams_(account::v1::AccountTeamService::NewStub(account_.channel())),
        contacts_(v1::ContactService::NewStub(contact_.channel())),
        relations_(v1::ContactAccountRelationService::NewStub(contact_.channel())),
        engagement_(v1::ContactEngagementService::NewStub(contact_.channel())),
        appointments_(v1::AppointmentService::NewStub(contact_.channel())),
        campaigns_(v1::CampaignService::NewStub(contact_.channel())) {}

  static std::unique_ptr<grpc::ClientContext> As(const std::string& subject, Role role,
                                                 const std::string& reason = "") {
    auto context = ContextAs(subject, {role});
    if (!reason.empty()) context->AddMetadata("x-access-reason", reason);
    return context;
  }

  account::v1::Account CreateAccount(const std::string& owner, const std::string& display_name) {
    account::v1::CreateAccountRequest request;
    request.mutable_account()->set_display_name(display_name);
    request.mutable_account()->set_type(common::v1::ORGANIZATION_TYPE_COMMERCIAL);
    account::v1::Account account;
    auto status =
        accounts_->CreateAccount(As(owner, Role::kAccountManager).get(), request, &account);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return account;
  }

  // A contact with every personal field set, created by `subject`.
  v1::Contact Ada(const std::string& owner = "") {
    v1::Contact contact;
    contact.set_given_name("Augusta");
    contact.set_family_name("Lovelace");
    contact.set_job_title("Head of Procurement");
    contact.set_department("Purchasing");
    auto* email = contact.add_emails();
    email->set_address("Augusta.Lovelace@Analytical-Engines.example");
    email->set_primary(true);
    contact.add_phones()->set_number("020 7183 8750");
    contact.mutable_address()->add_address_lines("12 St James's Square");
    contact.mutable_address()->set_locality("London");
    contact.mutable_address()->set_region_code("GB");
    contact.set_preferred_channel(common::v1::COMMUNICATION_CHANNEL_EMAIL);
    contact.set_preferred_language("en-GB");
    contact.set_time_zone("Europe/London");
    contact.mutable_accessibility()->set_needs("Uses a hearing loop in meetings");
    contact.mutable_accessibility()->set_hearing(true);
    contact.set_customer_kind(v1::CUSTOMER_KIND_BUYER);
    contact.set_notes("Met at the Difference Engine expo");
    contact.add_labels("vip");
    if (!owner.empty()) contact.set_owner(owner);
    return contact;
  }

  v1::Contact Create(const v1::Contact& contact, const std::string& subject = "root",
                     Role role = Role::kAdmin, const std::string& request_id = "") {
    v1::CreateContactRequest request;
    *request.mutable_contact() = contact;
    request.set_request_id(request_id);
    v1::Contact created;
    auto status = contacts_->CreateContact(As(subject, role).get(), request, &created);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return created;
  }

  grpc::Status Get(const std::string& name, const std::string& subject, Role role, v1::Contact* out,
                   const std::string& reason = "") {
    v1::GetContactRequest request;
    request.set_name(name);
    return contacts_->GetContact(As(subject, role, reason).get(), request, out);
  }

  grpc::Status Relate(const std::string& contact, const std::string& account,
                      std::vector<v1::AccountRelationRole> roles, v1::AccountRelation* out,
                      const std::string& subject = "root", Role role = Role::kAdmin,
                      bool primary = false) {
    v1::CreateAccountRelationRequest request;
    request.set_parent(contact);
    request.mutable_account_relation()->set_account(account);
    for (auto r : roles) request.mutable_account_relation()->add_roles(r);
    request.mutable_account_relation()->set_is_primary(primary);
    return relations_->CreateAccountRelation(As(subject, role).get(), request, out);
  }

  // Rows of a table of the contact schema, each as Postgres's text form of the whole row.
  std::vector<std::string> RowsOf(const std::string& table) {
    pqxx::connection connection(database_.url());
    pqxx::work work(connection);
    std::vector<std::string> rows;
    for (const auto& row : work.exec("SELECT t::text FROM " + table + " t")) {
      rows.push_back(row[0].as<std::string>());
    }
    return rows;
  }

  testing::TestDatabase database_;
  testing::ServiceHarness account_;
  testing::ServiceHarness contact_;
  std::unique_ptr<account::v1::AccountService::Stub> accounts_;
  std::unique_ptr<account::v1::AccountTeamService::Stub> teams_;
  std::unique_ptr<v1::ContactService::Stub> contacts_;
  std::unique_ptr<v1::ContactAccountRelationService::Stub> relations_;
  std::unique_ptr<v1::ContactEngagementService::Stub> engagement_;
  std::unique_ptr<v1::AppointmentService::Stub> appointments_;
  std::unique_ptr<v1::CampaignService::Stub> campaigns_;
};

}  // namespace accord::contact
