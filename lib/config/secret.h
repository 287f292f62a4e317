// Secret: a credential that must never reach a log line, an error message or --print-config.
#pragma once

#include <ostream>
#include <string>
#include <string_view>

namespace ms {

// Holds a secret value and a human-readable note of where it came from (e.g. "file
// /run/secrets/pg", "env MILESTONE_POSTGRES_PASSWORD"). Every printing path (ToString,
// operator<<) shows "***" or "<unset>"; the value is read only through Reveal(), so a grep
// for Reveal() finds every place a secret leaves the process.
class Secret {
 public:
  Secret() = default;
  Secret(std::string value, std::string origin)
      : value_(std::move(value)), origin_(std::move(origin)) {}

  bool empty() const { return value_.empty(); }
  const std::string& Reveal() const { return value_; }
  // Where the value came from; never contains the value itself. Empty when unset.
  const std::string& origin() const { return origin_; }
  // "***" when set, "<unset>" when empty.
  std::string ToString() const { return empty() ? "<unset>" : "***"; }

  // Equal values are equal secrets, wherever they came from.
  bool operator==(const Secret& other) const { return value_ == other.value_; }

 private:
  std::string value_;
  std::string origin_;
};

inline std::ostream& operator<<(std::ostream& out, const Secret& secret) {
  return out << secret.ToString();
}

}  // namespace ms
