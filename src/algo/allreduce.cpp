// The all-reduce registry and the ring all-reduce (schedule + executor).
#include "algo/allreduce.h"

#include <cstdint>
#include <string>

#include "algo/executor.h"
#include "algo/mpi_allreduce.h"
#include "algo/ring_plan_cache.h"
#include "core/error.h"

namespace ccb {
namespace {

// Ring all-reduce: the ring schedule of this rank, cut into segments once per (count, dtype), run by an
// executor that keeps its staging buffers.
class RingAllReduce final : public AllReduce {
 public:
  RingAllReduce(Transport& transport, Reducer& reducer, const AllReduceOptions& options)
      : executor_(transport, reducer, options), plans_(transport.rank(), transport.size(), options) {}

  std::string name() const override { return "ring"; }

  void run(const AllReduceArgs& args, Clock::time_point deadline, const std::string& what) override {
    checkAllReduceArgs(args);
    executor_.run(plans_.planFor(args.count, args.dtype), args, deadline, what);
  }

 private:
  ScheduleExecutor executor_;
  RingPlanCache plans_;
};

}  // namespace

void checkAllReduceArgs(const AllReduceArgs& args) {
  if (args.count == 0) return;
  if (args.input == nullptr || args.output == nullptr) {
    throw UsageError("all-reduce of " + std::to_string(args.count) + " elements needs input and output buffers");
  }
  const auto in = reinterpret_cast<std::uintptr_t>(args.input);
  const auto out = reinterpret_cast<std::uintptr_t>(args.output);
  const std::size_t bytes = args.count * dtypeSize(args.dtype);
  if (in != out && in < out + bytes && out < in + bytes) {
    throw UsageError("all-reduce input and output overlap partially (they must be equal or disjoint)");
  }
}

std::vector<std::string> allReduceNames() { return {"ring", "mpi"}; }

std::unique_ptr<AllReduce> makeAllReduce(std::string_view name, Transport& transport, Reducer& reducer,
                                         const AllReduceOptions& options) {
  if (name == "ring") return std::make_unique<RingAllReduce>(transport, reducer, options);
  if (name == "mpi") return makeMpiAllReduce(transport, reducer);
  std::string valid;
  for (const std::string& n : allReduceNames()) valid += (valid.empty() ? "" : ", ") + n;
  throw UsageError("unknown all-reduce algorithm '" + std::string(name) + "' (valid: " + valid + ")");
}

}  // namespace ccb
