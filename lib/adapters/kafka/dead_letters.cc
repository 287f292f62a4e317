#include "adapters/kafka/dead_letters.h"

#include <openssl/evp.h>

#include <algorithm>

#include "core/hash.h"

namespace ms::kafka {
namespace {

size_t HeadersBytes(const std::vector<Header>& headers) {
  size_t bytes = 0;
  for (const Header& h : headers) bytes += h.key.size() + h.value.size();
  return bytes;
}

// The first failure among `results`, and how many failed.
Status Summarize(const std::vector<Status>& results) {
  size_t failed = 0;
  Status first;
  for (const Status& st : results) {
    if (st.ok()) continue;
    if (failed++ == 0) first = st;
  }
  if (failed == 0) return Status::Ok();
  return Unavailable(std::to_string(failed) + " of " + std::to_string(results.size()) +
                     " dead letters not acknowledged: " + first.message());
}

}  // namespace

std::string Sha256Hex(std::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_sha256(), nullptr);
  return LowerHex(std::string_view(reinterpret_cast<const char*>(digest), length));
}

OutMessage DeadLetterRecord(const DeadLetter& letter, const std::string& topic,
                            size_t max_record_bytes) {
  OutMessage out{topic,
                 letter.key,
                 {},
                 {{std::string(kReasonHeader), letter.reason},
                  {std::string(kDetailHeader), letter.detail},
                  {std::string(kSourceTopicHeader), letter.source_topic},
                  {std::string(kSourcePartitionHeader), std::to_string(letter.partition)},
                  {std::string(kSourceOffsetHeader), std::to_string(letter.offset)}}};
  const size_t fixed = letter.key.size() + HeadersBytes(out.headers);
  if (fixed + letter.value.size() <= max_record_bytes) {
    out.value = letter.value;
    return out;
  }
  std::vector<Header> cut = {
      {std::string(kValueCutHeader), ""},
      {std::string(kOriginalSizeHeader), std::to_string(letter.value.size())},
      {std::string(kOriginalSha256Header), Sha256Hex(letter.value)}};
  // Room for the cut headers with the longest "<kept> of <original> bytes" they can hold.
  const size_t room = fixed + HeadersBytes(cut) + 2 * std::to_string(letter.value.size()).size() +
                      std::string_view(" of  bytes").size();
  const size_t kept =
      max_record_bytes > room ? std::min(max_record_bytes - room, letter.value.size()) : 0;
  out.value = letter.value.substr(0, kept);
  cut[0].value = std::to_string(kept) + " of " + std::to_string(letter.value.size()) + " bytes";
  out.headers.insert(out.headers.end(), cut.begin(), cut.end());
  return out;
}

Status KafkaDeadLetterSink::Publish(std::span<const DeadLetter> letters) {
  const size_t limit = producer_->max_message_bytes();
  const size_t budget = limit > kRecordOverhead ? limit - kRecordOverhead : 0;
  std::vector<OutMessage> out;
  out.reserve(letters.size());
  for (const DeadLetter& d : letters) out.push_back(DeadLetterRecord(d, topic_, budget));
  std::vector<Status> results = producer_->ProduceAndWait(out, wait_);
  // Refused as too large: the broker refuses a whole batch for one record over the topic's
  // max.message.bytes, so each goes again alone, and one refused alone goes without its value.
  for (size_t idx = 0; idx < results.size(); ++idx) {
    if (results[idx].code() != StatusCode::kInvalidArgument) continue;
    results[idx] = producer_->ProduceAndWait({out[idx]}, wait_).at(0);
    if (results[idx].code() != StatusCode::kInvalidArgument) continue;
    results[idx] =
        producer_->ProduceAndWait({DeadLetterRecord(letters[idx], topic_, 0)}, wait_).at(0);
  }
  return Summarize(results);
}

}  // namespace ms::kafka
