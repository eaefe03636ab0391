// MPI_Allreduce baseline; see mpi_allreduce.h.
#include "algo/mpi_allreduce.h"

#include <array>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <optional>

#include "comm/mpi_transport.h"
#include "comm/watchdog.h"
#include "core/error.h"
#include "reduce/cpu_reducer.h"

namespace ccb {
namespace {

// The CPU reducer's arithmetic as an MPI user function: inout[i] = op(in[i], inout[i]). avg arrives here
// as sum (the division happens once, after the call). Exceptions must not cross MPI's C frames: a throw
// here is a bug (misaligned buffer), reported and fatal.
template <DType kType, ReduceOp kOp>
void reduceWithCpu(void* in, void* inout, MPI_Count* len, MPI_Datatype*) {
  static CpuReducer reducer;  // picks its instruction set once
  try {
    reducer.reduce(inout, in, inout, static_cast<std::size_t>(*len), kType, kOp);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ccbench: error: MPI user op: %s\n", e.what());
    std::abort();
  }
}

// The ops MPI does not know for float16/bfloat16: index = dtype slot * 4 + op slot.
constexpr std::array<ReduceOp, 4> kUserOps = {ReduceOp::kSum, ReduceOp::kProd, ReduceOp::kMin, ReduceOp::kMax};

template <DType kType>
constexpr std::array<MPI_User_function_c*, 4> userFunctions() {
  return {&reduceWithCpu<kType, ReduceOp::kSum>, &reduceWithCpu<kType, ReduceOp::kProd>,
          &reduceWithCpu<kType, ReduceOp::kMin>, &reduceWithCpu<kType, ReduceOp::kMax>};
}

// avg is reduced as a sum, then finalized.
ReduceOp reducingOp(ReduceOp op) { return op == ReduceOp::kAvg ? ReduceOp::kSum : op; }

std::size_t opSlot(ReduceOp op) {
  for (std::size_t i = 0; i < kUserOps.size(); ++i) {
    if (kUserOps[i] == op) return i;
  }
  CCB_CHECK(false);
}

std::optional<MPI_Datatype> nativeType(DType dtype) {
  switch (dtype) {
    case DType::kFloat32: return MPI_FLOAT;
    case DType::kFloat64: return MPI_DOUBLE;
    case DType::kInt32: return MPI_INT32_T;
    case DType::kInt64: return MPI_INT64_T;
    default: return std::nullopt;
  }
}

MPI_Op nativeOp(ReduceOp op) {
  switch (reducingOp(op)) {
    case ReduceOp::kSum: return MPI_SUM;
    case ReduceOp::kProd: return MPI_PROD;
    case ReduceOp::kMin: return MPI_MIN;
    case ReduceOp::kMax: return MPI_MAX;
    default: CCB_CHECK(false);
  }
}

class MpiAllReduce final : public AllReduce {
 public:
  MpiAllReduce(MpiTransport& transport, Reducer& reducer) : transport_(transport), reducer_(reducer) {
    userOps_.fill(MPI_OP_NULL);
  }

  // Frees what we created, unless MPI is already finalized (then it is gone anyway).
  ~MpiAllReduce() override {
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (finalized) return;
    for (MPI_Op& op : userOps_) {
      if (op != MPI_OP_NULL) MPI_Op_free(&op);
    }
    if (halfType_ != MPI_DATATYPE_NULL) MPI_Type_free(&halfType_);
  }

  std::string name() const override { return "mpi"; }

  void run(const AllReduceArgs& args, Clock::time_point deadline, const std::string& what) override {
    checkAllReduceArgs(args);
    const bool inPlace = args.input == args.output;
    MPI_Datatype type = MPI_DATATYPE_NULL;
    MPI_Op op = MPI_OP_NULL;
    if (auto native = nativeType(args.dtype)) {
      type = *native;
      op = nativeOp(args.op);
    } else {
      type = halfType();
      op = userOp(args.dtype, reducingOp(args.op));
    }
    {
      // MPI_Allreduce cannot poll a deadline: the watchdog ends the process if a peer never arrives.
      WatchdogGuard guard(processWatchdog(), deadline, what);
      checkMpi(MPI_Allreduce_c(inPlace ? MPI_IN_PLACE : args.input, args.output, static_cast<MPI_Count>(args.count),
                               type, op, transport_.comm()),
               "MPI_Allreduce");
    }
    reducer_.finalize(args.output, args.count, args.dtype, args.op, transport_.size());
  }

 private:
  // float16 and bfloat16 both travel as 2 opaque bytes; the op knows which they are.
  MPI_Datatype halfType() {
    if (halfType_ == MPI_DATATYPE_NULL) {
      checkMpi(MPI_Type_contiguous(2, MPI_BYTE, &halfType_), "MPI_Type_contiguous");
      checkMpi(MPI_Type_commit(&halfType_), "MPI_Type_commit");
    }
    return halfType_;
  }

  MPI_Op userOp(DType dtype, ReduceOp op) {
    CCB_CHECK(dtype == DType::kFloat16 || dtype == DType::kBFloat16);
    static constexpr auto kHalf = userFunctions<DType::kFloat16>();
    static constexpr auto kBHalf = userFunctions<DType::kBFloat16>();
    const bool isHalf = dtype == DType::kFloat16;
    const std::size_t slot = (isHalf ? 0 : kUserOps.size()) + opSlot(op);
    if (userOps_[slot] == MPI_OP_NULL) {
      MPI_User_function_c* fn = (isHalf ? kHalf : kBHalf)[opSlot(op)];
      checkMpi(MPI_Op_create_c(fn, /*commute=*/1, &userOps_[slot]), "MPI_Op_create_c");
    }
    return userOps_[slot];
  }

  MpiTransport& transport_;
  Reducer& reducer_;
  MPI_Datatype halfType_ = MPI_DATATYPE_NULL;
  std::array<MPI_Op, 2 * kUserOps.size()> userOps_{};  // created on first use
};

}  // namespace

std::unique_ptr<AllReduce> makeMpiAllReduce(Transport& transport, Reducer& reducer) {
  auto* mpi = dynamic_cast<MpiTransport*>(&transport);
  if (mpi == nullptr) {
    throw UsageError("all-reduce 'mpi' needs the MPI transport, not '" + transport.name() + "'");
  }
  return std::make_unique<MpiAllReduce>(*mpi, reducer);
}

}  // namespace ccb
