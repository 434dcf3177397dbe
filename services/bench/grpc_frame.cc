// accord-grpc-frame: writes one gRPC length-prefixed message (1 byte compressed flag 0, 4 bytes
// big-endian length, serialized protobuf) for h2load's --data, built from flags. See --help.
#include <google/protobuf/descriptor.h>
#include <google/protobuf/dynamic_message.h>
#include <google/protobuf/util/json_util.h>

#include <cstdint>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>

#include "accord/account/v1/account.pb.h"
#include "accord/account/v1/insights.pb.h"
#include "accord/account/v1/need.pb.h"
#include "accord/account/v1/team.pb.h"
#include "accord/bench/v1/noop.pb.h"
#include "bench_args.h"

namespace {

constexpr const char* kUsage = R"(usage: accord-grpc-frame --type=TYPE --out=FILE [fields...]

Writes one gRPC length-prefixed message (flag 0, 4-byte big-endian length, protobuf) to FILE,
for `h2load --data=FILE`. Prints the request as JSON on stderr with --verbose.

  --type=noop     NoopRequest            --payload-bytes=N (default 0)
  --type=get      GetAccountRequest      --name=accounts/ID
  --type=list     ListAccountsRequest    --page-size=N --filter=F --order-by=O
  --type=create   CreateAccountRequest   --display-name=S --legal-name=S --org-type=N (default 1)
                                         --lifecycle-stage=N --owner=S --request-id=UUID
                  (request_id must be unique per call or empty: leave it empty for load tests)
  --type=update   UpdateAccountRequest   --name=accounts/ID --etag=E --display-name=S
                                         (update_mask: display_name)
  --type=json     any request message of any service, from Protobuf's JSON mapping:
                  --message=accord.contact.v1.GetContactRequest --json='{"name": "contacts/..."}'
)";

template <typename Message>
void Describe(Message& message, bool verbose) {
  if (!verbose) return;
  std::string json;
  (void)google::protobuf::util::MessageToJsonString(message, &json);
  std::cerr << json << "\n";
}

}  // namespace

int main(int argc, char** argv) {
  accord::bench::Flags flags(argc, argv, kUsage);
  const std::string type = flags.Required("type");
  const std::string out = flags.Required("out");
  const bool verbose = flags.Has("verbose");
  std::string bytes;
  if (type == "noop") {
    accord::bench::v1::NoopRequest request;
    request.set_payload(std::string(static_cast<size_t>(flags.Int("payload-bytes", 0)), 'x'));
    Describe(request, verbose);
    bytes = request.SerializeAsString();
  } else if (type == "get") {
    accord::account::v1::GetAccountRequest request;
    request.set_name(flags.Required("name"));
    Describe(request, verbose);
    bytes = request.SerializeAsString();
  } else if (type == "list") {
    accord::account::v1::ListAccountsRequest request;
    request.set_page_size(static_cast<int32_t>(flags.Int("page-size", 0)));
    request.set_filter(flags.Get("filter"));
    request.set_order_by(flags.Get("order-by"));
    Describe(request, verbose);
    bytes = request.SerializeAsString();
  } else if (type == "create") {
    accord::account::v1::CreateAccountRequest request;
    auto* account = request.mutable_account();
    account->set_display_name(flags.Get("display-name", "Bench Account"));
    account->set_legal_name(flags.Get("legal-name"));
    account->set_type(static_cast<accord::common::v1::OrganizationType>(flags.Int("org-type", 1)));
    account->set_lifecycle_stage(
        static_cast<accord::account::v1::LifecycleStage>(flags.Int("lifecycle-stage", 0)));
    account->set_owner(flags.Get("owner"));
    request.set_request_id(flags.Get("request-id"));
    Describe(request, verbose);
    bytes = request.SerializeAsString();
  } else if (type == "update") {
    accord::account::v1::UpdateAccountRequest request;
    request.mutable_account()->set_name(flags.Required("name"));
    request.mutable_account()->set_display_name(flags.Get("display-name", "Bench Updated"));
    request.mutable_update_mask()->add_paths("display_name");
    request.set_etag(flags.Required("etag"));
    Describe(request, verbose);
    bytes = request.SerializeAsString();
  } else if (type == "json") {
    // The account protos come in as a plain archive (the other services' protos depend on it), so
    // only the files referenced here are linked and in the pool; the others are whole archives.
    for (const auto* file : {accord::account::v1::GetAccountOverviewRequest::descriptor()->file(),
                             accord::account::v1::Need::descriptor()->file(),
                             accord::account::v1::TeamMember::descriptor()->file()}) {
      (void)file;
    }
    // Every service's protos are linked whole, so any request type is in the generated pool.
    const std::string full_name = flags.Required("message");
    const auto* descriptor =
        google::protobuf::DescriptorPool::generated_pool()->FindMessageTypeByName(full_name);
    if (descriptor == nullptr) flags.Fail("unknown --message " + full_name);
    google::protobuf::DynamicMessageFactory factory;
    std::unique_ptr<google::protobuf::Message> request(factory.GetPrototype(descriptor)->New());
    const auto status =
        google::protobuf::util::JsonStringToMessage(flags.Get("json", "{}"), request.get());
    if (!status.ok()) flags.Fail("--json: " + std::string(status.message()));
    Describe(*request, verbose);
    bytes = request->SerializeAsString();
  } else {
    flags.Fail("unknown --type " + type);
  }
  flags.Finish();

  const uint32_t length = static_cast<uint32_t>(bytes.size());
  const char header[5] = {
      0, static_cast<char>((length >> 24) & 0xff), static_cast<char>((length >> 16) & 0xff),
      static_cast<char>((length >> 8) & 0xff), static_cast<char>(length & 0xff)};
  std::ofstream file(out, std::ios::binary | std::ios::trunc);
  file.write(header, sizeof(header));
  file.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  file.close();
  if (!file) {
    std::cerr << "error: cannot write " << out << "\n";
    return 1;
  }
  return 0;
}
