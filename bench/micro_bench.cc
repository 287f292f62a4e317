// Micro-benchmarks of the per-message hot path: decode/normalize of each input shape, the
// batch decode of a poll, the prefilter's verdict on a message and the offline rules over a
// batch of one company's messages. Run: build/bench/micro_bench
#include <benchmark/benchmark.h>

#include <sstream>

#include "pipeline/decode/decode.h"
#include "pipeline/extract/prefilter.h"
#include "pipeline/extract/rules_extractor.h"
#include "pipeline/generator/generator.h"
#include "pipeline/generator/producer_payload.h"
#include "pipeline/ingest/ingest_batch.h"
#include "pipeline/text/csv.h"

namespace ms {
namespace {

// `rows` generated messages over `companies`, as CSV.
std::stringstream GeneratedCsv(int rows, int companies) {
  GeneratorOptions opts;
  opts.rows = rows;
  opts.companies = companies;
  std::stringstream csv;
  GenerateCsv(opts, csv);
  return csv;
}

std::vector<ProducedRecord> Payloads(int rows) {
  std::stringstream csv = GeneratedCsv(rows, 100);
  return PayloadsFromCsv(csv, "bench");
}

void BM_DecodeSlack(benchmark::State& state) {
  auto payloads = Payloads(2000);
  std::erase_if(payloads, [](const auto& p) { return p.source != Source::kSlack; });
  DecodeLimits limits;
  size_t idx = 0, bytes = 0;
  for (auto _ : state) {
    const auto& p = payloads[idx++ % payloads.size()];
    bytes += p.payload.size();
    benchmark::DoNotOptimize(DecodeMessage("slack-messages", p.company_id, p.payload, limits));
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}
BENCHMARK(BM_DecodeSlack);

void BM_DecodeGmail(benchmark::State& state) {
  auto payloads = Payloads(4000);
  std::erase_if(payloads, [](const auto& p) { return p.source != Source::kGmail; });
  DecodeLimits limits;
  size_t idx = 0, bytes = 0;
  for (auto _ : state) {
    const auto& p = payloads[idx++ % payloads.size()];
    bytes += p.payload.size();
    benchmark::DoNotOptimize(DecodeMessage("gmail-messages", p.company_id, p.payload, limits));
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}
BENCHMARK(BM_DecodeGmail);

void BM_DecodeBatchOfAPoll(benchmark::State& state) {
  auto payloads = Payloads(static_cast<int>(state.range(0)));
  std::vector<RawRecord> records;
  int64_t offset = 0;
  for (const auto& p : payloads) {
    records.push_back({p.source == Source::kSlack ? "slack-messages" : "gmail-messages", 0,
                       offset++, p.company_id, p.payload, 0});
  }
  DecodeLimits limits;
  for (auto _ : state) benchmark::DoNotOptimize(DecodeBatch(records, limits));
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(records.size()));
}
BENCHMARK(BM_DecodeBatchOfAPoll)->Arg(5000);

// Generated messages of one company, as a claimed batch holds them.
std::vector<BatchMessage> Messages(int rows) {
  std::stringstream csv = GeneratedCsv(rows, 1);
  std::vector<BatchMessage> out;
  int64_t id = 0;
  for (const CsvRow& row : ReadCsvRows(csv)) out.push_back(ToBatchMessage(row, ++id));
  return out;
}

void BM_PrefilterVerdict(benchmark::State& state) {
  const std::vector<BatchMessage> messages = Messages(2000);
  size_t idx = 0;
  for (auto _ : state) {
    const BatchMessage& m = messages[idx++ % messages.size()];
    benchmark::DoNotOptimize(ClassifyMessage(m.subject, m.text));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PrefilterVerdict);

void BM_RulesExtractBatch(benchmark::State& state) {
  const ExtractionRequest request{1, "company-0", Messages(static_cast<int>(state.range(0)))};
  RulesExtractor rules;
  for (auto _ : state) {
    ExtractionResult result;
    benchmark::DoNotOptimize(rules.ExtractInto(request, &result));
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_RulesExtractBatch)->Arg(200);

}  // namespace
}  // namespace ms

BENCHMARK_MAIN();
