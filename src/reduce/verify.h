// Verifiable input patterns (after nccl-tests' verifiable/): every rank fills its input from (rank, element
// index) alone, and the reduced result is known exactly without running a reference reduction, in every
// dtype and whatever order the contributions are combined in.
//
// The values are small integers so that every partial result is exact:
//  - sum, avg, min, max: rank r's element i is a pseudo-random integer in [-A, A], A = 256 / ranks, from a
//    hash of (r, i). Any partial sum of any subset of ranks then has magnitude <= 256, which bfloat16 (8
//    significant bits, the narrowest dtype) still holds exactly; hence the limit kMaxVerifiableRanks = 64
//    (A >= 4). Values differ between neighbouring elements and ranks, so a chunk placed at the wrong offset
//    or taken from the wrong rank shows up as wrong elements.
//  - prod: +-1 (sign from the hash) except for one rank per element (rank i % ranks), which contributes
//    +-2: every partial product is +-1 or +-2, so the result is +-2 exactly.
//  - avg: the expected value is the exact sum passed through CpuReducer::finalize, i.e. divided once in the
//    compute type, as any correct reduction must end.
#pragma once

#include <cstddef>

#include "core/dtype.h"

namespace ccb {

// Most ranks for which the patterns are exact in every dtype (see above).
inline constexpr int kMaxVerifiableRanks = 64;

// Fills rank `rank`'s input of `count` elements. Throws UsageError unless 1 <= ranks <= kMaxVerifiableRanks
// and 0 <= rank < ranks.
void fillInput(void* buf, std::size_t count, DType dtype, ReduceOp op, int rank, int ranks);

// Fills the exact result of reducing the `ranks` inputs of fillInput with `op` (finalised for kAvg).
// Same errors as fillInput.
void fillExpected(void* buf, std::size_t count, DType dtype, ReduceOp op, int ranks);

// Number of elements whose values differ (compared as numbers: -0 == +0; a NaN anywhere is wrong).
std::size_t countWrong(const void* actual, const void* expected, std::size_t count, DType dtype);

// Fills a value no pattern result can take (NaN for the floats, the most negative integer otherwise), so a
// test can tell elements that were never written.
void fillPoison(void* buf, std::size_t count, DType dtype);

}  // namespace ccb
