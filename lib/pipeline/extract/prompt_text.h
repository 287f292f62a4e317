// Text helpers shared by the prompts sent to an LLM (extraction, investor update) and the
// parsers of its answers.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "ports/extract.h"

namespace ms::prompt_text {

// The answer without surrounding whitespace and an optional ```json ... ``` fence.
std::string_view StripFence(std::string_view answer);

// A "<tag>" or "</tag>" (any case, spaces or slashes after "<") inside data placed between
// such tags could end the block early: its "<" becomes "[" (which keeps a JSON line valid).
void DefuseTag(std::string* text, std::string_view tag);

// The repair request after an unusable answer: `original` with, appended to its user message,
// the problem and the bad answer (each cut to 2,000 bytes and redacted: whatever the model
// wrote goes back out in a request body), then `instruction` (what to answer instead).
LlmRequest RepairRequest(const LlmRequest& original, std::string_view bad_answer,
                         std::string_view problem, std::string_view instruction);

// A JSON-schema object that requires every one of `properties` and allows nothing else (the
// strict form OpenAI's structured outputs ask for).
nlohmann::json ClosedObject(nlohmann::json properties);

}  // namespace ms::prompt_text
