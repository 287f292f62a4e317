#include "pipeline/text/csv.h"

namespace ms {

StatusOr<std::optional<std::vector<std::string>>> CsvReader::Next() {
  std::vector<std::string> fields;
  std::string field;
  bool in_quotes = false;
  bool any = false;
  size_t start_line = line_ + 1;
  int c;
  while ((c = in_.get()) != EOF) {
    any = true;
    if (in_quotes) {
      if (c == '"') {
        if (in_.peek() == '"') {
          field.push_back('"');
          in_.get();
        } else {
          in_quotes = false;
        }
      } else {
        if (c == '\n') ++line_;
        field.push_back(static_cast<char>(c));
      }
      continue;
    }
    if (c == '"') {
      in_quotes = true;
    } else if (c == ',') {
      fields.push_back(std::move(field));
      field.clear();
    } else if (c == '\n') {
      ++line_;
      if (!field.empty() && field.back() == '\r') field.pop_back();
      fields.push_back(std::move(field));
      return std::optional(std::move(fields));
    } else {
      field.push_back(static_cast<char>(c));
    }
  }
  if (in_quotes) {
    return InvalidArgument("csv: unterminated quoted field starting on line " +
                           std::to_string(start_line));
  }
  if (!any) return std::optional<std::vector<std::string>>();
  ++line_;
  fields.push_back(std::move(field));
  return std::optional(std::move(fields));
}

std::string CsvField(const std::string& value) {
  if (value.find_first_of(",\"\n\r") == std::string::npos) return value;
  std::string out = "\"";
  for (char c : value) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  return out + "\"";
}

}  // namespace ms
