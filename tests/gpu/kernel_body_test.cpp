// The CUDA kernels' logic on the CPU (suite 'unit'): the head/packs/tail split, the launch geometry, and the
// kernel body run for every thread index of a grid in turn, compared bit for bit with CpuReducer for every
// dtype and op (NaNs compare equal whatever their payload, see same_values.h), at misaligned addresses, with
// odd counts and with fewer threads than work items.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "core/error.h"
#include "kernels/launch_geometry.h"
#include "kernels/reduce_body.h"
#include "reduce/cpu_reducer.h"
#include "same_values.h"

namespace ccb {
namespace {

TEST(SplitForPacks, AlignedFloatsAreAllPacksAndATail) {
  EXPECT_EQ(splitForPacks(0x1000, 0x2000, 0x3000, 10, 4), (VectorSplit{0, 2, 2}));
  EXPECT_EQ(splitForPacks(0x1000, 0x2000, 0x3000, 8, 4), (VectorSplit{0, 2, 0}));
}

TEST(SplitForPacks, CommonMisalignmentGivesAHeadUpToTheBoundary) {
  EXPECT_EQ(splitForPacks(0x1004, 0x2004, 0x3004, 10, 4), (VectorSplit{3, 1, 3}));
  EXPECT_EQ(splitForPacks(0x1008, 0x2008, 0x1008, 5, 8), (VectorSplit{1, 2, 0}));
  EXPECT_EQ(splitForPacks(0x1002, 0x2002, 0x3002, 20, 2), (VectorSplit{7, 1, 5}));
}

TEST(SplitForPacks, FewElementsStayInTheHead) {
  EXPECT_EQ(splitForPacks(0x1004, 0x2004, 0x3004, 2, 4), (VectorSplit{2, 0, 0}));
  EXPECT_EQ(splitForPacks(0x1000, 0x2000, 0x3000, 0, 4), (VectorSplit{0, 0, 0}));
}

TEST(SplitForPacks, DifferentMisalignmentsFallBackToScalars) {
  EXPECT_EQ(splitForPacks(0x1000, 0x2004, 0x3000, 100, 4), (VectorSplit{100, 0, 0}));
  EXPECT_EQ(splitForPacks(0x1000, 0x2000, 0x3008, 100, 4), (VectorSplit{100, 0, 0}));
}

TEST(SplitForPacks, WorkItemsIsTheWidestPart) {
  EXPECT_EQ(workItems(VectorSplit{3, 1, 3}), 3u);
  EXPECT_EQ(workItems(VectorSplit{0, 250, 2}), 250u);
  EXPECT_EQ(workItems(VectorSplit{100, 0, 0}), 100u);
}

TEST(LaunchGeometry, OneThreadPerItemUpToEightBlocksPerSm) {
  EXPECT_EQ(launchGeometry(0, 132).blocks, 0u);
  EXPECT_EQ(launchGeometry(1, 132), (LaunchGeometry{1, kThreadsPerBlock}));
  EXPECT_EQ(launchGeometry(kThreadsPerBlock, 132).blocks, 1u);
  EXPECT_EQ(launchGeometry(kThreadsPerBlock + 1, 132).blocks, 2u);
  EXPECT_EQ(launchGeometry(std::size_t{1} << 30, 132).blocks, 132u * kBlocksPerSm);
  EXPECT_THROW(launchGeometry(1, 0), InvariantError);
}

// Runs the kernel body as a grid of `threads` threads would, one thread after the other.
template <typename T, typename F>
void emulateGrid(void* out, const void* x, const void* y, std::size_t count, std::size_t threads, F f) {
  const auto addr = [](const void* p) { return reinterpret_cast<std::uintptr_t>(p); };
  const VectorSplit split = splitForPacks(addr(out), addr(x), addr(y), count, sizeof(T));
  for (std::size_t t = 0; t < threads; ++t) {
    mapElements(static_cast<T*>(out), static_cast<const T*>(x), static_cast<const T*>(y), split, t, threads,
                f);
  }
}

void emulateReduce(void* out, const void* x, const void* y, std::size_t count, DType dtype, ReduceOp op,
                   std::size_t threads) {
  dispatchDType(dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    dispatchOp(op, [&](auto functor) {
      emulateGrid<T>(out, x, y, count, threads, ReduceElements<decltype(functor)>{functor});
    });
  });
}

void emulateFinalize(void* out, std::size_t count, DType dtype, int ranks, std::size_t threads) {
  dispatchDType(dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    emulateGrid<T>(out, out, out, count, threads, DivideElements{ranks});
  });
}

// Random bit patterns: every float class (NaN, Inf, subnormals) and every integer edge shows up.
std::vector<std::byte> randomBytes(std::size_t n, std::mt19937& rng) {
  std::vector<std::byte> bytes(n);
  for (std::byte& b : bytes) b = static_cast<std::byte>(rng() & 0xffu);
  return bytes;
}

