include(GoogleTest)

# cutover_test(NAME LABEL unit|integration SOURCES ... LIBS ... [LOCK resource])
# Labels split the suite: `ctest -L unit` needs nothing but the build (the sanitizer run
# uses it); `integration` tests start real servers (sshd, HAProxy, Prometheus, ...).
function(cutover_test NAME)
  cmake_parse_arguments(T "" "LABEL;LOCK" "SOURCES;LIBS" ${ARGN})
  if(NOT T_LABEL)
    message(FATAL_ERROR "cutover_test(${NAME}): LABEL unit or integration is required")
  endif()
  add_executable(${NAME} ${T_SOURCES})
  target_link_libraries(${NAME} PRIVATE ${T_LIBS} GTest::gmock GTest::gtest_main cutover::warnings)
  target_compile_definitions(${NAME} PRIVATE
    CUTOVER_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
    CUTOVER_BINARY_DIR="${PROJECT_BINARY_DIR}")
  # LOCK names a machine-wide resource (e.g. the lab's namespaces): ctest -j never runs two
  # tests holding the same lock at once.
  if(T_LOCK)
    gtest_discover_tests(${NAME} PROPERTIES LABELS ${T_LABEL} RESOURCE_LOCK ${T_LOCK}
                         DISCOVERY_TIMEOUT 60)
  else()
    gtest_discover_tests(${NAME} PROPERTIES LABELS ${T_LABEL} DISCOVERY_TIMEOUT 60)
  endif()
endfunction()
