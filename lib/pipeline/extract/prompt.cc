// PreparePrompts and RepairRequest: batch -> compact, redacted, chunked prompts.
#include "pipeline/extract/prompt.h"

#include <cstdio>

#include "pipeline/extract/prefilter.h"
#include "pipeline/extract/prompt_text.h"
#include "pipeline/extract/redact.h"
#include "pipeline/text/ascii.h"
#include "pipeline/text/utc_date.h"
#include "pipeline/text/utf8.h"

namespace ms {
namespace {

constexpr std::string_view kTrimMarker = "\xe2\x80\xa6[trimmed]";  // "…[trimmed]"
constexpr size_t kHeaderReserveBytes = 160;  // "Company: ...", "<messages>", the closing lines

// One message rendered without its index, and what redaction replaced in it.
struct Line {
  int64_t message_id = 0;
  std::string body;  // "s|sender|date|text"
  int redactions = 0;
};

// Cuts `text` to at most `max_chars` bytes at a UTF-8 boundary, preferring a word boundary in
// the last fifth, and appends the marker.
void Trim(std::string* text, size_t max_chars) {
  if (text->size() <= max_chars) return;
  size_t cut = utf8::Prefix(*text, max_chars).size();
  size_t space = text->rfind(' ', cut);
  if (space != std::string::npos && space > 0 && space >= cut - cut / 5) cut = space;
  text->resize(cut);
  text->append(kTrimMarker);
}

std::string Sanitize(std::string_view raw, bool redact, int* redactions) {
  if (!redact) return std::string(raw);
  RedactionResult result = Redact(raw);
  *redactions += result.counts.total();
  return std::move(result.text);
}

// "Jane Roe <jane@acme.io>" is "Jane Roe": the address adds tokens and personal data, not
// meaning. A sender without a display name is kept whole (and redacted).
std::string_view SenderName(std::string_view sender) {
  sender = ascii::Trim(sender);
  const size_t open = sender.rfind('<');
  if (!sender.ends_with('>') || open == std::string_view::npos) return sender;
  std::string_view name = ascii::Trim(sender.substr(0, open));
  if (name.size() >= 2 && name.front() == '"' && name.back() == '"') {
    name = ascii::Trim(name.substr(1, name.size() - 2));
  }
  return name.empty() ? sender : name;
}

Line RenderLine(const BatchMessage& message, const PromptOptions& options) {
  Line line;
  line.message_id = message.id;
  bool redact = options.redact_pii;
  // Collapse before redacting: joining lines could otherwise assemble a number after the check.
  std::string sender =
      Sanitize(ascii::CollapseSpace(SenderName(message.sender), "|"), redact, &line.redactions);
  std::string text = ascii::CollapseSpace(message.text);
  std::string subject = ascii::CollapseSpace(message.subject);
  if (!subject.empty() && !text.starts_with("Subject:")) {
    text = "Subject: " + subject + " \xe2\x80\x94 " + text;  // " — "
  }
  text = Sanitize(text, redact, &line.redactions);
  if (text.size() > options.max_message_chars) {
    Trim(&text, options.max_message_chars);
    text = Sanitize(text, redact, &line.redactions);  // a cut can complete a new pattern
  }
  prompt_text::DefuseTag(&text, "messages");
  line.body = std::string(message.source == Source::kSlack ? "s" : "g") + "|" + sender + "|" +
              UtcDate(message.sent_at_ms) + "|" + text;
  return line;
}

PreparedPrompt BuildPrompt(const std::string& company_id, const std::vector<Line>& lines,
                           size_t begin, size_t end) {
  PreparedPrompt prompt;
  std::string& user = prompt.request.user;
  user = "Company: " + company_id + "\n<messages>\n";
  for (size_t idx = begin; idx < end; ++idx) {
    user += std::to_string(idx - begin) + "|" + lines[idx].body + "\n";
    prompt.index_to_message_id.push_back(lines[idx].message_id);
    prompt.redactions += lines[idx].redactions;
  }
  user +=
      "</messages>\nReturn the events and observations of company \"" + company_id + "\" as JSON.";
  prompt.request.system = ExtractionSystemPrompt();
  prompt.request.schema_json = EventSchemaJson();
  prompt.request.schema_description =
      "Record the significant business events and the KPI observations found in the messages.";
  prompt.estimated_tokens = static_cast<int>((prompt.request.system.size() + user.size()) / 4);
  return prompt;
}

}  // namespace

std::vector<PreparedPrompt> PreparePrompts(const ExtractionRequest& request,
                                           const PromptOptions& options) {
  std::vector<Line> lines;
  int dropped = 0;
  for (const BatchMessage& message : request.messages) {
    if (options.prefilter && !PrefilterKeeps(message)) {
      ++dropped;
      continue;
    }
    lines.push_back(RenderLine(message, options));
  }
  std::vector<PreparedPrompt> prompts;
  size_t fixed =
      ExtractionSystemPrompt().size() + 2 * request.company_id.size() + kHeaderReserveBytes;
  size_t budget = options.max_prompt_tokens > 0 ? static_cast<size_t>(options.max_prompt_tokens) * 4
                                                : static_cast<size_t>(-1);
  size_t begin = 0;
  size_t used = fixed;
  for (size_t idx = 0; idx < lines.size(); ++idx) {
    size_t cost = lines[idx].body.size() + std::to_string(idx - begin).size() + 2;
    if (idx > begin && used + cost > budget) {
      prompts.push_back(BuildPrompt(request.company_id, lines, begin, idx));
      begin = idx;
      used = fixed;
      cost = lines[idx].body.size() + 3;
    }
    used += cost;
  }
  if (begin < lines.size())
    prompts.push_back(BuildPrompt(request.company_id, lines, begin, lines.size()));
  if (!prompts.empty()) prompts.front().dropped_by_prefilter = dropped;
  return prompts;
}

LlmRequest RepairRequest(const PreparedPrompt& prompt, std::string_view bad_answer,
                         std::string_view error) {
  // The model saw only redacted data, but whatever it wrote goes back out: redacted too.
  return prompt_text::RepairRequest(prompt.request, bad_answer, error,
                                    "Reply again with only one complete JSON object {\"events\": "
                                    "[...], \"observations\": [...]} that matches the schema, "
                                    "with no text before or after it.");
}

}  // namespace ms
