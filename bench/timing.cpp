#include "bench/timing.h"

#include <chrono>

namespace ccb {

std::vector<double> timeIterationsUs(int iters, const std::function<void(Clock::time_point start)>& body) {
  std::vector<double> samplesUs;
  samplesUs.reserve(static_cast<std::size_t>(iters));
  for (int i = 0; i < iters; ++i) {
    const Clock::time_point start = Clock::now();
    body(start);
    samplesUs.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count());
  }
  return samplesUs;
}

}  // namespace ccb
