#include "pipeline/generator/generator.h"

#include <algorithm>
#include <cmath>
#include <ctime>
#include <queue>
#include <string>
#include <vector>

#include "pipeline/generator/generator_catalog.h"
#include "pipeline/generator/generator_story.h"
#include "pipeline/text/csv.h"

namespace ms {
namespace {

constexpr double kWorkdaySeconds = 12 * 3600;

std::string CompanyId(int idx) {
  auto prefixes = gen::kCompanyPrefixes.size();
  auto suffixes = gen::kCompanySuffixes.size();
  auto at = static_cast<size_t>(idx);
  std::string id = std::string(gen::kCompanyPrefixes[at % prefixes]) + "-" +
                   gen::kCompanySuffixes[(at / prefixes) % suffixes];
  if (at >= prefixes * suffixes) id += "-" + std::to_string(idx);
  return id;
}

// Rows per company in proportion to weights in [0.5, 1.5]; they sum to `rows`.
std::vector<int64_t> SplitRows(const GeneratorOptions& options) {
  std::vector<double> weights(static_cast<size_t>(options.companies));
  for (size_t idx = 0; idx < weights.size(); ++idx) {
    weights[idx] = 0.5 + gen::Rng(gen::Mix(options.seed, 3 * idx)).Unit();
  }
  double total = 0;
  for (double weight : weights) total += weight;
  std::vector<int64_t> sizes;
  double cumulative = 0;
  int64_t assigned = 0;
  for (double weight : weights) {
    cumulative += weight;
    int64_t upto = std::llround(static_cast<double>(options.rows) * cumulative / total);
    upto = std::clamp(upto, assigned, options.rows);
    sizes.push_back(upto - assigned);
    assigned = upto;
  }
  sizes.back() += options.rows - assigned;
  return sizes;
}

// One company's rows, produced lazily in time order.
struct Cursor {
  gen::Company company;
  int64_t rows = 0;
  int64_t next_row = 0;
  size_t next_beat = 0;
  double next_day = 0;
  int64_t next_epoch = 0;
  gen::Rng rng{0};
};

// Places the cursor's next row: spread evenly over the period with jitter, within the working
// hours of its day, strictly after the company's previous row.
void Advance(Cursor& cursor, int64_t start_epoch_s) {
  double slot = static_cast<double>(cursor.next_row) + cursor.rng.Unit();
  double day = gen::kPeriodDays * slot / static_cast<double>(cursor.rows);
  double whole = std::floor(day);
  int64_t epoch = start_epoch_s + static_cast<int64_t>(whole) * 86400 +
                  static_cast<int64_t>((day - whole) * kWorkdaySeconds);
  cursor.next_epoch = cursor.next_row == 0 ? epoch : std::max(epoch, cursor.next_epoch + 1);
  cursor.next_day = day;
}

// The next beat when it is due, or when every remaining row is needed for the remaining beats;
// chatter otherwise.
gen::Message NextMessage(Cursor& cursor, const GeneratorOptions& options, GeneratorStats& stats) {
  const auto& beats = cursor.company.beats;
  auto beats_left = static_cast<int64_t>(beats.size() - cursor.next_beat);
  int64_t rows_left = cursor.rows - cursor.next_row;
  if (beats_left > 0 &&
      (beats[cursor.next_beat].day <= cursor.next_day || beats_left >= rows_left)) {
    const gen::Beat& beat = beats[cursor.next_beat++];
    stats.milestones += gen::IsMilestone(beat.kind) ? 1 : 0;
    stats.kpi_reports += gen::IsKpiReport(beat.kind) ? 1 : 0;
    stats.deal_news +=
        beat.kind == gen::BeatKind::kDealProposed || beat.kind == gen::BeatKind::kDealLost;
    return gen::RenderBeat(cursor.company, beat, cursor.next_day, cursor.next_epoch, cursor.rng);
  }
  return gen::RenderChatter(cursor.company, cursor.rng.Chance(options.email_ratio), cursor.rng);
}

std::string Timestamp(int64_t epoch_s) {
  time_t time = static_cast<time_t>(epoch_s);
  std::tm tm{};
  gmtime_r(&time, &tm);
  char buf[32];
  strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

std::vector<Cursor> PlanCursors(const GeneratorOptions& options) {
  std::vector<int64_t> sizes = SplitRows(options);
  std::vector<Cursor> cursors;
  for (size_t idx = 0; idx < sizes.size(); ++idx) {
    if (sizes[idx] == 0) continue;
    gen::Rng rng(gen::Mix(options.seed, 3 * idx + 1));
    double wanted = std::clamp(options.milestone_ratio, 0.0, 1.0) * static_cast<double>(sizes[idx]);
    auto story_rows = std::min(sizes[idx], static_cast<int64_t>(wanted + rng.Unit()));
    Cursor cursor;
    cursor.company = gen::PlanCompany(CompanyId(static_cast<int>(idx)), rng.Next(), story_rows);
    cursor.rows = sizes[idx];
    cursor.rng = gen::Rng(gen::Mix(options.seed, 3 * idx + 2));
    Advance(cursor, options.start_epoch_s);
    cursors.push_back(std::move(cursor));
  }
  return cursors;
}

}  // namespace

int64_t GenerateCsv(const GeneratorOptions& options, std::ostream& out, GeneratorStats* stats) {
  GeneratorStats counts;
  out << "id,is_chat,chat_sender,email_sender,timestamp,content,company_id\n";
  if (options.rows <= 0 || options.companies <= 0) return 0;
  std::vector<Cursor> cursors = PlanCursors(options);
  using Next = std::pair<int64_t, size_t>;  // (epoch, cursor): earliest first, then by company
  std::priority_queue<Next, std::vector<Next>, std::greater<>> queue;
  for (size_t idx = 0; idx < cursors.size(); ++idx) queue.emplace(cursors[idx].next_epoch, idx);
  std::string line;
  for (int64_t row = 1; !queue.empty(); ++row) {
    Cursor& cursor = cursors[queue.top().second];
    queue.pop();
    gen::Message message = NextMessage(cursor, options, counts);
    counts.emails += message.email ? 1 : 0;
    line = std::to_string(row);
    line += message.email ? ",False,," : ",True,";
    line += CsvField(message.sender);
    line += message.email ? "," : ",,";
    line += Timestamp(cursor.next_epoch) + "," + CsvField(message.content) + "," +
            cursor.company.id + "\n";
    out << line;
    if (++cursor.next_row < cursor.rows) {
      Advance(cursor, options.start_epoch_s);
      queue.emplace(cursor.next_epoch, static_cast<size_t>(&cursor - cursors.data()));
    }
  }
  if (stats) *stats = counts;
  return counts.milestones;
}

}  // namespace ms
