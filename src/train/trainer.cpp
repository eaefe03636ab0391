#include "train/trainer.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "core/error.h"
#include "train/stepper.h"

namespace ccb {
namespace {

struct StrategyName {
  Strategy strategy;
  const char* name;
};
constexpr StrategyName kStrategies[] = {
    {Strategy::kSingle, "single"},   {Strategy::kSyncRing, "sync_ring"}, {Strategy::kSyncPs, "sync_ps"},
    {Strategy::kAsyncPs, "async_ps"}, {Strategy::kSspPs, "ssp_ps"},      {Strategy::kBackupPs, "backup_ps"},
    {Strategy::kHogwild, "hogwild"},
};

// JSON has no NaN or infinity: a diverged value is written as null and read back as NaN.
nlohmann::json number(double value) { return std::isfinite(value) ? nlohmann::json(value) : nlohmann::json(nullptr); }
double numberFrom(const nlohmann::json& j) {
  return j.is_null() ? std::numeric_limits<double>::quiet_NaN() : j.get<double>();
}

nlohmann::json curveJson(const std::vector<CurvePoint>& curve) {
  nlohmann::json points = nlohmann::json::array();
  for (const CurvePoint& p : curve)
    points.push_back({{"step", p.step}, {"time_s", p.timeS}, {"loss", number(p.loss)}, {"accuracy", p.accuracy}});
  return points;
}

nlohmann::json workerJson(const TrainWorkerResult& w) {
  return {{"rank", w.rank},       {"step_us", w.stepUs}, {"compute_us", w.computeUs}, {"comm_us", w.commUs},
          {"steps", w.steps},     {"curve", curveJson(w.curve)}, {"end_s", w.endS}};
}

TrainWorkerResult workerFrom(const nlohmann::json& j) {
  TrainWorkerResult w;
  w.rank = j.at("rank").get<int>();
  w.stepUs = j.at("step_us").get<std::vector<double>>();
  w.computeUs = j.at("compute_us").get<std::vector<double>>();
  w.commUs = j.at("comm_us").get<std::vector<double>>();
  w.steps = j.at("steps").get<std::int64_t>();
  w.endS = j.at("end_s").get<double>();
  for (const nlohmann::json& p : j.at("curve")) {
    w.curve.push_back({p.at("step").get<std::int64_t>(), p.at("time_s").get<double>(), numberFrom(p.at("loss")),
                       p.at("accuracy").get<double>()});
  }
  return w;
}

constexpr int kTrainGatherTag = 30101;  // above the ring's step tags and the PS tags (30001, 30002)

}  // namespace

std::string_view strategyName(Strategy strategy) {
  for (const StrategyName& entry : kStrategies) {
    if (entry.strategy == strategy) return entry.name;
  }
  return "?";
}

Strategy parseStrategy(std::string_view name) {
  for (const StrategyName& entry : kStrategies) {
    if (name == entry.name) return entry.strategy;
  }
  std::string names;
  for (const StrategyName& entry : kStrategies) names += (names.empty() ? "" : ", ") + std::string(entry.name);
  throw UsageError("--strategy must be one of " + names + "; got '" + std::string(name) + "'");
}

std::vector<std::string> strategyNames() {
  std::vector<std::string> names;
  for (const StrategyName& entry : kStrategies) names.push_back(entry.name);
  return names;
}

bool isPsStrategy(Strategy strategy) {
  return strategy == Strategy::kSyncPs || strategy == Strategy::kAsyncPs || strategy == Strategy::kSspPs ||
         strategy == Strategy::kBackupPs;
}

bool isDistributed(Strategy strategy) { return strategy != Strategy::kSingle && strategy != Strategy::kHogwild; }

std::string_view stopReasonName(StopReason reason) {
  switch (reason) {
    case StopReason::kMaxSteps:
      return "max_steps";
    case StopReason::kMaxTime:
      return "max_time";
    case StopReason::kDiverged:
      return "diverged";
  }
  return "?";
}

void validateTrainConfig(const TrainConfig& config) {
  if (config.workers < 1) throw UsageError("--workers must be at least 1");
  if (config.globalBatch < static_cast<std::size_t>(config.workers)) {
    throw UsageError("--batch " + std::to_string(config.globalBatch) + " is smaller than the " +
                     std::to_string(config.workers) + " workers (each needs at least one sample per step)");
  }
  if (!(config.lr > 0) || !std::isfinite(config.lr)) throw UsageError("--lr must be a positive number");
  if (config.maxSteps < 1) throw UsageError("--max-steps must be at least 1");
  if (!(config.maxTimeS >= 0)) throw UsageError("--max-time must be >= 0 (0: no limit)");
  if (config.evalEvery < 1) throw UsageError("--eval-every must be at least 1");
  if (config.timeoutS <= 0) throw UsageError("--timeout must be positive");
  if (config.targetLoss && !(*config.targetLoss > 0)) throw UsageError("--target-loss must be positive");
  if (config.strategy == Strategy::kBackupPs && (config.backup < 0 || config.backup >= config.workers)) {
    throw UsageError("--backup " + std::to_string(config.backup) + " must be >= 0 and smaller than the " +
                     std::to_string(config.workers) + " workers");
  }
  if (config.staleness < 0) throw UsageError("--staleness must be >= 0");
  for (const Straggler& straggler : config.stragglers) {
    if (!isDistributed(config.strategy) && straggler.rank >= config.workers) {
      throw UsageError("--straggler: worker " + std::to_string(straggler.rank) + " does not exist (" +
                       std::to_string(config.workers) + " workers, numbered from 0)");
    }
    if (config.strategy == Strategy::kSyncRing && straggler.rank >= config.workers) {
      throw UsageError("--straggler: rank " + std::to_string(straggler.rank) + " does not exist (" +
                       std::to_string(config.workers) + " ranks)");
    }
  }
}

nlohmann::json toJson(const TrainRankResult& result) {
  nlohmann::json workers = nlohmann::json::array();
  for (const TrainWorkerResult& w : result.workers) workers.push_back(workerJson(w));
  nlohmann::json params = nlohmann::json::array();
  for (float v : result.params) params.push_back(number(v));
  nlohmann::json staleness = nlohmann::json::object();
  for (const auto& [stale, count] : result.staleness) staleness[std::to_string(stale)] = count;
  return {{"workers", workers},          {"params", params},           {"params_first", result.paramsFirst},
          {"staleness", staleness},      {"max_lead", result.maxLead}, {"received", result.received},
          {"dropped", result.dropped},   {"diverged", result.diverged}, {"time_limited", result.timeLimited}};
}

TrainRankResult trainRankResultFromJson(const nlohmann::json& j) {
  TrainRankResult result;
  for (const nlohmann::json& w : j.at("workers")) result.workers.push_back(workerFrom(w));
  for (const nlohmann::json& v : j.at("params")) result.params.push_back(static_cast<float>(numberFrom(v)));
  result.paramsFirst = j.at("params_first").get<std::size_t>();
  for (const auto& [stale, count] : j.at("staleness").items())
    result.staleness[std::stoll(stale)] = count.get<std::int64_t>();
  result.maxLead = j.at("max_lead").get<std::int64_t>();
  result.received = j.at("received").get<std::int64_t>();
  result.dropped = j.at("dropped").get<std::int64_t>();
  result.diverged = j.at("diverged").get<bool>();
  result.timeLimited = j.at("time_limited").get<bool>();
  return result;
}

TrainSummary mergeTrainResults(const TrainConfig& config, const LinearModel& model, const Dataset& data,
                               std::vector<TrainRankResult> ranks) {
  TrainSummary summary;
  summary.params.assign(model.paramCount(), 0.0f);
  bool diverged = false, timeLimited = false;
  for (TrainRankResult& rank : ranks) {
    for (TrainWorkerResult& worker : rank.workers) summary.workers.push_back(std::move(worker));
    CCB_CHECK_LE(rank.paramsFirst + rank.params.size(), summary.params.size());
    std::copy(rank.params.begin(), rank.params.end(), summary.params.begin() + static_cast<std::ptrdiff_t>(rank.paramsFirst));
    for (const auto& [stale, count] : rank.staleness) summary.staleness[stale] += count;
    summary.maxLead = std::max(summary.maxLead, rank.maxLead);
    summary.received += rank.received;
    summary.dropped += rank.dropped;
    diverged = diverged || rank.diverged;
    timeLimited = timeLimited || rank.timeLimited;
  }
  std::sort(summary.workers.begin(), summary.workers.end(),
            [](const TrainWorkerResult& a, const TrainWorkerResult& b) { return a.rank < b.rank; });
  summary.final = model.evaluate(summary.params.data(), data, config.evalSamples);
  if (!std::isfinite(summary.final.loss) || !allFinite(summary.params.data(), summary.params.size())) diverged = true;
  summary.stop = diverged ? StopReason::kDiverged : timeLimited ? StopReason::kMaxTime : StopReason::kMaxSteps;

  // Worker 0's curve, closed by the final parameters' point.
  for (const TrainWorkerResult& worker : summary.workers) {
    if (worker.curve.empty()) continue;
    summary.curve = worker.curve;
    if (summary.curve.back().step < worker.steps) {
      summary.curve.push_back({worker.steps, worker.endS, summary.final.loss, summary.final.accuracy});
    }
    break;
  }
  if (config.targetLoss) {
    for (const CurvePoint& point : summary.curve) {
      if (std::isfinite(point.loss) && point.loss <= *config.targetLoss) {
        summary.timeToTargetS = point.timeS;
        summary.stepsToTarget = point.step;
        break;
      }
    }
  }
  // Applied gradients per second: each worker's real steps over its own busy time, summed; backup drops
  // the late share of them.
  double perS = 0;
  for (const TrainWorkerResult& worker : summary.workers) {
    double busyUs = 0;
    for (double us : worker.stepUs) busyUs += us;
    if (busyUs > 0) perS += static_cast<double>(worker.steps) / (busyUs * 1e-6);
  }
  if (summary.received > 0) perS *= 1.0 - static_cast<double>(summary.dropped) / static_cast<double>(summary.received);
  summary.updatesPerS = perS;
  const int shares = config.strategy == Strategy::kSingle ? 1 : std::max(1, config.workers);
  summary.samplesPerS = perS * static_cast<double>(config.globalBatch) / shares;
  return summary;
}

std::vector<TrainRankResult> gatherTrainResults(Transport& transport, const TrainRankResult& mine,
                                                Clock::duration timeout) {
  const Clock::time_point deadline = Clock::now() + timeout;
  const std::string text = toJson(mine).dump();
  if (transport.rank() != 0) {
    std::uint64_t size = text.size();
    std::vector<Request> sends;
    sends.push_back(transport.isend(0, std::as_bytes(std::span(&size, 1)), kTrainGatherTag));
    sends.push_back(transport.isend(0, std::as_bytes(std::span(text)), kTrainGatherTag));
    waitAll(sends, deadline, "train: sending results to rank 0");
    return {};
  }
  std::vector<TrainRankResult> all;
  all.push_back(mine);
  for (int peer = 1; peer < transport.size(); ++peer) {
    std::uint64_t size = 0;
    Request request = transport.irecv(peer, std::as_writable_bytes(std::span(&size, 1)), kTrainGatherTag);
    wait(request, deadline, "train: results from rank " + std::to_string(peer));
    std::string received(size, '\0');
    request = transport.irecv(peer, std::as_writable_bytes(std::span(received)), kTrainGatherTag);
    wait(request, deadline, "train: results from rank " + std::to_string(peer));
    all.push_back(trainRankResultFromJson(nlohmann::json::parse(received)));
  }
  return all;
}

}  // namespace ccb
