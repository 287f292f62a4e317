// Fakes behind the ingest ports (MessageStore, BatchBuffer, DeadLetterSink) for unit tests:
// each records what it was given and fails once with `next_error` when that is set; the buffer
// hands out scripted claims.
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "ports/ingest.h"

namespace ms::test {

using std::chrono::milliseconds;

struct FakeStore : MessageStore {
  Status next_error;
  int calls = 0;
  std::vector<Message> stored;
  std::function<void()> on_upsert;  // runs first in every Upsert (e.g. to block it)
  StatusOr<std::vector<MessageRef>> Upsert(std::span<const Message> messages) override {
    if (on_upsert) on_upsert();
    ++calls;
    if (!next_error.ok()) return std::exchange(next_error, Status());
    std::vector<MessageRef> refs;
    for (const Message& m : messages) {
      stored.push_back(m);
      refs.push_back({static_cast<int64_t>(stored.size()), m.company_id, m.source, true});
    }
    return refs;
  }
  StatusOr<std::vector<MessageRef>> Pending(milliseconds) override {
    return std::vector<MessageRef>{};
  }
};

struct FakeBuffer : BatchBuffer {
  Status next_error;
  std::deque<Claim> claims;  // handed out one per TakeClaim
  int calls = 0;
  std::vector<MessageRef> appended;
  std::function<void()> on_append;  // runs first in every Append (e.g. to block it)
  StatusOr<std::vector<std::string>> Append(std::span<const MessageRef> refs, int threshold,
                                            milliseconds) override {
    if (on_append) on_append();
    ++calls;
    if (!next_error.ok()) return std::exchange(next_error, Status());
    appended.insert(appended.end(), refs.begin(), refs.end());
    if (static_cast<int>(appended.size()) >= threshold) return std::vector<std::string>{"acme"};
    return std::vector<std::string>{};
  }
  StatusOr<std::optional<Claim>> TakeClaim(const std::string&, int, milliseconds,
                                           milliseconds) override {
    if (claims.empty()) return std::optional<Claim>();
    Claim next = std::move(claims.front());
    claims.pop_front();
    return std::optional<Claim>(std::move(next));
  }
  Status Release(const Claim&) override { return Status::Ok(); }
  StatusOr<std::vector<Claim>> Orphans(milliseconds, milliseconds) override {
    return std::vector<Claim>{};
  }
  StatusOr<std::vector<std::string>> DueCompanies(milliseconds, milliseconds) override {
    return std::vector<std::string>{};
  }
  StatusOr<bool> NeedsRebuild() override { return false; }
  Status BeginRebuild() override { return Status::Ok(); }
  Status MarkRebuilt() override { return Status::Ok(); }
};

struct FakeDlq : DeadLetterSink {
  Status next_error;
  int calls = 0;
  std::vector<DeadLetter> letters;
  Status Publish(std::span<const DeadLetter> batch) override {
    ++calls;
    if (!next_error.ok()) return std::exchange(next_error, Status());
    letters.insert(letters.end(), batch.begin(), batch.end());
    return Status::Ok();
  }
};

}  // namespace ms::test
