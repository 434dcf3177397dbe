// accordctl: command-line client for the running Accord suite. See `accordctl help`.
#include <iostream>
#include <string>
#include <vector>

#include "commands.h"

int main(int argc, char** argv) {
  using namespace accord::accordctl;
  Registry registry;
  RegisterHealthCommands(registry);
  RegisterTokenCommands(registry);
  RegisterAccountCommands(registry);
  RegisterTeamCommands(registry);
  RegisterNeedCommands(registry);
  RegisterEventCommands(registry);
  RegisterContactCommands(registry);
  RegisterPriceListCommands(registry);
  RegisterTradingTermsCommands(registry);
  RegisterQuoteCommands(registry);
  RegisterQualityCommands(registry);
  RegisterWebhookCommands(registry);
  RegisterInsightsCommands(registry);

  std::vector<std::string> args(argv + 1, argv + argc);
  int code = registry.Run(args, std::cout, std::cerr);
  std::cout.flush();
  return code;
}
