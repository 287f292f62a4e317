# Unit tests of the composition-root stages (lib/app) over fakes behind their ports; included
# from tests/unit/CMakeLists.txt after unit_tests is defined.
target_sources(unit_tests PRIVATE ${CMAKE_CURRENT_LIST_DIR}/claimer_test.cc
                              ${CMAKE_CURRENT_LIST_DIR}/extract_stage_test.cc
                              ${CMAKE_CURRENT_LIST_DIR}/relay_test.cc
                              ${CMAKE_CURRENT_LIST_DIR}/worker_guard_test.cc)
target_link_libraries(unit_tests PRIVATE ms_app)
target_sources(unit_tests PRIVATE ${CMAKE_CURRENT_LIST_DIR}/assignment_test.cc)
# The ingest loop over a fake message source (ports/message_source.h).
target_sources(unit_tests PRIVATE ${CMAKE_CURRENT_LIST_DIR}/ingest_loop_test.cc)
# The stale sweep over a fake EventLifecycle; the daemon's watchdog period and signal thread.
target_sources(unit_tests PRIVATE ${CMAKE_CURRENT_LIST_DIR}/stale_sweep_test.cc
                              ${CMAKE_CURRENT_LIST_DIR}/daemon_threads_test.cc)
# The ops thread's round over fake dependencies.
target_sources(unit_tests PRIVATE ${CMAKE_CURRENT_LIST_DIR}/ops_loop_test.cc)
