#include "notes_service.h"

int main(int argc, char** argv) {
  return accord::common::ServiceMain(argc, argv, accord::example::NotesServiceDefinition());
}
