# Embeds a service's ordered migration files into a generated C++ source so that the binary
# carries its own schema and `migrate` needs no files next to it at run time.
function(accord_embed_migrations target namespace dir)
  file(GLOB sql_files CONFIGURE_DEPENDS "${dir}/*.sql")
  list(SORT sql_files)
  set(out "${CMAKE_CURRENT_BINARY_DIR}/${target}_migrations.cc")
  # A renamed or removed file keeps every remaining file's time: the list itself is a dependency,
  # rewritten only when it changes, so the embedded set follows renames.
  set(list_file "${CMAKE_CURRENT_BINARY_DIR}/${target}_migrations.list")
  string(JOIN "\n" listed ${sql_files})
  file(CONFIGURE OUTPUT "${list_file}" CONTENT "${listed}")
  add_custom_command(
    OUTPUT "${out}"
    COMMAND ${CMAKE_COMMAND} -DOUT=${out} -DNAMESPACE=${namespace} -DDIR=${dir}
            -P "${PROJECT_SOURCE_DIR}/cmake/EmbedSqlScript.cmake"
    DEPENDS ${sql_files} "${list_file}" "${PROJECT_SOURCE_DIR}/cmake/EmbedSqlScript.cmake"
    COMMENT "Embedding migrations for ${target}")
  target_sources(${target} PRIVATE "${out}")
endfunction()
