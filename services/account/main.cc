#include <iostream>
#include <string_view>

#include "account_service.h"

int main(int argc, char** argv) {
  // `migrate` and `--help` need only the shared settings; the insights' peers are read for
  // serving alone.
  bool serving = true;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "migrate" || arg == "--help" || arg.rfind("--help=", 0) == 0) serving = false;
  }
  accord::account::InsightsSettings insights;
  if (serving) {
    accord::common::ConfigReader config(1, argv);  // environment only (flags are ServiceMain's)
    auto read = accord::account::ReadInsightsSettings(config);
    if (!read.ok()) {
      std::cerr << "accord-account: " << read.status().message() << "\n";
      return 2;
    }
    insights = std::move(*read);
  }
  return accord::common::ServiceMain(
      argc, argv, accord::account::AccountServiceDefinition(std::move(insights)));
}
