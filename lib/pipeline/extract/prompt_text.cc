#include "pipeline/extract/prompt_text.h"

#include "pipeline/extract/redact.h"
#include "pipeline/text/ascii.h"
#include "pipeline/text/utf8.h"

namespace ms::prompt_text {

std::string_view StripFence(std::string_view answer) {
  answer = ascii::Trim(answer);
  if (!answer.starts_with("```")) return answer;
  size_t newline = answer.find('\n');
  if (newline == std::string_view::npos) return answer;
  answer.remove_prefix(newline + 1);
  answer = ascii::Trim(answer);
  if (answer.ends_with("```")) answer.remove_suffix(3);
  return ascii::Trim(answer);
}

void DefuseTag(std::string* text, std::string_view tag) {
  for (size_t at = text->find('<'); at != std::string::npos; at = text->find('<', at + 1)) {
    size_t name = at + 1;
    while (name < text->size() && ((*text)[name] == ' ' || (*text)[name] == '/')) ++name;
    if (text->size() - name >= tag.size() &&
        ascii::EqualsIgnoreCase(std::string_view(*text).substr(name, tag.size()), tag)) {
      (*text)[at] = '[';
    }
  }
}

LlmRequest RepairRequest(const LlmRequest& original, std::string_view bad_answer,
                         std::string_view problem, std::string_view instruction) {
  constexpr size_t kRepairAnswerBytes = 2000;
  LlmRequest request = original;
  std::string_view shown = utf8::Prefix(bad_answer, kRepairAnswerBytes);
  request.user += "\n\nYour previous answer could not be used: ";
  request.user += Redact(utf8::Prefix(problem, kRepairAnswerBytes)).text;
  request.user += shown.size() < bad_answer.size() ? "\nPrevious answer (cut short):\n"
                                                   : "\nPrevious answer:\n";
  request.user += Redact(shown).text;
  request.user += "\n\n";
  request.user += instruction;
  return request;
}

nlohmann::json ClosedObject(nlohmann::json properties) {
  nlohmann::json required = nlohmann::json::array();
  for (const auto& [name, unused] : properties.items()) required.push_back(name);
  return {{"type", "object"},
          {"properties", std::move(properties)},
          {"required", std::move(required)},
          {"additionalProperties", false}};
}

}  // namespace ms::prompt_text
