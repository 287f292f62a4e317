// The schema, as forward-only migrations. Never edit a released migration: add the next one.
#include "adapters/postgres/migrations.h"

namespace ms::pg {
namespace {

constexpr std::string_view k0001Init = R"sql(
CREATE TABLE messages (
  id              BIGSERIAL PRIMARY KEY,
  company_id      TEXT NOT NULL,
  source          TEXT NOT NULL CHECK (source IN ('slack', 'gmail')),
  source_msg_id   TEXT NOT NULL,
  sender          TEXT NOT NULL DEFAULT '',
  subject         TEXT NOT NULL DEFAULT '',
  text            TEXT NOT NULL,
  sent_at         TIMESTAMPTZ,
  thread_id       TEXT NOT NULL DEFAULT '',
  kafka_topic     TEXT NOT NULL DEFAULT '',
  kafka_partition INTEGER NOT NULL DEFAULT -1,
  kafka_offset    BIGINT NOT NULL DEFAULT -1,
  batch_id        BIGINT,
  edited_at       TIMESTAMPTZ,
  created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
  UNIQUE (company_id, source, source_msg_id)
);
CREATE INDEX messages_pending_idx ON messages (company_id, id) WHERE batch_id IS NULL;
CREATE INDEX messages_batch_idx ON messages (batch_id) WHERE batch_id IS NOT NULL;

CREATE TABLE batches (
  id                BIGSERIAL PRIMARY KEY,
  company_id        TEXT NOT NULL,
  claim_id          TEXT NOT NULL UNIQUE,
  message_count     INTEGER NOT NULL,
  trigger           TEXT NOT NULL CHECK (trigger IN ('threshold', 'max_age', 'rebuild', 'manual')),
  status            TEXT NOT NULL DEFAULT 'claimed'
                    CHECK (status IN ('claimed', 'extracting', 'done', 'failed')),
  attempts          INTEGER NOT NULL DEFAULT 0,
  last_error        TEXT,
  provider          TEXT,
  model             TEXT,
  prompt_tokens     BIGINT NOT NULL DEFAULT 0,
  completion_tokens BIGINT NOT NULL DEFAULT 0,
  cost_usd          NUMERIC(14, 6) NOT NULL DEFAULT 0,
  claimed_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
  started_at        TIMESTAMPTZ,
  finished_at       TIMESTAMPTZ
);
CREATE INDEX batches_company_idx ON batches (company_id, id);
CREATE INDEX batches_status_idx ON batches (status) WHERE status <> 'done';

CREATE TABLE events (
  id                 BIGSERIAL PRIMARY KEY,
  event_uid          UUID NOT NULL UNIQUE DEFAULT gen_random_uuid(),
  company_id         TEXT NOT NULL,
  type               TEXT NOT NULL,
  title              TEXT NOT NULL,
  description        TEXT NOT NULL DEFAULT '',
  impact             TEXT NOT NULL DEFAULT '',
  metrics            JSONB NOT NULL DEFAULT '{}'::jsonb,
  timeline           TEXT NOT NULL DEFAULT '',
  severity           TEXT NOT NULL CHECK (severity IN ('high', 'medium', 'low')),
  stakeholders       JSONB NOT NULL DEFAULT '[]'::jsonb,
  source_message_ids JSONB NOT NULL DEFAULT '[]'::jsonb,
  fingerprint        TEXT NOT NULL,
  first_seen         TIMESTAMPTZ NOT NULL DEFAULT now(),
  last_seen          TIMESTAMPTZ NOT NULL DEFAULT now(),
  sightings          INTEGER NOT NULL DEFAULT 1,
  state              TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'stale', 'closed')),
  UNIQUE (company_id, fingerprint)
);
CREATE INDEX events_company_idx ON events (company_id, last_seen DESC);

