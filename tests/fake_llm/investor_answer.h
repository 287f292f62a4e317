// The fake LLM's default answer to an investor-update request (pipeline/investor_update_llm.h):
// reads the prompt's <events> block back into events, runs the offline template over them and
// answers in the update schema, so runs against the fake produce a real-looking update.
#pragma once

#include <string>
#include <string_view>

namespace ms::test {

// Whether `user_prompt` is an investor-update prompt (it carries an <events> block).
bool IsInvestorUpdatePrompt(std::string_view user_prompt);

// {"subject", "body", "highlights", "metrics": [{"label", "value"}]} for the prompt's company
// and event lines.
std::string InvestorUpdateAnswer(std::string_view user_prompt);

}  // namespace ms::test
