// single and hogwild: the strategies that run in one process.
#include <atomic>
#include <mutex>
#include <thread>

#include "core/error.h"
#include "train/stepper.h"
#include "train/trainer.h"

namespace ccb {
namespace {

TrainRankResult runSingle(const TrainConfig& config, const LinearModel& model, const Dataset& data) {
  const Clock::time_point runStart = Clock::now();
  WorkerStepper stepper(config, model, data, 0, 0, runStart);
  // One worker doing the K workers' shares one after another: K draws of rank 0's compute time.
  ComputeSampler sampler(config.compute, config.seed, 0, stragglerFactor(config.stragglers, 0));
  std::vector<float> params(model.paramCount(), 0.0f), gradSum(model.paramCount());
  TrainRankResult result;
  for (std::int64_t step = 0; step < config.maxSteps; ++step) {
    const Clock::time_point start = Clock::now();
    double computeMs = 0;
    for (int share = 0; share < config.workers; ++share) computeMs += sampler.nextMs();
    if (!stepper.observe(step, params.data())) break;
    if (stepper.timeUp(start)) {
      result.timeLimited = true;
      break;
    }
    stepper.gradientUpdate(step, params.data(), 1.0, gradSum.data());
    std::this_thread::sleep_until(after(start, computeMs));
    const Clock::time_point computeDone = Clock::now();
    applyGradientSum(params, gradSum, updateScale(config));
    stepper.recordStep(start, computeDone, Clock::now());
  }
  result.diverged = stepper.diverged();
  result.staleness[0] = stepper.result().steps;
  result.workers.push_back(std::move(stepper.result()));
  result.params = std::move(params);
  return result;
}

// Hogwild (Recht et al. 2011): each thread reads the shared parameters coordinate by coordinate while others
// write them, and adds its update without a lock (relaxed atomic load and store per coordinate, so
// concurrent adds to one coordinate may overwrite each other, the algorithm's accepted race). Staleness is
// the number of updates other threads finished between this thread's read and its write.
class HogwildRun {
 public:
  HogwildRun(const TrainConfig& config, const LinearModel& model, const Dataset& data)
      : config_(config), model_(model), data_(data), shared_(model.paramCount(), 0.0f) {}

  TrainRankResult run() {
    const Clock::time_point runStart = Clock::now();
    std::vector<std::thread> threads;
    std::vector<TrainWorkerResult> workers(static_cast<std::size_t>(config_.workers));
    for (int worker = 0; worker < config_.workers; ++worker) {
      threads.emplace_back([&, worker] { workers[static_cast<std::size_t>(worker)] = thread(worker, runStart); });
    }
    for (std::thread& thread : threads) thread.join();
    TrainRankResult result;
    result.workers = std::move(workers);
    result.params = shared_;
    result.staleness = staleness_;
    result.diverged = diverged_;
    result.timeLimited = timeLimited_;
    return result;
  }

 private:
  TrainWorkerResult thread(int worker, Clock::time_point runStart) {
    WorkerStepper stepper(config_, model_, data_, worker, worker, runStart);
    ComputeSampler sampler(config_.compute, config_.seed, worker, stragglerFactor(config_.stragglers, worker));
    std::vector<float> snapshot(shared_.size()), update(shared_.size());
    std::map<std::int64_t, std::int64_t> staleness;
    const double scale = updateScale(config_);
    bool timeLimited = false;
    for (std::int64_t step = 0; step < config_.maxSteps && !stop_.load(); ++step) {
      const Clock::time_point start = Clock::now();
      const Clock::time_point computeEnd = after(start, sampler.nextMs());
      const std::int64_t readVersion = updates_.load();
      for (std::size_t i = 0; i < shared_.size(); ++i)
        snapshot[i] = std::atomic_ref<float>(shared_[i]).load(std::memory_order_relaxed);
      const bool finite = stepper.observe(step, snapshot.data());
      if (!finite || stepper.timeUp(start)) {
        timeLimited = finite;
        stop_.store(true);
        break;
      }
      stepper.gradientUpdate(step, snapshot.data(), scale, update.data());
      std::this_thread::sleep_until(computeEnd);
      const Clock::time_point computeDone = Clock::now();
      ++staleness[updates_.load() - readVersion];
      for (std::size_t i = 0; i < shared_.size(); ++i) {
        if (update[i] == 0.0f) continue;  // sparse data: most coordinates are untouched
        std::atomic_ref<float> coordinate(shared_[i]);
        coordinate.store(coordinate.load(std::memory_order_relaxed) + update[i], std::memory_order_relaxed);
      }
      updates_.fetch_add(1);
      stepper.recordStep(start, computeDone, Clock::now());
    }
    std::lock_guard<std::mutex> lock(mutex_);
    for (const auto& [stale, count] : staleness) staleness_[stale] += count;
    diverged_ = diverged_ || stepper.diverged();
    timeLimited_ = timeLimited_ || timeLimited;
    return std::move(stepper.result());
  }

  const TrainConfig& config_;
  const LinearModel& model_;
  const Dataset& data_;
  std::vector<float> shared_;
  std::atomic<std::int64_t> updates_{0};
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  std::map<std::int64_t, std::int64_t> staleness_;
  bool diverged_ = false;
  bool timeLimited_ = false;
};

}  // namespace

TrainRankResult runLocalTraining(const TrainConfig& config, const LinearModel& model, const Dataset& data) {
  validateTrainConfig(config);
  if (config.strategy == Strategy::kSingle) return runSingle(config, model, data);
  CCB_CHECK(config.strategy == Strategy::kHogwild);
  return HogwildRun(config, model, data).run();
}

}  // namespace ccb
