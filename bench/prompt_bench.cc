// Prompt tokens per message and LLM calls per 1,000 messages for a data set, in batches of one
// company's messages: this prompt builder (prefilter + redaction + one compact line per message)
// against a naive prompt that dumps every message as its own JSON block, and the same builder
// behind the offline rules (llm.mode tiered: what they are sure of is not sent). Tokens are
// estimated as bytes / 4; answer tokens as the size of the answer a model agreeing with the rules
// extractor writes (the fake provider's answer).
//
// Cost per 1,000 messages per mode, at a price given as input/output/cached-input USD per
// million tokens and the batch multiplier, the form of llm.prices' environment override
// (default 0.15/0.6/0.075/0.5: gpt-4o-mini's list price, llm.prices' default multiplier):
//   model-only, tiered       every call at the list price, the fixed prefix (system prompt and
//                            schema) read from the provider's prompt cache after the first call
//   batch, tiered+batch      input and output at the batch multiplier, no cache
//
//   build/bench/prompt_bench [csv] [batch size] [price]
//   (defaults: ../shared/data/scaleflow_full.csv, 200, 0.15/0.6/0.075/0.5)
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "config/config.h"
#include "pipeline/extract/prefilter.h"
#include "pipeline/extract/prompt.h"
#include "pipeline/extract/tiered_extractor.h"
#include "pipeline/generator/producer_payload.h"
#include "tests/fake_llm/rules_answer.h"

namespace ms {
namespace {

// The data set's messages by company (a file without a company column is one company).
std::map<std::string, std::vector<BatchMessage>> Load(const std::string& path) {
  std::ifstream in(path);
  std::map<std::string, std::vector<BatchMessage>> out;
  int64_t id = 0;
  for (const CsvRow& row : ReadCsvRows(in)) {
    out[row.company_id.empty() ? "scaleflow" : row.company_id].push_back(ToBatchMessage(row, ++id));
  }
  return out;
}

struct Price {
  double input = 0.15, output = 0.6, cached = 0.075;  // USD per million tokens
  double batch_multiplier = ModelPrice{}.batch_multiplier;
};

Price ParsePrice(const std::string& text) {
  Price price;
  if (std::sscanf(text.c_str(), "%lf/%lf/%lf/%lf", &price.input, &price.output, &price.cached,
                  &price.batch_multiplier) < 2) {
    std::fprintf(stderr,
                 "prompt_bench: price must read input/output[/cached[/batch multiplier]], got %s\n",
                 text.c_str());
    std::exit(2);
  }
  return price;
}

size_t FixedBytes() {
  return ExtractionSystemPrompt().size() + EventSchemaJson().size();
}

struct Tally {
  size_t bytes = 0, answer_bytes = 0, calls = 0, sent = 0, dropped = 0, redactions = 0;
  void Add(const ExtractionRequest& request) {
    for (const auto& p : PreparePrompts(request, PromptOptions{})) {
      bytes += p.request.system.size() + p.request.user.size() + p.request.schema_json.size();
      answer_bytes += test::RulesAnswer(p.request.user).size();
      dropped += p.dropped_by_prefilter;
      redactions += p.redactions;
      ++calls;
    }
    for (const BatchMessage& m : request.messages) sent += PrefilterKeeps(m) ? 1 : 0;
  }
  // USD per 1,000 of `n` messages; `batch`: the batch APIs' discount instead of the cache.
  double CostPer1k(const Price& price, double n, bool batch) const {
    const double input = static_cast<double>(bytes) / 4;
    const double output = static_cast<double>(answer_bytes) / 4;
    double usd = 0;
    if (batch) {
      usd = price.batch_multiplier * (input * price.input + output * price.output);
    } else {
      const double cached = calls > 1 ? static_cast<double>((calls - 1) * FixedBytes()) / 4 : 0;
      usd = (input - cached) * price.input + cached * price.cached + output * price.output;
    }
    return 1000.0 * usd / 1e6 / n;
  }
  void Print(const char* name, double n) const {
    printf(
        "  %-17s %8zu tokens  %6.1f tokens/message  %5.2f LLM calls and %4.0f messages sent per "
        "1,000 messages\n",
        name, bytes / 4, static_cast<double>(bytes) / 4 / n,
        1000.0 * static_cast<double>(calls) / n, 1000.0 * static_cast<double>(sent) / n);
  }
};

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
  const Price price = argc > 3 ? ParsePrice(argv[3]) : Price{};
  const auto companies = Load(path);
  size_t total = 0;
  for (const auto& [company, list] : companies) total += list.size();
  if (total == 0) {
    fprintf(stderr, "prompt_bench: no messages read from %s\n", path.c_str());
    return 1;
  }
  size_t naive_bytes = 0, batches = 0, decided = 0;
  Tally ours, tiered;
  for (const auto& [company, messages] : companies) {
    for (size_t at = 0; at < messages.size(); at += batch_size, ++batches) {
      ExtractionRequest req;
      req.batch_id = static_cast<int64_t>(batches + 1);
      req.company_id = company;
      req.messages.assign(messages.begin() + static_cast<std::ptrdiff_t>(at),
                          messages.begin() + static_cast<std::ptrdiff_t>(
                                                 std::min(messages.size(), at + batch_size)));
      naive_bytes += NaiveBytes(req.messages);
      ours.Add(req);
      TierSplit split = SplitByConfidence(req);
      decided += static_cast<size_t>(split.decided_messages);
      req.messages = std::move(split.to_model);
      if (!req.messages.empty()) tiered.Add(req);
    }
  }
  double n = static_cast<double>(total);
  printf("prompt_bench: %zu messages of %zu companies from %s, batches of %zu (%zu batches)\n",
         total, companies.size(), path.c_str(), batch_size, batches);
  printf(
      "  naive JSON dump:  %8zu tokens  %6.1f tokens/message  %5.2f LLM calls and %4.0f messages "
      "sent per 1,000 messages\n",
      naive_bytes / 4, static_cast<double>(naive_bytes) / 4 / n,
      1000.0 * static_cast<double>(batches) / n, 1000.0);
  ours.Print("model-only:", n);
  tiered.Print("tiered:", n);
  printf(
      "  tiered: %zu messages decided offline by the rules; %.2fx the model-only prompt tokens\n",
      decided, static_cast<double>(tiered.bytes) / static_cast<double>(ours.bytes));
  size_t fixed_bytes = FixedBytes();
  printf("  fixed per call:   %8zu tokens  (system prompt %zu + answer schema %zu)\n",
         fixed_bytes / 4, ExtractionSystemPrompt().size() / 4, EventSchemaJson().size() / 4);
  printf(
      "  prefilter dropped %zu of %zu messages; %zu redactions; saving %.0f%% of prompt tokens\n",
      ours.dropped, total, ours.redactions,
      100.0 * (1.0 - static_cast<double>(ours.bytes) / static_cast<double>(naive_bytes)));
  printf(
      "  cost per 1,000 messages at $%.3g/$%.3g/$%.3g per Mtok (input/output/cached input), "
      "batch jobs at %.2gx; answers %.1f tokens/message:\n",
      price.input, price.output, price.cached, price.batch_multiplier,
      static_cast<double>(ours.answer_bytes) / 4 / n);
  printf("    model-only $%.4f   tiered $%.4f   batch $%.4f   tiered+batch $%.4f\n",
         ours.CostPer1k(price, n, false), tiered.CostPer1k(price, n, false),
         ours.CostPer1k(price, n, true), tiered.CostPer1k(price, n, true));
  return 0;
}
