#include "ps/pattern.h"

#include <string>
#include <type_traits>

#include "core/error.h"

namespace ccb {
namespace {

// d_w[i] in {-1, 0, 1}: a splitmix64 finaliser of (worker, index), so neighbouring elements and workers
// differ.
std::int64_t direction(int worker, std::size_t index) {
  std::uint64_t z = (static_cast<std::uint64_t>(worker) + 1) * 0x9e3779b97f4a7c15ULL + index;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  z ^= z >> 31;
  return static_cast<std::int64_t>(z % 3) - 1;
}

std::int64_t initial(std::size_t index) { return static_cast<std::int64_t>(index % 7) - 3; }

// Calls fill(typed pointer) with the element type of `dtype`.
template <typename Fill>
void withType(void* buf, DType dtype, Fill fill) {
  switch (dtype) {
    case DType::kFloat32:
      return fill(static_cast<float*>(buf));
    case DType::kFloat64:
      return fill(static_cast<double*>(buf));
    case DType::kInt32:
      return fill(static_cast<std::int32_t*>(buf));
    case DType::kInt64:
      return fill(static_cast<std::int64_t*>(buf));
    default:
      checkPsDType(dtype);
  }
}

}  // namespace

void checkPsDType(DType dtype) {
  if (dtype == DType::kFloat32 || dtype == DType::kFloat64 || dtype == DType::kInt32 ||
      dtype == DType::kInt64) {
    return;
  }
  throw UsageError("--datatype " + std::string(dtypeName(dtype)) +
                   " is not supported by the parameter server (use float32, float64, int32 or int64)");
}

std::int64_t attemptCoefficient(std::int64_t attempt) { return 1 + attempt % 2; }

void fillInitialParams(void* buf, std::size_t count, DType dtype, std::size_t first) {
  withType(buf, dtype, [&](auto* out) {
    using T = std::remove_pointer_t<decltype(out)>;
    for (std::size_t j = 0; j < count; ++j) out[j] = static_cast<T>(initial(first + j));
  });
}

void fillDelta(void* buf, std::size_t count, DType dtype, int worker, std::int64_t scale, std::size_t first) {
  withType(buf, dtype, [&](auto* out) {
    using T = std::remove_pointer_t<decltype(out)>;
    for (std::size_t j = 0; j < count; ++j) out[j] = static_cast<T>(scale * direction(worker, first + j));
  });
}

void fillExpectedParams(void* buf, std::size_t count, DType dtype, std::size_t first,
                        const std::vector<std::int64_t>& coefficientSums) {
  withType(buf, dtype, [&](auto* out) {
    using T = std::remove_pointer_t<decltype(out)>;
    for (std::size_t j = 0; j < count; ++j) {
      std::int64_t value = initial(first + j);
      for (std::size_t w = 0; w < coefficientSums.size(); ++w) {
        value += coefficientSums[w] * direction(static_cast<int>(w), first + j);
      }
      out[j] = static_cast<T>(value);
    }
  });
}

}  // namespace ccb
