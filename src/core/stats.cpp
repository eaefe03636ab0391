#include "core/stats.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/error.h"

namespace ccb {

TimeStatsUs summarize(std::vector<double> samplesUs) {
  TimeStatsUs stats;
  if (samplesUs.empty()) return stats;
  std::sort(samplesUs.begin(), samplesUs.end());
  const std::size_t n = samplesUs.size();
  stats.min = samplesUs.front();
  stats.max = samplesUs.back();
  // Median of an even count: the mean of the two middle samples.
  stats.median = n % 2 == 1 ? samplesUs[n / 2] : (samplesUs[n / 2 - 1] + samplesUs[n / 2]) / 2;
  stats.mean = std::accumulate(samplesUs.begin(), samplesUs.end(), 0.0) / static_cast<double>(n);
  stats.p99 = percentileSorted(samplesUs, 99);
  return stats;
}

double percentileSorted(const std::vector<double>& sorted, double p) {
  CCB_CHECK(!sorted.empty());
  CCB_CHECK(p > 0 && p <= 100);
  const auto n = static_cast<double>(sorted.size());
  // Nearest rank: the smallest sample with at least p% of the samples at or below it, i.e. rank
  // ceil(p/100 * n) (1-based). p * n is formed first so that whole percentages of whole counts stay exact
  // (99 * 100 / 100 is 99, while 0.99 * 100 is 99.00000000000001 and would ceil to 100).
  auto rank = static_cast<std::size_t>(std::ceil(p * n / 100));
  rank = std::clamp<std::size_t>(rank, 1, sorted.size());
  return sorted[rank - 1];
}

}  // namespace ccb
