#include "embedded.h"

#include "api_descriptors.h"

namespace accord::gateway {

const ApiDescriptors& ApiDescriptors::Embedded() {
  static const ApiDescriptors* api = [] {
    auto built = FromSerialized(EmbeddedDescriptorSet());
    // The build produced this set from the protos; it always builds.
    if (!built.ok()) std::abort();
    return built->release();
  }();
  return *api;
}

}  // namespace accord::gateway
