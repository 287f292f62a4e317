#include "adapters/llm/gemini_schema.h"

#include <algorithm>
#include <cctype>
#include <string>

namespace ms::llm {
namespace {

using nlohmann::json;

// Keywords copied unchanged.
constexpr const char* kPassThrough[] = {
    "description", "enum",    "format",  "nullable", "minItems",
    "maxItems",    "minimum", "maximum", "required", "propertyOrdering"};

std::string Upper(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::toupper(ch)); });
  return text;
}

// "string" → "STRING"; ["string", "null"] → "STRING" + nullable.
void ConvertType(const json& type, json* out) {
  if (type.is_string()) {
    (*out)["type"] = Upper(type.get<std::string>());
    return;
  }
  if (!type.is_array()) return;
  for (const json& name : type) {
    if (!name.is_string()) continue;
    if (name == "null") {
      (*out)["nullable"] = true;
    } else if (!out->contains("type")) {
      (*out)["type"] = Upper(name.get<std::string>());
    }
  }
}

bool IsFreeFormObject(const json& converted) {
  return converted.value("type", "") == "OBJECT" &&
         (!converted.contains("properties") || converted["properties"].empty());
}

void ConvertProperties(const json& properties, json* out) {
  json converted = json::object();
  for (const auto& [name, sub_schema] : properties.items()) {
    json sub = ToGeminiSchema(sub_schema);
    if (!IsFreeFormObject(sub)) converted[name] = std::move(sub);
  }
  (*out)["properties"] = std::move(converted);
  if (!out->contains("required")) return;
  json kept = json::array();
  for (const json& name : (*out)["required"]) {
    if (name.is_string() && (*out)["properties"].contains(name.get<std::string>()))
      kept.push_back(name);
  }
  (*out)["required"] = std::move(kept);
}

}  // namespace

json ToGeminiSchema(const json& schema) {
  if (!schema.is_object()) return schema;
  json out = json::object();
  for (const char* key : kPassThrough) {
    if (schema.contains(key)) out[key] = schema[key];
  }
  if (schema.contains("type")) ConvertType(schema["type"], &out);
  if (schema.contains("items")) out["items"] = ToGeminiSchema(schema["items"]);
  if (schema.contains("anyOf") && schema["anyOf"].is_array()) {
    out["anyOf"] = json::array();
    for (const json& option : schema["anyOf"]) out["anyOf"].push_back(ToGeminiSchema(option));
  }
  if (schema.contains("properties") && schema["properties"].is_object())
    ConvertProperties(schema["properties"], &out);
  return out;
}

}  // namespace ms::llm
