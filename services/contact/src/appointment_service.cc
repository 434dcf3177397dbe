#include "appointment_service.h"

namespace accord::contact {

AppointmentServiceImpl::AppointmentServiceImpl(std::shared_ptr<ContactComponents> components)
    : components_(std::move(components)),
      runtime_(components_->runtime),
      repository_(runtime_.pg(), components_->writes),
      logic_(repository_, components_->access, runtime_.page_tokens()) {}

grpc::ServerUnaryReactor* AppointmentServiceImpl::CreateAppointment(
    grpc::CallbackServerContext* context, const v1::CreateAppointmentRequest* request,
    v1::Appointment* response) {
  return runtime_.Respond(
      context, CreateAppointment_method_, response, [=, this](const common::RpcContext& rpc) {
        return logic_.Create(CallerOf(*context, rpc, "CreateAppointment"), *request,
                             MetaFor(rpc, "CreateAppointment", *request));
      });
}

grpc::ServerUnaryReactor* AppointmentServiceImpl::GetAppointment(
    grpc::CallbackServerContext* context, const v1::GetAppointmentRequest* request,
    v1::Appointment* response) {
  return runtime_.Respond(context, GetAppointment_method_, response,
                          [=, this](const common::RpcContext& rpc) {
                            return logic_.Get(CallerOf(*context, rpc, "GetAppointment"), *request);
                          });
}

grpc::ServerUnaryReactor* AppointmentServiceImpl::ListAppointments(
    grpc::CallbackServerContext* context, const v1::ListAppointmentsRequest* request,
    v1::ListAppointmentsResponse* response) {
  return runtime_.Respond(
      context, ListAppointments_method_, response, [=, this](const common::RpcContext& rpc) {
        return logic_.List(CallerOf(*context, rpc, "ListAppointments"), *request);
      });
}

grpc::ServerUnaryReactor* AppointmentServiceImpl::UpdateAppointment(
    grpc::CallbackServerContext* context, const v1::UpdateAppointmentRequest* request,
    v1::Appointment* response) {
  return runtime_.Respond(
      context, UpdateAppointment_method_, response, [=, this](const common::RpcContext& rpc) {
        return logic_.Update(CallerOf(*context, rpc, "UpdateAppointment"), *request,
                             MetaFor(rpc, "UpdateAppointment", *request));
      });
}

}  // namespace accord::contact
