// The services of the suite for the tests that walk all of them (issue 18): how to start each
// without its peers, and one write of each that needs no peer.
#pragma once

#include <google/protobuf/descriptor.h>
#include <google/protobuf/dynamic_message.h>
#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "accord/common/server.h"
#include "account_service.h"
#include "contact_service.h"
#include "notes_service.h"
#include "pricing_service.h"
#include "quality_service.h"
#include "webhooks_service.h"

namespace accord {

// Peers are not reachable: nothing here gets as far as asking one.
inline common::ServiceDefinition DefinitionOf(const std::string& name) {
  if (name == "account") return account::AccountServiceDefinition();
  if (name == "contact") {
    contact::ContactSettings settings;
    settings.keys = *contact::ParsePiiKeys("test-k1:dGVzdC1waWkta2V5LTMyLWJ5dGVzLWxvbmctLS0tLS0=",
                                           "dGVzdC1ibGluZC1pbmRleC1rZXktMzItYnl0ZXMtLS0=");
    settings.default_region = "GB";
    settings.account.service = "account";
    settings.account.address = "127.0.0.1:1";
    return contact::ContactServiceDefinition(settings);
  }
  if (name == "pricing-terms") {
    pricing::PricingSettings settings;
    settings.account.service = "account";
    settings.account.address = "127.0.0.1:1";
    return pricing::PricingTermsServiceDefinition(settings);
  }
  if (name == "service-quality") return quality::QualityServiceDefinition();
  if (name == "webhooks") {
    webhooks::WebhooksOptions options;
    options.secret_key_base64 = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
    return webhooks::WebhooksServiceDefinition(options);
  }
  return example::NotesServiceDefinition();
}

inline const std::vector<std::string> kServices = {"account",         "contact",  "pricing-terms",
                                                   "service-quality", "webhooks", "notes"};

// One write per service that needs no peer: its method and request as JSON.
struct Write {
  std::string method;  // "/pkg.Service/Method"
  std::string json;
  std::string list;  // the List of what it writes ("" if none) and its repeated field
  std::string listed;
};
inline Write WriteOf(const std::string& service) {
  if (service == "account") {
    return {"/accord.account.v1.AccountService/CreateAccount",
            R"({"account": {"displayName": "Replayed", "type": "ORGANIZATION_TYPE_COMMERCIAL"}})",
            "/accord.account.v1.AccountService/ListAccounts", "accounts"};
  }
  if (service == "contact") {
    return {"/accord.contact.v1.ContactService/CreateContact",
            R"({"contact": {"givenName": "Augusta", "familyName": "Lovelace"}})",
            "/accord.contact.v1.ContactService/ListContacts", "contacts"};
  }
  if (service == "pricing-terms") {
    return {"/accord.pricing.v1.PriceListService/CreatePriceList",
            R"({"priceList": {"displayName": "Replayed", "currencyCode": "EUR",
                "validFrom": {"year": 2026, "month": 1, "day": 1}}})",
            "/accord.pricing.v1.PriceListService/ListPriceLists", "price_lists"};
  }
  if (service == "service-quality") {
    return {"/accord.quality.v1.SlaService/CreateCalendar",
            R"({"calendar": {"displayName": "Replayed", "timeZone": "UTC", "workingHours": [
                {"weekday": 1, "start": "09:00", "end": "17:00"}]}})",
            "/accord.quality.v1.SlaService/ListCalendars", "calendars"};
  }
  if (service == "webhooks") {
    return {"/accord.webhooks.v1.WebhookService/CreateWebhook",
            R"({"webhook": {"url": "https://receiver.example/hook",
                "secret": "whsec-integration-0123456789"}})",
            "/accord.webhooks.v1.WebhookService/ListWebhooks", "webhooks"};
  }
  return {"/accord.example.v1.NotesService/CreateNote", R"({"note": {"text": "replayed"}})", "",
          ""};
}

// The request of `write` with `request_id`, encoded.
// The descriptor of "/pkg.Service/Method".
inline const google::protobuf::MethodDescriptor* MethodOf(const std::string& path) {
  const std::string full = path.substr(1);
  return google::protobuf::DescriptorPool::generated_pool()->FindMethodByName(
      full.substr(0, full.find('/')) + "." + full.substr(full.find('/') + 1));
}

// A new message of `type` (the generated one).
inline std::unique_ptr<google::protobuf::Message> NewMessage(
    const google::protobuf::Descriptor* type) {
  return std::unique_ptr<google::protobuf::Message>(
      google::protobuf::MessageFactory::generated_factory()->GetPrototype(type)->New());
}

inline std::string EncodedWrite(const Write& write, const std::string& request_id) {
  const auto* method = MethodOf(write.method);
  EXPECT_NE(method, nullptr) << write.method;
  if (method == nullptr) return "";
  auto request = NewMessage(method->input_type());
  auto parsed = google::protobuf::util::JsonStringToMessage(write.json, request.get());
  EXPECT_TRUE(parsed.ok()) << parsed.ToString();
  const auto* field = method->input_type()->FindFieldByName("request_id");
  EXPECT_NE(field, nullptr) << "every write takes a request_id";
  if (field != nullptr) request->GetReflection()->SetString(request.get(), field, request_id);
  return request->SerializeAsString();
}

}  // namespace accord
