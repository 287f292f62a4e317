#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "adapters/kafka/admin.h"
#include "adapters/kafka/producer.h"
#include "app/options.h"
#include "milestonectl/commands.h"
#include "pipeline/generator/producer_payload.h"
#include "pipeline/text/csv.h"

namespace ms::ctl {
namespace {

struct ProduceArgs {
  std::string file;
  std::string company = "scaleflow";
  std::string slack_topic;
  std::string gmail_topic;
  int repeat = 1;
};

class Sender {
 public:
  Sender(kafka::Producer* producer, const ProduceArgs& args) : producer_(producer), args_(args) {}

  Status Send(Source source, const std::string& key, std::string payload) {
    const std::string& topic = source == Source::kSlack ? args_.slack_topic : args_.gmail_topic;
    MS_RETURN_IF_ERROR(producer_->Send({topic, key, std::move(payload), {}}));
    if (++sent_ % 10000 == 0) std::cerr << "produce: " << sent_ << " messages sent\r" << std::flush;
    return Status::Ok();
  }
  int64_t sent() const { return sent_; }

 private:
  kafka::Producer* producer_;
  const ProduceArgs& args_;
  int64_t sent_ = 0;
};

Status ProduceCsv(std::istream& in, const ProduceArgs& args, Sender& sender) {
  CsvReader reader(in);
  MS_ASSIGN_OR_RETURN(auto header, reader.Next());  // skip the header
  while (true) {
    MS_ASSIGN_OR_RETURN(auto fields, reader.Next());
    if (!fields) return Status::Ok();
    if (fields->size() == 1 && (*fields)[0].empty()) continue;  // blank line
    auto row = ParseCsvRow(*fields);
    if (!row.ok()) {
      return InvalidArgument("line " + std::to_string(reader.line()) + ": " +
                             row.status().message());
    }
    ProducedRecord rec = BuildPayload(*row, args.company);
    MS_RETURN_IF_ERROR(sender.Send(rec.source, rec.company_id, std::move(rec.payload)));
  }
}

// JSONL: one payload of any accepted shape per line; the key is metadata.company_id, else
// --company; Gmail-shaped lines (with "payload") go to the Gmail topic.
Status ProduceJsonl(std::istream& in, const ProduceArgs& args, Sender& sender) {
  std::string line;
  size_t line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.empty()) continue;
    auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    std::string key = args.company;
    if (j.is_discarded() || !j.is_object()) {
      // Sent as it is: the daemon must dead-letter it (useful to test poison handling).
      std::cerr << "produce: line " << line_no << " is not a JSON object; sent unparsed\n";
      MS_RETURN_IF_ERROR(sender.Send(Source::kSlack, key, line));
      continue;
    }
    if (auto m = j.find("metadata"); m != j.end() && m->is_object()) {
      key = m->value("company_id", args.company);
    }
    Source source = j.contains("payload") ? Source::kGmail : Source::kSlack;
    MS_RETURN_IF_ERROR(sender.Send(source, key, line));
  }
  return Status::Ok();
}

int RunProduce(const Config& config, const ProduceArgs& args) {
  std::ifstream file(args.file);
  if (!file) {
    std::cerr << "produce: cannot read " << args.file << "\n";
    return 1;
  }
  std::vector<kafka::TopicSpec> topics = {{args.slack_topic, config.kafka.topic_partitions},
                                          {args.gmail_topic, config.kafka.topic_partitions}};
  Status st = kafka::EnsureTopics(config.kafka.brokers, app::ProducerPropertiesFrom(config), topics,
                                  std::chrono::seconds(30));
  if (!st.ok()) {
    std::cerr << "produce: " << st.message() << "\n";
    return 1;
  }
  auto producer = kafka::Producer::Open(app::ProducerOptionsFrom(config));
  if (!producer.ok()) {
    std::cerr << "produce: " << producer.status().message() << "\n";
    return 1;
  }
  Sender sender(producer->get(), args);
  bool jsonl = args.file.ends_with(".jsonl") || args.file.ends_with(".json");
  for (int round = 0; round < args.repeat && st.ok(); ++round) {
    file.clear();
    file.seekg(0);
    st = jsonl ? ProduceJsonl(file, args, sender) : ProduceCsv(file, args, sender);
  }
  Status flushed = (*producer)->Flush(std::chrono::seconds(60));
  if (st.ok()) st = flushed;
  if (!st.ok()) {
    std::cerr << "\nproduce: " << st.message() << " (" << sender.sent() << " sent before)\n";
    return 1;
  }
  std::cerr << "produce: " << sender.sent() << " messages sent to " << args.slack_topic << "/"
            << args.gmail_topic << "\n";
  std::cout << sender.sent() << "\n";
  return 0;
}

}  // namespace

void RegisterProduce(CLI::App& cli, Registry& registry) {
  auto* cmd = cli.add_subcommand("produce", "Produce a CSV or JSONL file to the input topics");
  auto args = std::make_shared<ProduceArgs>();
  cmd->add_option("file", args->file, "CSV (id,is_chat,...,content[,company_id]) or .jsonl")
      ->required();
  cmd->add_option("--company", args->company, "Company for rows/lines that name none")
      ->capture_default_str();
  cmd->add_option("--slack-topic", args->slack_topic, "Default: first of kafka.topics");
  cmd->add_option("--gmail-topic", args->gmail_topic, "Default: second of kafka.topics");
  cmd->add_option("--repeat", args->repeat, "Send the file this many times (redelivery tests)")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000));
  registry[cmd] = [args](const Config& config) {
    ProduceArgs resolved = *args;
    const auto& topics = config.kafka.topics;
    if (resolved.slack_topic.empty()) resolved.slack_topic = topics.at(0);
    if (resolved.gmail_topic.empty())
      resolved.gmail_topic = topics.size() > 1 ? topics[1] : topics[0];
    return RunProduce(config, resolved);
  };
}

}  // namespace ms::ctl
