// The ring all-reduce as a non-blocking bucket all-reduce, and the registry.
#include "overlap/async_allreduce.h"

#include "algo/executor.h"
#include "algo/ring_plan_cache.h"
#include "core/error.h"

namespace ccb {
namespace {

class RingAsyncAllReduce final : public AsyncAllReduce {
 public:
  RingAsyncAllReduce(Transport& transport, Reducer& reducer, const AllReduceOptions& options)
      : executor_(transport, reducer, options), plans_(transport.rank(), transport.size(), options) {}

  std::string name() const override { return "ring"; }

  Request start(const AllReduceArgs& args) override {
    checkAllReduceArgs(args);
    return executor_.start(plans_.planFor(args.count, args.dtype), args);
  }

 private:
  ScheduleExecutor executor_;
  RingPlanCache plans_;
};

}  // namespace

std::unique_ptr<AsyncAllReduce> makeAsyncAllReduce(std::string_view name, Transport& transport, Reducer& reducer,
                                                   const AllReduceOptions& options) {
  if (name == "ring") return std::make_unique<RingAsyncAllReduce>(transport, reducer, options);
  if (name == "mpi") return makeMpiIallreduce(transport, reducer);
  throw UsageError("unknown all-reduce algorithm '" + std::string(name) + "' (valid: ring, mpi)");
}

}  // namespace ccb
