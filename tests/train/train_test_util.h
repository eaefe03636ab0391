// Small runs of every strategy for the train tests: a tiny learnable dataset and a config that trains it in
// a few milliseconds per step, so the suites stay quick under the sanitizers.
#pragma once

#include <algorithm>
#include <cmath>
#include <vector>

#include "train/trainer.h"

namespace ccb::test {

inline DatasetSpec tinyData(DatasetKind kind = DatasetKind::kDense) {
  DatasetSpec spec;
  spec.kind = kind;
  spec.samples = 512;
  spec.features = kind == DatasetKind::kDense ? 8 : 200;
  spec.density = 0.03;
  spec.classes = 3;
  spec.seed = 7;
  return spec;
}

inline TrainConfig tinyConfig(Strategy strategy, int workers) {
  TrainConfig config;
  config.data = tinyData();
  config.strategy = strategy;
  config.workers = workers;
  config.globalBatch = 30;  // not a multiple of 4: shares of unequal size
  config.lr = 0.5;
  config.maxSteps = 40;
  config.evalEvery = 5;
  config.timeoutS = 20;
  return config;
}

// Largest |a[i] - b[i]|.
inline double maxAbsDiff(const std::vector<float>& a, const std::vector<float>& b) {
  double worst = 0;
  for (std::size_t i = 0; i < a.size() && i < b.size(); ++i)
    worst = std::max(worst, std::fabs(static_cast<double>(a[i]) - b[i]));
  return worst;
}

}  // namespace ccb::test
