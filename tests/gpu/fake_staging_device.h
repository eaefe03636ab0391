// A StagingDevice over host memory for the CPU tests. Like a real device it works asynchronously, in the
// worst way for a careless caller: each operation's bytes move only when its request completes, after a
// pseudo-random number of test() calls, so reading a slot before its copy completed, or reusing one before
// its send did, gives wrong results. It also checks that the staged ring uses only the slots it handed out.
#pragma once

#include <cstddef>
#include <functional>
#include <random>
#include <vector>

#include "backends/staged_ring.h"
#include "reduce/cpu_reducer.h"

namespace ccb {

class FakeStagingDevice final : public StagingDevice {
 public:
  // Each operation completes after 0..maxDelay unsuccessful test() calls, drawn from `seed`.
  FakeStagingDevice(unsigned seed, int maxDelay) : rng_(seed), maxDelay_(maxDelay) {}

  std::span<std::byte> hostSlots(std::size_t bytes) override;
  std::span<std::byte> deviceScratch(std::size_t bytes) override;
  Request copyToHost(std::byte* host, const std::byte* device, std::size_t bytes) override;
  Request copyFromHost(std::byte* device, const std::byte* host, std::size_t bytes) override;
  Request reduceFromHost(const ReduceLanding& landing) override;
  Reducer& reducer() override { return reducer_; }

  // Operations started and not yet completed (or abandoned).
  int pending() const { return pending_; }
  int started() const { return started_; }

 private:
  Request deferred(std::function<void()> work);

  std::mt19937 rng_;
  int maxDelay_;
  CpuReducer reducer_;
  std::vector<std::uint64_t> host_;  // 8-byte units keep every dtype aligned
  std::vector<std::uint64_t> scratch_;
  int pending_ = 0;
  int started_ = 0;
};

}  // namespace ccb
