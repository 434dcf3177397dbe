// One registration function per command area. To add an area, write <area>.cc with a
// Register<Area>Commands function, declare it here and call it from main.cc.
#pragma once

#include "command.h"

namespace accord::accordctl {

void RegisterHealthCommands(Registry& registry);
void RegisterTokenCommands(Registry& registry);
void RegisterAccountCommands(Registry& registry);
void RegisterTeamCommands(Registry& registry);
void RegisterNeedCommands(Registry& registry);
void RegisterEventCommands(Registry& registry);
void RegisterContactCommands(Registry& registry);
void RegisterPriceListCommands(Registry& registry);
void RegisterTradingTermsCommands(Registry& registry);
void RegisterQuoteCommands(Registry& registry);
void RegisterQualityCommands(Registry& registry);
void RegisterWebhookCommands(Registry& registry);
void RegisterInsightsCommands(Registry& registry);

}  // namespace accord::accordctl
