#include <iostream>
#include <string_view>

#include "secret_box.h"
#include "webhooks_service.h"

int main(int argc, char** argv) {
  // `migrate` and `--help` need only the shared settings: the secrets' key is read for serving
  // alone, so a migration job never holds it.
  bool serving = true;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "migrate" || arg == "--help" || arg.rfind("--help=", 0) == 0) serving = false;
  }
  accord::webhooks::WebhooksOptions options;
  if (serving) {
    accord::common::ConfigReader config(1, argv);  // environment only (flags are ServiceMain's)
    options = accord::webhooks::WebhooksOptions::Read(config);
    auto status = config.Finish();
    if (status.ok())
      status = accord::webhooks::SecretBox::Create(options.secret_key_base64).status();
    if (!status.ok()) {
      std::cerr << "accord-webhooks: " << status.message() << "\n";
      return 2;
    }
  }
  return accord::common::ServiceMain(
      argc, argv, accord::webhooks::WebhooksServiceDefinition(std::move(options)));
}
