// Element types and reduction operators, with the names used on the command line and in JSON.
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

namespace ccb {

enum class DType { kFloat32, kFloat64, kFloat16, kBFloat16, kInt32, kInt64 };
enum class ReduceOp { kSum, kProd, kMin, kMax, kAvg };

inline constexpr std::array<DType, 6> kAllDTypes = {DType::kFloat32, DType::kFloat64, DType::kFloat16,
                                                    DType::kBFloat16, DType::kInt32,   DType::kInt64};
inline constexpr std::array<ReduceOp, 5> kAllOps = {ReduceOp::kSum, ReduceOp::kProd, ReduceOp::kMin,
                                                    ReduceOp::kMax, ReduceOp::kAvg};

// Bytes per element.
std::size_t dtypeSize(DType dtype);
// Canonical names: "float32", "float64", "float16", "bfloat16", "int32", "int64".
std::string_view dtypeName(DType dtype);
// Accepts the canonical names and nccl-tests' aliases (float, double, half, bf16, int, ...);
// throws UsageError naming the accepted values otherwise.
DType parseDType(std::string_view name);
bool isFloating(DType dtype);

// Canonical names: "sum", "prod", "min", "max", "avg".
std::string_view opName(ReduceOp op);
// Throws UsageError naming the accepted values for an unknown name.
ReduceOp parseOp(std::string_view name);

}  // namespace ccb
