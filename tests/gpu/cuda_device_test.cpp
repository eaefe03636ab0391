// The CUDA backend on a real GPU (suite 'gpu', only built with CUDA; gpu_main.cpp skips without a device):
// the CUDA reducer against CpuReducer for every dtype and op at misaligned addresses and a count large enough
// for the grid-stride loop, device buffers, event timing, and the staged ring with real device staging.
#include <gtest/gtest.h>

#include <cstring>
#include <mutex>
#include <random>
#include <vector>

#include "backends/backends.h"
#include "backends/cuda_staging_device.h"
#include "comm/loopback_transport.h"
#include "core/error.h"
#include "kernels/cuda_check.h"
#include "kernels/cuda_reducer.h"
#include "kernels/cuda_stream.h"
#include "kernels/device_memory.h"
#include "reduce/cpu_reducer.h"
#include "ring_cases.h"
#include "same_values.h"

namespace ccb {
namespace {

std::vector<std::byte> randomBytes(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::vector<std::byte> bytes(n);
  for (std::byte& b : bytes) b = static_cast<std::byte>(rng() & 0xffu);
  return bytes;
}

void toDevice(std::byte* device, const std::vector<std::byte>& host) {
  checkCuda(cudaMemcpy(device, host.data(), host.size(), cudaMemcpyHostToDevice), "cudaMemcpy");
}

std::vector<std::byte> fromDevice(const std::byte* device, std::size_t bytes) {
  std::vector<std::byte> host(bytes);
  checkCuda(cudaMemcpy(host.data(), device, bytes, cudaMemcpyDeviceToHost), "cudaMemcpy");
  return host;
}

class CudaReducerParity : public testing::TestWithParam<DType> {};

// The CPU result bit for bit (NaNs aside), for random bit patterns (NaN, Inf, subnormals included), at
// element offsets that give the vector path, the scalar fallback and in-place runs; 3M + 5 elements exceed
// one grid pass.
TEST_P(CudaReducerParity, ReduceAndFinalizeMatchTheCpu) {
  const DType dtype = GetParam();
  const std::size_t size = dtypeSize(dtype);
  CudaReducer gpu;
  CpuReducer cpu;
  for (std::size_t count : {std::size_t{1}, std::size_t{37}, std::size_t{3'000'005}}) {
    const std::size_t bytes = count * size;
    DeviceBuffer x(bytes + 64), y(bytes + 64), out(bytes + 64);
    const std::vector<std::byte> xs = randomBytes(bytes, 1), ys = randomBytes(bytes, 2);
    for (ReduceOp op : kAllOps) {
      for (std::size_t offset : {std::size_t{0}, std::size_t{1}}) {
        for (bool inPlace : {false, true}) {
          std::byte* dx = x.data() + offset * size;
          std::byte* dy = y.data() + (inPlace ? 0 : offset) * size;  // in place: also different offsets
          std::byte* dout = inPlace ? dx : out.data() + offset * size;
          toDevice(dx, xs);
          toDevice(dy, ys);
          std::vector<std::byte> expected(bytes), xcopy(xs);
          cpu.reduce(expected.data(), xcopy.data(), ys.data(), count, dtype, op);
          gpu.reduce(dout, dx, dy, count, dtype, op);
          ASSERT_EQ(firstMismatch(fromDevice(dout, bytes).data(), expected.data(), count, dtype), -1)
              << dtypeName(dtype) << " " << opName(op) << " count " << count << " offset " << offset
              << (inPlace ? " in place" : "");
          if (op == ReduceOp::kAvg) {
            cpu.finalize(expected.data(), count, dtype, op, 3);
            gpu.finalize(dout, count, dtype, op, 3);
            ASSERT_EQ(firstMismatch(fromDevice(dout, bytes).data(), expected.data(), count, dtype), -1)
                << dtypeName(dtype) << " finalize count " << count;
          }
        }
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(DTypes, CudaReducerParity, testing::ValuesIn(kAllDTypes),
                         [](const testing::TestParamInfo<DType>& info) {
                           return std::string(dtypeName(info.param));
                         });

TEST(CudaReducer, RejectsMisalignedAndPartiallyOverlappingOperands) {
  CudaReducer gpu;
  DeviceBuffer buffer(1024);
  EXPECT_THROW(
      gpu.reduce(buffer.data() + 2, buffer.data() + 2, buffer.data() + 2, 4, DType::kFloat32, ReduceOp::kSum),
      InvariantError);
  EXPECT_THROW(
      gpu.reduce(buffer.data(), buffer.data() + 8, buffer.data() + 512, 16, DType::kFloat32, ReduceOp::kSum),
      InvariantError);
  const std::vector<std::byte> bytes = randomBytes(256, 3);
  toDevice(buffer.data(), bytes);
  gpu.copy(buffer.data() + 512, buffer.data(), 256);
  EXPECT_EQ(fromDevice(buffer.data() + 512, 256), bytes);
}

TEST(DeviceBuffers, TooLargeIsAUsageErrorNamingTheDevice) {
  const DeviceInfo info = currentDeviceInfo();
  try {
    DeviceBuffer huge(info.totalBytes * 2);
    FAIL() << "allocated twice the device memory";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("does not fit on GPU"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(info.name), std::string::npos) << e.what();
  }
  EXPECT_THROW(allocateBuffer(MemKind::kDevice, info.totalBytes * 2), UsageError);
  EXPECT_EQ(memoryDeviceName(MemKind::kDevice), info.name);
}

TEST(EventTimer, TimesDeviceWork) {
  CudaStream stream;
  DeviceBuffer a(64 << 20), b(64 << 20);
  EventTimer timer;
  timer.start(stream.get());
  checkCuda(cudaMemcpyAsync(b.data(), a.data(), a.bytes(), cudaMemcpyDeviceToDevice, stream.get()), "copy");
  timer.stop(stream.get());
  const double us = timer.elapsedUs();
  EXPECT_GT(us, 0.0);
  EXPECT_LT(us, 1e6);
}

// The staged ring with CUDA staging, ranks as threads sharing this GPU: every case of ring_cases.h.
class StagedRingOnGpu : public testing::TestWithParam<int> {};

TEST_P(StagedRingOnGpu, EveryDTypeOpCountAndPlacement) {
  const int ranks = GetParam();
  int device = 0;
  checkCuda(cudaGetDevice(&device), "cudaGetDevice");
  const std::vector<RingCase> cases = ringCases(ranks);
  std::mutex mutex;
  std::vector<std::string> failures;
  runLoopback(ranks, [&](Transport& transport) {
    checkCuda(cudaSetDevice(device), "cudaSetDevice");  // the current device is per thread
    CudaStagingDevice staging;
    StagedRingAllReduce plain(transport, staging, AllReduceOptions{});
    StagedRingAllReduce small(transport, staging, smallSegmentOptions());
    std::vector<std::string> mine = runRingCases(transport, plain, small, MemKind::kDevice, cases);
    std::lock_guard lock(mutex);
    failures.insert(failures.end(), mine.begin(), mine.end());
  });
  EXPECT_TRUE(failures.empty()) << failures.size() << " failures, first: " << failures.front();
}

INSTANTIATE_TEST_SUITE_P(Ranks, StagedRingOnGpu, testing::Values(1, 2, 3, 4));

}  // namespace
}  // namespace ccb
