#include "contact_presenter.h"

#include "contact_fields.h"

namespace accord::contact {

absl::StatusOr<std::vector<Contact>> ContactPresenter::Present(const Caller& caller,
                                                               std::vector<ContactRecord> records) {
  std::vector<Contact> out;
  std::vector<AccessRecord> shown;
  out.reserve(records.size());
  for (auto& record : records) {
    if (access_.SeesPersonalData(caller, record.facts)) {
      auto fields = PersonalFieldsPresent(record.contact);
      // Appended already, in the transaction of the write that returned it.
      if (record.access_logged) fields.clear();
      if (!fields.empty()) {
        const std::string& name = record.contact.name();
        shown.push_back({name.substr(name.find('/') + 1), std::move(fields)});
      }
    } else {
      MaskPersonal(record.contact);
    }
    out.push_back(std::move(record.contact));
  }
  if (!shown.empty()) ACCORD_RETURN_IF_ERROR(log_.Append(caller, shown));
  return out;
}

absl::StatusOr<Contact> ContactPresenter::Present(const Caller& caller, ContactRecord record) {
  std::vector<ContactRecord> one;
  one.push_back(std::move(record));
  ACCORD_ASSIGN_OR_RETURN(auto contacts, Present(caller, std::move(one)));
  return std::move(contacts.front());
}

}  // namespace accord::contact
