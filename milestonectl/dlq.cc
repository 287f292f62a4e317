#include <iostream>
#include <nlohmann/json.hpp>
#include <random>
#include <set>

#include "adapters/kafka/consumer.h"
#include "adapters/kafka/dead_letters.h"
#include "adapters/kafka/producer.h"
#include "app/options.h"
#include "milestonectl/commands.h"

namespace ms::ctl {
namespace {

struct DlqArgs {
  std::string reason;  // only records with this reason
  bool json = false;
  bool dry_run = false;
  int idle_ms = 3000;
};

std::string HeaderValue(const std::vector<kafka::Header>& headers, std::string_view key) {
  for (const auto& h : headers) {
    if (h.key == key) return h.value;
  }
  return "";
}

// What the callback did with one dead letter.
enum class Handled {
  kDone,     // listed or replayed: the replay group may move past it
  kSkipped,  // left for a later replay (another --reason, or no source topic)
};

// Reads the DLQ until it has been idle for `idle_ms`. `group` decides where reading starts:
// a fresh group reads everything; the replay group resumes after what it replayed before.
// With `commit`, the group's offset on a partition advances over handled records only up to
// the first skipped one: a skipped record stays replayable by a later run (which sees again
// the records handled after it in this run).
template <typename Fn>
Status ReadDlq(const Config& config, const std::string& group, int idle_ms, bool commit, Fn&& fn) {
  kafka::ConsumerOptions opts = app::ConsumerOptionsFrom(config);
  opts.group_id = group;
  opts.topics = {config.kafka.dlq_topic};
  MS_ASSIGN_OR_RETURN(auto consumer, kafka::Consumer::Open(opts, nullptr));
  std::set<int32_t> held;  // partitions with a skipped record: their offset stays put
  auto idle_since = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - idle_since < std::chrono::milliseconds(idle_ms)) {
    MS_ASSIGN_OR_RETURN(auto batch, consumer->Poll(500, std::chrono::milliseconds(200)));
    if (!batch.empty()) idle_since = std::chrono::steady_clock::now();
    for (auto& msg : batch) {
      MS_ASSIGN_OR_RETURN(Handled handled, fn(msg.get()));
      if (handled == Handled::kSkipped) held.insert(msg->partition);
      if (commit && !held.contains(msg->partition)) {
        MS_RETURN_IF_ERROR(
            consumer->StoreOffset({config.kafka.dlq_topic, msg->partition}, msg->offset + 1));
      }
    }
  }
  return consumer->Close();
}

int List(const Config& config, const DlqArgs& a) {
  std::string group = "milestonectl-dlq-list-" + std::to_string(std::random_device{}());
  nlohmann::json out = nlohmann::json::array();
  Status st = ReadDlq(
      config, group, a.idle_ms, false, [&](const rd_kafka_message_t* m) -> StatusOr<Handled> {
        auto headers = kafka::HeadersOf(m);
        std::string reason = HeaderValue(headers, kafka::kReasonHeader);
        if (!a.reason.empty() && reason != a.reason) return Handled::kSkipped;
        out.push_back({{"partition", m->partition},
                       {"offset", m->offset},
                       {"reason", reason},
                       {"detail", HeaderValue(headers, kafka::kDetailHeader)},
                       {"source_topic", HeaderValue(headers, kafka::kSourceTopicHeader)},
                       {"source_partition", HeaderValue(headers, kafka::kSourcePartitionHeader)},
                       {"source_offset", HeaderValue(headers, kafka::kSourceOffsetHeader)},
                       {"key", std::string(kafka::KeyOf(m))},
                       {"bytes", m->len},
                       {"value_cut", HeaderValue(headers, kafka::kValueCutHeader)},
                       {"original_sha256", HeaderValue(headers, kafka::kOriginalSha256Header)}});
        return Handled::kDone;
      });
  if (!st.ok()) {
    std::cerr << "dlq list: " << st.message() << "\n";
    return 1;
  }
  if (a.json) {
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  for (const auto& r : out) {
    std::cout << r["source_topic"].get<std::string>() << "/"
              << r["source_partition"].get<std::string>() << "@"
              << r["source_offset"].get<std::string>() << "  " << r["reason"].get<std::string>()
              << "  " << r["detail"].get<std::string>() << "  key=" << r["key"].get<std::string>();
    if (!r["value_cut"].get<std::string>().empty()) {
      std::cout << "  value cut: " << r["value_cut"].get<std::string>();
    }
    std::cout << "\n";
  }
  std::cerr << out.size() << " dead letters\n";
  return 0;
}

int Replay(const Config& config, const DlqArgs& a) {
  auto producer = kafka::Producer::Open(app::ProducerOptionsFrom(config));
  if (!producer.ok()) {
    std::cerr << "dlq replay: " << producer.status().message() << "\n";
    return 1;
  }
  int64_t replayed = 0;
  int64_t other_reason = 0;      // skipped: --reason names another
  int64_t no_source = 0;         // skipped: no source-topic header, nowhere to send it
  std::vector<std::string> cut;  // letters whose value was cut: the original is at its source
  Status st = ReadDlq(
      config, config.kafka.group_id + "-dlq-replay", a.idle_ms, !a.dry_run,
      [&](const rd_kafka_message_t* m) -> StatusOr<Handled> {
        auto headers = kafka::HeadersOf(m);
        if (!a.reason.empty() && HeaderValue(headers, kafka::kReasonHeader) != a.reason) {
          ++other_reason;
          return Handled::kSkipped;
        }
        std::string topic = HeaderValue(headers, kafka::kSourceTopicHeader);
        if (topic.empty()) {
          ++no_source;
          return Handled::kSkipped;
        }
        if (!HeaderValue(headers, kafka::kValueCutHeader).empty()) {
          // Re-sending a cut value would store a truncated message: never replayed.
          cut.push_back(topic + "/" + HeaderValue(headers, kafka::kSourcePartitionHeader) + "@" +
                        HeaderValue(headers, kafka::kSourceOffsetHeader) + " (sha256 " +
                        HeaderValue(headers, kafka::kOriginalSha256Header) + ")");
          return Handled::kDone;
        }
        ++replayed;
        if (a.dry_run) return Handled::kDone;
        auto results = (*producer)->ProduceAndWait(
            {{topic,
              std::string(kafka::KeyOf(m)),
              std::string(kafka::ValueOf(m)),
              {{"x-milestoned-replayed-from", config.kafka.dlq_topic + "/" +
                                                  std::to_string(m->partition) + "@" +
                                                  std::to_string(m->offset)}}}},
            std::chrono::seconds(30));
        MS_RETURN_IF_ERROR(results.at(0));
        return Handled::kDone;
      });
  if (!st.ok()) {
    std::cerr << "dlq replay: " << st.message() << " (" << replayed << " replayed before)\n";
    return 1;
  }
  if (a.json) {
    nlohmann::json out = {{"dry_run", a.dry_run},
                          {"replayed", replayed},
                          {"skipped_other_reason", other_reason},
                          {"skipped_no_source_topic", no_source},
                          {"not_replayed_value_cut", cut}};
    std::cout << out.dump(2) << "\n";
    return kExitOk;
  }
  std::cout << (a.dry_run ? "would replay " : "replayed ") << replayed << " record(s)\n";
  for (const std::string& original : cut) {
    std::cerr << "dlq replay: not replayed, its dead letter holds a cut value; the original is at "
              << original << "\n";
  }
  if (other_reason + no_source > 0) {
    std::cerr << "dlq replay: skipped " << other_reason << " record(s) of other reasons and "
              << no_source << " without a source topic; they stay replayable\n";
  }
  return kExitOk;
}

}  // namespace

void RegisterDlq(CLI::App& cli, Registry& registry) {
  auto* cmd = cli.add_subcommand("dlq", "Inspect and replay the dead-letter topic");
  cmd->require_subcommand(1);
  auto args = std::make_shared<DlqArgs>();
  auto* list = cmd->add_subcommand("list", "Every dead letter with its reason and origin");
  list->add_option("--reason", args->reason, "Only this reason code (e.g. invalid_json)");
  list->add_flag("--json", args->json, "Print JSON");
  registry[list] = [args](const Config& c) { return List(c, *args); };
  auto* replay = cmd->add_subcommand(
      "replay",
      "Re-produce dead letters to their source topic (after fixing the cause). A later replay "
      "resumes where this one left off, except that records skipped (another --reason, no "
      "source topic) stay replayable; records replayed after a skipped one on its partition "
      "may be replayed again by a later run, which is harmless: ingest is idempotent (a "
      "message already stored changes nothing)");
  replay->add_option("--reason", args->reason, "Only this reason code");
  replay->add_flag("--dry-run", args->dry_run, "Count, don't send");
  replay->add_flag("--json", args->json,
                   "Print JSON: {\"dry_run\", \"replayed\", \"skipped_other_reason\", "
                   "\"skipped_no_source_topic\"}");
  registry[replay] = [args](const Config& c) { return Replay(c, *args); };
}

}  // namespace ms::ctl
