#include "transcode.h"

#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <charconv>
#include <nlohmann/json.hpp>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "accord/common/errors.h"

namespace accord::gateway {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string Describe(const absl::Status& status) { return std::string(status.message()); }

// The field of `type` a query key or JSON key names: its proto name or its JSON name.
const FieldDescriptor* FieldByAnyName(const Descriptor& type, const std::string& name) {
  const FieldDescriptor* field = type.FindFieldByName(name);
  for (int i = 0; field == nullptr && i < type.field_count(); ++i) {
    if (type.field(i)->json_name() == name) field = type.field(i);
  }
  return field;
}

// Walks `path` ("a.b.c", proto or JSON names) from `root`, creating the messages on the way.
// Returns the innermost message and the last field.
absl::StatusOr<std::pair<Message*, const FieldDescriptor*>> Resolve(Message* root,
                                                                    const std::string& path) {
  Message* current = root;
  std::vector<std::string> parts = absl::StrSplit(path, '.');
  for (size_t i = 0; i < parts.size(); ++i) {
    const FieldDescriptor* field = FieldByAnyName(*current->GetDescriptor(), parts[i]);
    if (field == nullptr) return absl::NotFoundError(path);
    if (i + 1 == parts.size()) return std::make_pair(current, field);
    if (field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE || field->is_repeated()) {
      return absl::NotFoundError(path);
    }
    current = current->GetReflection()->MutableMessage(current, field);
  }
  return absl::NotFoundError(path);
}

// A number field set (or appended) from text, through the reflection setter of its type.
template <typename T, typename Parse>
absl::Status SetParsed(Message* message, const FieldDescriptor* field, const std::string& text,
                       void (Reflection::*set)(Message*, const FieldDescriptor*, T) const,
                       void (Reflection::*add)(Message*, const FieldDescriptor*, T) const,
                       Parse parse) {
  T value;
  if (!parse(text, &value)) return absl::InvalidArgumentError("is not a number of its type");
  const Reflection* reflection = message->GetReflection();
  (reflection->*(field->is_repeated() ? add : set))(message, field, value);
  return absl::OkStatus();
}

// Sets (or, for a repeated field, appends) one textual value, as the JSON mapping reads it.
absl::Status SetText(Message* message, const FieldDescriptor* field, const std::string& text) {
  const Reflection* reflection = message->GetReflection();
  const bool repeated = field->is_repeated();
  auto bad = [&](const std::string& what) { return absl::InvalidArgumentError("is not " + what); };
  switch (field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING: {
      std::string value = text;
      if (field->type() == FieldDescriptor::TYPE_BYTES) {
        if (!absl::WebSafeBase64Unescape(text, &value) && !absl::Base64Unescape(text, &value)) {
          return bad("base64");
        }
      }
      repeated ? reflection->AddString(message, field, value)
               : reflection->SetString(message, field, value);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_INT32:
      return SetParsed<int32_t>(
          message, field, text, &Reflection::SetInt32, &Reflection::AddInt32,
          [](const std::string& s, int32_t* v) { return absl::SimpleAtoi(s, v); });
    case FieldDescriptor::CPPTYPE_INT64:
      return SetParsed<int64_t>(
          message, field, text, &Reflection::SetInt64, &Reflection::AddInt64,
          [](const std::string& s, int64_t* v) { return absl::SimpleAtoi(s, v); });
    case FieldDescriptor::CPPTYPE_UINT32:
      return SetParsed<uint32_t>(
          message, field, text, &Reflection::SetUInt32, &Reflection::AddUInt32,
          [](const std::string& s, uint32_t* v) { return absl::SimpleAtoi(s, v); });
    case FieldDescriptor::CPPTYPE_UINT64:
      return SetParsed<uint64_t>(
          message, field, text, &Reflection::SetUInt64, &Reflection::AddUInt64,
          [](const std::string& s, uint64_t* v) { return absl::SimpleAtoi(s, v); });
    case FieldDescriptor::CPPTYPE_DOUBLE:
      return SetParsed<double>(
          message, field, text, &Reflection::SetDouble, &Reflection::AddDouble,
          [](const std::string& s, double* v) { return absl::SimpleAtod(s, v); });
    case FieldDescriptor::CPPTYPE_FLOAT:
      return SetParsed<float>(
          message, field, text, &Reflection::SetFloat, &Reflection::AddFloat,
          [](const std::string& s, float* v) { return absl::SimpleAtof(s, v); });
    case FieldDescriptor::CPPTYPE_BOOL: {
      bool v;
      if (text == "true" || text == "1") {
        v = true;
      } else if (text == "false" || text == "0") {
        v = false;
      } else {
        return bad("true or false");
      }
      repeated ? reflection->AddBool(message, field, v) : reflection->SetBool(message, field, v);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_ENUM: {
      const auto* value = field->enum_type()->FindValueByName(text);
      int number = 0;
      if (value == nullptr) {
        if (!absl::SimpleAtoi(text, &number) ||
            field->enum_type()->FindValueByNumber(number) == nullptr) {
          return bad("one of the values of " + field->enum_type()->name());
        }
      } else {
        number = value->number();
      }
      repeated ? reflection->AddEnumValue(message, field, number)
               : reflection->SetEnumValue(message, field, number);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_MESSAGE: {
      // Well-known types with a string JSON form (Timestamp, Duration, FieldMask, wrappers):
      // the query text is that JSON string.
      Message* target = repeated ? reflection->AddMessage(message, field)
                                 : reflection->MutableMessage(message, field);
      const std::string json = nlohmann::json(text).dump();
      if (!google::protobuf::util::JsonStringToMessage(json, target).ok()) {
        // A wrapper of a number or a bool takes the bare literal.
        if (!google::protobuf::util::JsonStringToMessage(text, target).ok()) {
          return bad("a valid " + field->message_type()->name());
        }
      }
      return absl::OkStatus();
    }
  }
  return bad("settable");
}

bool IsSet(const Message& message, const FieldDescriptor* field) {
  const Reflection* reflection = message.GetReflection();
  return field->is_repeated() ? reflection->FieldSize(message, field) > 0
                              : reflection->HasField(message, field);
}

// AIP-134: a PATCH without update_mask updates the fields present in the body. The mask lists
// the body's top-level fields (not the resource's name or etag, which identify, not change).
absl::Status DeriveUpdateMask(Message* request, const FieldDescriptor* resource_field,
                              std::string_view body) {
  const FieldDescriptor* mask_field = request->GetDescriptor()->FindFieldByName("update_mask");
  if (mask_field == nullptr || mask_field->message_type() == nullptr ||
      mask_field->message_type()->full_name() != "google.protobuf.FieldMask" ||
      IsSet(*request, mask_field) || body.empty()) {
    return absl::OkStatus();
  }
  auto parsed = nlohmann::json::parse(body, nullptr, false);
  if (!parsed.is_object()) return absl::OkStatus();
  Message* mask = request->GetReflection()->MutableMessage(request, mask_field);
  const FieldDescriptor* paths = mask->GetDescriptor()->FindFieldByName("paths");
  const Descriptor& resource = *resource_field->message_type();
  for (const auto& item : parsed.items()) {
    const FieldDescriptor* field = FieldByAnyName(resource, item.key());
    if (field == nullptr || field->name() == "name" || field->name() == "etag") continue;
    mask->GetReflection()->AddString(mask, paths, field->name());
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> PercentDecode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '%') {
      if (i + 2 >= text.size()) {
        return absl::InvalidArgumentError("malformed percent escape");
      }
      int high = HexValue(text[i + 1]), low = HexValue(text[i + 2]);
      if (high < 0 || low < 0) return absl::InvalidArgumentError("malformed percent escape");
      out.push_back(static_cast<char>(high * 16 + low));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

absl::StatusOr<QueryParams> ParseQuery(std::string_view query) {
  QueryParams params;
  if (query.empty()) return params;
  for (absl::string_view piece :
       absl::StrSplit(absl::string_view(query.data(), query.size()), '&')) {
    std::string_view part(piece.data(), piece.size());
    if (part.empty()) continue;
    size_t eq = part.find('=');
    auto key = PercentDecode(part.substr(0, eq), true);
    auto value = PercentDecode(
        eq == std::string_view::npos ? std::string_view() : part.substr(eq + 1), true);
    if (!key.ok() || !value.ok()) return absl::InvalidArgumentError("malformed query string");
    params.emplace_back(std::move(*key), std::move(*value));
  }
  return params;
}

absl::StatusOr<std::unique_ptr<Message>> BuildRequest(const ApiDescriptors& api,
                                                      const TranscodeInput& input) {
  const Route& route = *input.match->route;
  const Descriptor& type = *route.method->input_type();
  auto request = api.NewMessage(&type);
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;

  // The body: the whole request ("*"), one field of it, or nothing.
  const FieldDescriptor* body_field = nullptr;
  if (route.body.empty()) {
    if (!input.body.empty()) {
      return common::InvalidArgument("body", "this method takes no request body");
    }
  } else if (!input.body.empty()) {
    Message* target = request.get();
    if (route.body != "*") {
      body_field = type.FindFieldByName(route.body);
      target = request->GetReflection()->MutableMessage(request.get(), body_field);
    }
    auto parsed = google::protobuf::util::JsonStringToMessage(
        google::protobuf::StringPiece(input.body.data(), input.body.size()), target, options);
    if (!parsed.ok()) {
      return common::InvalidArgument("body", "is not a valid JSON " +
                                                 target->GetDescriptor()->name() + ": " +
                                                 std::string(parsed.message()));
    }
  }

  // Query parameters: any field not bound by the path or the body (AIP-127).
  for (const auto& [key, value] : input.query) {
    if (route.body == "*") {
      return common::InvalidArgument(key, "query parameters are not accepted with this method");
    }
    auto resolved = Resolve(request.get(), key);
    if (!resolved.ok() ||
        (body_field != nullptr && (key == body_field->name() || key == body_field->json_name() ||
                                   key.rfind(body_field->name() + ".", 0) == 0 ||
                                   key.rfind(body_field->json_name() + ".", 0) == 0))) {
      return common::InvalidArgument(key, "is not a parameter of this method");
    }
    auto [message, field] = *resolved;
    if (field->is_map())
      return common::InvalidArgument(key, "cannot be given as a query parameter");
    if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE && !field->is_repeated() &&
        field->message_type()->file()->package() != "google.protobuf") {
      return common::InvalidArgument(key, "name one of its fields, as " + key + ".<field>");
    }
    if (!field->is_repeated() && IsSet(*message, field)) {
      return common::InvalidArgument(key, "is given more than once");
    }
    if (auto status = SetText(message, field, value); !status.ok()) {
      return common::InvalidArgument(key, Describe(status));
    }
  }

  // Path variables win over anything the body said about the same field.
  for (const auto& [path, raw] : input.match->bindings) {
    if (route.backend == nullptr && path == kBackendVariable) continue;
    auto value = PercentDecode(raw, false);
    if (!value.ok()) return common::InvalidArgument(path, "is not a valid path segment");
    auto resolved = Resolve(request.get(), path);
    if (!resolved.ok()) return common::InvalidArgument(path, "is not a field of the request");
    auto [message, field] = *resolved;
    message->GetReflection()->SetString(message, field, *value);
  }

  if (route.http_method == "PATCH" && body_field != nullptr &&
      body_field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
    ACCORD_RETURN_IF_ERROR(DeriveUpdateMask(request.get(), body_field, input.body));
  }

  if (!input.if_match.empty()) {
    const FieldDescriptor* etag = type.FindFieldByName("etag");
    if (etag == nullptr || etag->type() != FieldDescriptor::TYPE_STRING || etag->is_repeated()) {
      return common::InvalidArgument("If-Match", "this method takes no etag");
    }
    const std::string current = request->GetReflection()->GetString(*request, etag);
    if (!current.empty() && current != input.if_match) {
      return common::InvalidArgument("If-Match", "disagrees with the etag in the request");
    }
    request->GetReflection()->SetString(request.get(), etag, input.if_match);
  }
  return request;
}

absl::StatusOr<std::string> ResponseJson(const Message& message, const Route& route) {
  const Message* shown = &message;
  if (!route.response_body.empty()) {
    const FieldDescriptor* field = message.GetDescriptor()->FindFieldByName(route.response_body);
    if (field != nullptr && field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE &&
        !field->is_repeated()) {
      shown = &message.GetReflection()->GetMessage(message, field);
    }
  }
  std::string json;
  auto status = google::protobuf::util::MessageToJsonString(*shown, &json);
  if (!status.ok()) return absl::InternalError("response does not convert to JSON");
  return json;
}

std::string EtagOf(const Message& message) {
  const FieldDescriptor* etag = message.GetDescriptor()->FindFieldByName("etag");
  if (etag == nullptr || etag->type() != FieldDescriptor::TYPE_STRING || etag->is_repeated()) {
    return {};
  }
  return message.GetReflection()->GetString(message, etag);
}

absl::StatusOr<std::optional<std::chrono::nanoseconds>> ParseGrpcTimeout(std::string_view header) {
  if (header.empty()) return std::optional<std::chrono::nanoseconds>();
  const auto malformed = common::InvalidArgument(
      "grpc-timeout", "must be 1 to 8 digits and a unit (H, M, S, m, u, n), e.g. 250m");
  if (header.size() < 2 || header.size() > 9) return malformed;
  double value = 0;
  for (char c : header.substr(0, header.size() - 1)) {
    if (c < '0' || c > '9') return malformed;
    value = value * 10 + (c - '0');
  }
  double seconds_per_unit = 0;
  switch (header.back()) {
    case 'H':
      seconds_per_unit = 3600;
      break;
    case 'M':
      seconds_per_unit = 60;
      break;
    case 'S':
      seconds_per_unit = 1;
      break;
    case 'm':
      seconds_per_unit = 1e-3;
      break;
    case 'u':
      seconds_per_unit = 1e-6;
      break;
    case 'n':
      seconds_per_unit = 1e-9;
      break;
    default:
      return malformed;
  }
  // 99999999H does not fit in nanoseconds; a year is more than any deadline the gateway keeps.
  const double seconds = std::min(value * seconds_per_unit, 365.0 * 24 * 3600);
  return std::optional<std::chrono::nanoseconds>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::duration<double>(seconds)));
}

}  // namespace accord::gateway
