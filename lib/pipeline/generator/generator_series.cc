// The generator's randomness and KPI series (pipeline/generator/generator_story.h).
#include <algorithm>
#include <cmath>

#include "pipeline/generator/generator_story.h"

namespace ms::gen {
namespace {

// Geometric interpolation between monthly anchors; flat outside the period.
double Interpolate(const std::array<double, kSeriesMonths>& anchors, double day) {
  double month = std::clamp(day / kMonthDays, 0.0, static_cast<double>(kSeriesMonths - 1));
  int lower = std::min(static_cast<int>(month), kSeriesMonths - 2);
  double frac = month - lower;
  return anchors[lower] * std::pow(anchors[lower + 1] / anchors[lower], frac);
}

// In [-1, 1), the same for every call with the same seed, series and day.
double DailyNoise(uint64_t seed, uint64_t series, double day) {
  uint64_t bits = Mix(Mix(seed, series), static_cast<uint64_t>(std::max(0.0, day)));
  return static_cast<double>(bits >> 11) * 0x1.0p-52 - 1.0;
}

}  // namespace

uint64_t Rng::Next() {
  uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

double Rng::Unit() {
  return static_cast<double>(Next() >> 11) * 0x1.0p-53;
}

int Rng::Index(int size) {
  return static_cast<int>(Next() % static_cast<uint64_t>(size));
}

int Rng::Range(int lo, int hi) {
  return lo + Index(hi - lo + 1);
}

uint64_t Mix(uint64_t a, uint64_t b) {
  Rng rng(a ^ (b * 0xd1b54a32d192ed03ULL));
  return rng.Next();
}

double MrrAt(const Series& series, double day) {
  return Interpolate(series.mrr, day) * (1 + 0.004 * DailyNoise(series.noise_seed, 1, day));
}

double DauAt(const Series& series, double day) {
  return Interpolate(series.dau, day) * (1 + 0.02 * DailyNoise(series.noise_seed, 2, day));
}

double ChurnAt(const Series& series, double day) {
  double trend = series.churn_pct * (1 - 0.2 * day / kPeriodDays);
  return std::max(0.3, trend + 0.15 * DailyNoise(series.noise_seed, 3, day));
}

int64_t SignupsAt(const Series& series, double day, double window_days) {
  double weekly = DauAt(series, day) * series.signup_share;
  double noisy = weekly * window_days / 7 * (1 + 0.1 * DailyNoise(series.noise_seed, 4, day));
  return std::max<int64_t>(1, std::llround(noisy));
}

}  // namespace ms::gen
