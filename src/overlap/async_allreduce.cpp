// The ring all-reduce as a non-blocking bucket all-reduce, and the registry.
#include "overlap/async_allreduce.h"

#include <map>
#include <utility>

#include "algo/executor.h"
#include "algo/ring_schedule.h"
#include "core/error.h"

namespace ccb {
namespace {

class RingAsyncAllReduce final : public AsyncAllReduce {
 public:
  RingAsyncAllReduce(Transport& transport, Reducer& reducer, const AllReduceOptions& options)
      : transport_(transport), executor_(transport, reducer, options) {}

  std::string name() const override { return "ring"; }

  Request start(const AllReduceArgs& args) override {
    checkAllReduceArgs(args);
    return executor_.start(planFor(args.count, args.dtype), args);
  }

 private:
  // Plans are kept per (count, dtype): a backward pass repeats the same bucket sizes every iteration.
  const ExecutionPlan& planFor(std::size_t count, DType dtype) {
    const auto key = std::make_pair(count, dtype);
    auto it = plans_.find(key);
    if (it == plans_.end()) {
      const std::size_t elementBytes = dtypeSize(dtype);
      const Schedule schedule = ringAllReduceSchedule(transport_.rank(), transport_.size(), count, elementBytes);
      it = plans_.emplace(key, planExecution(schedule, elementBytes, executor_.options())).first;
    }
    return it->second;
  }

  Transport& transport_;
  ScheduleExecutor executor_;
  std::map<std::pair<std::size_t, DType>, ExecutionPlan> plans_;
};

}  // namespace

std::unique_ptr<AsyncAllReduce> makeAsyncAllReduce(std::string_view name, Transport& transport, Reducer& reducer,
                                                   const AllReduceOptions& options) {
  if (name == "ring") return std::make_unique<RingAsyncAllReduce>(transport, reducer, options);
  if (name == "mpi") return makeMpiIallreduce(transport, reducer);
  throw UsageError("unknown all-reduce algorithm '" + std::string(name) + "' (valid: ring, mpi)");
}

}  // namespace ccb
