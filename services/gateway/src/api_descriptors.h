// The Accord API as descriptors: every service proto (and what it imports), compiled at build
// time into a FileDescriptorSet. The gateway transcodes and documents by these, so it serves
// whatever RPCs the protos declare without code per RPC.
#pragma once

#include <google/protobuf/descriptor.h>
#include <google/protobuf/descriptor.pb.h>
#include <google/protobuf/dynamic_message.h>
#include <google/protobuf/util/type_resolver.h>

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "absl/status/statusor.h"

namespace accord::gateway {

class ApiDescriptors {
 public:
  // From a serialized google.protobuf.FileDescriptorSet.
  static absl::StatusOr<std::unique_ptr<ApiDescriptors>> FromSerialized(std::string_view bytes);
  // The set compiled into the gateway.
  static const ApiDescriptors& Embedded();

  const google::protobuf::DescriptorPool& pool() const { return pool_; }
  const google::protobuf::FileDescriptorSet& files() const { return files_; }
  // Every service declared in an accord.* package, in file order.
  std::vector<const google::protobuf::ServiceDescriptor*> Services() const;
  // Resolves the API's types for Protobuf's JSON conversion (BinaryToJsonString and
  // JsonToBinaryString), remembering each type once converted: the library's own
  // MessageToJsonString builds a new resolver, and converts every type again, on every call.
  google::protobuf::util::TypeResolver* resolver() const { return resolver_.get(); }
  static std::string TypeUrl(const google::protobuf::Descriptor& type) {
    return "type.googleapis.com/" + type.full_name();
  }
  // The JSON of the serialized message `bytes` of `type`.
  absl::StatusOr<std::string> BytesToJson(const google::protobuf::Descriptor& type,
                                          std::string_view bytes) const;
  // A new empty message of `type`, owned by the caller.
  std::unique_ptr<google::protobuf::Message> NewMessage(
      const google::protobuf::Descriptor* type) const;

 private:
  ApiDescriptors() = default;
  google::protobuf::FileDescriptorSet files_;
  google::protobuf::DescriptorPool pool_;
  mutable google::protobuf::DynamicMessageFactory factory_{&pool_};
  std::unique_ptr<google::protobuf::util::TypeResolver> resolver_;
};

}  // namespace accord::gateway
