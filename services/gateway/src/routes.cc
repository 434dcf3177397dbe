#include "routes.h"

#include <algorithm>

#include "absl/strings/str_split.h"
#include "google/api/annotations.pb.h"

namespace accord::gateway {
namespace {

std::vector<google::api::HttpRule> Bindings(const google::protobuf::MethodDescriptor& method) {
  std::vector<google::api::HttpRule> rules;
  if (!method.options().HasExtension(google::api::http)) return rules;
  const auto& rule = method.options().GetExtension(google::api::http);
  rules.push_back(rule);
  for (const auto& extra : rule.additional_bindings()) rules.push_back(extra);
  return rules;
}

std::pair<std::string, std::string> MethodAndPath(const google::api::HttpRule& rule) {
  switch (rule.pattern_case()) {
    case google::api::HttpRule::kGet:
      return {"GET", rule.get()};
    case google::api::HttpRule::kPut:
      return {"PUT", rule.put()};
    case google::api::HttpRule::kPost:
      return {"POST", rule.post()};
    case google::api::HttpRule::kDelete:
      return {"DELETE", rule.delete_()};
    case google::api::HttpRule::kPatch:
      return {"PATCH", rule.patch()};
    case google::api::HttpRule::kCustom:
      return {rule.custom().kind(), rule.custom().path()};
    default:
      return {"", ""};
  }
}

}  // namespace

const std::vector<Backend>& Backends() {
  static const std::vector<Backend> backends = {
      {"account", {"accord.account.v1"}, 50051},
      {"contact", {"accord.contact.v1"}, 50052},
      {"pricing-terms", {"accord.pricing.v1"}, 50053},
      {"service-quality", {"accord.quality.v1"}, 50054},
      {"webhooks", {"accord.webhooks.v1"}, 50056},
  };
  return backends;
}

const Backend* BackendFor(const google::protobuf::ServiceDescriptor& service) {
  for (const auto& backend : Backends()) {
    for (const auto& package : backend.packages) {
      if (service.file()->package() == package) return &backend;
    }
  }
  return nullptr;
}

std::string Route::grpc_path() const {
  return "/" + method->service()->full_name() + "/" + method->name();
}

const google::protobuf::FieldDescriptor* FieldAt(const google::protobuf::Descriptor& type,
                                                 const std::string& path) {
  const google::protobuf::Descriptor* current = &type;
  const google::protobuf::FieldDescriptor* field = nullptr;
  for (const auto& part : absl::StrSplit(path, '.')) {
    if (current == nullptr) return nullptr;
    field = current->FindFieldByName(std::string(part));
    if (field == nullptr) return nullptr;
    current = field->message_type();
  }
  return field;
}

absl::StatusOr<RouteTable> RouteTable::Build(const ApiDescriptors& api) {
  RouteTable table;
  for (const auto* service : api.Services()) {
    const Backend* backend = BackendFor(*service);
    for (int m = 0; m < service->method_count(); ++m) {
      const auto* method = service->method(m);
      for (const auto& rule : Bindings(*method)) {
        auto [http_method, text] = MethodAndPath(rule);
        const std::string where = method->full_name() + ": ";
        if (http_method.empty()) return absl::InvalidArgumentError(where + "no HTTP pattern");
        auto path = PathTemplate::Parse(text);
        if (!path.ok())
          return absl::InvalidArgumentError(where + std::string(path.status().message()));
        Route route{method,      http_method,          std::move(*path),
                    rule.body(), rule.response_body(), backend};
        for (const auto& variable : route.path.variables()) {
          if (backend == nullptr && variable.field_path == kBackendVariable) continue;
          const auto* field = FieldAt(*method->input_type(), variable.field_path);
          if (field == nullptr || field->is_repeated() ||
              field->type() != google::protobuf::FieldDescriptor::TYPE_STRING) {
            return absl::InvalidArgumentError(where + "path variable " + variable.field_path +
                                              " is not a string field of the request");
          }
        }
        if (backend == nullptr && (!method->server_streaming() || method->client_streaming())) {
          return absl::InvalidArgumentError(where + "no backend serves " +
                                            service->file()->package());
        }
        if (!route.body.empty() && route.body != "*" &&
            method->input_type()->FindFieldByName(route.body) == nullptr) {
          return absl::InvalidArgumentError(where + "body " + route.body + " is not a field");
        }
        if (!route.response_body.empty() &&
            method->output_type()->FindFieldByName(route.response_body) == nullptr) {
          return absl::InvalidArgumentError(where + "response_body is not a field");
        }
        table.routes_.push_back(std::move(route));
      }
    }
  }
  std::stable_sort(table.routes_.begin(), table.routes_.end(), [](const Route& a, const Route& b) {
    return a.path.Specificity() > b.path.Specificity();
  });
  return table;
}

std::optional<RouteMatch> RouteTable::Find(const std::string& http_method, const std::string& path,
                                           bool* path_matched) const {
  if (path_matched != nullptr) *path_matched = false;
  const auto split = PathTemplate::Split(path);
  for (const auto& route : routes_) {
    auto bindings = route.path.Match(split);
    if (!bindings) continue;
    if (route.http_method != http_method) {
      if (path_matched != nullptr) *path_matched = true;
      continue;
    }
    return RouteMatch{&route, std::move(*bindings)};
  }
  return std::nullopt;
}

std::vector<std::string> UnannotatedMethods(const ApiDescriptors& api) {
  std::vector<std::string> missing;
  for (const auto* service : api.Services()) {
    for (int m = 0; m < service->method_count(); ++m) {
      if (Bindings(*service->method(m)).empty()) {
        missing.push_back(service->full_name() + "/" + service->method(m)->name());
      }
    }
  }
  return missing;
}

}  // namespace accord::gateway
