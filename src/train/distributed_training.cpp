// sync_ring and the parameter-server strategies: one rank's part of a run over a Transport.
#include <cstring>
#include <thread>

#include "algo/allreduce.h"
#include "core/error.h"
#include "ps/layout.h"
#include "ps/ps.h"
#include "train/stepper.h"
#include "train/trainer.h"

namespace ccb {
namespace {

Clock::duration timeoutOf(const TrainConfig& config) {
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(config.timeoutS));
}

// sync_ring: every rank holds the parameters. Each step the ranks all-reduce their float gradient sums plus
// one extra element, a stop vote (diverged or past --max-time on that rank's clock), so every rank leaves
// at the same step and the parameters stay identical.
TrainRankResult runRing(Transport& transport, Reducer& reducer, const TrainConfig& config,
                        const LinearModel& model, const Dataset& data) {
  const int rank = transport.rank();
  std::unique_ptr<AllReduce> allReduce = makeAllReduce("ring", transport, reducer, AllReduceOptions{});
  barrier(transport, Clock::now() + timeoutOf(config), "train sync_ring: barrier before the run");
  const Clock::time_point runStart = Clock::now();
  WorkerStepper stepper(config, model, data, rank, rank, runStart);
  ComputeSampler sampler(config.compute, config.seed, rank, stragglerFactor(config.stragglers, rank));
  const std::size_t count = model.paramCount();
  std::vector<float> params(count, 0.0f), buffer(count + 1);
  TrainRankResult result;
  for (std::int64_t step = 0; step < config.maxSteps; ++step) {
    const Clock::time_point start = Clock::now();
    const Clock::time_point computeEnd = after(start, sampler.nextMs());
    const bool finite = stepper.observe(step, params.data());
    const bool stop = !finite || stepper.timeUp(start);
    if (!stop) stepper.gradientUpdate(step, params.data(), 1.0, buffer.data());
    buffer[count] = stop ? 1.0f : 0.0f;
    std::this_thread::sleep_until(computeEnd);
    const Clock::time_point computeDone = Clock::now();
    allReduce->run({buffer.data(), buffer.data(), count + 1, DType::kFloat32, ReduceOp::kSum},
                   Clock::now() + timeoutOf(config), "train sync_ring step " + std::to_string(step));
    if (buffer[count] > 0) {
      result.timeLimited = finite;
      break;
    }
    buffer.resize(count);
    applyGradientSum(params, buffer, updateScale(config));
    buffer.resize(count + 1);
    stepper.recordStep(start, computeDone, Clock::now());
  }
  result.diverged = stepper.diverged();
  result.staleness[0] = stepper.result().steps;
  result.workers.push_back(std::move(stepper.result()));
  if (rank == 0) result.params = std::move(params);  // identical on every rank
  return result;
}

PsMode psModeOf(Strategy strategy) {
  switch (strategy) {
    case Strategy::kSyncPs:
      return PsMode::kSync;
    case Strategy::kAsyncPs:
      return PsMode::kAsync;
    case Strategy::kSspPs:
      return PsMode::kSsp;
    case Strategy::kBackupPs:
      return PsMode::kBackup;
    default:
      break;
  }
  throw InvariantError("not a parameter-server strategy: " + std::string(strategyName(strategy)));
}

PsSetup psTrainSetup(const TrainConfig& config, const LinearModel& model, int ranks) {
  const PsLayout layout(ranks, config.servers, false);
  const std::size_t count = model.paramCount();
  // One partition per server (near-equal shards), at least one element each.
  const std::size_t perServer = (count + static_cast<std::size_t>(layout.servers()) - 1) / layout.servers();
  PsSetup setup(layout, planPartitions(count * 4, perServer * 4, 4, layout.servers()));
  setup.mode = psModeOf(config.strategy);
  setup.staleness = config.staleness;
  setup.backup = config.backup;
  setup.warmupSteps = 0;
  setup.timedSteps = config.maxSteps;
  setup.compute = config.compute;
  setup.stragglers = config.stragglers;
  setup.seed = config.seed;
  setup.timeout = std::chrono::duration<double>(config.timeoutS);
  setup.check = false;
  setup.what = "train " + std::string(strategyName(config.strategy));
  validatePsSetup(setup, ranks);
  return setup;
}

// A PS worker's training state behind the PsHooks: the gradient is computed when the pulled parameters
// arrive (overlapping the emulated compute), pushed as the update; once the worker stops (diverged, or
// --max-time on its clock) its remaining attempts are no-ops: no compute, a zero update. The PS protocol
// runs a fixed number of attempts, so this is how a PS run ends early.
class PsTrainWorker {
 public:
  PsTrainWorker(const TrainConfig& config, const LinearModel& model, const Dataset& data, int worker, int rank,
                Clock::time_point runStart)
      : config_(config), stepper_(config, model, data, worker, rank, runStart), update_(model.paramCount()) {}

