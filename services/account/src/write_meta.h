// MetaFor lives in common (accord/common/write_meta.h); this service's handlers use it by name.
#pragma once

#include "accord/common/write_meta.h"

namespace accord::account {

using common::MetaFor;

}  // namespace accord::account
