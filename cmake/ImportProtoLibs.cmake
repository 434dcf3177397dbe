# accord_import_proto_libs(<build dir>): defines the accord_proto_* targets as the libraries another
# build directory of this source tree made (top-level CMakeLists.txt, ACCORD_PROTO_LIBS_FROM). That
# build must be an uninstrumented one with NDEBUG (Release, RelWithDebInfo or MinSizeRel), so the
# generated code is compiled as an ACCORD_SANITIZE build compiles it, and already built: this build
# links its .a files and includes its generated headers, and does not rebuild them when a .proto
# changes (build that directory first; scripts/test.sh does).
function(accord_import_proto_libs dir)
  get_filename_component(dir "${dir}" ABSOLUTE BASE_DIR "${PROJECT_SOURCE_DIR}")
  set(targets_file "${dir}/accord-proto-targets.cmake")
  if(NOT EXISTS "${targets_file}")
    message(FATAL_ERROR "ACCORD_PROTO_LIBS_FROM=${dir}: no ${targets_file}; configure and build "
                        "that directory first")
  endif()
  load_cache("${dir}" READ_WITH_PREFIX from_ CMAKE_HOME_DIRECTORY CMAKE_BUILD_TYPE ACCORD_SANITIZE)
  if(NOT from_CMAKE_HOME_DIRECTORY STREQUAL PROJECT_SOURCE_DIR)
    message(FATAL_ERROR "ACCORD_PROTO_LIBS_FROM=${dir} builds ${from_CMAKE_HOME_DIRECTORY}, "
                        "not this tree")
  endif()
  if(from_ACCORD_SANITIZE OR NOT from_CMAKE_BUILD_TYPE MATCHES "^(Release|RelWithDebInfo|MinSizeRel)$")
    message(FATAL_ERROR "ACCORD_PROTO_LIBS_FROM=${dir} is a ${from_CMAKE_BUILD_TYPE} build "
                        "(ACCORD_SANITIZE=${from_ACCORD_SANITIZE}); it needs an uninstrumented "
                        "Release, RelWithDebInfo or MinSizeRel build (NDEBUG)")
  endif()
  # Imported targets are visible in this directory and below: every add_subdirectory that follows.
  include("${targets_file}")
  message(STATUS "Generated proto libraries from ${dir} (${from_CMAKE_BUILD_TYPE})")
endfunction()
