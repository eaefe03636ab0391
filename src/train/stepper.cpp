#include "train/stepper.h"

#include <algorithm>
#include <cmath>

namespace ccb {

double secondsBetween(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double>(to - from).count();
}

double microsecondsBetween(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double, std::micro>(to - from).count();
}

Clock::time_point after(Clock::time_point start, double ms) {
  return start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double, std::milli>(ms));
}

double updateScale(const TrainConfig& config) {
  const double perSample = -config.lr / static_cast<double>(config.globalBatch);
  if (config.strategy == Strategy::kSyncPs) return perSample * config.workers;
  if (config.strategy == Strategy::kBackupPs) return perSample * config.workers;
  return perSample;
}

void applyGradientSum(std::vector<float>& params, const std::vector<float>& gradSum, double scale) {
  for (std::size_t i = 0; i < params.size(); ++i) params[i] += static_cast<float>(scale * gradSum[i]);
}

WorkerStepper::WorkerStepper(const TrainConfig& config, const LinearModel& model, const Dataset& data,
                             int worker, int rank, Clock::time_point runStart)
    : config_(config),
      model_(model),
      data_(data),
      worker_(worker),
      workers_(config.strategy == Strategy::kSingle ? 1 : config.workers),
      runStart_(runStart),
      grad_(model.paramCount()) {
  result_.rank = rank;
  if (worker_ == 0) {
    // Every strategy starts from zero parameters; the reference does not depend on when worker 0 looks.
    const std::vector<float> zeros(model.paramCount(), 0.0f);
    initialLoss_ = model.evaluate(zeros.data(), data, config.evalSamples).loss;
  }
}

bool WorkerStepper::observe(std::int64_t step, const float* params) {
  if (!allFinite(params, model_.paramCount())) diverged_ = true;
  if (worker_ == 0 && step % config_.evalEvery == 0) {
    const Evaluation evaluation = model_.evaluate(params, data_, config_.evalSamples);
    result_.curve.push_back({step, secondsBetween(runStart_, Clock::now()), evaluation.loss, evaluation.accuracy});
    // A linear model's cross-entropy grows without bound but rarely overflows: a loss far above the loss of
    // the initial (zero) parameters counts as diverged too.
    if (!std::isfinite(evaluation.loss) || evaluation.loss > kDivergedLossFactor * initialLoss_) diverged_ = true;
  }
  return !diverged_;
}

bool WorkerStepper::timeUp(Clock::time_point now) const {
  return config_.maxTimeS > 0 && secondsBetween(runStart_, now) >= config_.maxTimeS;
}

void WorkerStepper::gradientUpdate(std::int64_t step, const float* params, double scale, float* out) {
  std::fill(grad_.begin(), grad_.end(), 0.0);
  model_.addGradientSum(params, data_, step, config_.globalBatch,
                        batchShare(config_.globalBatch, workers_, worker_), grad_.data());
  // The sum is rounded to float first, as a ring all-reduce of float sums would be, so one formula serves
  // every strategy.
  for (std::size_t i = 0; i < grad_.size(); ++i) out[i] = static_cast<float>(scale * static_cast<float>(grad_[i]));
}

void WorkerStepper::recordStep(Clock::time_point start, Clock::time_point computeDone, Clock::time_point end) {
  result_.stepUs.push_back(microsecondsBetween(start, end));
  result_.computeUs.push_back(microsecondsBetween(start, computeDone));
  result_.commUs.push_back(microsecondsBetween(computeDone, end));
  ++result_.steps;
  result_.endS = secondsBetween(runStart_, end);
}

}  // namespace ccb