CREATE TABLE event_history (
  id         BIGSERIAL PRIMARY KEY,
  event_id   BIGINT NOT NULL REFERENCES events (id),
  batch_id   BIGINT REFERENCES batches (id),
  kind       TEXT NOT NULL CHECK (kind IN ('created', 'sighted', 'changed', 'state_changed')),
  diff       JSONB NOT NULL DEFAULT '{}'::jsonb,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX event_history_event_idx ON event_history (event_id, id);

CREATE TABLE outbox (
  id           BIGSERIAL PRIMARY KEY,
  aggregate    TEXT NOT NULL,
  event_id     BIGINT NOT NULL REFERENCES events (id),
  type         TEXT NOT NULL,
  payload      JSONB NOT NULL,
  created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
  published_at TIMESTAMPTZ,
  attempts     INTEGER NOT NULL DEFAULT 0,
  last_error   TEXT
);
CREATE INDEX outbox_unpublished_idx ON outbox (aggregate, id) WHERE published_at IS NULL;

CREATE TABLE investor_updates (
  id         BIGSERIAL PRIMARY KEY,
  company_id TEXT NOT NULL,
  subject    TEXT NOT NULL,
  body       TEXT NOT NULL,
  content    JSONB NOT NULL,
  event_ids  BIGINT[] NOT NULL,
  provider   TEXT NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
)sql";

// The read API's GET /v1/batches/{id} lists a batch's events by event_history.batch_id; without
// an index that is a scan of the whole append-only history. Rows of the relay's state changes
// have no batch, hence the partial index.
constexpr std::string_view k0002EventHistoryBatch = R"sql(
CREATE INDEX event_history_batch_idx ON event_history (batch_id) WHERE batch_id IS NOT NULL;
)sql";

// Extraction accounting and automatic retries, and per-sink relay progress.
//  - batches.llm_calls/dropped_messages/rejected_events: what the extraction spent and dropped,
//    for `milestonectl report` (failed attempts included).
//  - batches.retry_at: a batch handed back after a transient failure (provider down, breaker
//    open, shutdown) is not taken again before this time.
//  - outbox.kafka_published_at: the row is on the events topic; a later round retries only the
//    sinks that have not taken it (the webhook), instead of producing it again.
//  - outbox.next_attempt_at: a failing row (and every later row of its company) waits until
//    this time, growing with its attempts.
constexpr std::string_view k0003RetriesAndSinks = R"sql(
ALTER TABLE batches
  ADD COLUMN llm_calls        INTEGER NOT NULL DEFAULT 0,
  ADD COLUMN dropped_messages INTEGER NOT NULL DEFAULT 0,
  ADD COLUMN rejected_events  INTEGER NOT NULL DEFAULT 0,
  ADD COLUMN retry_at         TIMESTAMPTZ;
ALTER TABLE outbox
  ADD COLUMN kafka_published_at TIMESTAMPTZ,
  ADD COLUMN next_attempt_at    TIMESTAMPTZ;
)sql";

// The ledger model (design §3): KPI observations as series, event time and origin.
//  - observations: one reading of a company's metric (pipeline/ledger/metric_vocab.h), timed by its
//    source message; idempotent on (company, metric, source message), so a re-run batch or a
//    restated report adds nothing.
//  - events.occurred_at: when the fact happened (the earliest source message's sent time),
//    apart from first_seen/last_seen (when the daemon saw it); filled for existing events from
//    their messages, else their first_seen.
//  - events.origin: 'extracted' (from messages) or 'series' (a milestone derived from
//    observations).
//  - investor_updates.period_start/period_end: the period an update covers, so the next one
//    starts where it ended.
constexpr std::string_view k0004LedgerModel = R"sql(
CREATE TABLE observations (
  id                BIGSERIAL PRIMARY KEY,
  company_id        TEXT NOT NULL,
  metric            TEXT NOT NULL,
  value             DOUBLE PRECISION NOT NULL,
  unit              TEXT NOT NULL,
  observed_at       TIMESTAMPTZ NOT NULL,
  source_message_id BIGINT NOT NULL REFERENCES messages (id),
  batch_id          BIGINT REFERENCES batches (id),
  created_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
  UNIQUE (company_id, metric, source_message_id)
);
CREATE INDEX observations_series_idx ON observations (company_id, metric, observed_at, id);

ALTER TABLE events
  ADD COLUMN occurred_at TIMESTAMPTZ,
  ADD COLUMN origin      TEXT NOT NULL DEFAULT 'extracted'
                         CHECK (origin IN ('extracted', 'series'));
UPDATE events e SET occurred_at = COALESCE(
  (SELECT min(m.sent_at) FROM messages m
   WHERE m.id IN (SELECT jsonb_array_elements_text(e.source_message_ids)::bigint)),
  e.first_seen);
