// The body of the CUDA reduction kernels as plain CCB_HD code: which elements a thread handles and how it
// loads them (16-byte packs where the pointers allow it, single elements elsewhere). The kernels in
// reduce_kernels.cu call it with their global thread index; the CPU tests call it for every thread index in
// turn, so the arithmetic, the head/packs/tail split and the grid-stride loops are checked against CpuReducer
// bit for bit without a GPU.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "core/host_device.h"
#include "reduce/op_functors.h"

namespace ccb {

// One wide load or store: 16 bytes, the widest access a CUDA thread issues in one instruction.
inline constexpr std::size_t kPackBytes = 16;

template <typename T>
struct alignas(kPackBytes) Pack {
  static constexpr std::size_t kLanes = kPackBytes / sizeof(T);
  T lane[kLanes];
};

// How `count` elements are walked: a scalar head up to the first 16-byte boundary, whole packs, and a
// scalar tail. Packs need every pointer at the same offset from a 16-byte boundary (only then do they
// reach one together); otherwise the head is the whole range and no packs are used.
struct VectorSplit {
  std::size_t headElems = 0;
  std::size_t packs = 0;
  std::size_t tailElems = 0;
  bool operator==(const VectorSplit&) const = default;
};

// The split for out[i] = f(x[i], y[i]) over `count` elements of `elementBytes` (1, 2, 4, 8 or 16) at these
// addresses. Host-side: the kernel receives the result by value.
inline VectorSplit splitForPacks(std::uintptr_t out, std::uintptr_t x, std::uintptr_t y, std::size_t count,
                                 std::size_t elementBytes) {
  const std::uintptr_t misalign = out % kPackBytes;
  if (x % kPackBytes != misalign || y % kPackBytes != misalign || misalign % elementBytes != 0) {
    return VectorSplit{count, 0, 0};
  }
  const std::size_t lanes = kPackBytes / elementBytes;
  const std::size_t toBoundary = ((kPackBytes - misalign) % kPackBytes) / elementBytes;
  VectorSplit split;
  split.headElems = toBoundary < count ? toBoundary : count;
  split.packs = (count - split.headElems) / lanes;
  split.tailElems = count - split.headElems - split.packs * lanes;
  return split;
}

// Work items of the widest part: the number of threads that still find something to do.
inline std::size_t workItems(const VectorSplit& split) {
  std::size_t most = split.headElems > split.packs ? split.headElems : split.packs;
  return most > split.tailElems ? most : split.tailElems;
}

// Pack loads and stores. On the device a plain 16-byte access (one LDG.128 / STG.128; the split guarantees
// the alignment); on the host memcpy, which is what the same access is in standard C++.
template <typename T>
CCB_HD inline Pack<T> loadPack(const T* p) {
#if defined(__CUDA_ARCH__)
  return *reinterpret_cast<const Pack<T>*>(p);
#else
  Pack<T> pack;
  std::memcpy(&pack, p, sizeof pack);
  return pack;
#endif
}

template <typename T>
CCB_HD inline void storePack(T* p, const Pack<T>& pack) {
#if defined(__CUDA_ARCH__)
  *reinterpret_cast<Pack<T>*>(p) = pack;
#else
  std::memcpy(p, &pack, sizeof pack);
#endif
}

// out[i] = f(x[i], y[i]) for the elements of `split` that belong to thread `thread` of `threads`: items
// thread, thread + threads, ... of each part (a grid-stride loop, so any count works with any grid). out may
// equal x and/or y: each element is read before it is written, by the same thread.
template <typename T, typename F>
CCB_HD void mapElements(T* out, const T* x, const T* y, const VectorSplit& split, std::size_t thread,
                        std::size_t threads, F f) {
  for (std::size_t i = thread; i < split.headElems; i += threads) out[i] = f(x[i], y[i]);

  constexpr std::size_t kLanes = Pack<T>::kLanes;
  const std::size_t packStart = split.headElems;
  for (std::size_t p = thread; p < split.packs; p += threads) {
    const std::size_t i = packStart + p * kLanes;
    const Pack<T> px = loadPack(x + i);
    const Pack<T> py = loadPack(y + i);
    Pack<T> result;
#if defined(__CUDA_ARCH__)
#pragma unroll
#endif
    for (std::size_t lane = 0; lane < kLanes; ++lane) result.lane[lane] = f(px.lane[lane], py.lane[lane]);
    storePack(out + i, result);
  }

  const std::size_t tailStart = packStart + split.packs * kLanes;
  for (std::size_t i = thread; i < split.tailElems; i += threads) {
    out[tailStart + i] = f(x[tailStart + i], y[tailStart + i]);
  }
}

// The element functions of the two kernels, on the shared functors of op_functors.h.
template <typename Op>
struct ReduceElements {
  Op op;
  template <typename T>
  CCB_HD T operator()(T a, T b) const {
    return applyOp(op, a, b);
  }
};

// finalize of kAvg: the second operand is ignored (the kernel passes the same buffer twice; the second
// load hits the cache line the first one fetched).
struct DivideElements {
  int ranks;
  template <typename T>
  CCB_HD T operator()(T sum, T) const {
    return divideByRanks(sum, ranks);
  }
};

}  // namespace ccb
