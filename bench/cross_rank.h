// The few reductions the harness itself needs across ranks (per-iteration maxima, wrong-element sums,
// "did any rank fail"), done with MPI's own all-reduce through the AllReduce interface so that each one
// has a deadline like every other collective of the run.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "algo/allreduce.h"

namespace ccb {

class CrossRank {
 public:
  // `transport` must be an MPI transport (the "mpi" algorithm needs one); each call must finish within
  // `timeout` or throws TimeoutError naming the call. All ranks must make the same calls in the same order.
  CrossRank(Transport& transport, Reducer& reducer, Clock::duration timeout);

  int rank() const { return rank_; }
  int ranks() const { return ranks_; }

  // values[i] = max over ranks of values[i]; every rank passes the same size.
  void maxInPlace(std::vector<double>& values, const std::string& what);
  std::int64_t sum(std::int64_t value, const std::string& what);
  std::int64_t max(std::int64_t value, const std::string& what);
  std::int64_t min(std::int64_t value, const std::string& what);

 private:
  std::int64_t reduceOne(std::int64_t value, ReduceOp op, const std::string& what);

  std::unique_ptr<AllReduce> allReduce_;
  Clock::duration timeout_;
  int rank_ = 0;
  int ranks_ = 0;
};

}  // namespace ccb
