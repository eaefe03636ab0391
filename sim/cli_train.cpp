// ccsim predict train: step time and throughput of each training strategy (train_model.h), written as the
// "train" records of /work/prompts/train_record.md so that `ccsim compare` joins them with `ccbench train`.
// The compute time and stragglers are given as ccbench train takes them (--compute in milliseconds, parsed
// by src/ps's compute_model; --straggler RANK:FACTOR), or as ccsim's --dist (microseconds).
#include <cmath>
#include <optional>

#include "core/error.h"
#include "ps/compute_model.h"
#include "sim/cli_common.h"
#include "sim/cli_parts.h"
#include "sim/closed_form.h"
#include "sim/predict.h"
#include "sim/train_model.h"

namespace ccb::sim::cli {

using nlohmann::json;

namespace {

// ccbench's compute spec (milliseconds) as a distribution in microseconds. Normal draws are clamped at 0
// by ccbench; the model ignores the clamp (negligible while the mean is a few standard deviations).
ComputeDistribution fromComputeSpec(const std::string& spec) {
  const ComputeDist d = parseComputeDist(spec);
  switch (d.kind) {
    case ComputeDist::Kind::kFixed:
      return ComputeDistribution::normal(d.a * 1e3, 0);
    case ComputeDist::Kind::kNormal:
      return ComputeDistribution::normal(d.a * 1e3, d.b * 1e3);
    case ComputeDist::Kind::kExponential:
      // SHIFT + an exponential of mean MEAN.
      return d.a > 0 ? ComputeDistribution::shiftedExponential(d.b * 1e3, 1 / (d.a * 1e3))
                     : ComputeDistribution::normal(d.b * 1e3, 0);
    case ComputeDist::Kind::kUniform:
      return ComputeDistribution::uniform(d.a * 1e3, d.b * 1e3);
  }
  CCB_CHECK(false);
}

ComputeDistribution computeDistribution(const PredictArgs& a) {
  if (!a.computeSpec.empty() && !a.dist.empty()) throw UsageError("give --compute or --dist, not both");
  if (a.computeSpec.empty() && a.dist.empty()) throw UsageError("predict train: --compute (ms) or --dist (us) is required");
  const ComputeDistribution d = a.computeSpec.empty() ? parseDist(a.dist) : fromComputeSpec(a.computeSpec);
  validate(d);
  if (!(mean(d) > 0)) throw UsageError("predict train: the mean compute time must be > 0");
  return d;
}

json computeJson(const ComputeDistribution& d, const PredictArgs& a) {
  const char* kind = "normal";
  if (d.kind == DistKind::kNormal && d.b == 0) kind = "fixed";
  if (d.kind == DistKind::kShiftedExponential) kind = "exponential";
  if (d.kind == DistKind::kUniform) kind = "uniform";
  if (d.kind == DistKind::kEmpirical) kind = "empirical";
  return {{"dist", kind}, {"mean_us", mean(d)}, {"sd_us", std::sqrt(variance(d))},
          {"spec", a.computeSpec.empty() ? a.dist : a.computeSpec}, {"describe", describe(d)}};
}

struct SlowWorker {
  int rank = 0;  // as given
  double factor = 1;
};

// Slow workers: --straggler (ccbench's syntax), else the cluster's rank_compute_factor. A rank below K is
// worker `rank`; a larger one is read as ccbench's parameter-server numbering (workers after `servers`
// server ranks).
std::vector<SlowWorker> slowWorkers(const PredictArgs& a, const ClusterDescription& cluster) {
  std::vector<SlowWorker> out;
  if (!a.stragglers.empty()) {
    for (const Straggler& s : parseStragglers(a.stragglers)) out.push_back({s.rank, s.factor});
  } else {
    for (const RankComputeFactor& f : cluster.rankComputeFactors) {
      if (f.factor != 1.0) out.push_back({f.rank, f.factor});
    }
  }
  return out;
}

std::vector<double> workerFactorsFor(const std::vector<SlowWorker>& slow, int workers, int servers) {
  std::vector<double> factors(static_cast<std::size_t>(workers), 1.0);
  std::vector<bool> taken(factors.size(), false);
  for (const SlowWorker& s : slow) {
    const int index = s.rank < workers ? s.rank : s.rank - servers;
    if (index < 0 || index >= workers) {
      throw UsageError("--straggler: rank " + std::to_string(s.rank) + " is no worker of " + std::to_string(workers) +
                       " (with " + std::to_string(servers) + " server ranks)");
    }
    if (taken[static_cast<std::size_t>(index)]) {
      throw UsageError("--straggler: two slow ranks name worker " + std::to_string(index));
    }
    taken[static_cast<std::size_t>(index)] = true;
    factors[static_cast<std::size_t>(index)] = s.factor;
  }
  return factors;
}

// The cluster with K ranks (overrides for hosts or ranks beyond it dropped), for the communication models.
ClusterDescription withRanks(ClusterDescription c, int ranks) {
  c.ranks = ranks;
  const int hosts = hostCount(c);
  std::erase_if(c.hostOverrides, [hosts](const HostOverride& o) { return o.host >= hosts; });
  std::erase_if(c.rankComputeFactors, [ranks](const RankComputeFactor& f) { return f.rank >= ranks; });
  validateCluster(c);
  return c;
}

std::vector<TrainStrategy> strategies(const PredictArgs& a) {
  if (a.strategies.empty()) return allTrainStrategies();
  std::vector<TrainStrategy> out;
  for (const std::string& name : a.strategies) out.push_back(parseTrainStrategy(name));
  return out;
}

std::vector<int> workerCounts(const PredictArgs& a, const ClusterDescription& cluster) {
  std::vector<int> counts = a.workers.empty() ? std::vector<int>{cluster.ranks} : a.workers;
  for (int k : counts) {
    if (k < 1) throw UsageError("--workers must be >= 1, got " + std::to_string(k));
  }
  return counts;
}

bool isPs(TrainStrategy s) {
  return s == TrainStrategy::kSyncPs || s == TrainStrategy::kAsyncPs || s == TrainStrategy::kSspPs ||
         s == TrainStrategy::kBackupPs;
}

bool averages(TrainStrategy s) {
  return s == TrainStrategy::kSingle || s == TrainStrategy::kSyncRing || s == TrainStrategy::kSyncPs ||
         s == TrainStrategy::kBackupPs;
}

}  // namespace

void checkTrainArgs(const PredictArgs& a) {
  strategies(a);
  computeDistribution(a);
  if (!a.stragglers.empty()) parseStragglers(a.stragglers);
  if (a.servers < 1) throw UsageError("--servers must be >= 1, got " + std::to_string(a.servers));
  if (a.staleness < 0) throw UsageError("--staleness must be >= 0, got " + std::to_string(a.staleness));
  if (a.backups.value_or(1) < 0) throw UsageError("--backup must be >= 0");
  for (std::uint64_t p : a.params) {
    if (p == 0) throw UsageError("--params must be > 0");
  }
  for (int k : a.workers) {
    if (k < 1) throw UsageError("--workers must be >= 1, got " + std::to_string(k));
  }
}

std::vector<Record> predictTrain(const PredictArgs& a, const ClusterDescription& cluster,
                                 const std::vector<std::uint64_t>& sweepBytes, json& config) {
  checkTrainArgs(a);
  const ComputeDistribution dist = computeDistribution(a);
  const std::vector<TrainStrategy> chosen = strategies(a);
  const std::vector<SlowWorker> slow = slowWorkers(a, cluster);
  std::vector<std::uint64_t> sizes;
  for (std::uint64_t p : a.params) sizes.push_back(p * 4);
  if (sizes.empty()) sizes = sweepBytes;
  const int backups = a.backups.value_or(1);
  std::vector<Record> records;
  for (int k : workerCounts(a, cluster)) {
    const ClusterDescription ck = withRanks(cluster, k);
    const ClosedFormCluster view = closedFormView(ck);
    // Workers and servers talk over the host links, or within the host when every rank shares one.
    const AlphaBetaGamma link = view.hosts == 1 ? view.intra : view.inter;
    for (std::uint64_t bytes : sizes) {
      TrainSetup setup;
      setup.compute = dist;
      setup.workerFactors = workerFactorsFor(slow, k, a.servers);
      setup.ringUs = predictAllReduce(view, AllReduceAlgo::kRing, bytes, 4).timeUs();
      setup.ps = PsConfig{k, a.servers, static_cast<double>(bytes), link, link};
      setup.backups = backups;
      setup.staleness = a.staleness;
      for (TrainStrategy s : chosen) {
        if (s == TrainStrategy::kBackupPs && backups >= k) continue;  // needs a worker left to wait for
        const TrainPrediction p = predictTrainStep(s, setup);
        Record r = predictedRecord("train", std::string(trainStrategyName(s)), k, DType::kFloat32,
                                   averages(s) ? ReduceOp::kAvg : ReduceOp::kSum, bytes, p.stepUs);
        r.count = bytes / 4;
        json straggler = nullptr;
        for (const SlowWorker& w : slow) {
          straggler = {{"rank", w.rank}, {"factor", w.factor}};
          break;
        }
        r.extra = {{"model", "closed_form"}, {"updates_per_s", p.updatesPerS}, {"step_time_us", p.stepUs},
                   {"compute_us_median", p.computeUs}, {"comm_us_median", p.commUs}, {"straggler", straggler},
                   {"compute", computeJson(dist, a)}};
        if (isPs(s)) r.extra["servers"] = a.servers;
        if (s == TrainStrategy::kSspPs) r.extra["staleness_bound"] = a.staleness;
        if (s == TrainStrategy::kBackupPs) r.extra["backup"] = backups;
        records.push_back(r);
      }
    }
  }
  if (records.empty()) throw UsageError("predict train: no strategy can run with these workers (backup_ps needs K > b)");
  config["train"] = {{"workers", workerCounts(a, cluster)}, {"servers", a.servers}, {"backup", backups},
                     {"staleness_bound", a.staleness}, {"compute", computeJson(dist, a)}};
  return records;
}

}  // namespace ccb::sim::cli
