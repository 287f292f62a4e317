// Environment: an injectable view of environment variables, so config tests never read or
// modify the real process environment.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>

namespace ms {

class Environment {
 public:
  // Returns the variable's value, or nullopt when it is not set. A variable set to the empty
  // string is set (it overrides with "").
  using Lookup = std::function<std::optional<std::string>(const std::string& name)>;

  explicit Environment(Lookup lookup) : lookup_(std::move(lookup)) {}

  // The real process environment (getenv). Read it only while single-threaded, at startup.
  static Environment Process();
  static Environment FromMap(std::map<std::string, std::string> vars);
  static Environment Empty() { return FromMap({}); }

  std::optional<std::string> Get(const std::string& name) const { return lookup_(name); }

 private:
  Lookup lookup_;
};

}  // namespace ms
