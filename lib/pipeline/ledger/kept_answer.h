// The JSON form of a KeptAnswer (ports/ledger.h), as batches.answer holds it.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"
#include "ports/ledger.h"

namespace ms {

// Every field of the answer: events, observations, fingerprints, usage, provider and model
// names, counts and cost. Strings must be clean (CleanForStore) for jsonb to take them.
std::string EncodeKeptAnswer(const KeptAnswer& answer);

// The answer EncodeKeptAnswer wrote. InvalidArgument when `json` is not one (a row edited by
// hand, or written by a version with another layout), naming what is wrong.
StatusOr<KeptAnswer> DecodeKeptAnswer(std::string_view json);

}  // namespace ms