  void onPulled(std::int64_t attempt, std::span<const std::byte> params) {
    if (stopped_) return;
    const float* values = reinterpret_cast<const float*>(params.data());
    const bool finite = stepper_.observe(attempt, values);
    if (!finite || stepper_.timeUp(Clock::now())) {
      stopped_ = true;
      timeLimited_ = finite;
      std::fill(update_.begin(), update_.end(), 0.0f);
      return;
    }
    realSteps_ = attempt + 1;
    stepper_.gradientUpdate(attempt, values, updateScale(config_), update_.data());
  }
  double computeMs(double drawnMs) const { return stopped_ ? 0.0 : drawnMs; }
  const std::byte* update() const { return reinterpret_cast<const std::byte*>(update_.data()); }

  // The PS worker's own step times, cut to the real steps.
  TrainWorkerResult finish(const PsWorkerResult& measured) {
    TrainWorkerResult result = std::move(stepper_.result());
    const std::size_t steps = std::min<std::size_t>(static_cast<std::size_t>(realSteps_), measured.stepUs.size());
    double endUs = 0;
    for (std::size_t i = 0; i < steps; ++i) {
      result.stepUs.push_back(measured.stepUs[i]);
      result.computeUs.push_back(measured.computeUs[i]);
      result.commUs.push_back(measured.pushUs[i] + measured.idleUs[i] + measured.pullUs[i]);
      endUs += measured.stepUs[i];
    }
    result.steps = static_cast<std::int64_t>(steps);
    result.endS = endUs * 1e-6;
    return result;
  }
  bool diverged() const { return stepper_.diverged(); }
  bool timeLimited() const { return timeLimited_; }

 private:
  const TrainConfig& config_;
  WorkerStepper stepper_;
  std::vector<float> update_;
  bool stopped_ = false;
  bool timeLimited_ = false;
  std::int64_t realSteps_ = 0;
};

TrainRankResult runPsTraining(Transport& transport, Reducer& reducer, const TrainConfig& config,
                              const LinearModel& model, const Dataset& data) {
  const PsSetup setup = psTrainSetup(config, model, transport.size());
  const int worker = setup.layout.workerIndex(transport.rank());
  barrier(transport, Clock::now() + timeoutOf(config), setup.what + ": barrier before the run");
  const Clock::time_point runStart = Clock::now();
  std::optional<PsTrainWorker> state;
  if (worker >= 0) state.emplace(config, model, data, worker, transport.rank(), runStart);
  PsHooks hooks;
  hooks.initialParams = [](std::byte* params, std::size_t, std::size_t count) {
    std::memset(params, 0, count * sizeof(float));
  };
  hooks.onPulled = [&](int, std::int64_t attempt, std::span<const std::byte> params) {
    state->onPulled(attempt, params);
  };
  hooks.computeMs = [&](int, std::int64_t, double drawnMs) { return state->computeMs(drawnMs); };
  hooks.update = [&](int, std::int64_t) { return state->update(); };
  const PsRankResult measured = runPs(transport, reducer, setup, hooks);

  TrainRankResult result;
  if (state) {
    result.workers.push_back(state->finish(measured.worker));
    result.diverged = state->diverged();
    result.timeLimited = state->timeLimited();
  }
  if (measured.server.present) {
    const PsServerResult& server = measured.server;
    result.params.resize(server.shard.size() / sizeof(float));
    std::memcpy(result.params.data(), server.shard.data(), server.shard.size());
    result.paramsFirst = setup.plan.shards[static_cast<std::size_t>(server.server)].range.offset / sizeof(float);
    // Every push goes to every server, so one server's record of staleness and drops describes the run.
    if (server.server == 0) {
      result.staleness = server.staleness;
      result.maxLead = server.maxLead;
      result.received = server.received;
      result.dropped = server.dropped;
    }
  }
  return result;
}

}  // namespace

int trainWorkers(const TrainConfig& config, int ranks) {
  if (!isDistributed(config.strategy)) return config.workers;
  if (isPsStrategy(config.strategy)) return ranks - config.servers;
  return ranks;
}

TrainConfig checkTrainLayout(const TrainConfig& config, const LinearModel& model, int ranks) {
  CCB_CHECK(isDistributed(config.strategy));
  if (isPsStrategy(config.strategy) && config.servers >= ranks) {
    throw UsageError(std::string(strategyName(config.strategy)) + " needs at least one worker besides the " +
                     std::to_string(config.servers) + " server rank(s): run with more than " +
                     std::to_string(config.servers) + " ranks");
  }
  TrainConfig actual = config;
  actual.workers = trainWorkers(config, ranks);
  validateTrainConfig(actual);
  if (isPsStrategy(config.strategy)) psTrainSetup(actual, model, ranks);
  return actual;
}

TrainRankResult runDistributedTraining(Transport& transport, Reducer& reducer, const TrainConfig& config,
                                       const LinearModel& model, const Dataset& data) {
  const TrainConfig actual = checkTrainLayout(config, model, transport.size());
  if (config.strategy == Strategy::kSyncRing) return runRing(transport, reducer, actual, model, data);
  return runPsTraining(transport, reducer, actual, model, data);
}

}  // namespace ccb
