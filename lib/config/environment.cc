#include "config/environment.h"

#include <cstdlib>

namespace ms {

Environment Environment::Process() {
  return Environment([](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());  // NOLINT(concurrency-mt-unsafe): startup only
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  });
}

Environment Environment::FromMap(std::map<std::string, std::string> vars) {
  return Environment(
      [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
        auto found = vars.find(name);
        if (found == vars.end()) return std::nullopt;
        return found->second;
      });
}

}  // namespace ms
