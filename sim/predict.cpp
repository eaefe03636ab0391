#include "sim/predict.h"

#include "core/error.h"
#include "core/units.h"
#include "sim/replay.h"

namespace ccb::sim {

std::string_view modelKindName(ModelKind kind) { return kind == ModelKind::kReplay ? "replay" : "closed_form"; }

ModelKind parseModelKind(std::string_view name) {
  if (name == "closed_form" || name == "closed-form") return ModelKind::kClosedForm;
  if (name == "replay") return ModelKind::kReplay;
  throw UsageError("unknown model kind '" + std::string(name) + "' (accepted: closed_form, replay)");
}

std::vector<std::uint64_t> sweepSizes(std::uint64_t minBytes, std::uint64_t maxBytes, std::uint64_t stepFactor,
                                      std::uint64_t stepBytes, std::size_t elementBytes) {
  if (maxBytes == 0) throw UsageError("--maxbytes must be > 0");
  if (minBytes > maxBytes) {
    throw UsageError("--minbytes (" + std::to_string(minBytes) + ") is larger than --maxbytes (" +
                     std::to_string(maxBytes) + ")");
  }
  if (stepFactor <= 1 && stepBytes == 0) throw UsageError("need --stepfactor > 1 or --stepbytes > 0");
  std::vector<std::uint64_t> sizes;
  for (std::uint64_t bytes = std::max<std::uint64_t>(minBytes, 1); bytes <= maxBytes;) {
    const std::uint64_t whole = std::max<std::uint64_t>(bytes / elementBytes, 1) * elementBytes;
    if (sizes.empty() || sizes.back() != whole) sizes.push_back(whole);
    const std::uint64_t next = stepFactor > 1 ? bytes * stepFactor : bytes + stepBytes;
    if (next <= bytes) break;  // overflow
    bytes = next;
  }
  return sizes;
}

Record predictedRecord(std::string collective, std::string algo, int ranks, DType dtype, ReduceOp op,
                       std::uint64_t bytes, double timeUs) {
  Record r;
  r.collective = std::move(collective);
  r.algo = std::move(algo);
  r.ranks = ranks;
  r.dtype = dtype;
  r.op = op;
  r.bytes = bytes;
  r.count = bytes / dtypeSize(dtype);
  r.inPlace = false;
  r.iters = 0;
  r.time = TimeStatsUs{timeUs, timeUs, timeUs, timeUs, timeUs};
  r.algBw = algBwGBps(bytes, timeUs);
  r.busBw = r.collective == "allreduce" ? r.algBw * allReduceBusFactor(ranks) : r.algBw;
  r.nwrong = -1;
  return r;
}

Record predictAllReduceRecord(const ClusterDescription& cluster, const ClosedFormCluster& view, AllReduceAlgo algo,
                              std::uint64_t bytes, DType dtype, ReduceOp op, ModelKind kind) {
  const std::size_t elementBytes = dtypeSize(dtype);
  const AllReducePrediction closed = predictAllReduce(view, algo, bytes, elementBytes);
  const double timeUs = kind == ModelKind::kReplay ? replayAllReduce(cluster, algo, bytes, elementBytes).timeUs
                                                   : closed.timeUs();
  Record r = predictedRecord("allreduce", std::string(algoName(algo)), cluster.ranks, dtype, op, bytes, timeUs);
  r.extra["model"] = modelKindName(kind);
  r.extra["regime"] = closed.split.latencyBound() ? "latency" : "bandwidth";
  r.extra["terms_us"] = {{"latency", closed.split.latencyUs},
                         {"bandwidth", closed.split.bandwidthUs},
                         {"reduce", closed.split.reduceUs}};
  if (algo == AllReduceAlgo::kMpi) r.extra["runs"] = closed.runs;
  return r;
}

}  // namespace ccb::sim
