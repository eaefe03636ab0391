// The device algorithms under mpiexec (suite 'gpu', built with NCCL): "nccl" and the staged "ring" on device
// buffers for every case of ring_cases.h. Exits 77 when no GPU answers. With more ranks on a host than GPUs,
// "nccl" must refuse with the one-line UsageError on every rank (checked) and the ring runs with ranks
// sharing GPUs.
#include <gtest/gtest.h>

#include <cstdio>

#include "backends/backends.h"
#include "backends/device_binding.h"
#include "comm/mpi_transport.h"
#include "core/error.h"
#include "reduce/cpu_reducer.h"
#include "ring_cases.h"

namespace ccb {
namespace {

using namespace std::chrono_literals;

MpiTransport& world() {
  static MpiTransport transport(MPI_COMM_WORLD);
  return transport;
}

TEST(DeviceAlgorithmsMpi, StagedRingOnDeviceBuffers) {
  bindDevice(MPI_COMM_WORLD, /*exclusive=*/false, 60s);
  CpuReducer unused;
  auto plain = makeAllReduceOn(MemKind::kDevice, "ring", world(), unused, AllReduceOptions{}, 60s);
  auto small = makeAllReduceOn(MemKind::kDevice, "ring", world(), unused, smallSegmentOptions(), 60s);
  const auto failures = runRingCases(world(), *plain, *small, MemKind::kDevice, ringCases(world().size()));
  EXPECT_TRUE(failures.empty()) << failures.size() << " failures, first: " << failures.front();
}

TEST(DeviceAlgorithmsMpi, NcclOnePerGpuOrAClearRefusal) {
  CpuReducer unused;
  std::unique_ptr<AllReduce> nccl, ncclSmall;
  try {
    nccl = makeAllReduceOn(MemKind::kDevice, "nccl", world(), unused, AllReduceOptions{}, 60s);
  } catch (const UsageError& e) {
    const HostPlacement placement = hostPlacement(MPI_COMM_WORLD);
    ASSERT_GT(placement.localRanks, cudaDeviceCount())
        << "refused although every rank has a GPU: " << e.what();
    EXPECT_NE(std::string(e.what()).find("--algo nccl"), std::string::npos) << e.what();
    std::printf("rank %d: refused as expected: %s\n", world().rank(), e.what());
    return;
  }
  // The same communicator serves both option sets: NCCL has no segment option.
  const auto failures = runRingCases(world(), *nccl, *nccl, MemKind::kDevice, ringCases(world().size()));
  EXPECT_TRUE(failures.empty()) << failures.size() << " failures, first: " << failures.front();
  std::printf("rank %d: nccl %s\n", world().rank(), ncclVersionText().c_str());
}

}  // namespace
}  // namespace ccb

int main(int argc, char** argv) {
  ccb::MpiSession session(&argc, &argv);
  if (ccb::cudaDeviceCount() == 0) {
    std::printf("skipped: no CUDA device answers\n");
    return 77;
  }
  testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
