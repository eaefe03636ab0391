// What every strategy's worker loop shares (internal to src/train): the compute-time draw, worker 0's
// evaluations, the divergence and time-limit checks, the update scale and the per-step bookkeeping.
#pragma once

#include <chrono>
#include <cstdint>
#include <vector>

#include "comm/transport.h"
#include "train/trainer.h"

namespace ccb {

double secondsBetween(Clock::time_point from, Clock::time_point to);
double microsecondsBetween(Clock::time_point from, Clock::time_point to);
Clock::time_point after(Clock::time_point start, double ms);

// The factor a worker's gradient sum is scaled by before it is pushed or applied: -lr/B for strategies
// that add every gradient (single, sync_ring after summing, async, ssp, hogwild), -lr*K/B for those whose
// server averages K (sync_ps) or K - b (backup_ps) pushes.
double updateScale(const TrainConfig& config);

// Worker 0 declares the run diverged when a loss is not finite or above this many times the loss of the
// initial (zero) parameters.
inline constexpr double kDivergedLossFactor = 100;

// params[i] += float(scale * gradSum[i]): the update of single and sync_ring (one rounding for both).
void applyGradientSum(std::vector<float>& params, const std::vector<float>& gradSum, double scale);

class WorkerStepper {
 public:
  // `worker` is the worker index (0 evaluates); `runStart` the common time origin.
  WorkerStepper(const TrainConfig& config, const LinearModel& model, const Dataset& data, int worker, int rank,
                Clock::time_point runStart);

  // Looks at the parameters step `step` computes on: worker 0 evaluates them every evalEvery steps. False
  // once they are not finite, or worker 0's loss is not finite or above kDivergedLossFactor times the initial
  // loss: the run diverged.
  bool observe(std::int64_t step, const float* params);
  // True once --max-time has passed on this worker's clock.
  bool timeUp(Clock::time_point now) const;
  // grad = the gradient sum of this worker's share of step `step` at `params`; out[i] = float(scale * grad[i]).
  void gradientUpdate(std::int64_t step, const float* params, double scale, float* out);
  // Records a finished real step.
  void recordStep(Clock::time_point start, Clock::time_point computeDone, Clock::time_point end);

  TrainWorkerResult& result() { return result_; }
  bool diverged() const { return diverged_; }
  Clock::time_point runStart() const { return runStart_; }

 private:
  const TrainConfig& config_;
  const LinearModel& model_;
  const Dataset& data_;
  int worker_;
  int workers_;
  Clock::time_point runStart_;
  std::vector<double> grad_;
  TrainWorkerResult result_;
  bool diverged_ = false;
  double initialLoss_ = 0;  // worker 0: the loss of the zero parameters
};

}  // namespace ccb
