// Stragglers: a synchronous step waits for the slowest of K workers, so its expected compute time is the
// expected maximum of K draws (DESIGN.md: normal mu + sigma e_K with e_2 = 0.564, e_8 = 1.424,
// e_64 = 2.344; shifted exponential c + H_K / lambda). Backup workers (keep the first N of N + b) wait for
// the N-th order statistic instead; asynchronous workers never wait. Pure functions.
#pragma once

#include <string>
#include <vector>

namespace ccb::sim {

enum class DistKind { kNormal, kShiftedExponential, kUniform, kEmpirical };

// Per-step compute time of one worker, in microseconds.
struct ComputeDistribution {
  DistKind kind = DistKind::kNormal;
  double a = 0;  // normal: mean; shifted exponential: shift c; uniform: low
  double b = 0;  // normal: standard deviation; shifted exponential: rate lambda (1/us); uniform: high
  std::vector<double> samples;  // empirical: the observed times (any order)

  static ComputeDistribution normal(double meanUs, double sdUs);
  static ComputeDistribution shiftedExponential(double shiftUs, double ratePerUs);
  static ComputeDistribution uniform(double lowUs, double highUs);
  static ComputeDistribution empirical(std::vector<double> samplesUs);
};

// Checks parameters (sd >= 0, rate > 0, low <= high, a non-empty sample of finite values); throws
// UsageError naming the problem.
void validate(const ComputeDistribution& dist);
// "normal(1000,50)" etc., for outputs.
std::string describe(const ComputeDistribution& dist);

double mean(const ComputeDistribution& dist);
// Variance of one draw (empirical: of the sample, divided by its size).
double variance(const ComputeDistribution& dist);

// E[X_(k:n)], the k-th smallest of n independent draws (1 <= k <= n). Normal: numerical integration of the
// order-statistic density; shifted exponential: c + (1/lambda) sum_{i=n-k+1}^{n} 1/i; uniform:
// low + (high - low) k / (n + 1); empirical: exact for draws with replacement from the sample.
double expectedOrderStatistic(const ComputeDistribution& dist, int k, int n);
// E[max] of n draws.
double expectedMax(const ComputeDistribution& dist, int n);
// E[max] of draws where worker i's time is factors[i] times a draw (a slow worker has factor > 1).
double expectedMaxScaled(const ComputeDistribution& dist, const std::vector<double>& factors);

// E[X_(k)] of draws where worker i's time is factors[i] times a draw: the k-th smallest of n = factors.size()
// workers that are not identically distributed (a straggler). P(X_(k) <= x) = P(at least k workers are done
// by x), a Poisson-binomial tail; integrated like expectedMaxScaled (empirical: exact). k = n is
// expectedMaxScaled; all factors 1 is expectedOrderStatistic. Throws UsageError for k outside 1..n or a
// factor that is not > 0.
double expectedOrderStatisticScaled(const ComputeDistribution& dist, const std::vector<double>& factors, int k);

// Expected time of one synchronous step: the slowest worker's compute, then the communication.
double syncStepUs(const ComputeDistribution& dist, const std::vector<double>& workerFactors, double commUs);
// With b backup workers: the step proceeds once the first `needed` of needed + backups workers are done.
double backupStepUs(const ComputeDistribution& dist, int needed, int backups, double commUs);
// Asynchronous workers: each runs compute + communication back to back without waiting; updates per second
// summed over workers.
double asyncUpdatesPerSecond(const ComputeDistribution& dist, const std::vector<double>& workerFactors,
                             double commUs);

}  // namespace ccb::sim
