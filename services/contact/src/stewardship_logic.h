// Duplicates, merges, exports and erasure: validation, permissions, the duplicate score, masking
// and the access log. Pure logic over repositories; no gRPC types.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "access_log.h"
#include "accord/contact/v1/stewardship.pb.h"
#include "contact_access.h"
#include "contact_presenter.h"
#include "contact_repository.h"
#include "stewardship_repository.h"

namespace accord::contact {

class StewardshipLogic {
 public:
  StewardshipLogic(ContactRepository& contacts, StewardshipRepository& repository,
                   ContactAccess& access, ContactPresenter& presenter, AccessLog& log,
                   std::string default_region);

  absl::StatusOr<v1::FindDuplicateContactsResponse> FindDuplicates(
      const Caller& caller, const v1::FindDuplicateContactsRequest& request);
  absl::StatusOr<v1::MergeContactsResponse> Merge(const Caller& caller,
                                                  const v1::MergeContactsRequest& request,
                                                  WriteMeta meta);
  absl::StatusOr<v1::ContactDataExport> Export(const Caller& caller,
                                               const v1::ExportContactDataRequest& request);
  absl::StatusOr<v1::RotateContactKeysResponse> RotateKeys(
      const Caller& caller, const v1::RotateContactKeysRequest& request);
  absl::StatusOr<v1::EraseContactResponse> Erase(const Caller& caller,
                                                 const v1::EraseContactRequest& request,
                                                 WriteMeta meta);

 private:
  ContactRepository& contacts_;
  StewardshipRepository& repository_;
  ContactAccess& access_;
  ContactPresenter& presenter_;
  AccessLog& log_;
  std::string default_region_;
};

// Pure: the candidates worth reporting, best first, at most `max_results`: the same email or
// phone, or a name at least `min_similarity` alike at a shared account.
std::vector<std::pair<ContactRecord, v1::DuplicateCandidate>> RankDuplicates(
    std::vector<DuplicateMatch> matches, float min_similarity, int max_results);

}  // namespace accord::contact
