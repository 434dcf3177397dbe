// The Accord API as descriptors: every service proto (and what it imports), compiled at build
// time into a FileDescriptorSet. The gateway transcodes and documents by these, so it serves
// whatever RPCs the protos declare without code per RPC.
#pragma once

#include <google/protobuf/descriptor.h>
#include <google/protobuf/descriptor.pb.h>
#include <google/protobuf/dynamic_message.h>

#include <memory>
#include <string_view>
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
  // A new empty message of `type`, owned by the caller.
  std::unique_ptr<google::protobuf::Message> NewMessage(
      const google::protobuf::Descriptor* type) const;

 private:
  ApiDescriptors() = default;
  google::protobuf::FileDescriptorSet files_;
  google::protobuf::DescriptorPool pool_;
  mutable google::protobuf::DynamicMessageFactory factory_{&pool_};
};

}  // namespace accord::gateway
