#include "core/dtype.h"

#include <algorithm>
#include <cctype>
#include <string>

#include "core/error.h"

namespace ccb {
namespace {

struct DTypeInfo {
  DType dtype;
  std::size_t sizeBytes;
  std::string_view name;
  bool floating;
};

constexpr DTypeInfo kDTypeInfo[] = {
    {DType::kFloat32, 4, "float32", true}, {DType::kFloat64, 8, "float64", true},
    {DType::kFloat16, 2, "float16", true}, {DType::kBFloat16, 2, "bfloat16", true},
    {DType::kInt32, 4, "int32", false},    {DType::kInt64, 8, "int64", false},
};

// Other spellings accepted on the command line: nccl-tests' -d names (float, double, half, int, ...),
// NCCL's ncclDataType_t names without the prefix, and the usual short forms.
struct DTypeAlias {
  std::string_view alias;
  DType dtype;
};
constexpr DTypeAlias kDTypeAliases[] = {
    {"float", DType::kFloat32},  {"fp32", DType::kFloat32}, {"f32", DType::kFloat32},
    {"double", DType::kFloat64}, {"fp64", DType::kFloat64}, {"f64", DType::kFloat64},
    {"half", DType::kFloat16},   {"fp16", DType::kFloat16}, {"f16", DType::kFloat16},
    {"bf16", DType::kBFloat16},  {"int", DType::kInt32},    {"i32", DType::kInt32},
    {"i64", DType::kInt64},
};

constexpr std::string_view kOpNames[] = {"sum", "prod", "min", "max", "avg"};

struct OpAlias {
  std::string_view alias;
  ReduceOp op;
};
constexpr OpAlias kOpAliases[] = {
    {"product", ReduceOp::kProd},
    {"mean", ReduceOp::kAvg},
    {"average", ReduceOp::kAvg},
};

const DTypeInfo& info(DType dtype) {
  for (const DTypeInfo& entry : kDTypeInfo) {
    if (entry.dtype == dtype) return entry;
  }
  throw InvariantError("DType value out of range: " + std::to_string(static_cast<int>(dtype)));
}

// Names are matched without regard to case ("Float32", "BF16").
std::string lowered(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

}  // namespace

std::size_t dtypeSize(DType dtype) { return info(dtype).sizeBytes; }

std::string_view dtypeName(DType dtype) { return info(dtype).name; }

bool isFloating(DType dtype) { return info(dtype).floating; }

DType parseDType(std::string_view name) {
  const std::string key = lowered(name);
  for (const DTypeInfo& entry : kDTypeInfo) {
    if (entry.name == key) return entry.dtype;
  }
  for (const DTypeAlias& entry : kDTypeAliases) {
    if (entry.alias == key) return entry.dtype;
  }
  throw UsageError("unknown data type '" + std::string(name) +
                   "' (accepted: float32|float|fp32, float64|double|fp64, float16|half|fp16, bfloat16|bf16, "
                   "int32|int, int64)");
}

std::string_view opName(ReduceOp op) {
  const auto index = static_cast<std::size_t>(op);
  if (index >= std::size(kOpNames)) {
    throw InvariantError("ReduceOp value out of range: " + std::to_string(index));
  }
  return kOpNames[index];
}

ReduceOp parseOp(std::string_view name) {
  const std::string key = lowered(name);
  for (ReduceOp op : kAllOps) {
    if (opName(op) == key) return op;
  }
  for (const OpAlias& entry : kOpAliases) {
    if (entry.alias == key) return entry.op;
  }
  throw UsageError("unknown reduction op '" + std::string(name) + "' (accepted: sum, prod, min, max, avg)");
}

}  // namespace ccb
