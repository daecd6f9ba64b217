# data.cmake - data-driven tests: golden files run through the shipped
# binary (included by tests/CMakeLists.txt). Each runner is a small bash
# script in this directory that takes the binary and the source directory;
# read its header for what it checks. Regenerate golden files after an
# intended change with NDR_UPDATE_GOLDEN=1 (see run-lint.sh, run-classify.sh)
# and review the diff.

find_program(NDR_BASH bash REQUIRED)
find_package(Python3 COMPONENTS Interpreter REQUIRED)

set(NDR_CLI $<TARGET_FILE:ndrsift-cli>)
set(NDR_TESTS ${CMAKE_CURRENT_SOURCE_DIR})

# ndr_data_test(NAME SCRIPT LABELS [ARGS...]): run SCRIPT NDRSIFT SRCDIR ARGS...
function(ndr_data_test name script labels)
  add_test(NAME ${name}
           COMMAND ${NDR_BASH} ${NDR_TESTS}/${script} ${NDR_CLI} ${PROJECT_SOURCE_DIR} ${ARGN}
           WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
  set_tests_properties(${name} PROPERTIES LABELS "${labels}" TIMEOUT 120)
endfunction()

ndr_data_test(lint.golden      run-lint.sh      "data;lint")
ndr_data_test(classify.golden  run-classify.sh  "data;classify")
ndr_data_test(table.file       run-table.sh     "data;table")
ndr_data_test(rulepacks.test   run-rulepacks.sh "data;rulepacks" test)
ndr_data_test(rulepacks.lint   run-rulepacks.sh "data;rulepacks" lint)
ndr_data_test(docs.examples    run-docs.sh      "data;docs")
ndr_data_test(cli.basics       run-cli.sh       "data;cli")

# The library example of docs/ builds against the public library and runs.
if(EXISTS ${PROJECT_SOURCE_DIR}/docs/example.c)
  add_executable(docs_example ${PROJECT_SOURCE_DIR}/docs/example.c)
  target_link_libraries(docs_example PRIVATE ndrsift)
  target_compile_options(docs_example PRIVATE ${NDR_WARN})
  add_test(NAME docs.example_program COMMAND docs_example
           WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
  set_tests_properties(docs.example_program PROPERTIES LABELS "docs" TIMEOUT 60)
endif()

# The shipped packs against the acceptance lines of the provider-pack issue
# and both sides of every distinction of the category contract.
ndr_data_test(rulepacks.acceptance run-acceptance.sh "data;rulepacks")
ndr_data_test(corpus.messages  run-corpus.sh    "data;corpus")
# Enforced: recipient found >= 98%, status equal >= 95%, Sisimai reason
# equal >= 92% (run-corpus.sh; the disagreements left are in docs/corpus.md).
ndr_data_test(trace.readers   run-trace.sh     "data;trace")
