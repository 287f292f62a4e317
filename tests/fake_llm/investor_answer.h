// The fake LLM's default answer to an investor-update request
// (pipeline/investor/investor_update_llm.h): reads the prompt's <digest> block back and writes a
// plain update from it — the subject line, the headline, the KPI table, milestones and items by
// section, investor interest — so runs against the fake produce a real-looking update built only
// from the digest.
#pragma once

#include <string>
#include <string_view>

namespace ms::test {

// Whether `user_prompt` is an investor-update prompt (it carries a <digest> block).
bool IsInvestorUpdatePrompt(std::string_view user_prompt);

// {"subject", "body"} written from the prompt's digest lines.
std::string InvestorUpdateAnswer(std::string_view user_prompt);

}  // namespace ms::test
