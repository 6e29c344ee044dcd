# shootout_add_plugin(<name> SOURCES <src>... [LINK_LIBRARIES <lib>...] [NO_INSTALL])
#
# Builds one plugin: a MODULE library named <name>.so with hidden visibility, linked with
# -Wl,--no-undefined so a missing symbol is a link error rather than a load-time surprise (except
# where a sanitizer's runtime is the host's to provide: see Sanitizers.cmake).
# Used the same way in the shootout tree and, through find_package(ShootoutSDK), out of it.
#
# Output: SHOOTOUT_PLUGIN_OUTPUT_DIR if set (the shootout tree sets it to the plugins directory
# next to the binary), else <build>/plugins. Install: SHOOTOUT_PLUGIN_INSTALL_DIR if set, else
# lib/shootout/plugins under the install prefix.
include_guard(GLOBAL)
include(${CMAKE_CURRENT_LIST_DIR}/Sanitizers.cmake)

function(shootout_add_plugin name)
  cmake_parse_arguments(PARSE_ARGV 1 arg "NO_INSTALL" "" "SOURCES;LINK_LIBRARIES")
  if(NOT arg_SOURCES)
    message(FATAL_ERROR "shootout_add_plugin(${name}): SOURCES is required")
  endif()
  add_library(${name} MODULE ${arg_SOURCES})
  target_link_libraries(${name} PRIVATE Shootout::sdk ${arg_LINK_LIBRARIES})
  target_compile_features(${name} PRIVATE cxx_std_20)
  shootout_module_may_forbid_undefined(forbid_undefined)
  if(forbid_undefined)
    target_link_options(${name} PRIVATE "LINKER:--no-undefined")
  endif()
  if(DEFINED SHOOTOUT_PLUGIN_OUTPUT_DIR)
    set(output_dir "${SHOOTOUT_PLUGIN_OUTPUT_DIR}")
  else()
    set(output_dir "${PROJECT_BINARY_DIR}/plugins")
  endif()
  set_target_properties(${name} PROPERTIES
    PREFIX ""
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON
    LIBRARY_OUTPUT_DIRECTORY "${output_dir}")
  set_property(GLOBAL APPEND PROPERTY SHOOTOUT_PLUGIN_TARGETS ${name})
  if(NOT arg_NO_INSTALL)
    if(DEFINED SHOOTOUT_PLUGIN_INSTALL_DIR)
      set(install_dir "${SHOOTOUT_PLUGIN_INSTALL_DIR}")
    else()
      set(install_dir "lib/shootout/plugins")
    endif()
    install(TARGETS ${name} LIBRARY DESTINATION "${install_dir}")
  endif()
endfunction()
