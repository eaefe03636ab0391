#include "bench/cross_rank.h"

namespace ccb {

CrossRank::CrossRank(Transport& transport, Reducer& reducer, Clock::duration timeout)
    : allReduce_(makeAllReduce("mpi", transport, reducer, AllReduceOptions{})),
      timeout_(timeout),
      rank_(transport.rank()),
      ranks_(transport.size()) {}

void CrossRank::maxInPlace(std::vector<double>& values, const std::string& what) {
  const AllReduceArgs args{values.data(), values.data(), values.size(), DType::kFloat64, ReduceOp::kMax};
  allReduce_->run(args, Clock::now() + timeout_, what);
}

std::int64_t CrossRank::reduceOne(std::int64_t value, ReduceOp op, const std::string& what) {
  const AllReduceArgs args{&value, &value, 1, DType::kInt64, op};
  allReduce_->run(args, Clock::now() + timeout_, what);
  return value;
}

std::int64_t CrossRank::sum(std::int64_t value, const std::string& what) {
  return reduceOne(value, ReduceOp::kSum, what);
}

std::int64_t CrossRank::max(std::int64_t value, const std::string& what) {
  return reduceOne(value, ReduceOp::kMax, what);
}

std::int64_t CrossRank::min(std::int64_t value, const std::string& what) {
  return reduceOne(value, ReduceOp::kMin, what);
}

}  // namespace ccb
