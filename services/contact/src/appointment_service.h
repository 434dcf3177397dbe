// gRPC handlers of accord.contact.v1.AppointmentService: unpack, authenticate (via the
// runtime), call the domain logic, map the result. Nothing else lives here.
#pragma once

#include <memory>

#include "accord/common/server.h"
#include "accord/contact/v1/appointment.grpc.pb.h"
#include "appointment_logic.h"
#include "contact_components.h"
#include "pg_appointment_repository.h"

namespace accord::contact {

class AppointmentServiceImpl final : public v1::AppointmentService::CallbackService {
 public:
  explicit AppointmentServiceImpl(std::shared_ptr<ContactComponents> components);

  grpc::ServerUnaryReactor* CreateAppointment(grpc::CallbackServerContext* context,
                                              const v1::CreateAppointmentRequest* request,
                                              v1::Appointment* response) override;
  grpc::ServerUnaryReactor* GetAppointment(grpc::CallbackServerContext* context,
                                           const v1::GetAppointmentRequest* request,
                                           v1::Appointment* response) override;
  grpc::ServerUnaryReactor* ListAppointments(grpc::CallbackServerContext* context,
                                             const v1::ListAppointmentsRequest* request,
                                             v1::ListAppointmentsResponse* response) override;
  grpc::ServerUnaryReactor* UpdateAppointment(grpc::CallbackServerContext* context,
                                              const v1::UpdateAppointmentRequest* request,
                                              v1::Appointment* response) override;

 private:
  std::shared_ptr<ContactComponents> components_;
  common::Runtime& runtime_;
  PgAppointmentRepository repository_;
  AppointmentLogic logic_;
  static constexpr const char* kService = "accord.contact.v1.AppointmentService";
  common::RpcMethod CreateAppointment_method_{kService, "CreateAppointment"};
  common::RpcMethod GetAppointment_method_{kService, "GetAppointment"};
  common::RpcMethod ListAppointments_method_{kService, "ListAppointments"};
  common::RpcMethod UpdateAppointment_method_{kService, "UpdateAppointment"};
};

}  // namespace accord::contact
