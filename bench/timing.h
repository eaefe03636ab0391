// How one point of a sweep is timed: back-to-back iterations with no barrier between them, each timed on
// its own, so the samples show the spread (median, p99) and not only a mean.
#pragma once

#include <functional>
#include <vector>

#include "comm/transport.h"

namespace ccb {

// Calls body(start) `iters` times back to back and returns each call's duration in microseconds, where
// `start` is the time the call began (so the body can derive its deadline without reading the clock again).
std::vector<double> timeIterationsUs(int iters, const std::function<void(Clock::time_point start)>& body);

}  // namespace ccb
