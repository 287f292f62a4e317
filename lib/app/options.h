// Maps the validated Config onto each adapter's option struct, so adapters stay independent
// of the config module.
#pragma once

#include "adapters/kafka/consumer.h"
#include "adapters/kafka/producer.h"
#include "adapters/llm/llm_client_factory.h"
#include "adapters/postgres/pg.h"
#include "adapters/redis/redis.h"
#include "config/config.h"
#include "pipeline/decode/decode.h"
#include "pipeline/ledger/milestones.h"
#include "pipeline/llm_policy/llm_call_policy.h"

namespace ms::app {

pg::PgOptions PgOptionsFrom(const Config& config);
redis::RedisOptions RedisOptionsFrom(const Config& config);
// kafka.consumer.properties / kafka.producer.properties with kafka.sasl_password (when set) as
// sasl.password: what every Kafka client of that kind is opened with.
kafka::Properties ConsumerPropertiesFrom(const Config& config);
kafka::Properties ProducerPropertiesFrom(const Config& config);
kafka::ConsumerOptions ConsumerOptionsFrom(const Config& config);
kafka::ProducerOptions ProducerOptionsFrom(const Config& config);
DecodeLimits DecodeLimitsFrom(const Config& config);
// For an LLM provider (llm.provider other than `rules`). The client options carry the API key.
llm::LlmClientOptions LlmClientOptionsFrom(const Config& config);
LlmCallOptions LlmCallOptionsFrom(const Config& config);
// The defaults of pipeline/ledger/milestones.h with events.ladders and the growth keys applied.
MilestoneRules MilestoneRulesFrom(const Config& config);

}  // namespace ms::app
