# Sanitizers, fuzzing instrumentation and warnings as errors, for every target of the project
# that includes this file (the shootout tree does so before any target; ShootoutPlugin.cmake does
# so for out-of-tree plugins, so that a plugin built against the SDK can match a sanitized host).
#
#   SHOOTOUT_SANITIZE  ""                  none (the default)
#                      "address,undefined" ASan + UBSan (the asan-ubsan preset)
#                      "thread"            TSan (the tsan preset)
#   SHOOTOUT_FUZZ      ON: clang only; every target gets libFuzzer's coverage instrumentation
#                      (-fsanitize=fuzzer-no-link) and fuzz/ builds the fuzz targets
#   SHOOTOUT_WERROR    ON: warnings are errors (CI)
#
# The flags go to every target through the directory's compile and link options, plugins
# included: a MODULE plugin loaded into a sanitized host must be instrumented with the same
# sanitizer, or the runtime sees memory and threads it knows nothing about.
include_guard(GLOBAL)

set(SHOOTOUT_SANITIZE "" CACHE STRING "Sanitizers for every target: empty, address,undefined, or thread")
set_property(CACHE SHOOTOUT_SANITIZE PROPERTY STRINGS "" "address,undefined" "thread")
option(SHOOTOUT_FUZZ "Build the libFuzzer targets in fuzz/ (clang only)" OFF)
option(SHOOTOUT_WERROR "Treat compiler warnings as errors" OFF)

set(_shootout_sanitize_known "" "address,undefined" "undefined,address" "address" "undefined" "thread")
if(NOT SHOOTOUT_SANITIZE IN_LIST _shootout_sanitize_known)
  message(FATAL_ERROR "SHOOTOUT_SANITIZE=\"${SHOOTOUT_SANITIZE}\" is not supported; "
                      "use \"\", \"address,undefined\" or \"thread\"")
endif()
if(SHOOTOUT_SANITIZE MATCHES "thread" AND SHOOTOUT_FUZZ)
  message(FATAL_ERROR "SHOOTOUT_FUZZ=ON runs with ASan and UBSan; it cannot be combined with SHOOTOUT_SANITIZE=thread")
endif()
if(SHOOTOUT_FUZZ AND NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
  message(FATAL_ERROR "SHOOTOUT_FUZZ=ON needs clang (libFuzzer); this is ${CMAKE_CXX_COMPILER_ID}. "
                      "Configure with the fuzz preset: cmake --preset fuzz")
endif()

if(SHOOTOUT_SANITIZE)
  # Frame pointers give the sanitizers' stack traces every frame at -O1 and above.
  add_compile_options(-fsanitize=${SHOOTOUT_SANITIZE} -fno-omit-frame-pointer)
  add_link_options(-fsanitize=${SHOOTOUT_SANITIZE})
  if(SHOOTOUT_SANITIZE MATCHES "undefined")
    # UBSan's vptr check compares type_info across shared objects; the plugins have hidden
    # visibility (ShootoutPlugin.cmake), so each holds its own copy of the SDK's type_info and
    # every virtual call from the host into a plugin would be reported. The other checks stay.
    add_compile_options(-fno-sanitize=vptr)
  endif()
endif()

if(SHOOTOUT_FUZZ)
  # Coverage for libFuzzer in every library; only the fuzz targets link the fuzzer's main.
  add_compile_options(-fsanitize=fuzzer-no-link)
  add_link_options(-fsanitize=fuzzer-no-link)
endif()

if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_GREATER_EQUAL 12
   AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
  # GCC 12 reports a false -Wrestrict inside libstdc++'s char_traits whenever a std::string is
  # built from a literal and another string at -O2 (GCC bug 105329, fixed in GCC 13): ten places
  # in a Release build, none of them an overlap. Off for GCC 12 only, so the build log shows
  # only warnings worth reading.
  add_compile_options(-Wno-restrict)
endif()

if(SHOOTOUT_WERROR)
  add_compile_options(-Werror)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND SHOOTOUT_SANITIZE MATCHES "address")
    # ASan's instrumentation at -O1 defeats GCC's flow analysis: false -Wmaybe-uninitialized in
    # headers (boost::optional in Beast's parser, std::function in libstdc++'s std::regex). The
    # Release build, where the warning is exact, keeps it as an error; here it is off.
    add_compile_options(-Wno-maybe-uninitialized)
  endif()
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND SHOOTOUT_SANITIZE MATCHES "thread")
    # GCC warns (-Wtsan) that TSan does not model std::atomic_thread_fence, which Boost.Asio's
    # scheduler uses: a note on the tool's reach inside a third-party header, not a defect here.
    # It stays a warning; a race TSan misses because of it is the cost, as with any fence.
    add_compile_options(-Wno-error=tsan)
  endif()
endif()

# Whether a shared object may be linked with -Wl,--no-undefined (see shootout_add_plugin). GCC
# links its sanitizer runtimes (libasan.so, libubsan.so, libtsan.so) into shared objects as well,
# so a plugin's symbols all resolve at link time. Clang links the runtime statically into the
# executable only and leaves a shared object's __asan_* / __ubsan_* / __sanitizer_cov_* references
# for the host to provide at load time, so with clang a sanitized or fuzz-instrumented plugin
# cannot demand that every symbol resolve when it is linked.
function(shootout_module_may_forbid_undefined out)
  if(CMAKE_CXX_COMPILER_ID MATCHES "Clang" AND (SHOOTOUT_SANITIZE OR SHOOTOUT_FUZZ))
    set(${out} OFF PARENT_SCOPE)
  else()
    set(${out} ON PARENT_SCOPE)
  endif()
endfunction()
