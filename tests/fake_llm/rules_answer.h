// The fake LLM's default "model": reads the prompt's <messages> block back into messages, runs
// the offline rules extractor over them and answers in the answer schema, so the demo and e2e
// runs against the fake produce real-looking events and KPI observations.
#pragma once

#include <string>
#include <string_view>

#include "tests/fake_llm/fake_llm_server.h"

namespace ms::test {

// The user prompt text of a recorded request, whatever its wire format; empty if none.
std::string UserPrompt(const RecordedRequest& request);

// {"events":[...], "observations":[...]}: what the rules extractor finds in the prompt's company
// and message lines ("index|s|sender|time|text"); sources are the line indexes. Both arrays are
// empty when the prompt has no such block.
std::string RulesAnswer(std::string_view user_prompt);

}  // namespace ms::test
