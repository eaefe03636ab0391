// Straggler models: order statistics of compute-time distributions (see straggler_model.h).
#include "sim/straggler_model.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <numbers>
#include <sstream>

#include "core/error.h"

namespace ccb::sim {
namespace {

// Standard normal CDF and its complement through erfc, accurate far into both tails.
double phiCdf(double z) { return 0.5 * std::erfc(-z / std::numbers::sqrt2); }
double phiTail(double z) { return 0.5 * std::erfc(z / std::numbers::sqrt2); }
double phiPdf(double z) { return std::exp(-0.5 * z * z) / std::sqrt(2 * std::numbers::pi); }

// log of n! / ((k-1)! (n-k)!), the order-statistic density's constant.
double logOrderConstant(int k, int n) { return std::lgamma(n + 1.0) - std::lgamma(k * 1.0) - std::lgamma(n - k + 1.0); }

// Composite Simpson rule of f over [lo, hi] with `intervals` (even) pieces.
template <typename F>
double simpson(F f, double lo, double hi, int intervals) {
  const double h = (hi - lo) / intervals;
  double sum = f(lo) + f(hi);
  for (int i = 1; i < intervals; ++i) sum += f(lo + i * h) * (i % 2 == 1 ? 4 : 2);
  return sum * h / 3;
}

// E[Z_(k:n)] for the standard normal: integral of z times the order-statistic density. The density is
// negligible beyond |z| = 12 for any n the simulator meets (n < 2^20).
double normalOrderStatistic(int k, int n) {
  const double logC = logOrderConstant(k, n);
  auto integrand = [&](double z) {
    const double lower = phiCdf(z);
    const double upper = phiTail(z);
    if (lower <= 0 || upper <= 0) return 0.0;
    return z * std::exp(logC + (k - 1) * std::log(lower) + (n - k) * std::log(upper)) * phiPdf(z);
  };
  return simpson(integrand, -12.0, 12.0, 9600);
}

// P(Binomial(n, p) >= k), summed in log space.
double binomialTailAtLeast(int n, double p, int k) {
  if (p <= 0) return k <= 0 ? 1.0 : 0.0;
  if (p >= 1) return 1.0;
  double sum = 0;
  const double lp = std::log(p);
  const double lq = std::log1p(-p);
  for (int j = k; j <= n; ++j) {
    sum += std::exp(std::lgamma(n + 1.0) - std::lgamma(j + 1.0) - std::lgamma(n - j + 1.0) + j * lp + (n - j) * lq);
  }
  return std::min(1.0, sum);
}

std::vector<double> sortedSamples(const ComputeDistribution& d) {
  std::vector<double> s = d.samples;
  std::sort(s.begin(), s.end());
  return s;
}

// CDF of one (unscaled) draw.
double cdf(const ComputeDistribution& d, double x) {
  switch (d.kind) {
    case DistKind::kNormal:
      if (d.b == 0) return x >= d.a ? 1.0 : 0.0;
      return phiCdf((x - d.a) / d.b);
    case DistKind::kShiftedExponential:
      return x <= d.a ? 0.0 : -std::expm1(-d.b * (x - d.a));
    case DistKind::kUniform:
      if (d.b == d.a) return x >= d.a ? 1.0 : 0.0;
      return std::clamp((x - d.a) / (d.b - d.a), 0.0, 1.0);
    case DistKind::kEmpirical:
      break;
  }
  CCB_CHECK(false);
}

// Support of one draw (where the CDF goes from ~0 to ~1).
std::pair<double, double> support(const ComputeDistribution& d) {
  switch (d.kind) {
    case DistKind::kNormal:
      return {d.a - 12 * d.b, d.a + 12 * d.b};
    case DistKind::kShiftedExponential:
      return {d.a, d.a + 60 / d.b};
    case DistKind::kUniform:
      return {d.a, d.b};
    case DistKind::kEmpirical:
      break;
  }
  CCB_CHECK(false);
}

// P(at least k of the workers are done), worker i done with probability done[i]: the Poisson-binomial
// tail, by dynamic programming over workers (exact[j] = P(exactly j done so far)).
double atLeastDone(const std::vector<double>& done, int k) {
  std::vector<double> exact(done.size() + 1, 0.0);
  exact[0] = 1;
  for (std::size_t i = 0; i < done.size(); ++i) {
    for (std::size_t j = i + 1; j > 0; --j) exact[j] = exact[j] * (1 - done[i]) + exact[j - 1] * done[i];
    exact[0] *= 1 - done[i];
  }
  double tail = 0;
  for (std::size_t j = static_cast<std::size_t>(k); j < exact.size(); ++j) tail += exact[j];
  return std::min(1.0, tail);
}

// A distribution with a single value (normal with sd 0, uniform with low = high).
bool isDegenerate(const ComputeDistribution& d) {
  return (d.kind == DistKind::kNormal && d.b == 0) || (d.kind == DistKind::kUniform && d.a == d.b);
}

}  // namespace

ComputeDistribution ComputeDistribution::normal(double meanUs, double sdUs) {
  return ComputeDistribution{DistKind::kNormal, meanUs, sdUs, {}};
}
ComputeDistribution ComputeDistribution::shiftedExponential(double shiftUs, double ratePerUs) {
  return ComputeDistribution{DistKind::kShiftedExponential, shiftUs, ratePerUs, {}};
}
ComputeDistribution ComputeDistribution::uniform(double lowUs, double highUs) {
  return ComputeDistribution{DistKind::kUniform, lowUs, highUs, {}};
}
ComputeDistribution ComputeDistribution::empirical(std::vector<double> samplesUs) {
  return ComputeDistribution{DistKind::kEmpirical, 0, 0, std::move(samplesUs)};
}

void validate(const ComputeDistribution& d) {
  auto finite = [](double x) { return std::isfinite(x); };
  switch (d.kind) {
    case DistKind::kNormal:
      if (!finite(d.a) || !finite(d.b) || d.b < 0) throw UsageError("normal distribution needs a standard deviation >= 0");
      return;
    case DistKind::kShiftedExponential:
      if (!finite(d.a) || !finite(d.b) || d.b <= 0) throw UsageError("shifted exponential needs a rate > 0");
      return;
    case DistKind::kUniform:
      if (!finite(d.a) || !finite(d.b) || d.b < d.a) throw UsageError("uniform distribution needs low <= high");
      return;
    case DistKind::kEmpirical:
      if (d.samples.empty()) throw UsageError("empirical distribution needs at least one sample");
      if (!std::all_of(d.samples.begin(), d.samples.end(), finite)) {
        throw UsageError("empirical distribution: samples must be finite numbers");
      }
      return;
  }
}

std::string describe(const ComputeDistribution& d) {
  std::ostringstream os;
  switch (d.kind) {
    case DistKind::kNormal:
      os << "normal(" << d.a << "," << d.b << ")";
      break;
    case DistKind::kShiftedExponential:
      os << "shifted_exponential(" << d.a << "," << d.b << ")";
      break;
    case DistKind::kUniform:
      os << "uniform(" << d.a << "," << d.b << ")";
      break;
    case DistKind::kEmpirical:
      os << "empirical(" << d.samples.size() << " samples)";
      break;
  }
  return os.str();
}

double mean(const ComputeDistribution& d) {
  switch (d.kind) {
    case DistKind::kNormal:
      return d.a;
    case DistKind::kShiftedExponential:
      return d.a + 1 / d.b;
    case DistKind::kUniform:
      return (d.a + d.b) / 2;
    case DistKind::kEmpirical: {
      double sum = 0;
      for (double x : d.samples) sum += x;
      return sum / static_cast<double>(d.samples.size());
    }
  }
  CCB_CHECK(false);
}

double variance(const ComputeDistribution& d) {
  switch (d.kind) {
    case DistKind::kNormal:
      return d.b * d.b;
    case DistKind::kShiftedExponential:
      return 1 / (d.b * d.b);
    case DistKind::kUniform:
      return (d.b - d.a) * (d.b - d.a) / 12;
    case DistKind::kEmpirical: {
      const double m = mean(d);
      double sum = 0;
      for (double x : d.samples) sum += (x - m) * (x - m);
      return sum / static_cast<double>(d.samples.size());
    }
  }
  CCB_CHECK(false);
}

double expectedOrderStatistic(const ComputeDistribution& d, int k, int n) {
  validate(d);
  if (n < 1 || k < 1 || k > n) {
    throw UsageError("order statistic " + std::to_string(k) + " of " + std::to_string(n) + " draws is undefined");
  }
  switch (d.kind) {
    case DistKind::kNormal:
      return d.a + d.b * normalOrderStatistic(k, n);
    case DistKind::kShiftedExponential: {
      // Renyi: the gaps between exponential order statistics are independent, of means 1/(n lambda),
      // 1/((n-1) lambda), ...
      double sum = 0;
      for (int i = n - k + 1; i <= n; ++i) sum += 1.0 / i;
      return d.a + sum / d.b;
    }
    case DistKind::kUniform:
      return d.a + (d.b - d.a) * k / (n + 1.0);
    case DistKind::kEmpirical: {
      // With replacement from m sorted samples: P(X_(k:n) <= x_(i)) = P(Binomial(n, i/m) >= k).
      const std::vector<double> s = sortedSamples(d);
      const auto m = static_cast<double>(s.size());
      double expected = 0;
      double previous = 0;
      for (std::size_t i = 0; i < s.size(); ++i) {
        const double g = binomialTailAtLeast(n, static_cast<double>(i + 1) / m, k);
        expected += s[i] * (g - previous);
        previous = g;
      }
      return expected;
    }
  }
  CCB_CHECK(false);
}

double expectedMax(const ComputeDistribution& d, int n) { return expectedOrderStatistic(d, n, n); }

double expectedMaxScaled(const ComputeDistribution& d, const std::vector<double>& factors) {
  validate(d);
  if (factors.empty()) throw UsageError("expected maximum of zero workers is undefined");
  std::map<double, int> groups;  // factor -> workers with it
  for (double f : factors) {
    if (!(f > 0) || !std::isfinite(f)) throw UsageError("worker compute factors must be > 0");
    ++groups[f];
  }
  if (groups.size() == 1 && groups.begin()->first == 1.0) return expectedMax(d, static_cast<int>(factors.size()));
  if (d.kind == DistKind::kEmpirical) {
    // Exact: the maximum takes one of the values f * x_j; P(max <= v) = prod over groups of
    // (fraction of samples with f x <= v)^count.
    const std::vector<double> s = sortedSamples(d);
    std::vector<double> values;
    for (const auto& [f, count] : groups) {
      for (double x : s) values.push_back(f * x);
    }
    std::sort(values.begin(), values.end());
    values.erase(std::unique(values.begin(), values.end()), values.end());
    double expected = 0;
    double previous = 0;
    for (double v : values) {
      double g = 1;
      for (const auto& [f, count] : groups) {
        const auto below = std::upper_bound(s.begin(), s.end(), v / f) - s.begin();
        g *= std::pow(static_cast<double>(below) / static_cast<double>(s.size()), count);
      }
      expected += v * (g - previous);
      previous = g;
    }
    return expected;
  }
  // Continuous: E[max] = lo + integral over [lo, hi] of (1 - G(x)), G(x) = prod_i F(x / f_i), where
  // [lo, hi] covers every worker's support (G(lo) = 0, G(hi) = 1).
  const auto [low, high] = support(d);
  double lo = 0;
  double hi = 0;
  bool first = true;
  for (const auto& [f, count] : groups) {
    lo = first ? f * low : std::min(lo, f * low);
    hi = first ? f * high : std::max(hi, f * high);
    first = false;
  }
  if (hi <= lo) return lo;
  auto survivor = [&](double x) {
    double g = 1;
    for (const auto& [f, count] : groups) g *= std::pow(cdf(d, x / f), count);
    return 1 - g;
  };
  return lo + simpson(survivor, lo, hi, 20000);
}

double expectedOrderStatisticScaled(const ComputeDistribution& d, const std::vector<double>& factors, int k) {
  validate(d);
  const int n = static_cast<int>(factors.size());
  if (n < 1 || k < 1 || k > n) {
    throw UsageError("order statistic " + std::to_string(k) + " of " + std::to_string(n) + " workers is undefined");
  }
  for (double f : factors) {
    if (!(f > 0) || !std::isfinite(f)) throw UsageError("worker compute factors must be > 0");
  }
  if (std::all_of(factors.begin(), factors.end(), [](double f) { return f == 1.0; })) {
    return expectedOrderStatistic(d, k, n);
  }
  if (isDegenerate(d)) {
    // Every worker takes exactly factor x value: the k-th smallest of those.
    std::vector<double> times;
    for (double f : factors) times.push_back(f * d.a);
    std::sort(times.begin(), times.end());
    return times[static_cast<std::size_t>(k - 1)];
  }
  if (k == n) return expectedMaxScaled(d, factors);
  std::vector<double> done(factors.size());
  if (d.kind == DistKind::kEmpirical) {
    // Exact: X_(k) takes one of the values f x_j; P(X_(k) <= v) = P(at least k workers have f_i x <= v).
    const std::vector<double> s = sortedSamples(d);
    std::vector<double> values;
    for (double f : factors) {
      for (double x : s) values.push_back(f * x);
    }
    std::sort(values.begin(), values.end());
    values.erase(std::unique(values.begin(), values.end()), values.end());
    double expected = 0;
    double previous = 0;
    for (double v : values) {
      for (std::size_t i = 0; i < factors.size(); ++i) {
        const auto below = std::upper_bound(s.begin(), s.end(), v / factors[i]) - s.begin();
        done[i] = static_cast<double>(below) / static_cast<double>(s.size());
      }
      const double g = atLeastDone(done, k);
      expected += v * (g - previous);
      previous = g;
    }
    return expected;
  }
  // Continuous: E = lo + integral over [lo, hi] of P(X_(k) > x), [lo, hi] covering every worker's support.
  const auto [low, high] = support(d);
  const auto [fMin, fMax] = std::minmax_element(factors.begin(), factors.end());
  const double lo = std::min(*fMin * low, *fMax * low);
  const double hi = std::max(*fMin * high, *fMax * high);
  if (hi <= lo) return lo;
  auto survivor = [&](double x) {
    for (std::size_t i = 0; i < factors.size(); ++i) done[i] = cdf(d, x / factors[i]);
    return 1 - atLeastDone(done, k);
  };
  return lo + simpson(survivor, lo, hi, 20000);
}

double syncStepUs(const ComputeDistribution& d, const std::vector<double>& workerFactors, double commUs) {
  return expectedMaxScaled(d, workerFactors) + commUs;
}

double backupStepUs(const ComputeDistribution& d, int needed, int backups, double commUs) {
  if (backups < 0) throw UsageError("backup workers must be >= 0");
  return expectedOrderStatistic(d, needed, needed + backups) + commUs;
}

double asyncUpdatesPerSecond(const ComputeDistribution& d, const std::vector<double>& workerFactors, double commUs) {
  validate(d);
  double rate = 0;
  for (double f : workerFactors) rate += 1e6 / (f * mean(d) + commUs);
  return rate;
}

}  // namespace ccb::sim
