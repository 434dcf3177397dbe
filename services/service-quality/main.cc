#include "quality_service.h"

int main(int argc, char** argv) {
  return accord::common::ServiceMain(argc, argv, accord::quality::QualityServiceDefinition());
}
