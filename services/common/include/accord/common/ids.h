#pragma once

#include <string>
#include <string_view>

namespace accord::common {

// A time-ordered UUID (RFC 9562 version 7), lower-case canonical text form.
std::string NewUuidV7();
// Canonical 8-4-4-4-12 hex form, any version.
bool IsUuid(std::string_view text);

}  // namespace accord::common
