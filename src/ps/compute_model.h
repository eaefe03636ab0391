// Worker compute emulation: how long each step "computes" before it pushes, drawn from a distribution with
// a seeded generator of our own (std::normal_distribution and friends differ between standard libraries, so a
// recorded seed would not reproduce a run elsewhere), slowed for chosen straggler ranks. Pure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ccb {

// Compute time per step in milliseconds. Forms (the spec on the command line and in JSON):
//   fixed:MS              always MS
//   normal:MEAN,STDDEV    Gaussian, negative draws clamped to 0
//   exponential:MEAN[,SHIFT]   SHIFT + an exponential draw of mean MEAN (alias exp)
//   uniform:LO,HI         uniform on [LO, HI]
// A bare number means fixed.
struct ComputeDist {
  enum class Kind { kFixed, kNormal, kExponential, kUniform };
  Kind kind = Kind::kFixed;
  double a = 0;  // fixed: MS; normal: MEAN; exponential: MEAN; uniform: LO
  double b = 0;  // normal: STDDEV; exponential: SHIFT; uniform: HI
  bool operator==(const ComputeDist&) const = default;
};

// Throws UsageError ("--compute: ...") for an unknown distribution, a malformed or negative number, or
// uniform with LO > HI.
ComputeDist parseComputeDist(std::string_view spec);
// The canonical spec: "fixed:0", "normal:10,2", "exponential:5,1", "uniform:2,8".
std::string formatComputeDist(const ComputeDist& dist);
// The distribution's mean in milliseconds (normal: before clamping).
double meanMs(const ComputeDist& dist);

struct Straggler {
  int rank = 0;
  double factor = 1;  // this rank's compute draws are multiplied by factor
  bool operator==(const Straggler&) const = default;
};
// "RANK:FACTOR[,RANK:FACTOR...]"; throws UsageError ("--straggler: ...") for a malformed item, a negative
// rank, a factor that is not a positive number, or a rank given twice.
std::vector<Straggler> parseStragglers(std::string_view text);
// Factor of `rank` (1 when it is not a straggler).
double stragglerFactor(const std::vector<Straggler>& stragglers, int rank);

// Fault injection: worker `rank` stops before its attempt `step` (0-based, warm-up steps included).
struct FailPoint {
  int rank = 0;
  std::int64_t step = 0;
  bool operator==(const FailPoint&) const = default;
};
// "RANK:STEP"; throws UsageError ("--fail: ...") for anything else or negative numbers.
FailPoint parseFailPoint(std::string_view text);

// splitmix64 (Steele, Lea, Flood 2014): tiny, fully specified, good enough for emulated compute times.
class SplitMix64 {
 public:
  explicit SplitMix64(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next();
  // Uniform on [0, 1) with 53 random bits.
  double uniform();

 private:
  std::uint64_t state_;
};

// The draws of one rank: seeded from (seed, rank) so ranks differ but a run is reproducible.
class ComputeSampler {
 public:
  ComputeSampler(const ComputeDist& dist, std::uint64_t seed, int rank, double factor);
  // The next step's compute time in milliseconds (>= 0).
  double nextMs();

 private:
  double draw();

  ComputeDist dist_;
  double factor_;
  SplitMix64 rng_;
  std::optional<double> spareNormal_;  // Box-Muller makes two normal draws at a time
};

}  // namespace ccb
