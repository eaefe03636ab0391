// The emulated iteration; see backward_pass.h.
#include "overlap/backward_pass.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <thread>

#include "core/error.h"

namespace ccb {
namespace {

using Micro = std::chrono::duration<double, std::micro>;

AllReduceArgs bucketArgs(void* gradients, std::uint64_t offsetBytes, std::uint64_t bytes) {
  void* data = static_cast<std::byte*>(gradients) + offsetBytes;
  return AllReduceArgs{data, data, bytes / dtypeSize(DType::kFloat32), DType::kFloat32, ReduceOp::kSum};
}

}  // namespace

std::string overlapModeName(OverlapMode mode) {
  switch (mode) {
    case OverlapMode::kNoOverlap: return "no_overlap";
    case OverlapMode::kBucketed: return "ddp";
    case OverlapMode::kComputeOnly: return "compute_only";
  }
  CCB_CHECK(false);
}

// The state of one iteration: the clock, the queue of ready buckets and the one in flight.
class BackwardPass::Run {
 public:
  Run(BackwardPass& pass, void* gradients, const std::string& what)
      : pass_(pass), gradients_(gradients), what_(what), start_(Clock::now()), deadline_(start_ + pass.settings_.timeout) {}

  double sinceStartUs(Clock::time_point t) const { return Micro(t - start_).count(); }

  // Computes `us` of work in slices; between slices (when `progress`) advances the communication.
  void compute(double us, bool progress) {
    const double unitsPerUs = pass_.settings_.unitsPerUs;
    auto left = static_cast<std::uint64_t>(std::llround(us * unitsPerUs));
    const auto slice = std::max<std::uint64_t>(1, static_cast<std::uint64_t>(pass_.settings_.sliceUs * unitsPerUs));
    while (left > 0) {
      const std::uint64_t units = std::min(left, slice);
      const Clock::time_point t0 = Clock::now();
      pass_.kernel_.run(units);
      const Clock::time_point t1 = Clock::now();
      timing.computeUs += Micro(t1 - t0).count();
      left -= units;
      if (progress) {
        advance();
        timing.progressUs += Micro(Clock::now() - t1).count();
      }
    }
  }

  // Bucket j's gradients are all computed: queue its all-reduce.
  void ready(std::uint64_t offsetBytes, std::uint64_t bytes) {
    queue_.push_back({offsetBytes, bytes});
    timing.readyUs.push_back(sinceStartUs(Clock::now()));
  }

  // Finishes the bucket in flight if it is done and starts queued ones, in order, one at a time.
  // Returns true when anything changed.
  bool advance() {
    bool changed = false;
    while (true) {
      if (inFlight_) {
        if (!inFlight_->test()) return changed;
        timing.finishUs.push_back(sinceStartUs(Clock::now()));
        inFlight_.reset();
        changed = true;
      }
      if (next_ == queue_.size()) return changed;
      timing.startUs.push_back(sinceStartUs(Clock::now()));
      inFlight_ = pass_.comm_.start(bucketArgs(gradients_, queue_[next_].first, queue_[next_].second));
      ++next_;
      changed = true;
    }
  }

  // Progresses until every queued bucket is reduced, yielding the core when nothing moved.
  void drain() {
    while (inFlight_ || next_ < queue_.size()) {
      if (advance()) continue;
      if (Clock::now() > deadline_) {
        throw TimeoutError(what_ + ": timed out after " +
                           std::to_string(std::chrono::duration<double>(pass_.settings_.timeout).count()) +
                           " s waiting for bucket " + std::to_string(timing.finishUs.size()));
      }
      std::this_thread::yield();
    }
  }

  IterationTiming finish() {
    timing.totalUs = sinceStartUs(Clock::now());
    for (std::size_t j = 0; j < timing.finishUs.size(); ++j) timing.commUs += timing.finishUs[j] - timing.startUs[j];
    timing.exposedUs = std::max(0.0, timing.totalUs - timing.computeUs);
    return std::move(timing);
  }

  IterationTiming timing;

 private:
  BackwardPass& pass_;
  void* gradients_;
  const std::string& what_;
  Clock::time_point start_;
  Clock::time_point deadline_;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> queue_;  // (offset, bytes) of ready buckets
  std::size_t next_ = 0;
  Request inFlight_;
};

BackwardPass::BackwardPass(const LayerProfile& profile, const std::vector<BucketPlan>& buckets, AsyncAllReduce& comm,
                           ComputeKernel& kernel, const PassSettings& settings)
    : profile_(profile),
      buckets_(buckets),
      comm_(comm),
      kernel_(kernel),
      settings_(settings),
      completes_(bucketCompletedByLayer(buckets, profile.layers.size())),
      totalBytes_(profile.totalBytes()) {
  CCB_CHECK_LT(0.0, settings.unitsPerUs);
  CCB_CHECK_LT(0.0, settings.sliceUs);
}

IterationTiming BackwardPass::run(void* gradients, OverlapMode mode, const std::string& what) {
  Run run(*this, gradients, what);
  const bool overlap = mode == OverlapMode::kBucketed;
  run.compute(settings_.forwardUs, false);
  for (int i = static_cast<int>(profile_.layers.size()) - 1; i >= 0; --i) {
    run.compute(profile_.layers[static_cast<std::size_t>(i)].backwardUs, overlap);
    const int bucket = completes_[static_cast<std::size_t>(i)];
    if (overlap && bucket >= 0) {
      const BucketPlan& b = buckets_[static_cast<std::size_t>(bucket)];
      run.ready(b.offsetBytes, b.bytes);
      run.advance();  // DDP launches a bucket's all-reduce as soon as it is ready
    }
  }
  if (mode == OverlapMode::kNoOverlap) run.ready(0, totalBytes_);
  run.drain();
  return run.finish();
}

double BackwardPass::reduceBucketAloneUs(void* gradients, std::size_t bucket, const std::string& what) {
  CCB_CHECK_LT(bucket, buckets_.size());
  const BucketPlan& b = buckets_[bucket];
  const Clock::time_point t0 = Clock::now();
  Request request = comm_.start(bucketArgs(gradients, b.offsetBytes, b.bytes));
  wait(request, t0 + settings_.timeout, what);
  return Micro(Clock::now() - t0).count();
}

}  // namespace ccb
