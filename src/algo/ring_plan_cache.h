// The ring all-reduce's execution plans of one rank, built once per (count, dtype) and kept: a sweep repeats
// each size many times and a backward pass repeats the same bucket sizes every iteration.
#pragma once

#include <cstddef>
#include <map>
#include <utility>

#include "algo/executor.h"
#include "core/dtype.h"

namespace ccb {

class RingPlanCache {
 public:
  // Plans for `rank` of `ranks`, cut into segments by `options` (segment size, receives in flight).
  RingPlanCache(int rank, int ranks, const AllReduceOptions& options);

  // The plan for an all-reduce of `count` elements of `dtype`; the reference stays valid for the cache's life.
  const ExecutionPlan& planFor(std::size_t count, DType dtype);

 private:
  int rank_;
  int ranks_;
  AllReduceOptions options_;
  std::map<std::pair<std::size_t, DType>, ExecutionPlan> plans_;
};

}  // namespace ccb
