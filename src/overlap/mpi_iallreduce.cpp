// MPI_Iallreduce as a non-blocking bucket all-reduce; see async_allreduce.h.
#include <optional>

#include "comm/mpi_transport.h"
#include "core/error.h"
#include "overlap/async_allreduce.h"

namespace ccb {
namespace {

std::optional<MPI_Datatype> mpiType(DType dtype) {
  switch (dtype) {
    case DType::kFloat32: return MPI_FLOAT;
    case DType::kFloat64: return MPI_DOUBLE;
    case DType::kInt32: return MPI_INT32_T;
    case DType::kInt64: return MPI_INT64_T;
    default: return std::nullopt;
  }
}

MPI_Op mpiOp(ReduceOp op) {
  switch (op) {
    case ReduceOp::kSum:
    case ReduceOp::kAvg: return MPI_SUM;  // avg: divided once when the request completes
    case ReduceOp::kProd: return MPI_PROD;
    case ReduceOp::kMin: return MPI_MIN;
    case ReduceOp::kMax: return MPI_MAX;
  }
  CCB_CHECK(false);
}

// One MPI_Iallreduce. An incomplete collective request cannot be cancelled: destroying one early leaves it
// to MPI_Finalize (only on the way out of a failed run).
class IallreduceOp final : public PendingOp {
 public:
  IallreduceOp(const AllReduceArgs& args, MPI_Comm comm, Reducer& reducer, int ranks)
      : args_(args), reducer_(reducer), ranks_(ranks) {
    const auto type = mpiType(args.dtype);
    if (!type) throw UsageError("all-reduce 'mpi' (non-blocking) supports float32, float64, int32 and int64");
    const bool inPlace = args.input == args.output;
    checkMpi(MPI_Iallreduce_c(inPlace ? MPI_IN_PLACE : args.input, args.output, static_cast<MPI_Count>(args.count),
                              *type, mpiOp(args.op), comm, &request_),
             "MPI_Iallreduce");
  }

  bool test() override {
    if (done_) return true;
    int flag = 0;
    checkMpi(MPI_Test(&request_, &flag, MPI_STATUS_IGNORE), "MPI_Test");
    if (!flag) return false;
    reducer_.finalize(args_.output, args_.count, args_.dtype, args_.op, ranks_);
    done_ = true;
    return true;
  }

 private:
  AllReduceArgs args_;
  Reducer& reducer_;
  int ranks_;
  MPI_Request request_ = MPI_REQUEST_NULL;
  bool done_ = false;
};

class MpiIallreduce final : public AsyncAllReduce {
 public:
  MpiIallreduce(MpiTransport& transport, Reducer& reducer) : transport_(transport), reducer_(reducer) {}
  std::string name() const override { return "mpi"; }
  Request start(const AllReduceArgs& args) override {
    checkAllReduceArgs(args);
    return std::make_unique<IallreduceOp>(args, transport_.comm(), reducer_, transport_.size());
  }

 private:
  MpiTransport& transport_;
  Reducer& reducer_;
};

}  // namespace

std::unique_ptr<AsyncAllReduce> makeMpiIallreduce(Transport& transport, Reducer& reducer) {
  auto* mpi = dynamic_cast<MpiTransport*>(&transport);
  if (mpi == nullptr) throw UsageError("all-reduce 'mpi' needs the MPI transport, not '" + transport.name() + "'");
  return std::make_unique<MpiIallreduce>(*mpi, reducer);
}

}  // namespace ccb
