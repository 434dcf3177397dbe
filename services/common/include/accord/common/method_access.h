// The role rule every served method is registered with.
//
// GrpcServer::Start refuses to serve a method of a registered service that has no rule, so a new
// method cannot be reachable without someone having decided who may call it. The rule is the
// coarse gate, checked after authentication and before the handler runs (PERMISSION_DENIED
// ROLE_REQUIRED otherwise); rules that depend on the resource (team membership, owner) stay in
// the service's logic, under the row lock.
#pragma once

#include <initializer_list>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "accord/common/auth.h"

namespace accord::common {

class MethodAccess {
 public:
  // Any caller with a role this service knows; the logic decides per resource.
  static MethodAccess AnyRole() { return MethodAccess({}); }
  // Only callers with at least one of `roles`.
  static MethodAccess Only(std::initializer_list<Role> roles) { return MethodAccess(roles); }

  bool Allows(const Principal& principal) const;
  // "needs one of the roles integration, admin", for the refusal.
  std::string Describe() const;

 private:
  explicit MethodAccess(std::vector<Role> roles) : roles_(std::move(roles)) {}
  std::vector<Role> roles_;  // empty: any known role
};

// Keyed by "package.Service/Method", "package.Service/*" for the methods of that service not
// named on their own, or "package.*" for those of every service of the package (a service whose
// logic applies its rules per resource to every caller with a known role).
using AccessRules = std::map<std::string, MethodAccess, std::less<>>;

// The rule for `method` ("package.Service/Method"), or nullptr when there is none.
const MethodAccess* FindAccess(const AccessRules& rules, std::string_view method);

}  // namespace accord::common
