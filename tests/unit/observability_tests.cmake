# Observability and HTTP unit tests; included from tests/unit/CMakeLists.txt after unit_tests
# is defined. The HTTP server test binds an ephemeral loopback port (no fixed ports).
target_sources(unit_tests PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/metrics_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/health_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/systemd_notify_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/http_server_test.cc)
target_link_libraries(unit_tests PRIVATE ms_observability ms_http PkgConfig::HTTPLIB
                                         nlohmann_json::nlohmann_json GTest::gmock)
