#include "backends/nccl_allreduce.h"

#include <nccl.h>

#include "comm/watchdog.h"
#include "core/error.h"
#include "kernels/cuda_reducer.h"
#include "kernels/cuda_stream.h"

namespace ccb {
namespace {

void checkNccl(ncclResult_t code, std::string_view call) {
  if (code == ncclSuccess) return;
  throw BackendError(std::string(call) + ": " + ncclGetErrorString(code));
}

ncclDataType_t ncclType(DType dtype) {
  switch (dtype) {
    case DType::kFloat32:
      return ncclFloat32;
    case DType::kFloat64:
      return ncclFloat64;
    case DType::kFloat16:
      return ncclFloat16;
    case DType::kBFloat16:
      return ncclBfloat16;
    case DType::kInt32:
      return ncclInt32;
    case DType::kInt64:
      return ncclInt64;
  }
  CCB_CHECK(false);
}

// avg is a sum here; the division happens once, in finalize (ncclAvg would round differently for 16-bit types
// and divide integers its own way).
ncclRedOp_t ncclOp(ReduceOp op) {
  switch (op) {
    case ReduceOp::kSum:
    case ReduceOp::kAvg:
      return ncclSum;
    case ReduceOp::kProd:
      return ncclProd;
    case ReduceOp::kMin:
      return ncclMin;
    case ReduceOp::kMax:
      return ncclMax;
  }
  CCB_CHECK(false);
}

// Done when the stream has run the collective; fails fast when NCCL reports an asynchronous error (a peer
// lost, a network failure) instead of waiting for the deadline.
class NcclCompletion final : public PendingOp {
 public:
  NcclCompletion(ncclComm_t comm, const CudaEvent& done) : comm_(comm), done_(done) {}
  bool test() override {
    ncclResult_t async = ncclSuccess;
    checkNccl(ncclCommGetAsyncError(comm_, &async), "ncclCommGetAsyncError");
    if (async != ncclSuccess && async != ncclInProgress) checkNccl(async, "ncclAllReduce (asynchronous)");
    return done_.query();
  }

 private:
  ncclComm_t comm_;
  const CudaEvent& done_;
};

class NcclAllReduce final : public AllReduce {
 public:
  NcclAllReduce(MpiTransport& transport, Clock::duration timeout) : ranks_(transport.size()) {
    ncclUniqueId id{};
    if (transport.rank() == 0) checkNccl(ncclGetUniqueId(&id), "ncclGetUniqueId");
    const Clock::time_point deadline = Clock::now() + timeout;
    {
      WatchdogGuard guard(processWatchdog(), deadline, "nccl: broadcasting the unique id");
      checkMpi(MPI_Bcast(&id, sizeof id, MPI_BYTE, 0, transport.comm()), "MPI_Bcast");
    }
    WatchdogGuard guard(processWatchdog(), deadline, "nccl: ncclCommInitRank");
    checkNccl(ncclCommInitRank(&comm_, ranks_, id, transport.rank()), "ncclCommInitRank");
  }

  // A communicator whose collective did not finish cannot be destroyed cleanly (destroy would wait for it).
  ~NcclAllReduce() override {
    if (abandoned_) {
      ncclCommAbort(comm_);
    } else {
      ncclCommDestroy(comm_);
    }
  }

  std::string name() const override { return "nccl"; }

  void run(const AllReduceArgs& args, Clock::time_point deadline, const std::string& what) override {
    checkAllReduceArgs(args);
    if (args.count == 0) return;
    abandoned_ = true;  // until the collective is seen complete
    checkNccl(ncclAllReduce(args.input, args.output, args.count, ncclType(args.dtype), ncclOp(args.op), comm_,
                            reducer_.stream()),
              "ncclAllReduce");
    reducer_.enqueueFinalize(args.output, args.count, args.dtype, args.op, ranks_, reducer_.stream());
    done_.record(reducer_.stream());
    Request completion = std::make_unique<NcclCompletion>(comm_, done_);
    wait(completion, deadline, what);
    abandoned_ = false;
  }

 private:
  int ranks_;
  ncclComm_t comm_ = nullptr;
  CudaReducer reducer_;  // its stream carries the collective and the finalize
  CudaEvent done_;
  bool abandoned_ = false;
};

}  // namespace

std::unique_ptr<AllReduce> makeNcclAllReduce(MpiTransport& transport, Clock::duration timeout) {
  return std::make_unique<NcclAllReduce>(transport, timeout);
}

std::string ncclLibraryVersion() {
  int code = 0;
  checkNccl(ncclGetVersion(&code), "ncclGetVersion");
  // NCCL >= 2.9 encodes major * 10000 + minor * 100 + patch.
  return std::to_string(code / 10000) + "." + std::to_string(code / 100 % 100) + "." +
         std::to_string(code % 100);
}

}  // namespace ccb
