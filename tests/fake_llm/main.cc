// fake_llm_server: the fake LLM provider as a process, for the demo and end-to-end tests.
//   fake_llm_server --port 8089 [--host 127.0.0.1]
// Prints "listening on <port>" once serving; stops on SIGINT/SIGTERM. Script faults through
// POST /_fake/replies (see fake_llm_server.h).
#include <CLI/CLI.hpp>
#include <csignal>
#include <iostream>

#include "tests/fake_llm/fake_llm_server.h"

int main(int argc, char** argv) {
  CLI::App app{"Fake LLM provider (OpenAI, Gemini and Anthropic wire formats)"};
  std::string host = "127.0.0.1";
  int port = 0;
  app.add_option("--host", host, "address to bind");
  app.add_option("--port", port, "port to bind (0: any free port)")->check(CLI::Range(0, 65535));
  CLI11_PARSE(app, argc, argv);

  // Block the stop signals before any thread starts, so only sigwait below sees them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  ms::test::FakeLlmServer server;
  auto bound = server.Start(host, port);
  if (!bound.ok()) {
    std::cerr << bound.status().ToString() << "\n";
    return 1;
  }
  std::cout << "listening on " << *bound << std::endl;
  int received = 0;
  sigwait(&signals, &received);
  server.Stop();
  return 0;
}
