// RFC 4180 CSV reading: quoted fields may hold commas, doubled quotes and newlines.
#pragma once

#include <istream>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"

namespace ms {

class CsvReader {
 public:
  explicit CsvReader(std::istream& in) : in_(in) {}
  // Next record, nullopt at end of input; InvalidArgument for an unterminated quote.
  StatusOr<std::optional<std::vector<std::string>>> Next();
  size_t line() const { return line_; }

 private:
  std::istream& in_;
  size_t line_ = 0;
};

// Quotes a field when it needs it.
std::string CsvField(const std::string& value);

}  // namespace ms
