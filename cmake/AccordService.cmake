# One way to add a service. In services/<name>/CMakeLists.txt:
#
#   accord_add_service(<name> [ID <id>] [LIBS <libraries the service needs beyond accord_common>...])
#
# expects services/<name>/{main.cc,src/*.cc,migrations/*.sql} and creates
#   accord_<id>     a static library of src/*.cc (everything but main), with the migrations
#                   embedded as accord::<id>::Migrations()
#   accord-<name>   the server binary (main.cc), linked with tcmalloc
# and records the service so tests/CMakeLists.txt builds unit_<id> and integration_<id> from
# tests/unit/<id>/*_test.cc and tests/integration/<id>/*_test.cc. <id> defaults to the name with
# '-' turned into '_'.
function(accord_add_service name)
  cmake_parse_arguments(ARG "" "ID" "LIBS" ${ARGN})
  string(REPLACE "-" "_" id "${name}")
  if(ARG_ID)
    set(id "${ARG_ID}")
  endif()
  set(library accord_${id})
  file(GLOB sources CONFIGURE_DEPENDS "${CMAKE_CURRENT_SOURCE_DIR}/src/*.cc")
  add_library(${library} STATIC ${sources})
  target_include_directories(${library} PUBLIC "${CMAKE_CURRENT_SOURCE_DIR}/src")
  target_compile_options(${library} PRIVATE ${ACCORD_WARNINGS})
  target_link_libraries(${library} PUBLIC accord_common ${ARG_LIBS})
  accord_embed_migrations(${library} accord::${id} "${CMAKE_CURRENT_SOURCE_DIR}/migrations")

  add_executable(accord-${name} "${CMAKE_CURRENT_SOURCE_DIR}/main.cc")
  target_compile_options(accord-${name} PRIVATE ${ACCORD_WARNINGS})
  target_link_libraries(accord-${name} PRIVATE ${library})
  accord_use_server_allocator(accord-${name})

  set_property(GLOBAL APPEND PROPERTY ACCORD_SERVICES ${id})
endfunction()
