# Compiler warnings, -Werror and sanitizers live on one INTERFACE target that every
# cutover target links PRIVATE, so nothing touches CMAKE_CXX_FLAGS.
add_library(cutover_warnings INTERFACE)
add_library(cutover::warnings ALIAS cutover_warnings)
target_compile_options(cutover_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast
  -Wcast-align -Woverloaded-virtual -Wformat=2 -Wimplicit-fallthrough
  # GCC 12 warns on every designated initializer that leaves a member at its default.
  -Wno-missing-field-initializers
  $<$<BOOL:${CUTOVER_WERROR}>:-Werror>)

if(CUTOVER_SANITIZE)
  target_compile_options(cutover_warnings INTERFACE
    -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
  target_link_options(cutover_warnings INTERFACE -fsanitize=address,undefined)
endif()
