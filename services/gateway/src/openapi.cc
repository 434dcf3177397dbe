#include "openapi.h"

#include <map>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "google/api/field_behavior.pb.h"
#include "google/api/resource.pb.h"

namespace accord::gateway {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using nlohmann::json;

// Every resource pattern the API declares, split into segments.
std::vector<std::vector<std::string>> ResourcePatterns(const ApiDescriptors& api) {
  std::vector<std::vector<std::string>> patterns;
  std::function<void(const Descriptor&)> visit = [&](const Descriptor& message) {
    const auto& resource = message.options().GetExtension(google::api::resource);
    for (const auto& pattern : resource.pattern()) {
      patterns.push_back(absl::StrSplit(pattern, '/'));
    }
    for (int i = 0; i < message.nested_type_count(); ++i) visit(*message.nested_type(i));
  };
  for (const auto& proto : api.files().file()) {
    const auto* file = api.pool().FindFileByName(proto.name());
    for (int i = 0; i < file->message_type_count(); ++i) visit(*file->message_type(i));
  }
  return patterns;
}

// The parameter names for the `*` segments of one variable, in order.
std::vector<std::string> ParameterNames(const std::vector<std::vector<std::string>>& patterns,
                                        const PathTemplate& path,
                                        const PathTemplate::Variable& variable) {
  const auto& segments = path.segments();
  const size_t count = variable.end - variable.first;
  for (const auto& pattern : patterns) {
    if (pattern.size() != count) continue;
    std::vector<std::string> names;
    bool fits = true;
    for (size_t i = 0; i < count && fits; ++i) {
      const auto& segment = segments[variable.first + i];
      const bool is_variable = pattern[i].size() > 2 && pattern[i].front() == '{';
      if (segment.kind == PathTemplate::Segment::Kind::kLiteral) {
        fits = !is_variable && pattern[i] == segment.literal;
      } else if (segment.kind == PathTemplate::Segment::Kind::kSingle) {
        fits = is_variable;
        if (fits) names.push_back(pattern[i].substr(1, pattern[i].size() - 2));
      } else {
        fits = false;
      }
    }
    if (fits) return names;
  }
  std::vector<std::string> names;
  for (size_t i = 0; i < count; ++i) {
    const auto& segment = segments[variable.first + i];
    if (segment.kind == PathTemplate::Segment::Kind::kLiteral) continue;
    names.push_back(variable.field_path + (names.empty() ? "" : std::to_string(names.size())));
  }
  return names;
}

struct PathParameter {
  std::string name;
  std::string description;
};

std::string RenderPath(const std::vector<std::vector<std::string>>& patterns, const Route& route,
                       std::vector<PathParameter>* parameters) {
  const auto& path = route.path;
  const auto& segments = path.segments();
  std::string out;
  size_t v = 0;
  for (size_t s = 0; s < segments.size();) {
    if (v < path.variables().size() && path.variables()[v].first == s) {
      const auto& variable = path.variables()[v];
      auto names = ParameterNames(patterns, path, variable);
      size_t n = 0;
      for (size_t i = variable.first; i < variable.end; ++i) {
        if (segments[i].kind == PathTemplate::Segment::Kind::kLiteral) {
          out += "/" + segments[i].literal;
        } else {
          out += "/{" + names[n] + "}";
          if (parameters != nullptr) {
            parameters->push_back({names[n], "a segment of `" + variable.field_path + "`"});
          }
          ++n;
        }
      }
      s = variable.end;
      ++v;
      continue;
    }
    out += "/" + (segments[s].kind == PathTemplate::Segment::Kind::kLiteral ? segments[s].literal
                                                                            : std::string("*"));
    ++s;
  }
  if (!path.verb().empty()) out += ":" + path.verb();
  return out;
}

std::string Comment(const google::protobuf::SourceLocation& location) {
  std::string text = location.leading_comments;
  // One line per comment line, without the leading space protoc keeps.
  std::vector<std::string> lines = absl::StrSplit(text, '\n');
  for (auto& line : lines) line = std::string(absl::StripPrefix(line, " "));
  while (!lines.empty() && lines.back().empty()) lines.pop_back();
  return absl::StrJoin(lines, "\n");
}

template <typename D>
std::string CommentOf(const D& descriptor) {
  google::protobuf::SourceLocation location;
  if (!descriptor.GetSourceLocation(&location)) return {};
  return Comment(location);
}

bool HasBehavior(const FieldDescriptor& field, google::api::FieldBehavior behavior) {
  const auto& options = field.options();
  for (int i = 0; i < options.ExtensionSize(google::api::field_behavior); ++i) {
    if (options.GetExtension(google::api::field_behavior, i) == behavior) return true;
  }
  return false;
}

std::string SchemaName(const Descriptor& message) { return message.full_name(); }

json Ref(const Descriptor& message) {
  return {{"$ref", "#/components/schemas/" + SchemaName(message)}};
}

class SchemaBuilder {
 public:
  json& schemas() { return schemas_; }

