// The backends facade where no GPU answers (suite 'unit'): the queries, and the one-line UsageErrors for
// device memory, NCCL and algorithms on the wrong memory. Tests that need "no GPU" skip on a machine with
// one.
#include "backends/backends.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "backends/device_binding.h"
#include "comm/loopback_transport.h"
#include "core/error.h"
#include "reduce/cpu_reducer.h"

namespace ccb {
namespace {

using namespace std::chrono_literals;

// The message of the UsageError `body` throws, or "" when it throws none.
template <typename F>
std::string usageMessage(F body) {
  try {
    body();
  } catch (const UsageError& e) {
    return e.what();
  }
  return "";
}

bool startsWith(const std::string& text, const std::string& prefix) { return text.rfind(prefix, 0) == 0; }

TEST(Backends, MemKindNames) {
  EXPECT_EQ(parseMemKind("host"), MemKind::kHost);
  EXPECT_EQ(parseMemKind("device"), MemKind::kDevice);
  EXPECT_EQ(memKindName(MemKind::kDevice), "device");
  EXPECT_EQ(usageMessage([] { parseMemKind("gpu"); }),
            "--mem: unknown memory 'gpu' (expected host or device)");
}

TEST(Backends, QueriesAreConsistent) {
  if (!cudaCompiledIn()) {
    EXPECT_EQ(cudaDeviceCount(), 0);
    EXPECT_FALSE(ncclCompiledIn());
    EXPECT_EQ(cudaVersionText(), "not compiled in");
  } else {
    EXPECT_TRUE(startsWith(cudaVersionText(), "runtime ")) << cudaVersionText();
  }
  EXPECT_EQ(ncclVersionText().empty(), !ncclCompiledIn());
  EXPECT_GE(cudaDeviceCount(), 0);
  const auto names = allReduceNamesWithBackends();
  EXPECT_NE(std::find(names.begin(), names.end(), "nccl"), names.end());
  EXPECT_NE(std::find(names.begin(), names.end(), "ring"), names.end());
}

TEST(Backends, HostMemoryWorksEverywhere) {
  auto buffer = allocateBuffer(MemKind::kHost, 64);
  ASSERT_NE(buffer->data(), nullptr);
  EXPECT_EQ(buffer->bytes(), 64u);
  EXPECT_EQ(buffer->kind(), MemKind::kHost);
  const char text[] = "staged";
  char back[sizeof text] = {};
  copyToMemory(MemKind::kHost, buffer->data(), text, sizeof text);
  copyFromMemory(MemKind::kHost, back, buffer->data(), sizeof text);
  EXPECT_STREQ(back, text);
  EXPECT_NE(dynamic_cast<CpuReducer*>(makeReducer(MemKind::kHost).get()), nullptr);
  EXPECT_EQ(memoryDeviceName(MemKind::kHost), "cpu");
}

TEST(Backends, DeviceMemoryWithoutAGpuIsOneClearLine) {
  if (cudaDeviceCount() > 0) GTEST_SKIP() << "a GPU answers here";
  const std::string reason =
      cudaCompiledIn() ? "--mem device: no CUDA device answers (" : "--mem device: this build has no CUDA";
  for (const std::string& message :
       {usageMessage([] { requireDevice(); }), usageMessage([] { allocateBuffer(MemKind::kDevice, 1024); }),
        usageMessage([] { makeReducer(MemKind::kDevice); }),
        usageMessage([] { memoryDeviceName(MemKind::kDevice); })}) {
    EXPECT_TRUE(startsWith(message, reason)) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  }
  LoopbackFabric fabric(1);
  LoopbackTransport transport(fabric, 0);
  CpuReducer reducer;
  const std::string ring = usageMessage(
      [&] { makeAllReduceOn(MemKind::kDevice, "ring", transport, reducer, AllReduceOptions{}, 1s); });
  EXPECT_TRUE(startsWith(ring, reason)) << ring;
}

TEST(Backends, AlgorithmsOnTheWrongMemoryAreRefused) {
  LoopbackFabric fabric(1);
  LoopbackTransport transport(fabric, 0);
  CpuReducer reducer;
  const AllReduceOptions options;
  EXPECT_EQ(usageMessage([&] { makeAllReduceOn(MemKind::kHost, "nccl", transport, reducer, options, 1s); }),
            "--algo nccl needs --mem device (NCCL reduces GPU buffers)");
  EXPECT_TRUE(startsWith(
      usageMessage([&] { makeAllReduceOn(MemKind::kDevice, "mpi", transport, reducer, options, 1s); }),
      "--algo mpi needs --mem host"));
  EXPECT_TRUE(startsWith(
      usageMessage([&] { makeAllReduceOn(MemKind::kDevice, "tree", transport, reducer, options, 1s); }),
      "unknown all-reduce algorithm 'tree'"));
  const std::string nccl =
      usageMessage([&] { makeAllReduceOn(MemKind::kDevice, "nccl", transport, reducer, options, 1s); });
  EXPECT_EQ(nccl, ncclCompiledIn()
                      ? "--algo nccl needs the MPI transport, not 'loopback'"
                      : "--algo nccl: this build has no NCCL (configured without CUDA, libnccl or nccl.h, "
                        "or with -Dnccl=disabled)");
  EXPECT_NE(makeAllReduceOn(MemKind::kHost, "ring", transport, reducer, options, 1s), nullptr);
}

TEST(DeviceBinding, RanksShareGpusRoundRobinUnlessExclusive) {
  EXPECT_EQ(deviceForRank(HostPlacement{0, 4}, 2), 0);
  EXPECT_EQ(deviceForRank(HostPlacement{3, 4}, 2), 1);
  EXPECT_EQ(deviceForRank(HostPlacement{5, 8}, 8), 5);
  EXPECT_THROW(deviceForRank(HostPlacement{0, 1}, 0), InvariantError);
  EXPECT_EQ(placementProblem(HostPlacement{1, 4}, 2, /*exclusive=*/false), "");
  EXPECT_EQ(placementProblem(HostPlacement{1, 2}, 2, /*exclusive=*/true), "");
  EXPECT_EQ(placementProblem(HostPlacement{0, 1}, 0, false), "no CUDA device answers on this host");
  EXPECT_EQ(
      placementProblem(HostPlacement{0, 3}, 1, true),
      "one GPU per rank needed, but this host runs 3 ranks on 1 GPU (NCCL refuses two ranks on one GPU): run "
      "at most 1 rank per host");
}

TEST(DeviceBinding, RanksSharingAGpuCountTheRoundRobin) {
  // 3 ranks on 2 GPUs: ranks 0 and 2 on GPU 0, rank 1 alone on GPU 1.
  EXPECT_EQ(ranksSharingDevice(HostPlacement{0, 3}, 2), 2);
  EXPECT_EQ(ranksSharingDevice(HostPlacement{1, 3}, 2), 1);
  EXPECT_EQ(ranksSharingDevice(HostPlacement{2, 3}, 2), 2);
  EXPECT_EQ(ranksSharingDevice(HostPlacement{3, 8}, 1), 8);
  EXPECT_EQ(ranksSharingDevice(HostPlacement{0, 1}, 4), 1);
  EXPECT_EQ(ranksSharingDevice(HostPlacement{5, 8}, 8), 1);
  EXPECT_THROW(ranksSharingDevice(HostPlacement{0, 1}, 0), InvariantError);
}

TEST(DeviceFit, SizesAreCheckedAgainstFreeMemory) {
  const GpuMemory gpu{1, "NVIDIA H100 80GB HBM3", std::size_t{3} << 30, std::size_t{80} << 30};
  EXPECT_EQ(deviceFitProblem(0, "x", gpu), "");
  EXPECT_EQ(deviceFitProblem(std::size_t{3} << 30, "x", gpu), "");  // exactly the free memory fits
  EXPECT_NE(deviceFitProblem((std::size_t{3} << 30) + 1, "x", gpu), "");
  EXPECT_EQ(deviceFitProblem(std::size_t{128} << 40, "2 buffers of --maxbytes 64T", gpu),
            "128.0 TiB of device memory needed (2 buffers of --maxbytes 64T), but GPU 1 (NVIDIA H100 80GB "
            "HBM3) has 3.0 GiB free of 80.0 GiB");
  EXPECT_EQ(deviceFitProblem(std::size_t{5} << 29, "y", GpuMemory{0, "G", 1536u << 20, std::size_t{2} << 30}),
            "2.5 GiB of device memory needed (y), but GPU 0 (G) has 1.5 GiB free of 2.0 GiB");
  EXPECT_EQ(deviceFitProblem(1000, "z", GpuMemory{0, "G", 999, 3u << 20}),
            "1000 bytes of device memory needed (z), but GPU 0 (G) has 999 bytes free of 3.0 MiB");
}

TEST(DeviceFit, NoDeviceMeansRequireDevicesLine) {
  if (cudaDeviceCount() > 0) GTEST_SKIP() << "a GPU answers here";
  const std::string message = usageMessage([] { boundGpuMemory(); });
  EXPECT_TRUE(startsWith(message, "--mem device: ")) << message;
}

}  // namespace
}  // namespace ccb
