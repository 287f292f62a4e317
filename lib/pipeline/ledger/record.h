// Between extraction and the store transaction: fold duplicate events and price the tokens.
#pragma once

#include <string>
#include <vector>

#include "ports/extract.h"

namespace ms {

// Merges events of one batch that share a fingerprint (sources unioned, metrics merged, the
// higher severity and longer description kept) and returns the fingerprint of each remaining
// event, aligned with `events`.
std::vector<std::string> MergeByFingerprint(const std::string& company_id,
                                            std::vector<ExtractedEvent>* events);

// Cleans every string of the answer (events, metrics, stakeholders, model names) for the
// database: ill-formed UTF-8 becomes U+FFFD and NULs are removed (Postgres refuses both, and a
// model may well return "\u0000"). Returns how many strings changed.
int CleanForStore(ExtractionResult* result);

// What a prompt-cache write costs, as a multiple of the input rate (Anthropic's 5-minute cache).
inline constexpr double kCacheWritePriceFactor = 1.25;

// USD for the usage at the given prices per million tokens: plain input at input_per_mtok,
// cache reads at cached_input_per_mtok, cache writes at kCacheWritePriceFactor x
// input_per_mtok, completion at output_per_mtok.
double EstimateCostUsd(const TokenUsage& usage, double input_per_mtok, double output_per_mtok,
                       double cached_input_per_mtok);

}  // namespace ms
