# Config unit tests; included from tests/unit/CMakeLists.txt after unit_tests is defined.
# MS_SOURCE_DIR lets the tests read docs/configuration.md and config.yaml from the tree.
target_sources(unit_tests PRIVATE ${CMAKE_CURRENT_LIST_DIR}/config_test.cc)
target_link_libraries(unit_tests PRIVATE ms_config GTest::gmock)
target_compile_definitions(unit_tests PRIVATE MS_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
