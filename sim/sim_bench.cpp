// Google Benchmark figures for the README: closed-form prediction rate, replay of a large ring,
// calibration of a 1,000-point sweep. Run: build/sim/sim_bench (not a test).
#include <benchmark/benchmark.h>

#include <cstdint>
#include <random>
#include <vector>

#include "sim/calibrate.h"
#include "sim/closed_form.h"
#include "sim/replay.h"

namespace ccb::sim {
namespace {

ClusterDescription benchCluster(int ranks, int ranksPerHost) {
  ClusterDescription c;
  c.ranks = ranks;
  c.ranksPerHost = ranksPerHost;
  c.intraHost = {1.0, 10.0};
  c.interHost = {30.0, 1.25};
  c.reduceGBps = 5.0;
  return c;
}

// One closed-form prediction per iteration, cycling through sizes 4 B .. 256 MiB so nothing is hoisted.
void closedFormPredictions(benchmark::State& state, AllReduceAlgo algo, int ranks, int ranksPerHost) {
  const ClosedFormCluster view = closedFormView(benchCluster(ranks, ranksPerHost));
  std::uint64_t bytes = 4;
  for (auto _ : state) {
    benchmark::DoNotOptimize(predictAllReduce(view, algo, bytes, 4).timeUs());
    bytes = bytes >= (std::uint64_t{1} << 28) ? 4 : bytes * 2;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK_CAPTURE(closedFormPredictions, ring_k64, AllReduceAlgo::kRing, 64, 1);
BENCHMARK_CAPTURE(closedFormPredictions, rabenseifner_k64, AllReduceAlgo::kRabenseifner, 64, 1);
BENCHMARK_CAPTURE(closedFormPredictions, mpi_k64, AllReduceAlgo::kMpi, 64, 1);
BENCHMARK_CAPTURE(closedFormPredictions, mpi_k64_8perhost, AllReduceAlgo::kMpi, 64, 8);
BENCHMARK_CAPTURE(closedFormPredictions, hierarchical_k64_8perhost, AllReduceAlgo::kHierarchical, 64, 8);

// Replay of the executors' ring schedule for K ranks, one per host (schedule construction included).
void replayRing(benchmark::State& state) {
  const int ranks = static_cast<int>(state.range(0));
  const ClusterDescription c = benchCluster(ranks, 1);
  const std::uint64_t bytes = std::uint64_t{64} << 20;
  std::size_t messages = 0;
  for (auto _ : state) messages = replayAllReduce(c, AllReduceAlgo::kRing, bytes, 4).messages;
  state.counters["messages"] = static_cast<double>(messages);
}
BENCHMARK(replayRing)->Arg(64)->Arg(256)->Arg(1024)->Unit(benchmark::kMillisecond);

// The same with one slow host link and one slow rank: events no longer coincide, so the queue works harder.
void replayRingHeterogeneous(benchmark::State& state) {
  const int ranks = static_cast<int>(state.range(0));
  ClusterDescription c = benchCluster(ranks, 1);
  c.hostOverrides.push_back(HostOverride{ranks / 2, 45.0, 0.3});
  c.rankComputeFactors.push_back(RankComputeFactor{ranks / 3, 3.0});
  for (auto _ : state) benchmark::DoNotOptimize(replayAllReduce(c, AllReduceAlgo::kRing, std::uint64_t{64} << 20, 4));
}
BENCHMARK(replayRingHeterogeneous)->Arg(1024)->Unit(benchmark::kMillisecond);

// Calibration of a 1,000-point sweep (ring + recursive doubling + Rabenseifner, K = 2..16, noisy).
void calibrateSweep(benchmark::State& state) {
  const AlphaBetaGamma truth{20.0, usPerByte(1.2), usPerByte(4.0)};
  std::mt19937_64 rng(7);
  std::normal_distribution<double> noise(0.0, 0.01);
  std::vector<Observation> points;
  const AllReduceAlgo algos[] = {AllReduceAlgo::kRing, AllReduceAlgo::kRecursiveDoubling,
                                 AllReduceAlgo::kRabenseifner};
  while (points.size() < 1000) {
    for (AllReduceAlgo algo : algos) {
      for (int k = 2; k <= 16 && points.size() < 1000; k *= 2) {
        for (std::uint64_t bytes = 4; bytes <= (std::uint64_t{1} << 26) && points.size() < 1000; bytes *= 2) {
          const double t = singleClassTerms(algo, k, false, bytes, 4)->timeUs(truth) * (1 + noise(rng));
          points.push_back(Observation{std::string(algoName(algo)), k, bytes, 4, t});
        }
      }
    }
  }
  for (auto _ : state) benchmark::DoNotOptimize(calibrate(points, CalibrationOptions{}).shared.params.alphaUs);
  state.counters["points"] = static_cast<double>(points.size());
}
BENCHMARK(calibrateSweep)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace ccb::sim

BENCHMARK_MAIN();
