#include "accord/common/method_access.h"

namespace accord::common {

bool MethodAccess::Allows(const Principal& principal) const {
  if (roles_.empty()) return !principal.roles.empty();
  for (Role role : roles_) {
    if (principal.Has(role)) return true;
  }
  return false;
}

std::string MethodAccess::Describe() const {
  if (roles_.empty()) return "needs a role this service knows";
  std::string text = roles_.size() == 1 ? "needs the role " : "needs one of the roles ";
  for (size_t i = 0; i < roles_.size(); ++i) {
    if (i > 0) text += ", ";
    text += RoleName(roles_[i]);
  }
  return text;
}

const MethodAccess* FindAccess(const AccessRules& rules, std::string_view method) {
  if (auto it = rules.find(method); it != rules.end()) return &it->second;
  const size_t slash = method.find('/');
  if (slash == std::string_view::npos) return nullptr;
  std::string wide(method.substr(0, slash + 1));
  wide += '*';
  if (auto it = rules.find(wide); it != rules.end()) return &it->second;
  const size_t dot = method.rfind('.', slash);
  if (dot == std::string_view::npos) return nullptr;
  wide.assign(method.substr(0, dot + 1));
  wide += '*';
  if (auto it = rules.find(wide); it != rules.end()) return &it->second;
  return nullptr;
}

}  // namespace accord::common
