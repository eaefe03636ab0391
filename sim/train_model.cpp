// Training strategies' step times; see train_model.h for the formulas.
#include "sim/train_model.h"

#include <algorithm>
#include <array>
#include <cmath>

#include "core/error.h"

namespace ccb::sim {
namespace {

constexpr std::array<std::pair<TrainStrategy, std::string_view>, 7> kNames = {{
    {TrainStrategy::kSingle, "single"},
    {TrainStrategy::kSyncRing, "sync_ring"},
    {TrainStrategy::kSyncPs, "sync_ps"},
    {TrainStrategy::kAsyncPs, "async_ps"},
    {TrainStrategy::kSspPs, "ssp_ps"},
    {TrainStrategy::kBackupPs, "backup_ps"},
    {TrainStrategy::kHogwild, "hogwild"},
}};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

void checkSetup(const TrainSetup& s) {
  const int k = static_cast<int>(s.workerFactors.size());
  if (k < 1) throw UsageError("train: at least one worker is needed");
  for (double f : s.workerFactors) {
    if (!(f > 0) || !std::isfinite(f)) throw UsageError("train: worker compute factors must be > 0");
  }
  validate(s.compute);
  if (!(mean(s.compute) > 0)) throw UsageError("train: the mean compute time must be > 0");
  if (s.backups < 0 || s.backups >= k) {
    throw UsageError("train: backup workers must be 0.." + std::to_string(k - 1) + " with " + std::to_string(k) +
                     " workers, got " + std::to_string(s.backups));
  }
  if (s.staleness < 0) throw UsageError("train: the staleness bound must be >= 0");
  if (s.ps.workers != k) throw UsageError("train: the parameter-server model must have one worker per factor");
  if (!(s.ringUs >= 0)) throw UsageError("train: the all-reduce time must be >= 0");
}

// Workers that each cycle on their own (async, hogwild): the median worker's cycle and the summed rate.
TrainPrediction freeRunning(const TrainSetup& s, double exchangeUs, double rateCap) {
  const double m = mean(s.compute);
  std::vector<double> computes;
  std::vector<double> cycles;
  double rate = 0;
  for (double f : s.workerFactors) {
    computes.push_back(f * m);
    cycles.push_back(f * m + exchangeUs);
    rate += 1e6 / (f * m + exchangeUs);
  }
  TrainPrediction p;
  p.updatesPerS = std::min(rate, rateCap);
  // A cap on the total rate stretches every worker's cycle alike.
  p.stepUs = median(cycles) * rate / p.updatesPerS;
  p.computeUs = median(computes);
  p.commUs = p.stepUs - p.computeUs;
  return p;
}

// Workers paced together: K gradients (or `applied`) per step of `computeUs + commUs`.
TrainPrediction paced(double computeUs, double commUs, int applied) {
  TrainPrediction p;
  p.computeUs = computeUs;
  p.commUs = commUs;
  p.stepUs = computeUs + commUs;
  p.updatesPerS = applied * 1e6 / p.stepUs;
  return p;
}

}  // namespace

std::string_view trainStrategyName(TrainStrategy strategy) {
  for (const auto& [s, name] : kNames) {
    if (s == strategy) return name;
  }
  CCB_CHECK(false);
}

TrainStrategy parseTrainStrategy(std::string_view name) {
  for (const auto& [s, n] : kNames) {
    if (n == name) return s;
  }
  throw UsageError("unknown training strategy '" + std::string(name) +
                   "' (accepted: single, sync_ring, sync_ps, async_ps, ssp_ps, backup_ps, hogwild)");
}

const std::vector<TrainStrategy>& allTrainStrategies() {
  static const std::vector<TrainStrategy> all = [] {
    std::vector<TrainStrategy> v;
    for (const auto& [s, name] : kNames) v.push_back(s);
    return v;
  }();
  return all;
}

TrainPrediction predictTrainStep(TrainStrategy strategy, const TrainSetup& s) {
  checkSetup(s);
  const int k = static_cast<int>(s.workerFactors.size());
  const double m = mean(s.compute);
  switch (strategy) {
    case TrainStrategy::kSingle:
      return paced(k * s.workerFactors[0] * m, 0, 1);
    case TrainStrategy::kSyncRing:
      return paced(expectedOrderStatisticScaled(s.compute, s.workerFactors, k), s.ringUs, k);
    case TrainStrategy::kSyncPs:
      return paced(expectedOrderStatisticScaled(s.compute, s.workerFactors, k), psCommunication(s.ps).commUs(), k);
    case TrainStrategy::kBackupPs:
      return paced(expectedOrderStatisticScaled(s.compute, s.workerFactors, k - s.backups),
                   psCommunication(s.ps).commUs(), k - s.backups);
    case TrainStrategy::kAsyncPs: {
      PsConfig alone = s.ps;
      alone.workers = 1;
      const PsTimes t = psCommunication(alone);
      std::vector<double> computes;
      for (double f : s.workerFactors) computes.push_back(f * m);
      return freeRunning(s, t.pushUs + t.pullUs, psAsyncUpdatesPerSecond(s.ps, computes));
    }
    case TrainStrategy::kSspPs: {
      PsConfig alone = s.ps;
      alone.workers = 1;
      const PsTimes t = psCommunication(alone);
      const ComputeDistribution window =
          ComputeDistribution::normal(m, std::sqrt(variance(s.compute) / (s.staleness + 1.0)));
      TrainPrediction p = paced(expectedOrderStatisticScaled(window, s.workerFactors, k), t.pushUs + t.pullUs, k);
      // The shards' links cap the total rate as for async.
      const double perUpdateUs = s.ps.modelBytes / s.ps.servers * s.ps.serverLink.betaUsPerByte;
      if (perUpdateUs > 0 && p.updatesPerS > 1e6 / perUpdateUs) {
        p.updatesPerS = 1e6 / perUpdateUs;
        p.stepUs = k * 1e6 / p.updatesPerS;
        p.commUs = p.stepUs - p.computeUs;
      }
      return p;
    }
    case TrainStrategy::kHogwild:
      return freeRunning(s, 0, 1e300);
  }
  CCB_CHECK(false);
}

}  // namespace ccb::sim
