// Predicted records: the same keys as measured ones (schema.md), so compare and plot treat both alike.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "core/result_json.h"
#include "sim/closed_form.h"

namespace ccb::sim {

enum class ModelKind { kClosedForm, kReplay };
std::string_view modelKindName(ModelKind kind);  // "closed_form", "replay"
ModelKind parseModelKind(std::string_view name);  // throws UsageError

// Sizes of a sweep as ccbench and nccl-tests walk them: from minBytes to maxBytes, multiplying by
// stepFactor when it is > 1, else adding stepBytes; each rounded down to whole elements, at least one.
// Throws UsageError for min > max, max = 0, or neither a factor > 1 nor a step > 0.
std::vector<std::uint64_t> sweepSizes(std::uint64_t minBytes, std::uint64_t maxBytes, std::uint64_t stepFactor,
                                      std::uint64_t stepBytes, std::size_t elementBytes);

// A record in predicted form: all five time statistics equal to `timeUs`, bandwidths from it, nwrong = -1,
// iters = 0 (nothing was run).
Record predictedRecord(std::string collective, std::string algo, int ranks, DType dtype, ReduceOp op,
                       std::uint64_t bytes, double timeUs);

// One all-reduce point. Adds extra keys: "model" (closed_form|replay), "regime" (latency|bandwidth, from the
// closed form's alpha terms vs the rest), "terms_us" (the closed form's split) and for "mpi" "runs" (what
// MPICH selects). `view` must be closedFormView(cluster). Replay of a model without a schedule throws
// UsageError (see schedulesFor).
Record predictAllReduceRecord(const ClusterDescription& cluster, const ClosedFormCluster& view, AllReduceAlgo algo,
                              std::uint64_t bytes, DType dtype, ReduceOp op, ModelKind kind);

}  // namespace ccb::sim
