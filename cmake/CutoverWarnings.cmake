# Compiler warnings, -Werror and sanitizers live on one INTERFACE target that every
# cutover target links PRIVATE, so nothing touches CMAKE_CXX_FLAGS.
add_library(cutover_warnings INTERFACE)
add_library(cutover::warnings ALIAS cutover_warnings)
target_compile_options(cutover_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast
  -Wcast-align -Woverloaded-virtual -Wformat=2 -Wimplicit-fallthrough
  # GCC 12 warns on every designated initializer that leaves a member at its default.
  -Wno-missing-field-initializers
  # clang: Debian's RapidJSON 1.1 compares member iterators in a way C++20 finds ambiguous
  # (fixed upstream after 1.1); harmless, and it fires in our calls, not in its header.
  $<$<CXX_COMPILER_ID:Clang>:-Wno-ambiguous-reversed-operator>
  $<$<BOOL:${CUTOVER_WERROR}>:-Werror>)

if(CUTOVER_SANITIZE)
  target_compile_options(cutover_warnings INTERFACE
    -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
  target_link_options(cutover_warnings INTERFACE -fsanitize=address,undefined)
endif()

# ThreadSanitizer cannot share a binary with ASan; the TSan build runs the threaded tests.
if(CUTOVER_TSAN)
  if(CUTOVER_SANITIZE OR CUTOVER_FUZZ)
    message(FATAL_ERROR "CUTOVER_TSAN cannot be combined with CUTOVER_SANITIZE or CUTOVER_FUZZ: "
                        "configure a separate build directory for each")
  endif()
  target_compile_options(cutover_warnings INTERFACE -fsanitize=thread -fno-omit-frame-pointer)
  target_link_options(cutover_warnings INTERFACE -fsanitize=thread)
  add_library(cutover_tsan_clocklock STATIC ${CMAKE_CURRENT_LIST_DIR}/tsan_clocklock.cc)
  target_link_libraries(cutover_warnings INTERFACE cutover_tsan_clocklock)
endif()

# The fuzz build instruments every library for libFuzzer's coverage; only the targets in
# fuzz/ link libFuzzer itself (-fsanitize=fuzzer), so the daemons still have their main.
if(CUTOVER_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "CUTOVER_FUZZ needs clang (libFuzzer), not ${CMAKE_CXX_COMPILER_ID}: "
                        "configure with -DCMAKE_CXX_COMPILER=clang++ (Debian: clang and "
                        "libclang-rt-14-dev), or use scripts/fuzz.sh")
  endif()
  target_compile_options(cutover_warnings INTERFACE
    -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined
    -fsanitize-ignorelist=${CMAKE_CURRENT_LIST_DIR}/ubsan-ignorelist.txt -fno-omit-frame-pointer)
  target_link_options(cutover_warnings INTERFACE -fsanitize=address,undefined)
endif()