// Three 16-byte-aligned arenas with room for an offset of up to 15 bytes and `count` elements.
struct Arenas {
  static constexpr std::size_t kSlack = 16;
  explicit Arenas(std::size_t bytes)
      : x(bytes + 2 * kSlack), y(bytes + 2 * kSlack), out(bytes + 2 * kSlack) {}
  static std::byte* at(std::vector<std::uint64_t>& v, std::size_t offsetBytes) {
    return reinterpret_cast<std::byte*>(v.data()) + offsetBytes;
  }
  std::vector<std::uint64_t> x, y, out;
};

struct Placement {
  std::size_t outOffset, xOffset, yOffset;  // in elements
  bool outIsX;                              // in place: out = x
};

class KernelParity : public testing::TestWithParam<DType> {};

TEST_P(KernelParity, ReduceMatchesCpuReducer) {
  const DType dtype = GetParam();
  const std::size_t size = dtypeSize(dtype);
  std::mt19937 rng(1234);
  CpuReducer cpu;
  const Placement placements[] = {{0, 0, 0, false}, {1, 1, 1, false}, {3, 3, 3, true},
                                  {0, 1, 2, false}, {2, 0, 2, true},  {1, 1, 0, false}};
  for (ReduceOp op : kAllOps) {
    for (std::size_t count :
         {std::size_t{0}, std::size_t{1}, std::size_t{7}, std::size_t{33}, std::size_t{1001}}) {
      for (const Placement& p : placements) {
        for (std::size_t threads : {std::size_t{1}, std::size_t{5}, std::size_t{3 * kThreadsPerBlock}}) {
          const std::size_t bytes = count * size;
          Arenas arenas(bytes);
          const std::vector<std::byte> xs = randomBytes(bytes, rng), ys = randomBytes(bytes, rng);
          std::byte* x = Arenas::at(arenas.x, p.xOffset * size);
          std::byte* y = Arenas::at(arenas.y, p.yOffset * size);
          std::byte* out = p.outIsX ? x : Arenas::at(arenas.out, p.outOffset * size);
          if (bytes > 0) {
            std::memcpy(x, xs.data(), bytes);
            std::memcpy(y, ys.data(), bytes);
          }
          std::vector<std::byte> expectedX(xs), expected(bytes);
          cpu.reduce(expected.data(), expectedX.data(), ys.data(), count, dtype, op);
          emulateReduce(out, x, y, count, dtype, op, threads);
          ASSERT_EQ(firstMismatch(out, expected.data(), count, dtype), -1)
              << dtypeName(dtype) << " " << opName(op) << " count " << count << " offsets " << p.outOffset
              << "/" << p.xOffset << "/" << p.yOffset << (p.outIsX ? " in place" : "") << " threads "
              << threads;
        }
      }
    }
  }
}

TEST_P(KernelParity, FinalizeMatchesCpuReducer) {
  const DType dtype = GetParam();
  const std::size_t size = dtypeSize(dtype);
  std::mt19937 rng(99);
  CpuReducer cpu;
  for (int ranks : {1, 3, 7}) {
    for (std::size_t offset : {std::size_t{0}, std::size_t{1}}) {
      const std::size_t count = 517;
      Arenas arenas(count * size);
      std::vector<std::byte> values = randomBytes(count * size, rng);
      std::byte* out = Arenas::at(arenas.out, offset * size);
      std::memcpy(out, values.data(), values.size());
      cpu.finalize(values.data(), count, dtype, ReduceOp::kAvg, ranks);
      emulateFinalize(out, count, dtype, ranks, 64);
      EXPECT_EQ(firstMismatch(out, values.data(), count, dtype), -1)
          << dtypeName(dtype) << " ranks " << ranks << " offset " << offset;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(DTypes, KernelParity, testing::ValuesIn(kAllDTypes),
                         [](const testing::TestParamInfo<DType>& info) {
                           return std::string(dtypeName(info.param));
                         });

// Every element is written exactly once and nothing outside the range is touched, whatever the grid.
TEST(KernelBody, GridStrideCoversEveryElementOnceAndNothingElse) {
  constexpr std::size_t kCount = 1003;
  for (std::size_t offset : {std::size_t{0}, std::size_t{1}, std::size_t{3}}) {
    for (std::size_t threads :
         {std::size_t{1}, std::size_t{2}, std::size_t{7}, std::size_t{300}, std::size_t{5000}}) {
      std::vector<std::int32_t> x(kCount + 8), out(kCount + 8, -1);
      for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<std::int32_t>(i);
      const auto countWrites = [](std::int32_t value, std::int32_t previous) {
        return value + (previous + 1) + 1;
      };
      // out starts at -1, so f(x, out) = x + 1 on the first write and x + 1 + (x + 2) on a second one.
      emulateGrid<std::int32_t>(out.data() + offset, x.data() + offset, out.data() + offset, kCount, threads,
                                countWrites);
      for (std::size_t i = 0; i < out.size(); ++i) {
        const bool inside = i >= offset && i < offset + kCount;
        ASSERT_EQ(out[i], inside ? x[i] + 1 : -1)
            << "index " << i << " threads " << threads << " offset " << offset;
      }
    }
  }
}

}  // namespace
}  // namespace ccb
