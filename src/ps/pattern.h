// The accounting pattern that lets a parameter-server run prove nothing was lost (pure, no I/O).
//
// Parameters start at p0[i] = (i mod 7) - 3. Worker w's push number a (its attempt) is
//     delta[i] = quorum * c(a) * d_w[i],   c(a) = 1 + (a mod 2),   d_w[i] in {-1, 0, 1} from a hash of (w,
//     i),
// where quorum is the number of pushes a step averages (K sync, K - b backup, 1 async/ssp), so the average
// of a step is exact in every supported dtype and the learning rate is 1. Whatever the order and grouping
// the server applies pushes in, its final parameters must then equal
//     p0[i] + sum over workers w of C_w * d_w[i],   C_w = sum of c(a) over w's applied pushes,
// and a push lost, applied twice, or applied to the wrong bytes changes some element. Values stay small
// integers (|x| <= 3 + 2 * pushes), exact in float32 up to millions of pushes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/dtype.h"

namespace ccb {

// The dtypes the pattern supports: float32, float64, int32, int64. Throws UsageError naming them otherwise
// (half-precision sums of a long run would not stay exact).
void checkPsDType(DType dtype);

// c(a): 1 for even attempts, 2 for odd ones.
std::int64_t attemptCoefficient(std::int64_t attempt);

// buf[j] = p0[first + j] for j < count.
void fillInitialParams(void* buf, std::size_t count, DType dtype, std::size_t first);

// buf[j] = scale * d_worker[first + j].
void fillDelta(void* buf, std::size_t count, DType dtype, int worker, std::int64_t scale, std::size_t first);

// buf[j] = p0[first + j] + sum_w coefficientSums[w] * d_w[first + j] (w indexes workers).
void fillExpectedParams(void* buf, std::size_t count, DType dtype, std::size_t first,
                        const std::vector<std::int64_t>& coefficientSums);

}  // namespace ccb
