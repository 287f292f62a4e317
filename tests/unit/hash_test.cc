// The stable hashes: FNV-1a's published vectors, and the legacy basis that migration checksums
// and produced message ids depend on (a changed value would make deployed databases refuse to
// start and re-produced rows count twice).
#include "core/hash.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "pipeline/generator/producer_payload.h"

namespace ms {
namespace {

TEST(HashTest, Fnv1a64MatchesThePublishedVectors) {
  EXPECT_EQ(Fnv1a64Hex(""), "cbf29ce484222325");
  EXPECT_EQ(Fnv1a64Hex("a"), "af63dc4c8601ec8c");
  EXPECT_EQ(Fnv1a64Hex("foobar"), "85944171f73967e8");
}

TEST(HashTest, TheLegacyBasisGivesTheValuesDeployedDataHolds) {
  EXPECT_EQ(Fnv1a64Hex("", kFnvLegacyBasis), "14650fb0739d0383");
  EXPECT_EQ(Fnv1a64Hex("a", kFnvLegacyBasis), "44bd8ad473cd9906");
}

TEST(HashTest, ProducedIdsStayWhatEarlierReleasesProduced) {
  CsvRow mail;
  mail.id = "42";
  mail.is_chat = false;
  mail.sender = "ana@acme.example";
  mail.timestamp = "2025-11-01 08:30:15";
  mail.content = "Subject: Quarterly numbers. Revenue grew.";
  auto json = nlohmann::json::parse(BuildPayload(mail, "acme").payload);
  EXPECT_EQ(json["id"], "1b9c18e1a9d7d060");
  EXPECT_EQ(json["threadId"], "27852fdf1fb097ab");

  CsvRow chat = mail;
  chat.is_chat = true;
  EXPECT_EQ(nlohmann::json::parse(BuildPayload(chat, "acme").payload)["channel"], "Cc758f1ba");
}

}  // namespace
}  // namespace ms
