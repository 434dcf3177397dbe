// Checks every request gets before its handler runs (the runtime's request guard applies them;
// see request_guard.h), so that no handler can forget them.
#pragma once

#include <google/protobuf/message.h>

#include <string_view>

#include "absl/status/status.h"

namespace accord::common {

// Refuses control characters in every string field of `message`, nested messages, repeated
// fields and map keys and values included: NUL (which PostgreSQL's text cannot hold, so it would
// cut the value short), the other C0 controls and DEL. Multi-line free-text fields (named
// `description`, `note`, `notes`, `comment`, or `filter`, where the parser treats them as
// blanks) may hold tab, line feed and carriage return. INVALID_ARGUMENT with one
// google.rpc.BadRequest violation per offending field, named by its path
// ("account.display_name", "account.labels[2]", "account.external_ids[erp]"), reason
// CONTROL_CHARACTER. Bytes fields are not text and are not checked.
absl::Status CheckTextFields(const google::protobuf::Message& message);

// Whether `text` holds a character CheckTextFields refuses (`multi_line` allows \t \n \r).
bool HasControlCharacter(std::string_view text, bool multi_line);

}  // namespace accord::common
