#include <chrono>
#include <iostream>
#include <nlohmann/json.hpp>

#include "adapters/kafka/admin.h"
#include "app/options.h"
#include "milestonectl/commands.h"

namespace ms::ctl {
namespace {

constexpr auto kKafkaWait = std::chrono::seconds(5);

// The consumer group's position on every partition of the input topics, read without joining
// the group. Kafka being unreachable does not fail the command: the error is reported in place.
nlohmann::json CollectLag(const Config& config) {
  nlohmann::json out = {{"group", config.kafka.group_id}};
  auto lags = kafka::GroupLags(config.kafka.brokers, app::ConsumerPropertiesFrom(config),
                               config.kafka.group_id, config.kafka.topics, kKafkaWait);
  if (!lags.ok()) {
    out["error"] = lags.status().ToString();
    return out;
  }
  int64_t total = 0;
  out["partitions"] = nlohmann::json::array();
  for (const kafka::PartitionLag& lag : *lags) {
    total += lag.lag();
    out["partitions"].push_back(
        {{"topic", lag.tp.topic},
         {"partition", lag.tp.partition},
         {"committed", lag.committed >= 0 ? nlohmann::json(lag.committed) : nlohmann::json()},
         {"high_watermark", lag.high_watermark},
         {"lag", lag.lag()}});
  }
  out["total"] = total;
  return out;
}

StatusOr<nlohmann::json> Collect(const Config& config) {
  MS_ASSIGN_OR_RETURN(auto conn, pg::Connection::Open(app::PgOptionsFrom(config)));
  nlohmann::json out;
  MS_ASSIGN_OR_RETURN(
      pg::Result msgs,
      conn->Exec(
          "SELECT m.source, count(*), count(p.id) FROM messages m "
          "LEFT JOIN pending_messages p ON p.id = m.id GROUP BY m.source ORDER BY m.source"));
  for (int row = 0; row < msgs.rows(); ++row) {
    out["messages"][std::string(msgs.Get(row, 0))] = {{"stored", msgs.GetInt(row, 1)},
                                                      {"pending", msgs.GetInt(row, 2)}};
  }
  MS_ASSIGN_OR_RETURN(pg::Result batches,
                      conn->Exec("SELECT status, count(*), COALESCE(sum(message_count), 0) "
                                 "FROM batches GROUP BY status ORDER BY status"));
  for (int row = 0; row < batches.rows(); ++row) {
    out["batches"][std::string(batches.Get(row, 0))] = {{"batches", batches.GetInt(row, 1)},
                                                        {"messages", batches.GetInt(row, 2)}};
  }
  MS_ASSIGN_OR_RETURN(
      pg::Result companies,
      conn->Exec("SELECT m.company_id, count(*), count(p.id), "
                 "(SELECT count(*) FROM batches b WHERE b.company_id = m.company_id) "
                 "FROM messages m LEFT JOIN pending_messages p ON p.id = m.id "
                 "GROUP BY m.company_id ORDER BY m.company_id"));
  out["companies"] = nlohmann::json::array();
  for (int row = 0; row < companies.rows(); ++row) {
    out["companies"].push_back({{"company", companies.Get(row, 0)},
                                {"messages", companies.GetInt(row, 1)},
                                {"pending", companies.GetInt(row, 2)},
                                {"batches", companies.GetInt(row, 3)}});
  }
  MS_ASSIGN_OR_RETURN(pg::Result outbox,
                      conn->Exec("SELECT count(*) FROM outbox WHERE published_at IS NULL"));
  out["outbox_backlog"] = outbox.GetInt(0, 0);
  out["consumer_lag"] = CollectLag(config);
  return out;
}

void PrintLag(const nlohmann::json& lag) {
  std::cout << "consumer lag (group " << lag["group"].get<std::string>() << "):";
  if (lag.contains("error")) {
    std::cout << " unavailable: " << lag["error"].get<std::string>() << "\n";
    return;
  }
  std::cout << " " << lag["total"] << " messages\n";
  printf("  %-34s %9s %12s %14s %10s\n", "topic", "partition", "committed", "high watermark",
         "lag");
  for (const auto& p : lag["partitions"]) {
    std::string committed = p["committed"].is_null() ? "-" : p["committed"].dump();
    printf("  %-34s %9d %12s %14lld %10lld\n", p["topic"].get<std::string>().c_str(),
           p["partition"].get<int>(), committed.c_str(), p["high_watermark"].get<long long>(),
           p["lag"].get<long long>());
  }
}

void PrintText(nlohmann::json s) {
  std::cout << "messages:";
  const nlohmann::json& messages = s["messages"];
  for (auto it = messages.begin(); messages.is_object() && it != messages.end(); ++it) {
    std::cout << "  " << it.key() << " stored=" << (*it)["stored"]
              << " pending=" << (*it)["pending"];
  }
  std::cout << "\nbatches:";
  const nlohmann::json& batches = s["batches"];
  for (auto it = batches.begin(); batches.is_object() && it != batches.end(); ++it) {
    std::cout << "  " << it.key() << "=" << (*it)["batches"] << " (" << (*it)["messages"]
              << " messages)";
  }
  std::cout << "\noutbox backlog: " << s["outbox_backlog"] << "\n";
  PrintLag(s["consumer_lag"]);
  std::cout << "\n";
  printf("%-28s %10s %10s %8s\n", "company", "messages", "pending", "batches");
  for (const auto& c : s["companies"]) {
    printf("%-28s %10lld %10lld %8lld\n", c["company"].get<std::string>().c_str(),
           c["messages"].get<long long>(), c["pending"].get<long long>(),
           c["batches"].get<long long>());
  }
}

}  // namespace

void RegisterStatus(CLI::App& cli, Registry& registry) {
  auto* cmd = cli.add_subcommand(
      "status", "Messages, pending and batches per company; the consumer group's lag");
  auto json = std::make_shared<bool>(false);
  cmd->add_flag("--json", *json, "Print JSON");
  registry[cmd] = [json](const Config& config) {
    auto s = Collect(config);
    if (!s.ok()) {
      std::cerr << "status: " << s.status().message() << "\n";
      return 1;
    }
    if (*json) {
      std::cout << s->dump(2) << "\n";
    } else {
      PrintText(*s);
    }
    return 0;
  };
}

}  // namespace ms::ctl
