// Prompt tokens per message and LLM calls per 1,000 messages for a data set, in batches:
// this prompt builder (prefilter + redaction + one compact line per message) against a naive
// prompt that dumps every message as its own JSON block, tokens estimated as bytes / 4.
//
//   build/bench/prompt_bench [csv] [batch size]     (default: ../shared/data/scaleflow_full.csv,
//   200)
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "pipeline/extract/prompt.h"
#include "pipeline/generator/producer_payload.h"

namespace ms {
namespace {

std::vector<BatchMessage> Load(const std::string& path) {
  std::ifstream in(path);
  std::vector<BatchMessage> out;
  for (const CsvRow& row : ReadCsvRows(in)) {
    out.push_back(ToBatchMessage(row, static_cast<int64_t>(out.size() + 1)));
  }
  return out;
}

// What a first attempt typically sends: the instructions, then each message as a JSON object
// with a UUID-like id and every header, no filtering.
size_t NaiveBytes(const std::vector<BatchMessage>& batch) {
  size_t bytes = ExtractionSystemPrompt().size() + EventSchemaJson().size();
  for (const auto& m : batch) {
    nlohmann::json j = {
        {"message_id", "3f2a9c1e-7b4d-4e0a-9c6f-" + std::to_string(100000000000 + m.id)},
        {"company_id", "scaleflow"},
        {"source", m.source == Source::kSlack ? "slack" : "gmail"},
        {"sender", m.sender},
        {"timestamp_ms", m.sent_at_ms},
        {"content", m.text}};
    bytes += j.dump(2).size() + 2;
  }
  return bytes;
}

}  // namespace
}  // namespace ms

int main(int argc, char** argv) {
  using namespace ms;
  std::string path =
      argc > 1 ? argv[1] : std::string(MS_SOURCE_DIR) + "/../shared/data/scaleflow_full.csv";
  size_t batch_size = argc > 2 ? std::stoul(argv[2]) : 200;
  auto messages = Load(path);
  if (messages.empty()) {
    fprintf(stderr, "prompt_bench: no messages read from %s\n", path.c_str());
    return 1;
  }
  size_t naive_bytes = 0, ours_bytes = 0, calls = 0, dropped = 0, redactions = 0;
  size_t batches = 0;
  for (size_t at = 0; at < messages.size(); at += batch_size, ++batches) {
    ExtractionRequest req;
    req.batch_id = static_cast<int64_t>(batches + 1);
    req.company_id = "scaleflow";
    req.messages.assign(messages.begin() + at,
                        messages.begin() + std::min(messages.size(), at + batch_size));
    naive_bytes += NaiveBytes(req.messages);
    for (const auto& p : PreparePrompts(req, PromptOptions{})) {
      ours_bytes += p.request.system.size() + p.request.user.size() + p.request.schema_json.size();
      dropped += p.dropped_by_prefilter;
      redactions += p.redactions;
      ++calls;
    }
  }
  double n = static_cast<double>(messages.size());
  printf("prompt_bench: %zu messages from %s, batches of %zu (%zu batches)\n", messages.size(),
         path.c_str(), batch_size, batches);
  printf(
      "  naive JSON dump:  %8zu tokens  %6.1f tokens/message  %5.2f LLM calls per 1,000 messages\n",
      naive_bytes / 4, static_cast<double>(naive_bytes) / 4 / n, 1000.0 * batches / n);
  printf(
      "  this builder:     %8zu tokens  %6.1f tokens/message  %5.2f LLM calls per 1,000 messages\n",
      ours_bytes / 4, static_cast<double>(ours_bytes) / 4 / n, 1000.0 * calls / n);
  size_t fixed_bytes = ExtractionSystemPrompt().size() + EventSchemaJson().size();
  printf("  fixed per call:   %8zu tokens  (system prompt %zu + answer schema %zu)\n",
         fixed_bytes / 4, ExtractionSystemPrompt().size() / 4, EventSchemaJson().size() / 4);
  printf(
      "  prefilter dropped %zu of %zu messages; %zu redactions; saving %.0f%% of prompt tokens\n",
      dropped, messages.size(), redactions,
      100.0 * (1.0 - static_cast<double>(ours_bytes) / static_cast<double>(naive_bytes)));
  return 0;
}
