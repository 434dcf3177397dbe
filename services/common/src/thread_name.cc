#include "accord/common/thread_name.h"

#include <pthread.h>

namespace accord::common {

void NameCurrentThread(const std::string& name) {
  constexpr size_t kLinuxLimit = 15;  // plus the terminating NUL
  pthread_setname_np(pthread_self(), name.substr(0, kLinuxLimit).c_str());
}

std::string CurrentThreadName() {
  char name[16] = {};
  if (pthread_getname_np(pthread_self(), name, sizeof(name)) != 0) return "";
  return name;
}

}  // namespace accord::common
