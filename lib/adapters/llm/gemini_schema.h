// JSON Schema → Gemini's responseSchema, an OpenAPI 3.0 subset: upper-case type names,
// `nullable` instead of a "null" type, and only the keywords Gemini accepts (no
// additionalProperties, $schema, title, $defs, ...).
#pragma once

#include <nlohmann/json.hpp>

namespace ms::llm {

// Converts recursively through properties, items and anyOf. A free-form object (no
// `properties`, e.g. a string map described by additionalProperties) cannot be expressed:
// Gemini rejects an OBJECT without properties, so such a property is left out of its parent
// (and of the parent's `required`); the answer then simply lacks it.
nlohmann::json ToGeminiSchema(const nlohmann::json& schema);

}  // namespace ms::llm