ALTER TABLE events ALTER COLUMN occurred_at SET NOT NULL,
                   ALTER COLUMN occurred_at SET DEFAULT now();
CREATE INDEX events_company_occurred_idx ON events (company_id, occurred_at DESC);

ALTER TABLE investor_updates
  ADD COLUMN period_start TIMESTAMPTZ,
  ADD COLUMN period_end   TIMESTAMPTZ;
)sql";

// 5: a model's answer is kept on its batch until stored (ports/ledger.h KeptAnswer).
//  - batches.answer: the answer (events merged, fingerprints, spending), written right after
//    the provider answered and before the store transaction; a store that fails is retried
//    from it, never by calling the provider again. Cleared when the batch is done.
//  - batches.store_attempts: store attempts that failed with the answer kept.
constexpr std::string_view k0005KeptAnswers = R"sql(
ALTER TABLE batches
  ADD COLUMN answer         JSONB,
  ADD COLUMN store_attempts INT NOT NULL DEFAULT 0;
)sql";

// 6: the relay's leadership is fenced (ports/outbox.h Leadership).
//  - relay_leader: one row; `epoch` grows by one each time an instance takes the lead, and
//    every mark of outbox rows checks it under a share lock, so a former leader's marks are
//    refused; `lease_until` is how long the current leader may still send, which a new leader
//    waits out before it sends anything.
constexpr std::string_view k0006RelayFencing = R"sql(
CREATE TABLE relay_leader (
  id          INT PRIMARY KEY CHECK (id = 1),
  epoch       BIGINT NOT NULL,
  lease_until TIMESTAMPTZ NOT NULL
);
INSERT INTO relay_leader (id, epoch, lease_until) VALUES (1, 0, '-infinity');
)sql";

// 7: prompt caching (ports/extract.h TokenUsage). Both columns are parts of prompt_tokens,
// summed over a batch's attempts like it:
//  - batches.cached_prompt_tokens: input read from the provider's prompt cache;
//  - batches.cache_write_tokens: input written to it (Anthropic).
constexpr std::string_view k0007PromptCache = R"sql(
ALTER TABLE batches
  ADD COLUMN cached_prompt_tokens BIGINT NOT NULL DEFAULT 0,
  ADD COLUMN cache_write_tokens   BIGINT NOT NULL DEFAULT 0;
)sql";

// 10: spending by extraction mode (ports/extract.h ExtractionResult::mode), for the cost per
// 1,000 messages of each mode in `milestonectl report`:
//  - batches.llm_mode: model, tiered or rules, "+batch" for a provider batch job; NULL before;
//  - batches.decided_offline: messages the offline rules decided in tiered mode, never sent.
constexpr std::string_view k0010SpendingByMode = R"sql(
ALTER TABLE batches
  ADD COLUMN llm_mode        TEXT,
  ADD COLUMN decided_offline INTEGER NOT NULL DEFAULT 0;
)sql";

// 11: batch membership written once per batch, not on every message row. A claim rewrote its
// messages' rows (whole tuples, text included, plus an index entry each) to set
// messages.batch_id; it now deletes their ids from `pending_messages` and writes them once in
// batches.message_ids (in id order). A message is pending while its id is in
// `pending_messages`; each is deleted by exactly one claim (row lock), so no message is in two
// batches. No foreign key to messages: its check would lock every new message row once more
// (FOR KEY SHARE) at ingest, and messages are never deleted. The lock keeps a writer of the
// old layout from storing or claiming a message between the copy and the column's removal.
constexpr std::string_view k0011PendingMessages = R"sql(
LOCK TABLE messages, batches IN EXCLUSIVE MODE;
CREATE TABLE pending_messages (
  id         BIGINT PRIMARY KEY,
  company_id TEXT NOT NULL,
  source     TEXT NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
INSERT INTO pending_messages (id, company_id, source, created_at)
  SELECT id, company_id, source, created_at FROM messages WHERE batch_id IS NULL;
ALTER TABLE batches ADD COLUMN message_ids BIGINT[] NOT NULL DEFAULT '{}';
UPDATE batches b SET message_ids = m.ids
  FROM (SELECT batch_id, array_agg(id ORDER BY id) AS ids FROM messages
        WHERE batch_id IS NOT NULL GROUP BY batch_id) m
  WHERE m.batch_id = b.id;
DROP INDEX messages_pending_idx;
DROP INDEX messages_batch_idx;
ALTER TABLE messages DROP COLUMN batch_id;
)sql";

