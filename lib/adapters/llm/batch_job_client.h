// The providers' batch APIs behind the BatchJobClient port (ports/batch_job.h):
//   OpenAI     the requests as a JSONL file (POST /v1/files, purpose=batch), then POST
//              /v1/batches (endpoint /v1/chat/completions, completion_window 24h, the label in
//              metadata); GET /v1/batches/{id}; once ended the output and error files, GET
//              /v1/files/{id}/content.
//   Anthropic  POST /v1/messages/batches {requests: [{custom_id, params}]}; GET
//              /v1/messages/batches/{id} (processing_status, request_counts); once ended the
//              results_url JSONL (result.type succeeded, errored, canceled, expired).
//   Gemini     POST /v1beta/models/{model}:batchGenerateContent with inlined requests (the
//              label as displayName); GET /v1beta/batches/{id}; the inlined responses in
//              input order once it ended.
// Each request body and each answer has the shape of the provider's synchronous call (the same
// client builds and reads them), so structured output, prompt caching and usage are as in
// sync mode. Error statuses are classified as LlmClient's.
#pragma once

#include <memory>

#include "adapters/llm/llm_client_factory.h"
#include "ports/batch_job.h"

namespace ms::llm {

// InvalidArgument / FailedPrecondition as MakeLlmClient.
StatusOr<std::unique_ptr<BatchJobClient>> MakeBatchJobClient(const LlmClientOptions& options);

}  // namespace ms::llm
