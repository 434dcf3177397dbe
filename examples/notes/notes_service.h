#pragma once

#include "accord/common/server.h"

namespace accord::example {
common::ServiceDefinition NotesServiceDefinition();
}  // namespace accord::example
