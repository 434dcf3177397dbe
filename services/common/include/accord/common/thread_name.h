// Names the calling thread, so that top -H, ps -L, perf and gdb tell Accord's threads apart
// (otherwise each one shows the binary's name).
#pragma once

#include <string>

namespace accord::common {

// Linux keeps 15 characters of a thread's name; longer names are cut to that.
void NameCurrentThread(const std::string& name);
// The calling thread's name as the kernel holds it ("" if it cannot be read).
std::string CurrentThreadName();

}  // namespace accord::common
