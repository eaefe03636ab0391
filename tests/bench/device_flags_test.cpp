// ccbench allreduce's device flags (--mem, --algo nccl) on the CPU: what every build can say without a GPU,
// and the one-line refusals a machine without CUDA, NCCL or a GPU gives before MPI starts. The expected
// messages depend on what this build has and whether a GPU answers; each branch asserts its own outcome.
#include <gtest/gtest.h>

#include <CLI/CLI.hpp>
#include <limits>

#include "backends/backends.h"
#include "bench/allreduce_command.h"
#include "core/error.h"
#include "tests/bench/allreduce_flags.h"

namespace ccb {
namespace {

// The UsageError message for `args`, or "" when the flags are accepted.
std::string usageError(const std::string& args) { return usageErrorOf(args).value_or(""); }

bool startsWith(const std::string& text, const std::string& prefix) { return text.rfind(prefix, 0) == 0; }

// What `--mem device` says on this machine: "" where a GPU answers.
std::string noDeviceMessage() {
  if (!cudaCompiledIn()) return "--mem device: this build has no CUDA";
  if (cudaDeviceCount() == 0) return "--mem device: no CUDA device answers (";
  return "";
}

constexpr const char* kNoNccl =
    "--algo nccl: this build has no NCCL (configured without CUDA, libnccl or nccl.h, or with "
    "-Dnccl=disabled)";

TEST(MemFlag, HostByDefaultAndInTheJson) {
  const AllReduceConfig config = parse("");
  EXPECT_EQ(config.mem, MemKind::kHost);
  EXPECT_EQ(allReduceConfigJson(config).at("mem"), "host");
  EXPECT_EQ(parse("--mem host --algo ring,mpi").mem, MemKind::kHost);
  EXPECT_EQ(deviceBytesPerRank(config), 0u);
}

TEST(MemFlag, UnknownMemoryIsOneLine) {
  EXPECT_EQ(usageError("--mem gpu"), "--mem: unknown memory 'gpu' (expected host or device)");
}

TEST(MemFlag, NcclIsListedAndNeedsDeviceBuffers) {
  EXPECT_EQ(usageError("--algo nccl"), "--algo nccl needs --mem device (NCCL reduces GPU buffers)");
  EXPECT_EQ(usageError("--algo ring,nccl --mem host"),
            "--algo nccl needs --mem device (NCCL reduces GPU buffers)");
  const std::string unknown = usageError("--algo tree");
  EXPECT_TRUE(startsWith(unknown, "--algo: unknown algorithm 'tree' (expected ring, mpi, nccl")) << unknown;
}

TEST(MemFlag, HostOnlyAlgorithmsRefuseDeviceBuffers) {
  // Decided from the flags alone, so the same line on every machine.
  EXPECT_EQ(usageError("--algo ring,mpi --mem device"),
            "--algo mpi needs --mem host (it takes host buffers; ring and nccl run on device buffers)");
}

TEST(MemFlag, DeviceWithoutAGpuIsRefusedBeforeMpi) {
  const std::string expected = noDeviceMessage();
  const std::string message = usageError("--mem device");
  if (expected.empty()) {
    EXPECT_EQ(message, "");
    EXPECT_EQ(parse("--mem device").mem, MemKind::kDevice);
  } else {
    EXPECT_TRUE(startsWith(message, expected)) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  }
}

TEST(MemFlag, NcclWithoutNcclOrAGpuIsRefusedBeforeMpi) {
  const std::string message = usageError("--algo ring,nccl --mem device");
  if (!ncclCompiledIn()) {
    EXPECT_EQ(message, kNoNccl);
  } else if (!noDeviceMessage().empty()) {
    EXPECT_TRUE(startsWith(message, noDeviceMessage())) << message;
  } else {
    EXPECT_EQ(message, "");
  }
}

TEST(MemFlag, RequireAlgorithmOnMatchesTheBuild) {
  EXPECT_NO_THROW(requireAlgorithmOn(MemKind::kHost, "ring"));
  EXPECT_NO_THROW(requireAlgorithmOn(MemKind::kHost, "mpi"));
  EXPECT_NO_THROW(requireAlgorithmOn(MemKind::kDevice, "ring"));
  EXPECT_THROW(requireAlgorithmOn(MemKind::kDevice, "mpi"), UsageError);
  EXPECT_THROW(requireAlgorithmOn(MemKind::kHost, "nccl"), UsageError);
  EXPECT_THROW(requireAlgorithmOn(MemKind::kDevice, "tree"), UsageError);
  if (ncclCompiledIn()) {
    EXPECT_NO_THROW(requireAlgorithmOn(MemKind::kDevice, "nccl"));
  } else {
    EXPECT_THROW(requireAlgorithmOn(MemKind::kDevice, "nccl"), UsageError);
  }
}

// A device config built by hand: validateAllReduceFlags refuses --mem device where no GPU answers.
AllReduceConfig deviceConfig(std::uint64_t maxBytes, std::vector<std::string> algos) {
  AllReduceConfig config;
  config.mem = MemKind::kDevice;
  config.sweep.maxBytes = maxBytes;
  config.algos = std::move(algos);
  config.algoOptions.segmentBytes = 256 << 10;
  config.algoOptions.maxInFlight = 4;
  return config;
}

TEST(DeviceBytesPerRank, BuffersPlusTheRingsScratch) {
  EXPECT_EQ(deviceBytesPerRank(deviceConfig(1 << 20, {"nccl"})), 2u << 20);
  // 2 buffers of 1M + 4 segments of 256K.
  EXPECT_EQ(deviceBytesPerRank(deviceConfig(1 << 20, {"ring", "nccl"})), 3u << 20);
  // Segments never exceed the largest size.
  EXPECT_EQ(deviceBytesPerRank(deviceConfig(1024, {"ring"})), 2048u + 4 * 1024);
}

TEST(DeviceBytesPerRank, SaturatesInsteadOfOverflowing) {
  constexpr std::size_t kMax = std::numeric_limits<std::size_t>::max();
  EXPECT_EQ(deviceBytesPerRank(deviceConfig(kMax / 2 + 1, {"nccl"})), kMax);
  EXPECT_EQ(deviceBytesPerRank(deviceConfig(kMax / 2, {"ring"})), kMax);
}

}  // namespace
}  // namespace ccb
