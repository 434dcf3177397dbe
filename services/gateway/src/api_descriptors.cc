#include "api_descriptors.h"

#include "absl/strings/match.h"

namespace accord::gateway {

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
  return api;
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
