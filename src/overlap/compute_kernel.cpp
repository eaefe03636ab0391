#include "overlap/compute_kernel.h"

#include <algorithm>
#include <chrono>

#include "core/error.h"
#include "core/stats.h"

namespace ccb {

namespace {
constexpr std::size_t kWorkingSetFloats = 16 * ComputeKernel::kUnitFloats;  // 64 KiB
}

ComputeKernel::ComputeKernel() : data_(kWorkingSetFloats) {
  for (std::size_t i = 0; i < data_.size(); ++i) data_[i] = 1.0f + static_cast<float>(i % 7) * 1e-3f;
}

void ComputeKernel::run(std::uint64_t units) {
  // x = x * a + b keeps the values bounded (a < 1) and is one FMA per element: vectorisable, and never
  // denormal, so the rate does not depend on the data.
  constexpr float kA = 0.999f, kB = 1e-3f;
  for (std::uint64_t u = 0; u < units; ++u) {
    float* x = data_.data() + cursor_;
    for (std::size_t i = 0; i < kUnitFloats; ++i) x[i] = x[i] * kA + kB;
    cursor_ = (cursor_ + kUnitFloats) % data_.size();
  }
}

double ComputeKernel::checksum() const {
  double sum = 0;
  for (float v : data_) sum += v;
  return sum;
}

double calibrateUnitsPerUs(ComputeKernel& kernel, double targetUs, int reps) {
  using Micro = std::chrono::duration<double, std::micro>;
  // Find a unit count that takes about targetUs, then time it reps times.
  std::uint64_t units = 16;
  double us = 0;
  while (true) {
    const auto t0 = std::chrono::steady_clock::now();
    kernel.run(units);
    us = Micro(std::chrono::steady_clock::now() - t0).count();
    if (us >= targetUs / 4 || units > (1ull << 40)) break;
    units *= 4;
  }
  CCB_CHECK_LT(0.0, us);
  units = std::max<std::uint64_t>(1, static_cast<std::uint64_t>(static_cast<double>(units) * targetUs / us));
  std::vector<double> rates;
  for (int r = 0; r < std::max(1, reps); ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    kernel.run(units);
    rates.push_back(static_cast<double>(units) / Micro(std::chrono::steady_clock::now() - t0).count());
  }
  return summarize(rates).median;
}

}  // namespace ccb
