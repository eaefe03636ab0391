// Least-squares calibration; the method is described in calibrate.h.
#include "sim/calibrate.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <map>

#include "core/error.h"
#include "sim/closed_form.h"

namespace ccb::sim {
namespace {

constexpr int kParams = 3;  // alpha, beta, gamma
constexpr std::array<const char*, kParams> kParamNames = {"alpha", "beta", "gamma"};
// Below this determinant of the column-normalised Gram matrix the columns are treated as collinear.
constexpr double kCollinear = 1e-9;

struct Row {
  std::array<double, kParams> x;  // coefficients of alpha, beta, gamma
  double y;                       // measured time
  double w;                       // weight
};

std::array<double, kParams> coefficients(const Observation& p, bool singleHost) {
  const AllReduceAlgo algo = parseAlgo(p.algo);
  const std::optional<CostTerms> terms = singleClassTerms(algo, p.ranks, singleHost, p.bytes, p.elementBytes);
  if (!terms) throw UsageError("calibrate: model '" + p.algo + "' has no alpha-beta-gamma terms to fit");
  return {terms->messages, terms->wireBytes, terms->reducedBytes};
}

// Solves the weighted least-squares problem over the parameters flagged `free` (the others fixed at
// `fixed`). Columns are scaled to unit norm first so that microseconds-per-message and
// microseconds-per-byte live on one scale. Returns nullopt when the free columns are collinear.
std::optional<std::array<double, kParams>> solve(const std::vector<Row>& rows, const std::array<bool, kParams>& free,
                                                 const std::array<double, kParams>& fixed) {
  std::array<std::size_t, kParams> idx{};
  std::size_t n = 0;
  for (std::size_t j = 0; j < kParams; ++j) {
    if (free[j]) idx[n++] = j;
  }
  std::array<double, kParams> scale{};
  for (std::size_t a = 0; a < n; ++a) {
    double sum = 0;
    for (const Row& r : rows) sum += std::pow(r.w * r.x[idx[a]], 2);
    scale[a] = std::sqrt(sum);
    if (scale[a] == 0) return std::nullopt;  // the parameter never appears: nothing to fit it with
  }
  // Normal equations of the scaled, weighted problem, augmented with the right-hand side: m z = rhs.
  double m[kParams][kParams + 1] = {};
  for (const Row& r : rows) {
    double target = r.y;
    for (std::size_t j = 0; j < kParams; ++j) {
      if (!free[j]) target -= r.x[j] * fixed[j];
    }
    for (std::size_t a = 0; a < n; ++a) {
      const double xa = r.w * r.x[idx[a]] / scale[a];
      for (std::size_t b = 0; b < n; ++b) m[a][b] += xa * r.w * r.x[idx[b]] / scale[b];
      m[a][n] += xa * r.w * target;
    }
  }
  // Gaussian elimination with partial pivoting. The product of the pivots is the determinant of the
  // unit-diagonal Gram matrix: 1 for orthogonal columns, 0 for dependent ones.
  double det = 1;
  for (std::size_t c = 0; c < n; ++c) {
    std::size_t pivot = c;
    for (std::size_t r = c + 1; r < n; ++r) {
      if (std::abs(m[r][c]) > std::abs(m[pivot][c])) pivot = r;
    }
    if (pivot != c) {
      for (std::size_t b = 0; b <= n; ++b) std::swap(m[c][b], m[pivot][b]);
    }
    det *= m[c][c];
    if (std::abs(det) < kCollinear) return std::nullopt;
    for (std::size_t r = c + 1; r < n; ++r) {
      const double f = m[r][c] / m[c][c];
      for (std::size_t b = c; b <= n; ++b) m[r][b] -= f * m[c][b];
    }
  }
  std::array<double, kParams> z{};
  for (std::size_t c = n; c-- > 0;) {
    double sum = m[c][n];
    for (std::size_t b = c + 1; b < n; ++b) sum -= m[c][b] * z[b];
    z[c] = sum / m[c][c];
  }
  std::array<double, kParams> out = fixed;
  for (std::size_t a = 0; a < n; ++a) out[idx[a]] = z[a] / scale[a];
  return out;
}

double weightedSse(const std::vector<Row>& rows, const std::array<double, kParams>& p) {
  double sse = 0;
  for (const Row& r : rows) {
    const double model = r.x[0] * p[0] + r.x[1] * p[1] + r.x[2] * p[2];
    sse += std::pow(r.w * (model - r.y), 2);
  }
  return sse;
}

// Best non-negative fit: the unconstrained solution when it is feasible, otherwise the best feasible
// solution over the subsets of the free parameters (the others pinned at zero). At most 7 solves of 3x3.
std::optional<std::array<double, kParams>> solveNonNegative(const std::vector<Row>& rows,
                                                            const std::array<bool, kParams>& free,
                                                            const std::array<double, kParams>& fixed,
                                                            std::vector<std::string>& notes) {
  auto feasible = [](const std::array<double, kParams>& p) {
    return std::all_of(p.begin(), p.end(), [](double v) { return v >= 0; });
  };
  if (auto p = solve(rows, free, fixed); p && feasible(*p)) return p;
  std::optional<std::array<double, kParams>> best;
  double bestSse = std::numeric_limits<double>::infinity();
  for (int mask = 0; mask < (1 << kParams); ++mask) {
    std::array<bool, kParams> subset{};
    std::array<double, kParams> base = fixed;
    bool proper = false;
    for (std::size_t j = 0; j < kParams; ++j) {
      subset[j] = free[j] && ((mask >> j) & 1);
      if (free[j] && !subset[j]) {
        base[j] = 0;
        proper = true;
      }
    }
    if (!proper) continue;
    const auto p = subset == std::array<bool, kParams>{} ? std::optional(base) : solve(rows, subset, base);
    if (!p || !feasible(*p)) continue;
    if (const double sse = weightedSse(rows, *p); sse < bestSse) {
      best = p;
      bestSse = sse;
    }
  }
  if (best) {
    for (std::size_t j = 0; j < kParams; ++j) {
      if (free[j] && (*best)[j] == 0) {
        notes.push_back(std::string(kParamNames[j]) + " pinned at 0 (the unconstrained fit made it negative)");
      }
    }
  }
  return best;
}

// Fits `points`; when gamma cannot be separated from beta it is held at `fallbackGammaUsPerByte`.
Fit fitPoints(const std::string& scope, const std::vector<Observation>& points, const CalibrationOptions& opt,
              double fallbackGammaUsPerByte) {
  Fit fit;
  fit.scope = scope;
  std::vector<Row> rows;
  for (const Observation& p : points) {
    if (!(p.timeUs > 0) || !std::isfinite(p.timeUs)) {
      throw UsageError("calibrate: point " + p.algo + " K=" + std::to_string(p.ranks) + " bytes=" +
                       std::to_string(p.bytes) + " has time " + std::to_string(p.timeUs) + " us (must be > 0)");
    }
    const double w = opt.weighting == Weighting::kRelative ? 1.0 / p.timeUs : 1.0;
    rows.push_back(Row{coefficients(p, opt.singleHost), p.timeUs, w});
  }
  std::array<bool, kParams> free = {true, true, !opt.gammaUsPerByte.has_value()};
  std::array<double, kParams> fixed = {0, 0, opt.gammaUsPerByte.value_or(fallbackGammaUsPerByte)};
  const int freeCount = static_cast<int>(std::count(free.begin(), free.end(), true));
  if (static_cast<int>(rows.size()) < freeCount + 1) {
    throw UsageError("calibrate: " + std::to_string(rows.size()) + " point(s) for " + scope + ", need at least " +
                     std::to_string(freeCount + 1) + " to fit " + std::to_string(freeCount) +
                     " parameters and see a residual");
  }
  fit.gammaHeld = !free[2];
  if (free[2] && !solve(rows, free, fixed)) {
    // beta and gamma (or alpha) are not separable with these points: hold gamma and fit the rest.
    free[2] = false;
    fit.gammaHeld = true;
    fit.notes.push_back("gamma cannot be separated from beta with these points (the ring alone moves and "
                        "reduces bytes in a fixed ratio); held at " + std::to_string(fixed[2]) +
                        " us/byte: give --gamma or add another algorithm");
  }
  if (!solve(rows, free, fixed)) {
    throw UsageError("calibrate: the points of " + scope +
                     " cannot separate alpha from beta (need at least two different sizes)");
  }
  const auto p = solveNonNegative(rows, free, fixed, fit.notes);
  if (!p) throw UsageError("calibrate: no non-negative fit exists for " + scope);
  fit.params = AlphaBetaGamma{(*p)[0], (*p)[1], (*p)[2]};
  double sumSq = 0;
  for (std::size_t i = 0; i < points.size(); ++i) {
    const Row& r = rows[i];
    const double model = r.x[0] * (*p)[0] + r.x[1] * (*p)[1] + r.x[2] * (*p)[2];
    const double rel = (model - r.y) / r.y;
    fit.residuals.push_back(Residual{points[i], model, rel});
    sumSq += rel * rel;
    fit.maxAbsRelError = std::max(fit.maxAbsRelError, std::abs(rel));
  }
  fit.rmsRelError = std::sqrt(sumSq / static_cast<double>(points.size()));
  return fit;
}

}  // namespace

CalibrationResult calibrate(const std::vector<Observation>& points, const CalibrationOptions& options) {
  CalibrationResult result;
  std::vector<Observation> usable;
  std::size_t alone = 0;
  for (const Observation& p : points) {
    parseAlgo(p.algo);  // an unknown name is an error even where the point would be skipped
    if (p.ranks <= 1) {
      ++alone;  // a single rank communicates nothing: no information on alpha, beta or gamma
      continue;
    }
    usable.push_back(p);
  }
  if (alone > 0) result.notes.push_back(std::to_string(alone) + " single-rank point(s) skipped");
  result.shared = fitPoints("shared", usable, options, 0);
  if (options.perAlgo) {
    std::map<std::string, std::vector<Observation>> byAlgo;
    for (const Observation& p : usable) byAlgo[p.algo].push_back(p);
    for (const auto& [algo, pts] : byAlgo) {
      try {
        // An algorithm that cannot see gamma on its own (the ring) inherits the shared fit's value.
        result.perAlgo.push_back(fitPoints(algo, pts, options, result.shared.params.gammaUsPerByte));
      } catch (const UsageError& e) {
        result.notes.push_back(std::string("no separate fit for ") + algo + ": " + e.what());
      }
    }
  }
  return result;
}

}  // namespace ccb::sim
