#include "algo/ring_plan_cache.h"

#include "algo/ring_schedule.h"

namespace ccb {

RingPlanCache::RingPlanCache(int rank, int ranks, const AllReduceOptions& options)
    : rank_(rank), ranks_(ranks), options_(options) {}

const ExecutionPlan& RingPlanCache::planFor(std::size_t count, DType dtype) {
  const auto key = std::make_pair(count, dtype);
  auto it = plans_.find(key);
  if (it == plans_.end()) {
    const std::size_t elementBytes = dtypeSize(dtype);
    const Schedule schedule = ringAllReduceSchedule(rank_, ranks_, count, elementBytes);
    it = plans_.emplace(key, planExecution(schedule, elementBytes, options_)).first;
  }
  return it->second;
}

}  // namespace ccb
