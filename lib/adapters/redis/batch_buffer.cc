#include "adapters/redis/batch_buffer.h"

#include <atomic>
#include <cstdlib>
#include <map>
#include <random>
#include <sstream>

namespace ms::redis {
namespace {

// One call per hash slot: the companies of one poll whose keys share a slot.
// KEYS: pending_1, meta_1, ..., pending_k, meta_k. ARGV: now, threshold, then per company its
// member count n followed by its n members. Returns, flat, {company index, oldest, full} for
// each company whose due entry needs writing or whose count reached the threshold:
//  - oldest = now when the company's pending set was empty before (its first pending message);
//  - oldest = its current oldest score when some members were there already (a retried append
//    or a re-offer: the due entry may have been lost with the first reply, so it is written
//    again); otherwise '' (the append that made the set non-empty writes the entry);
//  - full = 1 when the pending count is at least the threshold.
constexpr std::string_view kAppendLua = R"lua(
local now, threshold, at, out = ARGV[1], tonumber(ARGV[2]), 3, {}
for c = 1, #KEYS / 2 do
  local pending, meta = KEYS[2 * c - 1], KEYS[2 * c]
  local n = tonumber(ARGV[at])
  local before = redis.call('ZCARD', pending)
  local slack, gmail = 0, 0
  for i = at + 1, at + n do
    if redis.call('ZADD', pending, 'NX', now, ARGV[i]) == 1 then
      if string.sub(ARGV[i], -1) == 's' then slack = slack + 1 else gmail = gmail + 1 end
    end
  end
  at = at + n + 1
  if slack > 0 then redis.call('HINCRBY', meta, 'slack', slack) end
  if gmail > 0 then redis.call('HINCRBY', meta, 'gmail', gmail) end
  local count = before + slack + gmail
  local oldest = ''
  if before == 0 and count > 0 then
    oldest = now
  elseif slack + gmail < n then
    oldest = redis.call('ZRANGE', pending, 0, 0, 'WITHSCORES')[2] or ''
  end
  if oldest ~= '' or count >= threshold then
    out[#out + 1] = c
    out[#out + 1] = oldest
    out[#out + 1] = (count >= threshold) and 1 or 0
  end
end
return out
)lua";

// KEYS: pending, meta, claim. ARGV: threshold, max_age ms, now ms.
// Returns {0, oldest} when nothing is due, else {1, oldest remaining, trigger, member...}.
constexpr std::string_view kClaimLua = R"lua(
local threshold = tonumber(ARGV[1])
local n = redis.call('ZCARD', KEYS[1])
if n == 0 then return {0, ''} end
local trigger = 'threshold'
if n < threshold then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  if tonumber(oldest[2]) > tonumber(ARGV[3]) - tonumber(ARGV[2]) then return {0, oldest[2]} end
  trigger = 'max_age'
end
local members = redis.call('ZRANGE', KEYS[1], 0, threshold - 1)
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, #members - 1)
local slack = 0
for _, m in ipairs(members) do
  if string.sub(m, -1) == 's' then slack = slack + 1 end
end
redis.call('HINCRBY', KEYS[2], 'slack', 0 - slack)  -- not -slack: Lua prints -0
redis.call('HINCRBY', KEYS[2], 'gmail', slack - #members)
redis.call('HSET', KEYS[3], 'trigger', trigger, 'taken_at', ARGV[3], 'ids', table.concat(members, ','))
local rest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
local out = {1, rest[2] or '', trigger}
for _, m in ipairs(members) do out[#out + 1] = m end
return out
)lua";

std::string Member(const MessageRef& ref) {
  return std::to_string(ref.id) + (ref.source == Source::kSlack ? ":s" : ":g");
}

int64_t IdOfMember(std::string_view member) {
  return std::strtoll(std::string(member.substr(0, member.find(':'))).c_str(), nullptr, 10);
}

std::string NewClaimId() {
  static std::atomic<uint64_t> counter{0};
  static const uint64_t nonce = std::random_device{}() ^ (uint64_t{std::random_device{}()} << 32);
  std::ostringstream out;
  out << std::hex << nonce << '-' << counter.fetch_add(1);
  return out.str();
}

Status ExpectOk(const StatusOr<std::vector<Reply>>& replies) {
  if (!replies.ok()) return replies.status();
  for (const Reply& r : *replies) {
    if (r.type == Reply::Type::kError) return Internal("redis: " + r.str);
  }
  return Status::Ok();
}

}  // namespace

RedisBatchBuffer::RedisBatchBuffer(std::unique_ptr<Connection> conn, std::string prefix)
    : conn_(std::move(conn)),
      prefix_(std::move(prefix)),
      append_(std::string(kAppendLua)),
      claim_(std::string(kClaimLua)) {}

StatusOr<DueSummary> ReadDueSummary(Connection& conn, const std::string& prefix) {
  const std::string due = prefix + ":" + std::string(kDueIndex);
  MS_ASSIGN_OR_RETURN(std::vector<Reply> replies,
                      conn.Pipeline({{"ZCARD", due}, {"ZRANGE", due, "0", "0", "WITHSCORES"}}));
  if (replies.size() != 2) return Internal("redis: expected 2 replies to the due index read");
  DueSummary summary;
  summary.companies = replies[0].integer;
  const auto& oldest = replies[1].elements;
  if (oldest.size() == 2) {
    summary.oldest = std::chrono::milliseconds(
        static_cast<int64_t>(std::strtod(oldest[1].str.c_str(), nullptr)));
  }
  return summary;
}

std::string RedisBatchBuffer::CompanyKey(const std::string& company_id,
                                         std::string_view suffix) const {
  return prefix_ + ":{" + company_id + "}:" + std::string(suffix);
}

Status RedisBatchBuffer::UpdateDue(const std::string& company_id, const std::string& oldest) {
  if (!oldest.empty()) {
    return conn_->Command({"ZADD", GlobalKey(kDueIndex), oldest, company_id}).status();
  }
  MS_RETURN_IF_ERROR(conn_->Command({"ZREM", GlobalKey(kDueIndex), company_id}).status());
  // An append between the claim script and the ZREM found the entry present (ZADD NX did
  // nothing) and lost it to the ZREM: its message is in pending already, so read it again.
  MS_ASSIGN_OR_RETURN(Reply again, conn_->Command({"ZRANGE", CompanyKey(company_id, "pending"), "0",
                                                   "0", "WITHSCORES"}));
  if (again.elements.size() < 2) return Status::Ok();
  return conn_->Command({"ZADD", GlobalKey(kDueIndex), "NX", again.elements[1].str, company_id})
      .status();
}

StatusOr<std::vector<std::string>> RedisBatchBuffer::Append(std::span<const MessageRef> refs,
                                                            int threshold,
                                                            std::chrono::milliseconds now) {
  // Company -> members, then slot -> companies: one script call per slot, not per company.
  std::map<std::string, std::vector<std::string>> by_company;
  for (const MessageRef& ref : refs) by_company[ref.company_id].push_back(Member(ref));
  std::map<int, std::vector<const std::string*>> by_slot;
  for (const auto& [company, members] : by_company) {
    by_slot[KeySlot(CompanyKey(company, "pending"))].push_back(&company);
  }
  std::vector<std::vector<std::string>> commands;
  std::vector<std::vector<const std::string*>> slot_companies;
  for (auto& [slot, companies] : by_slot) {
    std::vector<std::string> keys, args = {std::to_string(now.count()), std::to_string(threshold)};
    for (const std::string* company : companies) {
      keys.push_back(CompanyKey(*company, "pending"));
      keys.push_back(CompanyKey(*company, "meta"));
      const auto& members = by_company[*company];
      args.push_back(std::to_string(members.size()));
      args.insert(args.end(), members.begin(), members.end());
    }
    std::vector<std::string> cmd = {"EVALSHA", append_.sha1(), std::to_string(keys.size())};
    cmd.insert(cmd.end(), std::make_move_iterator(keys.begin()),
               std::make_move_iterator(keys.end()));
    cmd.insert(cmd.end(), std::make_move_iterator(args.begin()),
               std::make_move_iterator(args.end()));
    commands.push_back(std::move(cmd));
    slot_companies.push_back(std::move(companies));
  }
  MS_ASSIGN_OR_RETURN(std::vector<Reply> replies, conn_->Pipeline(commands));
  if (!replies.empty() && replies[0].type == Reply::Type::kError &&
      replies[0].str.starts_with("NOSCRIPT")) {
    // Redis restarted and lost its script cache; appends are idempotent, so run them again.
    MS_RETURN_IF_ERROR(conn_->Load(append_));
    MS_ASSIGN_OR_RETURN(replies, conn_->Pipeline(commands));
  }
  std::vector<std::string> full;
  std::vector<std::vector<std::string>> due_updates;
  for (size_t idx = 0; idx < replies.size(); ++idx) {
    const Reply& r = replies[idx];
    const auto& companies = slot_companies[idx];
    if (r.type != Reply::Type::kArray || r.elements.size() % 3 != 0) {
      return Internal("redis: append script failed: " + r.str);
    }
    for (size_t at = 0; at < r.elements.size(); at += 3) {
      const int64_t index = r.elements[at].integer;
      if (index < 1 || index > static_cast<int64_t>(companies.size())) {
        return Internal("redis: append script answered an unknown company");
      }
      const std::string& company = *companies[static_cast<size_t>(index - 1)];
      const std::string& oldest = r.elements[at + 1].str;
      if (!oldest.empty()) {
        due_updates.push_back({"ZADD", GlobalKey(kDueIndex), "NX", oldest, company});
      }
      if (r.elements[at + 2].integer == 1) full.push_back(company);
    }
  }
  if (!due_updates.empty()) MS_RETURN_IF_ERROR(ExpectOk(conn_->Pipeline(due_updates)));
  return full;
}

StatusOr<std::optional<Claim>> RedisBatchBuffer::TakeClaim(const std::string& company_id,
                                                           int threshold,
                                                           std::chrono::milliseconds max_age,
                                                           std::chrono::milliseconds now) {
  Claim claim;
  claim.claim_id = NewClaimId();
  claim.company_id = company_id;
  const std::string index_entry = company_id + "\t" + claim.claim_id;
  MS_RETURN_IF_ERROR(
      conn_->Command({"ZADD", GlobalKey("claims"), std::to_string(now.count()), index_entry})
          .status());
  MS_ASSIGN_OR_RETURN(
      Reply r, conn_->Eval(claim_,
                           {CompanyKey(company_id, "pending"), CompanyKey(company_id, "meta"),
                            CompanyKey(company_id, "claim:" + claim.claim_id)},
                           {std::to_string(threshold), std::to_string(max_age.count()),
                            std::to_string(now.count())}));
  if (r.type != Reply::Type::kArray || r.elements.size() < 2) {
    return Internal("redis: claim script returned an unexpected reply");
  }
  MS_RETURN_IF_ERROR(AfterClaimScript());
  if (r.elements[0].integer == 0) {
    MS_RETURN_IF_ERROR(conn_->Command({"ZREM", GlobalKey("claims"), index_entry}).status());
    MS_RETURN_IF_ERROR(UpdateDue(company_id, r.elements[1].str));
    return std::optional<Claim>();
  }
  claim.trigger = r.elements[2].str;
  for (size_t idx = 3; idx < r.elements.size(); ++idx) {
    claim.message_ids.push_back(IdOfMember(r.elements[idx].str));
  }
  MS_RETURN_IF_ERROR(UpdateDue(company_id, r.elements[1].str));
  return std::optional<Claim>(std::move(claim));
}

Status RedisBatchBuffer::Release(const Claim& claim) {
  return ExpectOk(
      conn_->Pipeline({{"DEL", CompanyKey(claim.company_id, "claim:" + claim.claim_id)},
                       {"ZREM", GlobalKey("claims"), claim.company_id + "\t" + claim.claim_id}}));
}

StatusOr<std::vector<Claim>> RedisBatchBuffer::Orphans(std::chrono::milliseconds older_than,
                                                       std::chrono::milliseconds now) {
  MS_ASSIGN_OR_RETURN(Reply r, conn_->Command({"ZRANGEBYSCORE", GlobalKey("claims"), "-inf",
                                               std::to_string((now - older_than).count())}));
  std::vector<Claim> out;
  for (const Reply& entry : r.elements) {
    size_t tab = entry.str.find('\t');
    if (tab == std::string::npos) continue;
    Claim claim;
    claim.company_id = entry.str.substr(0, tab);
    claim.claim_id = entry.str.substr(tab + 1);
    MS_ASSIGN_OR_RETURN(
        Reply fields,
        conn_->Command(
            {"HMGET", CompanyKey(claim.company_id, "claim:" + claim.claim_id), "trigger", "ids"}));
    if (fields.elements.size() == 2 && !fields.elements[1].is_nil()) {
      claim.trigger = fields.elements[0].str;
      std::stringstream ids(fields.elements[1].str);
      for (std::string member; std::getline(ids, member, ',');) {
        claim.message_ids.push_back(IdOfMember(member));
      }
    }
    out.push_back(std::move(claim));  // no ids left: Release just drops the index entry
  }
  return out;
}

StatusOr<std::vector<std::string>> RedisBatchBuffer::DueCompanies(std::chrono::milliseconds max_age,
                                                                  std::chrono::milliseconds now) {
  MS_ASSIGN_OR_RETURN(
      Reply r, conn_->Command({"ZRANGEBYSCORE", GlobalKey(kDueIndex), "-inf",
                               std::to_string((now - max_age).count()), "LIMIT", "0", "1000"}));
  std::vector<std::string> out;
  for (const Reply& e : r.elements) out.push_back(e.str);
  return out;
}

// The epoch key: absent in a Redis that lost its state, "rebuilding" while a rebuild runs, the
// time the last rebuild finished (epoch ms) otherwise.
constexpr std::string_view kRebuilding = "rebuilding";

StatusOr<bool> RedisBatchBuffer::NeedsRebuild() {
  MS_ASSIGN_OR_RETURN(Reply r, conn_->Command({"GET", GlobalKey("epoch")}));
  return r.is_nil() || r.str == kRebuilding;
}

Status RedisBatchBuffer::BeginRebuild() {
  return conn_->Command({"SET", GlobalKey("epoch"), std::string(kRebuilding)}).status();
}

Status RedisBatchBuffer::MarkRebuilt() {
  auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::system_clock::now().time_since_epoch());
  // XX: only over our "rebuilding". Emptied meanwhile, the key stays absent and the next
  // NeedsRebuild starts over.
  return conn_->Command({"SET", GlobalKey("epoch"), std::to_string(now.count()), "XX"}).status();
}

StatusOr<int64_t> RedisBatchBuffer::PendingCount(const std::string& company_id) {
  MS_ASSIGN_OR_RETURN(Reply r, conn_->Command({"ZCARD", CompanyKey(company_id, "pending")}));
  return r.integer;
}

}  // namespace ms::redis