  // The schema of a value of `field` (one element when repeated).
  json ValueSchema(const FieldDescriptor& field) {
    switch (field.type()) {
      case FieldDescriptor::TYPE_STRING:
        return {{"type", "string"}};
      case FieldDescriptor::TYPE_BYTES:
        return {{"type", "string"}, {"format", "byte"}};
      case FieldDescriptor::TYPE_BOOL:
        return {{"type", "boolean"}};
      case FieldDescriptor::TYPE_DOUBLE:
        return {{"type", "number"}, {"format", "double"}};
      case FieldDescriptor::TYPE_FLOAT:
        return {{"type", "number"}, {"format", "float"}};
      case FieldDescriptor::TYPE_INT64:
      case FieldDescriptor::TYPE_SINT64:
      case FieldDescriptor::TYPE_SFIXED64:
      case FieldDescriptor::TYPE_UINT64:
      case FieldDescriptor::TYPE_FIXED64:
        // Protobuf's JSON mapping writes 64-bit integers as strings.
        return {{"type", "string"}, {"format", "int64"}};
      case FieldDescriptor::TYPE_ENUM: {
        json values = json::array();
        for (int i = 0; i < field.enum_type()->value_count(); ++i) {
          values.push_back(field.enum_type()->value(i)->name());
        }
        return {{"type", "string"}, {"enum", values}};
      }
      case FieldDescriptor::TYPE_MESSAGE:
      case FieldDescriptor::TYPE_GROUP:
        return MessageSchema(*field.message_type());
      default:
        return {{"type", "integer"}, {"format", "int32"}};
    }
  }

  json FieldSchema(const FieldDescriptor& field) {
    json schema;
    if (field.is_map()) {
      schema = {{"type", "object"},
                {"additionalProperties", ValueSchema(*field.message_type()->map_value())}};
    } else if (field.is_repeated()) {
      schema = {{"type", "array"}, {"items", ValueSchema(field)}};
    } else {
      schema = ValueSchema(field);
    }
    std::string description = CommentOf(field);
    if (schema.contains("$ref")) {
      // Siblings of $ref are ignored in OpenAPI 3.0; wrap to keep the description.
      if (!description.empty() || HasBehavior(field, google::api::OUTPUT_ONLY)) {
        schema = {{"allOf", json::array({schema})}};
      }
    }
    if (!description.empty()) schema["description"] = description;
    if (HasBehavior(field, google::api::OUTPUT_ONLY)) schema["readOnly"] = true;
    return schema;
  }

  // A reference to the message's schema (or the inline schema of a well-known type).
  json MessageSchema(const Descriptor& message) {
    const std::string& name = message.full_name();
    if (name == "google.protobuf.Timestamp") return {{"type", "string"}, {"format", "date-time"}};
    if (name == "google.protobuf.Duration" || name == "google.protobuf.FieldMask") {
      return {{"type", "string"}};
    }
    if (name == "google.protobuf.Struct") return {{"type", "object"}};
    if (name == "google.protobuf.Value") return json::object();
    if (name == "google.protobuf.ListValue") return {{"type", "array"}, {"items", json::object()}};
    if (name == "google.protobuf.Empty") return {{"type", "object"}};
    if (name == "google.protobuf.Any") {
      return {{"type", "object"},
              {"properties", {{"@type", {{"type", "string"}}}}},
              {"additionalProperties", true}};
    }
    if (name.rfind("google.protobuf.", 0) == 0 && absl::EndsWith(name, "Value") &&
        message.field_count() == 1) {
      return ValueSchema(*message.field(0));
    }
    if (!schemas_.contains(name)) {
      schemas_[name] = json::object();  // placeholder against recursion
      json properties = json::object();
      json required = json::array();
      for (int i = 0; i < message.field_count(); ++i) {
        const FieldDescriptor& field = *message.field(i);
        properties[field.json_name()] = FieldSchema(field);
        if (HasBehavior(field, google::api::REQUIRED)) required.push_back(field.json_name());
      }
      json schema = {{"type", "object"}, {"properties", properties}};
      if (!required.empty()) schema["required"] = required;
      const std::string description = CommentOf(message);
      if (!description.empty()) schema["description"] = description;
      schemas_[name] = schema;
    }
    return Ref(message);
  }

