// Byte sizes as people type them, and bandwidth conventions (nccl-tests' doc/PERFORMANCE.md).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace ccb {

// "4096", "64K", "1M", "2G" (binary multiples, optional trailing 'B' or 'iB'). Throws UsageError naming
// `what` (e.g. "--minbytes") for anything else, for negative numbers and on overflow.
std::uint64_t parseBytes(std::string_view text, std::string_view what);
// 1048576 -> "1M", 1536 -> "1536" (exact when possible), for tables and file names.
std::string formatBytes(std::uint64_t bytes);

// Algorithm bandwidth in GB/s (1e9 bytes per second): bytes / time.
double algBwGBps(std::uint64_t bytes, double timeUs);
// Bus bandwidth factor: all-reduce moves 2(K-1)/K of the buffer over the slowest link (nccl-tests).
double allReduceBusFactor(int ranks);

}  // namespace ccb
