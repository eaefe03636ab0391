// Emulated backward compute: real floating-point work on the CPU (not a sleep), so it competes for the core,
// its caches and memory bandwidth with the communication's copies and reductions, as a real backward pass on
// the CPU would. Work is counted in units whose rate is calibrated once per run.
#pragma once

#include <cstdint>
#include <vector>

namespace ccb {

class ComputeKernel {
 public:
  // One unit = one multiply-add pass over kUnitFloats floats of a 64 KiB working set (L2-resident, like a
  // tile of a GEMM or a convolution).
  static constexpr std::size_t kUnitFloats = 1024;

  ComputeKernel();
  // Runs `units` units of work.
  void run(std::uint64_t units);
  // A value that depends on every unit run, so the compiler cannot drop the work.
  double checksum() const;

 private:
  std::vector<float> data_;
  std::size_t cursor_ = 0;
};

// Units per microsecond on this core now, without communication: the median of `reps` timed runs of about
// `targetUs` each. Throws InvariantError when the clock reports no time.
double calibrateUnitsPerUs(ComputeKernel& kernel, double targetUs, int reps);

}  // namespace ccb