// 12: provider batch jobs (llm.submit: batch; pipeline/extract/job_extractor.h):
//  - status `submitted`: the batch is a provider job being polled; taken again (polled) by any
//    worker or instance once retry_at has passed, never extracted anew;
//  - provider_job_id: the provider's job id, stored with the status in one statement, so a
//    restart polls the same job and never submits (or pays for) it again;
//  - job_state `submitting`: committed before the provider's create call, so no worker or
//    instance submits the batch again while the outcome of that call is unknown; cleared on a
//    definite refusal or by `milestonectl batches retry`;
//  - job_provider: the provider the job was submitted to (a switched provider does not poll it);
//  - job_state: pending, then completed, partial, failed, expired or cancelled;
//    job_provider_state: the provider's own word for it; job_requests: requests in the job;
//    job_fallbacks: requests of the ended job re-sent synchronously at the full price;
//  - submitted_at, job_ended_at.
constexpr std::string_view k0012ProviderBatchJobs = R"sql(
ALTER TABLE batches DROP CONSTRAINT batches_status_check;
ALTER TABLE batches ADD CONSTRAINT batches_status_check
  CHECK (status IN ('claimed', 'extracting', 'submitted', 'done', 'failed'));
ALTER TABLE batches
  ADD COLUMN provider_job_id    TEXT,
  ADD COLUMN job_state          TEXT CHECK (job_state IN ('submitting', 'pending', 'completed',
                                                          'partial', 'failed', 'expired',
                                                          'cancelled')),
  ADD COLUMN job_provider       TEXT,
  ADD COLUMN job_provider_state TEXT,
  ADD COLUMN job_requests       INTEGER NOT NULL DEFAULT 0,
  ADD COLUMN job_fallbacks      INTEGER NOT NULL DEFAULT 0,
  ADD COLUMN submitted_at       TIMESTAMPTZ,
  ADD COLUMN job_ended_at       TIMESTAMPTZ;
)sql";

// 13: job_request_hashes: JobExtractor::RequestHash of each request of a provider job as
// submitted, by prompt index. A collect uses an answer only for the prompt it was asked for: a
// prompt built differently (a message edited, the prompt options changed) is re-sent instead.
// NULL for jobs submitted before it (their answers are used as before).
constexpr std::string_view k0013JobRequestHashes = R"sql(
ALTER TABLE batches ADD COLUMN job_request_hashes TEXT[];
)sql";

// 14: the relay's due rows found by index scans that stay short. outbox_unpublished_idx is
// (aggregate, id): ordering its rows by id took a bitmap scan, which visits every entry of a
// row published since the last vacuum (dead to the query, but never marked so by a bitmap
// scan) on every round. outbox_due_idx is ordered by id, so the relay reads the first `limit`
// rows and marks dead entries as it passes them; outbox_held_idx holds only the rows waiting
// after a failure (next_attempt_at is set), which the relay's per-company hold looks up.
constexpr std::string_view k0014OutboxDueIndexes = R"sql(
CREATE INDEX outbox_due_idx ON outbox (id) WHERE published_at IS NULL;
CREATE INDEX outbox_held_idx ON outbox (aggregate, id)
  WHERE published_at IS NULL AND next_attempt_at IS NOT NULL;
)sql";

}  // namespace

const std::vector<Migration>& AllMigrations() {
  static const std::vector<Migration> kMigrations = {
      {1, "init", k0001Init},
      {2, "event_history_batch_idx", k0002EventHistoryBatch},
      {3, "retries_and_sinks", k0003RetriesAndSinks},
      {4, "ledger_model", k0004LedgerModel},
      {5, "kept_answers", k0005KeptAnswers},
      {6, "relay_fencing", k0006RelayFencing},
      {7, "prompt_cache", k0007PromptCache},
      {10, "spending_by_mode", k0010SpendingByMode},
      {11, "pending_messages", k0011PendingMessages},
      {12, "provider_batch_jobs", k0012ProviderBatchJobs},
      {13, "job_request_hashes", k0013JobRequestHashes},
      {14, "outbox_due_indexes", k0014OutboxDueIndexes},
  };
  return kMigrations;
}

}  // namespace ms::pg