 private:
  json schemas_ = json::object();
};

// Query parameters of a route: the request's fields not bound by the path or the body.
void AddQueryParameters(SchemaBuilder& builder, const Route& route, json& parameters) {
  if (route.body == "*") return;
  std::set<std::string> bound;
  for (const auto& variable : route.path.variables()) {
    bound.insert(variable.field_path.substr(0, variable.field_path.find('.')));
  }
  if (!route.body.empty()) bound.insert(route.body);
  const Descriptor& request = *route.method->input_type();
  for (int i = 0; i < request.field_count(); ++i) {
    const FieldDescriptor& field = *request.field(i);
    if (bound.count(field.name()) || field.is_map()) continue;
    json schema;
    if (field.cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      schema = builder.MessageSchema(*field.message_type());
      if (schema.contains("$ref")) continue;  // a message is not a query parameter
      if (field.is_repeated()) schema = {{"type", "array"}, {"items", schema}};
    } else {
      schema = builder.FieldSchema(field);
      schema.erase("description");
    }
    json parameter = {{"name", field.json_name()}, {"in", "query"}, {"schema", schema}};
    if (field.is_repeated()) {
      parameter["style"] = "form";
      parameter["explode"] = true;
    }
    const std::string description = CommentOf(field);
    if (!description.empty()) parameter["description"] = description;
    parameters.push_back(parameter);
  }
}

std::string Lower(std::string text) {
  for (auto& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

}  // namespace

std::string OpenApiPath(const ApiDescriptors& api, const Route& route) {
  return RenderPath(ResourcePatterns(api), route, nullptr);
}

json BuildOpenApi(const ApiDescriptors& api, const RouteTable& routes) {
  const auto patterns = ResourcePatterns(api);
  SchemaBuilder builder;
  const auto* status_type = api.pool().FindMessageTypeByName("google.rpc.Status");
  const json error_ref = builder.MessageSchema(*status_type);
  json paths = json::object();
  std::set<std::string> tags;
  for (const auto& route : routes.routes()) {
    std::vector<PathParameter> path_parameters;
    const std::string path = RenderPath(patterns, route, &path_parameters);
    const auto& method = *route.method;
    json parameters = json::array();
    for (const auto& parameter : path_parameters) {
      json schema = {{"type", "string"}};
      if (route.backend == nullptr && parameter.name == kBackendVariable) {
        json names = json::array();
        for (const auto& backend : Backends()) names.push_back(backend.name);
        schema["enum"] = names;
      }
      parameters.push_back({{"name", parameter.name},
                            {"in", "path"},
                            {"required", true},
                            {"description", parameter.description},
                            {"schema", schema}});
    }
    AddQueryParameters(builder, route, parameters);
    json operation = {
        {"operationId", method.service()->name() + "_" + method.name()},
        {"tags", json::array({method.service()->name()})},
        {"parameters", parameters},
    };
    tags.insert(method.service()->name());
    const std::string description = CommentOf(method);
    if (!description.empty()) operation["description"] = description;
    if (!route.body.empty()) {
      const Descriptor& body_type =
          route.body == "*" ? *method.input_type()
                            : *method.input_type()->FindFieldByName(route.body)->message_type();
      operation["requestBody"] = {
          {"required", true},
          {"content", {{"application/json", {{"schema", builder.MessageSchema(body_type)}}}}}};
    }
    json responses = json::object();
    if (method.server_streaming()) {
      for (const char* name : {"access_token", "last_event_id"}) {
        operation["parameters"].push_back(
            {{"name", name},
             {"in", "query"},
             {"schema", {{"type", "string"}}},
             {"description",
              std::string(name) == "access_token"
                  ? "the bearer token, for clients that cannot set headers (EventSource); "
                    "streams only"
                  : "resume after this event id (as the Last-Event-ID header)"}});
      }
      responses["200"] = {{"description", "Server-Sent Events: each event's data is a " +
                                              method.output_type()->full_name() +
                                              " as JSON and its id the resume cursor"},
                          {"content", {{"text/event-stream", {{"schema", {{"type", "string"}}}}}}}};
      builder.MessageSchema(*method.output_type());
    } else {
      const Descriptor* output = method.output_type();
      if (!route.response_body.empty()) {
        output = output->FindFieldByName(route.response_body)->message_type();
      }
      responses["200"] = {
          {"description", "OK"},
          {"content", {{"application/json", {{"schema", builder.MessageSchema(*output)}}}}}};
    }
    responses["default"] = {
        {"description",
         "An error: google.rpc.Status with its details (ErrorInfo reason, BadRequest field "
         "violations, RetryInfo); the HTTP status follows the standard gRPC mapping"},
        {"content", {{"application/json", {{"schema", error_ref}}}}}};
    operation["responses"] = responses;
    paths[path][Lower(route.http_method)] = operation;
  }
  json tag_list = json::array();
  for (const auto& tag : tags) tag_list.push_back({{"name", tag}});
  return {
      {"openapi", "3.0.3"},
      {"info",
       {{"title", "Accord API"},
        {"version", "v1"},
        {"description",
         "JSON over HTTP to the Accord services, transcoded by their google.api.http bindings "
         "(Protobuf's JSON mapping). Every call needs a bearer token; the services decide what "
         "it may do."}}},
      {"tags", tag_list},
      {"paths", paths},
      {"components",
       {{"schemas", builder.schemas()},
        {"securitySchemes",
         {{"bearerAuth", {{"type", "http"}, {"scheme", "bearer"}, {"bearerFormat", "JWT"}}}}}}},
      {"security", json::array({{{"bearerAuth", json::array()}}})},
  };
}

}  // namespace accord::gateway
