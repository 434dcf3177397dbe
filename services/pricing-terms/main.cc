#include <iostream>

#include "pricing_service.h"

int main(int argc, char** argv) {
  accord::common::ConfigReader config(1, argv);  // environment only (flags are ServiceMain's)
  auto settings = accord::pricing::ReadPricingSettings(config);
  if (!settings.ok()) {
    std::cerr << "accord-pricing-terms: " << settings.status().message() << "\n";
    return 2;
  }
  return accord::common::ServiceMain(
      argc, argv, accord::pricing::PricingTermsServiceDefinition(std::move(*settings)));
}
