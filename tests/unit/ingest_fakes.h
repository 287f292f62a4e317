// Fakes behind the ingest ports (MessageStore, BatchBuffer, DeadLetterSink) for unit tests:
// each records what it was given and fails once with `next_error` when that is set; the buffer
// hands out scripted claims. FakeMessageSource stands in for the Kafka consumer
// (ports/message_source.h) and may be driven from a test thread while another one polls it.
#pragma once

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <ostream>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "ports/batch_buffer.h"
#include "ports/dead_letters.h"
#include "ports/message_source.h"
#include "ports/message_store.h"

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
  std::vector<MessageRef> pending;  // what Pending pages through, in id order
  std::vector<int> page_sizes;      // the size of each page Pending returned
  StatusOr<std::vector<MessageRef>> Pending(milliseconds, int64_t after_id, int limit) override {
    std::vector<MessageRef> page;
    for (const MessageRef& ref : pending) {
      if (ref.id > after_id && static_cast<int>(page.size()) < limit) page.push_back(ref);
    }
    page_sizes.push_back(static_cast<int>(page.size()));
    return page;
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
  bool needs_rebuild = false;
  StatusOr<bool> NeedsRebuild() override { return needs_rebuild; }
  Status BeginRebuild() override { return Status::Ok(); }
  Status MarkRebuilt() override {
    needs_rebuild = false;
    return Status::Ok();
  }
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

// A consumer-group member's view of a log, like the Kafka consumer's: records added by the test are
// delivered from the assigned, unpaused partitions in the order they were added; rebalances the
// test schedules run inside the next Poll, on the polling thread; a revoke that is not `lost`
// then commits what was stored for its partitions, and StoreOffset is refused (Aborted) for a
// partition not assigned. Each call wakes Await, so a test waits for a state, never for a time.
class FakeMessageSource final : public MessageSource {
 public:
  struct Offset {
    PartitionKey partition;
    int64_t next = -1;
    bool operator==(const Offset&) const = default;
    friend void PrintTo(const Offset& o, std::ostream* os) {
      *os << o.partition.first << "/" << o.partition.second << "@" << o.next;
    }
  };
  // Set before polling starts; called with every accepted StoreOffset, on the polling thread.
  std::function<void(const Offset&)> on_store_offset;

  explicit FakeMessageSource(std::vector<PartitionKey> assignment)
      : assigned_(assignment.begin(), assignment.end()) {}
  // Before polling starts; the rebalances are delivered to it.
  void SetListener(RebalanceListener* listener) { listener_ = listener; }

  // Appends a record with `value` to `partition`; returns its offset (0, 1, ... per partition).
  int64_t Add(const PartitionKey& partition, std::string value) {
    std::lock_guard lock(mu_);
    int64_t offset = next_offset_[partition]++;
    pending_.push_back({partition.first, partition.second, offset, "acme", std::move(value), 1000});
    cv_.notify_all();
    return offset;
  }
  // Scheduled for the next Poll.
  void Revoke(std::vector<PartitionKey> parts, bool lost) {
    std::lock_guard lock(mu_);
    revokes_.push_back({std::move(parts), lost});
    cv_.notify_all();
  }
  // The next Poll (and every one after it) fails with FailedPrecondition.
  void FailFatally() {
    std::lock_guard lock(mu_);
    fatal_ = true;
    cv_.notify_all();
  }
  // Ends the Poll waiting now, as a record arriving would (e.g. after the test moved the clock).
  void Wake() {
    std::lock_guard lock(mu_);
    ++wakes_;
    cv_.notify_all();
  }

  // What the test observes.
  struct State {
    std::vector<Offset> stored;                 // accepted StoreOffset calls, in call order
    std::vector<Offset> refused;                // StoreOffset calls refused: partition not assigned
    std::map<PartitionKey, int64_t> committed;  // by a revoke that was not lost
    std::set<PartitionKey> assigned;
    std::set<PartitionKey> paused;
    size_t undelivered = 0;  // records added and not yet polled
    int polls = 0;           // Poll calls that returned
    int revoking = 0;        // OnRevoked calls running now
    int revokes_done = 0;
  };
  // Waits until `pred(state)` holds; false after `timeout` (generous: it only bounds a failure).
  bool Await(const std::function<bool(const State&)>& pred,
             std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return pred(Snapshot()); });
  }
  State state() {
    std::lock_guard lock(mu_);
    return Snapshot();
  }

  StatusOr<std::vector<RawRecord>> Poll(size_t max, std::chrono::milliseconds wait) override {
    RunRevokes();
    std::unique_lock lock(mu_);
    const int wakes = wakes_;
    cv_.wait_for(lock, wait, [&] {
      return fatal_ || !revokes_.empty() || wakes_ != wakes || Deliverable() != pending_.end();
    });
    ++polls_;
    cv_.notify_all();
    if (fatal_) return FailedPrecondition("fake source: fatal error");
    std::vector<RawRecord> out;
    for (auto it = Deliverable(); it != pending_.end() && out.size() < max; it = Deliverable()) {
      out.push_back(std::move(*it));
      pending_.erase(it);
    }
    return out;
  }
  Status StoreOffset(const PartitionKey& partition, int64_t next_offset) override {
    std::lock_guard lock(mu_);
    const Offset offset{partition, next_offset};
    if (!assigned_.contains(partition)) {
      refused_.push_back(offset);
      cv_.notify_all();
      return Aborted("fake source: partition not assigned");
    }
    if (on_store_offset) on_store_offset(offset);
    stored_.push_back(offset);
    cv_.notify_all();
    return Status::Ok();
  }
  Status Pause(const std::vector<PartitionKey>& parts) override {
    std::lock_guard lock(mu_);
    paused_.insert(parts.begin(), parts.end());
    cv_.notify_all();
    return Status::Ok();
  }
  Status Resume(const std::vector<PartitionKey>& parts) override {
    std::lock_guard lock(mu_);
    for (const auto& p : parts) paused_.erase(p);
    cv_.notify_all();
    return Status::Ok();
  }
  std::vector<PartitionKey> Assignment() override {
    std::lock_guard lock(mu_);
    return {assigned_.begin(), assigned_.end()};
  }

 private:
  struct Revocation {
    std::vector<PartitionKey> parts;
    bool lost = false;
  };

  // The listener runs without the lock held: it calls back into this source.
  void RunRevokes() {
    std::unique_lock lock(mu_);
    while (!revokes_.empty()) {
      Revocation next = std::move(revokes_.front());
      revokes_.pop_front();
      ++revoking_;
      cv_.notify_all();
      lock.unlock();
      if (listener_) listener_->OnRevoked(next.parts, next.lost);
      lock.lock();
      Release(next);
    }
  }
  void Release(const Revocation& revocation) {  // requires mu_
    for (const PartitionKey& p : revocation.parts) {
      auto last = std::find_if(stored_.rbegin(), stored_.rend(),
                               [&](const Offset& o) { return o.partition == p; });
      if (!revocation.lost && last != stored_.rend()) committed_[p] = last->next;
      assigned_.erase(p);
      paused_.erase(p);
    }
    --revoking_;
    ++revokes_done_;
    cv_.notify_all();
  }
  std::deque<RawRecord>::iterator Deliverable() {  // requires mu_
    return std::find_if(pending_.begin(), pending_.end(), [&](const RawRecord& r) {
      PartitionKey p{r.topic, r.partition};
      return assigned_.contains(p) && !paused_.contains(p);
    });
  }
  State Snapshot() const {  // requires mu_
    return {stored_,         refused_, committed_, assigned_,    paused_,
            pending_.size(), polls_,   revoking_,  revokes_done_};
  }

  RebalanceListener* listener_ = nullptr;
  std::mutex mu_;
  std::condition_variable cv_;
  // All guarded by mu_.
  std::set<PartitionKey> assigned_;
  std::set<PartitionKey> paused_;
  std::map<PartitionKey, int64_t> next_offset_;
  std::deque<RawRecord> pending_;
  std::deque<Revocation> revokes_;
  std::vector<Offset> stored_;
  std::vector<Offset> refused_;
  std::map<PartitionKey, int64_t> committed_;
  bool fatal_ = false;
  int wakes_ = 0;
  int polls_ = 0;
  int revoking_ = 0;
  int revokes_done_ = 0;
};

}  // namespace ms::test
