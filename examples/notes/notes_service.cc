// The kit's smallest complete service: notes, created with their event and read back. The rest
// (auth, role rules, metrics, logs, health, migrations, outbox, Subscribe) comes from the kit.
#include "notes_service.h"

#include "accord/common/ids.h"
#include "accord/common/resource_name.h"
#include "accord/common/write.h"
#include "accord/example/v1/example.grpc.pb.h"

namespace accord::example {
namespace {

using common::RpcContext;
using v1::Note;

std::vector<Note> Notes(const pqxx::result& rows) {
  std::vector<Note> notes;
  for (const auto& row : rows) {
    notes.emplace_back().set_name("notes/" + row[0].as<std::string>());
    notes.back().set_text(row[1].as<std::string>());
    notes.back().set_etag("1");  // notes never change
  }
  return notes;
}

class Service final : public v1::NotesService::CallbackService {
 public:
  explicit Service(common::Runtime& runtime)
      : runtime_(runtime), write_(runtime.pg(), "example", "example") {}

  grpc::ServerUnaryReactor* CreateNote(grpc::CallbackServerContext* context,
                                       const v1::CreateNoteRequest* request, Note* note) override {
    return runtime_.Respond(
        context, note, [=, this](const RpcContext& rpc) -> absl::StatusOr<Note> {
          if (request->note().text().empty())
            return common::InvalidArgument("note.text", "required");
          return write_.Run<Note>(common::MetaFor(rpc, "CreateNote", *request), [=](auto& tx) {
            Note created =
                Notes(tx.exec_params("INSERT INTO example.notes VALUES ($1, $2) RETURNING *",
                                     common::NewUuidV7(), request->note().text()))[0];
            return common::Written<Note>(
                created, common::ResourceEvent("accord.example.v1.NoteCreated", created));
          });
        });
  }

  grpc::ServerUnaryReactor* GetNote(grpc::CallbackServerContext* context,
                                    const v1::GetNoteRequest* request, Note* note) override {
    return runtime_.Respond(context, note, [=, this](const RpcContext&) -> absl::StatusOr<Note> {
      ACCORD_ASSIGN_OR_RETURN(auto id, common::ParseTopName(request->name(), "notes", "name"));
      std::vector<Note> notes;
      ACCORD_RETURN_IF_ERROR(runtime_.pg().Read(
          [&](pqxx::transaction_base& tx) {
            notes = Notes(tx.exec_params("SELECT * FROM example.notes WHERE id = $1", id));
            return absl::OkStatus();
          },
          common::ReadScope::kOneStatement));
      if (notes.empty()) return common::NotFound(request->name());
      return notes[0];
    });
  }

 private:
  common::Runtime& runtime_;
  common::IdempotentWrite write_;
};

}  // namespace

common::ServiceDefinition NotesServiceDefinition() {
  common::ServiceDefinition definition;
  definition.name = definition.schema = "example";
  definition.default_grpc_port = 50099;
  definition.default_metrics_port = 9099;
  definition.migrations = []() -> const std::vector<common::Migration>& {
    static const std::vector<common::Migration> kAll = {
        {"0001_notes", "CREATE TABLE notes (id uuid PRIMARY KEY, text text NOT NULL)"}};
    return kAll;
  };
  definition.make_services = common::ServicesOf<Service>;
  definition.access = {{"accord.example.v1.NotesService/*", common::MethodAccess::AnyRole()}};
  return definition;
}

}  // namespace accord::example
