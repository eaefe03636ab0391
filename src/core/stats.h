// Summary statistics of a set of timing samples.
#pragma once

#include <vector>

namespace ccb {

// Time statistics in microseconds (the unit of every time in the JSON schema).
struct TimeStatsUs {
  double min = 0;
  double median = 0;
  double mean = 0;
  double p99 = 0;  // nearest-rank 99th percentile
  double max = 0;
};

// Summarises samples (any order). An empty set gives all zeros.
TimeStatsUs summarize(std::vector<double> samplesUs);

// Nearest-rank percentile (0 < p <= 100) of a sorted, non-empty vector.
double percentileSorted(const std::vector<double>& sorted, double p);

}  // namespace ccb
