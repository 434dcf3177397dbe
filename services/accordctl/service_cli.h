// The call shapes shared by the commands of one service (pricing_cli.h for pricing-terms,
// quality.cc for service-quality): a stub with its call options, one call printed as JSON, and a
// List command paged through cli::RunListPages.
#pragma once

#include <google/protobuf/repeated_ptr_field.h>
#include <grpcpp/support/status.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "command.h"
#include "resource_cli.h"
#include "rpc.h"

namespace accord::accordctl::service_cli {

// A stub of one service with the call options of its calls.
template <typename Service>
struct Client {
  CallOptions call;
  std::unique_ptr<typename Service::Stub> stub;

  // One unary call with a fresh context; `method` is a member of the stub.
  template <typename Request, typename Response>
  grpc::Status Call(grpc::Status (Service::Stub::*method)(grpc::ClientContext*, const Request&,
                                                          Response*),
                    const Request& request, Response* response) const {
    auto context = call.NewContext();
    return ((*stub).*method)(context.get(), request, response);
  }
};

// `service` is a key of Services() ("pricing-terms"); nullopt after a usage error (bad
// connection flags).
template <typename Service>
std::optional<Client<Service>> Connect(const Invocation& inv, const std::string& service) {
  auto call = CallOptionsFor(inv, *FindService(service));
  if (!call) return std::nullopt;
  Client<Service> client{std::move(*call), nullptr};
  client.stub = Service::NewStub(client.call.NewChannel());
  return client;
}

// The response as JSON, or the error.
template <typename Message>
int PrintResult(const Invocation& inv, const grpc::Status& status, const Message& message) {
  if (!status.ok()) return ReportRpcError(status, inv.err);
  inv.out << ToJson(message, /*pretty=*/true) << "\n";
  return kExitOk;
}

// Connects, makes one call and prints its response as JSON: what get, create and update do.
template <typename Service, typename Request, typename Response>
int CallAndPrint(const Invocation& inv, const std::string& service,
                 grpc::Status (Service::Stub::*method)(grpc::ClientContext*, const Request&,
                                                       Response*),
                 const Request& request) {
  auto client = Connect<Service>(inv, service);
  if (!client) return kExitUsage;
  Response response;
  return PrintResult(inv, client->Call(method, request, &response), response);
}

// A List command (cli::RunListPages) over `method`; `items_of` picks the page's items.
template <typename Service, typename Request, typename Response, typename Item>
int ListPages(
    const Invocation& inv, const std::string& service, Request request,
    grpc::Status (Service::Stub::*method)(grpc::ClientContext*, const Request&, Response*),
    const std::function<const google::protobuf::RepeatedPtrField<Item>&(const Response&)>& items_of,
    const std::vector<std::string>& header,
    const std::function<std::vector<std::string>(const Item&)>& row) {
  if (!cli::FillListRequest(inv, &request)) return kExitUsage;
  auto client = Connect<Service>(inv, service);
  if (!client) return kExitUsage;
  return cli::RunListPages<Request, Item>(
      inv, request,
      [&](const Request& page_request, std::vector<Item>* items, std::string* next_page_token) {
        Response response;
        grpc::Status status = client->Call(method, page_request, &response);
        const auto& page = items_of(response);
        items->assign(page.begin(), page.end());
        *next_page_token = response.next_page_token();
        return status;
      },
      header, row);
}

// "ID" or "<collection>/ID" -> "<collection>/ID".
inline std::string Named(const std::string& collection, const std::string& text) {
  const std::string prefix = collection + "/";
  return text.rfind(prefix, 0) == 0 ? text : prefix + text;
}

}  // namespace accord::accordctl::service_cli
