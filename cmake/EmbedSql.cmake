# Embeds a service's ordered migration files into a generated C++ source so that the binary
# carries its own schema and `migrate` needs no files next to it at run time.
function(accord_embed_migrations target namespace dir)
  file(GLOB sql_files CONFIGURE_DEPENDS "${dir}/*.sql")
  list(SORT sql_files)
  set(out "${CMAKE_CURRENT_BINARY_DIR}/${target}_migrations.cc")
  add_custom_command(
    OUTPUT "${out}"
    COMMAND ${CMAKE_COMMAND} -DOUT=${out} -DNAMESPACE=${namespace} -DDIR=${dir}
            -P "${PROJECT_SOURCE_DIR}/cmake/EmbedSqlScript.cmake"
    DEPENDS ${sql_files} "${PROJECT_SOURCE_DIR}/cmake/EmbedSqlScript.cmake"
    COMMENT "Embedding migrations for ${target}")
  target_sources(${target} PRIVATE "${out}")
endfunction()
