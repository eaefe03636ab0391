// Calibration: fit alpha, beta, gamma of one link class to measured all-reduce times by (weighted) linear
// least squares. Every model's time is linear in the three parameters (closed_form.h, CostTerms), so a fit
// is a 3x3 normal-equation solve; parameters that come out negative are pinned at zero and the rest refit
// (the best feasible subset wins).
//
// Identifiability: the ring alone moves 2(K-1)/K S bytes and reduces (K-1)/K S, always in the ratio 2:1, so
// beta and gamma cannot be told apart from ring points alone. When the design is (near) singular gamma is
// held (at CalibrationOptions::gammaUsPerByte, or 0) and the fit says so; mixing algorithms with another
// ratio (recursive doubling 1:1, MPICH's shared-memory path) identifies all three.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sim/cost.h"

namespace ccb::sim {

// One measured point: `algo` is a model name (ring, mpi, recursive_doubling, ...).
struct Observation {
  std::string algo;
  int ranks = 0;
  std::uint64_t bytes = 0;
  std::size_t elementBytes = 4;
  double timeUs = 0;
};

enum class Weighting {
  kRelative,  // minimise sum ((model - t) / t)^2: every size counts, small ones fix alpha
  kAbsolute,  // minimise sum (model - t)^2: dominated by the largest sizes
};

struct CalibrationOptions {
  // The link class the points exercised: all ranks on one host (intra_host) or one rank per host.
  bool singleHost = false;
  // Also fit each algorithm on its own.
  bool perAlgo = false;
  Weighting weighting = Weighting::kRelative;
  // Hold gamma at this value instead of fitting it.
  std::optional<double> gammaUsPerByte;
};

struct Residual {
  Observation point;
  double predictedUs = 0;
  double relError = 0;  // (predicted - measured) / measured
};

struct Fit {
  std::string scope;  // "shared" or an algorithm name
  AlphaBetaGamma params;
  bool gammaHeld = false;
  std::vector<std::string> notes;  // why a parameter was held or pinned at zero
  std::vector<Residual> residuals;
  double rmsRelError = 0;
  double maxAbsRelError = 0;
};

struct CalibrationResult {
  Fit shared;                  // one set of parameters for every algorithm
  std::vector<Fit> perAlgo;    // when requested, in algorithm-name order
  std::vector<std::string> notes;
};

// Throws UsageError (one line) when there are too few points to fit (fewer than free parameters + 1), when a
// point names an unknown model or has a time <= 0, or when the sizes cannot separate alpha from beta.
CalibrationResult calibrate(const std::vector<Observation>& points, const CalibrationOptions& options);

}  // namespace ccb::sim
