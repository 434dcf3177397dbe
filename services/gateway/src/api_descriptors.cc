#include "api_descriptors.h"

#include <google/protobuf/type.pb.h>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/type_resolver_util.h>

#include "absl/strings/match.h"
#include "wire_json.h"

namespace accord::gateway {
namespace {

// The pool's resolver, with each answer kept (the API's types never change while it runs).
class CachingResolver : public google::protobuf::util::TypeResolver {
 public:
  explicit CachingResolver(const google::protobuf::DescriptorPool* pool)
      : inner_(google::protobuf::util::NewTypeResolverForDescriptorPool("type.googleapis.com",
                                                                        pool)) {}
  google::protobuf::util::Status ResolveMessageType(const std::string& url,
                                                    google::protobuf::Type* type) override {
    return Resolve(messages_, url, type, [&](google::protobuf::Type* out) {
      return inner_->ResolveMessageType(url, out);
    });
  }
  google::protobuf::util::Status ResolveEnumType(const std::string& url,
                                                 google::protobuf::Enum* type) override {
    return Resolve(enums_, url, type,
                   [&](google::protobuf::Enum* out) { return inner_->ResolveEnumType(url, out); });
  }

 private:
  template <typename T, typename Fetch>
  google::protobuf::util::Status Resolve(std::unordered_map<std::string, T>& cache,
                                         const std::string& url, T* out, Fetch fetch) {
    {
      std::lock_guard lock(mutex_);
      auto it = cache.find(url);
      if (it != cache.end()) {
        *out = it->second;
        return google::protobuf::util::Status();
      }
    }
    T fetched;
    auto status = fetch(&fetched);
    if (!status.ok()) return status;
    *out = fetched;
    std::lock_guard lock(mutex_);
    cache.emplace(url, std::move(fetched));
    return status;
  }

  std::unique_ptr<google::protobuf::util::TypeResolver> inner_;
  std::mutex mutex_;
  std::unordered_map<std::string, google::protobuf::Type> messages_;
  std::unordered_map<std::string, google::protobuf::Enum> enums_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<ApiDescriptors>> ApiDescriptors::FromSerialized(
    std::string_view bytes) {
  std::unique_ptr<ApiDescriptors> api(new ApiDescriptors());
  if (!api->files_.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::InvalidArgumentError("the API descriptor set does not parse");
  }
  // --include_imports lists every file after its imports, so each builds on the ones before.
  for (const auto& file : api->files_.file()) {
    if (api->pool_.BuildFile(file) == nullptr) {
      return absl::InvalidArgumentError("descriptor " + file.name() + " does not build");
    }
  }
  api->resolver_ = std::make_unique<CachingResolver>(&api->pool_);
  return api;
}

absl::StatusOr<std::string> ApiDescriptors::BytesToJson(const google::protobuf::Descriptor& type,
                                                        std::string_view bytes) const {
  if (auto json = WireToJson(type, bytes)) return std::move(*json);
  std::string json;
  auto status = google::protobuf::util::BinaryToJsonString(resolver_.get(), TypeUrl(type),
                                                           std::string(bytes), &json);
  if (!status.ok()) return absl::InternalError("the message does not convert to JSON");
  return json;
}

std::vector<const google::protobuf::ServiceDescriptor*> ApiDescriptors::Services() const {
  std::vector<const google::protobuf::ServiceDescriptor*> services;
  for (const auto& proto : files_.file()) {
    if (!absl::StartsWith(proto.package(), "accord.")) continue;
    const auto* file = pool_.FindFileByName(proto.name());
    for (int i = 0; i < file->service_count(); ++i) services.push_back(file->service(i));
  }
  return services;
}

std::unique_ptr<google::protobuf::Message> ApiDescriptors::NewMessage(
    const google::protobuf::Descriptor* type) const {
  return std::unique_ptr<google::protobuf::Message>(factory_.GetPrototype(type)->New());
}

}  // namespace accord::gateway
