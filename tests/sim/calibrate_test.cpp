// Calibration recovers known parameters from synthetic noisy sweeps (to within 2%), says when gamma cannot
// be seen, and refuses fits it cannot make.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "core/error.h"
#include "sim/calibrate.h"
#include "sim/closed_form.h"

namespace ccb::sim {
namespace {

// 25 us per message, 1.2 GB/s on the wire, reductions at 2 GB/s. Gamma must be large enough to be seen at
// all: it only shows in the difference between algorithms that move and reduce bytes in different ratios.
const AlphaBetaGamma kTruth{25.0, usPerByte(1.2), usPerByte(2.0)};

std::vector<Observation> sweep(const std::vector<AllReduceAlgo>& algos, const std::vector<int>& ranks,
                               bool singleHost, double noise, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> jitter(0.0, noise);
  std::vector<Observation> points;
  for (AllReduceAlgo algo : algos) {
    for (int k : ranks) {
      for (std::uint64_t bytes = 4; bytes <= (std::uint64_t{1} << 28); bytes *= 2) {
        const double t = singleClassTerms(algo, k, singleHost, bytes, 4)->timeUs(kTruth);
        points.push_back(Observation{std::string(algoName(algo)), k, bytes, 4, t * (1 + jitter(rng))});
      }
    }
  }
  return points;
}

void expectWithin(double fitted, double truth, double tolerance, const char* what) {
  EXPECT_LT(std::abs(fitted / truth - 1), tolerance) << what << ": fitted " << fitted << ", truth " << truth;
}

const std::vector<AllReduceAlgo> kThreeAlgos = {AllReduceAlgo::kRing, AllReduceAlgo::kRecursiveDoubling,
                                                AllReduceAlgo::kRabenseifner};

TEST(Calibrate, RecoversParametersFromNoisySweeps) {
  // Sizes 4 B .. 256 MiB (x2), K = 2, 4, 8, 16, three algorithms: 324 points with 0.5% Gaussian noise each
  // (a median of 20 iterations, as ccbench reports, is about that steady). Five seeds.
  for (unsigned seed = 1; seed <= 5; ++seed) {
    const auto points = sweep(kThreeAlgos, {2, 4, 8, 16}, false, 0.005, seed);
    const CalibrationResult r = calibrate(points, CalibrationOptions{});
    expectWithin(r.shared.params.alphaUs, kTruth.alphaUs, 0.02, "alpha");
    expectWithin(r.shared.params.betaUsPerByte, kTruth.betaUsPerByte, 0.02, "beta");
    expectWithin(r.shared.params.gammaUsPerByte, kTruth.gammaUsPerByte, 0.02, "gamma");
    EXPECT_FALSE(r.shared.gammaHeld);
    EXPECT_LT(r.shared.rmsRelError, 0.01);
    EXPECT_EQ(r.shared.residuals.size(), points.size());
  }
}

TEST(Calibrate, NoisierSweepsStillPinAlphaAndBeta) {
  // 1% noise: alpha and beta stay within 2%; gamma, seen only through differences, within 5%.
  for (unsigned seed = 1; seed <= 5; ++seed) {
    const CalibrationResult r = calibrate(sweep(kThreeAlgos, {2, 4, 8, 16}, false, 0.01, seed), CalibrationOptions{});
    expectWithin(r.shared.params.alphaUs, kTruth.alphaUs, 0.02, "alpha");
    expectWithin(r.shared.params.betaUsPerByte, kTruth.betaUsPerByte, 0.02, "beta");
    expectWithin(r.shared.params.gammaUsPerByte, kTruth.gammaUsPerByte, 0.05, "gamma");
  }
}

TEST(Calibrate, OneHostNeedsGammaFromElsewhere) {
  // Two local ranks as on this machine: ccbench's "ring" (S beta + S/2 gamma) and MPICH's shared-memory path
  // (2 S beta + S gamma) move and reduce bytes in the same 2:1 ratio, so gamma is held and the fit says so.
  const auto points = sweep({AllReduceAlgo::kRing, AllReduceAlgo::kMpi}, {2}, true, 0.005, 5);
  CalibrationOptions options;
  options.singleHost = true;
  const CalibrationResult held = calibrate(points, options);
  EXPECT_TRUE(held.shared.gammaHeld);
  EXPECT_FALSE(held.shared.notes.empty());
  // With gamma from a reduction micro-benchmark, alpha and beta come back within 2%.
  options.gammaUsPerByte = kTruth.gammaUsPerByte;
  const CalibrationResult r = calibrate(points, options);
  expectWithin(r.shared.params.alphaUs, kTruth.alphaUs, 0.02, "alpha");
  expectWithin(r.shared.params.betaUsPerByte, kTruth.betaUsPerByte, 0.02, "beta");
}

TEST(Calibrate, RingAloneCannotSeparateBetaFromGamma) {
  const auto points = sweep({AllReduceAlgo::kRing}, {2, 4, 8}, false, 0.0, 1);
  const CalibrationResult held = calibrate(points, CalibrationOptions{});
  EXPECT_TRUE(held.shared.gammaHeld);
  EXPECT_EQ(held.shared.params.gammaUsPerByte, 0.0);
  ASSERT_FALSE(held.shared.notes.empty());
  // Given gamma, alpha and beta come back exactly (no noise).
  CalibrationOptions options;
  options.gammaUsPerByte = kTruth.gammaUsPerByte;
  const CalibrationResult r = calibrate(points, options);
  expectWithin(r.shared.params.alphaUs, kTruth.alphaUs, 1e-9, "alpha");
  expectWithin(r.shared.params.betaUsPerByte, kTruth.betaUsPerByte, 1e-9, "beta");
}

TEST(Calibrate, PerAlgorithmFits) {
  const auto points = sweep({AllReduceAlgo::kRing, AllReduceAlgo::kRecursiveDoubling}, {2, 4, 8}, false, 0.0, 1);
  CalibrationOptions options;
  options.perAlgo = true;
  const CalibrationResult r = calibrate(points, options);
  ASSERT_EQ(r.perAlgo.size(), 2u);
  EXPECT_EQ(r.perAlgo[0].scope, "recursive_doubling");
  expectWithin(r.perAlgo[0].params.alphaUs, kTruth.alphaUs, 1e-6, "rd alpha");
  // The ring alone inherits the shared gamma and still finds alpha and beta.
  EXPECT_EQ(r.perAlgo[1].scope, "ring");
  EXPECT_TRUE(r.perAlgo[1].gammaHeld);
  expectWithin(r.perAlgo[1].params.betaUsPerByte, kTruth.betaUsPerByte, 1e-6, "ring beta");
}

TEST(Calibrate, NegativeParametersArePinnedAtZero) {
  // Times that fall with size would need a negative beta: it is pinned at 0 and the rest refitted.
  std::vector<Observation> points;
  for (std::uint64_t bytes : {1024u, 2048u, 4096u, 8192u}) {
    points.push_back(Observation{"recursive_doubling", 2, bytes, 4, 100.0 - static_cast<double>(bytes) / 1000});
  }
  const CalibrationResult r = calibrate(points, CalibrationOptions{});
  EXPECT_GE(r.shared.params.betaUsPerByte, 0.0);
  EXPECT_GE(r.shared.params.gammaUsPerByte, 0.0);
  EXPECT_GT(r.shared.params.alphaUs, 0.0);
}

TEST(Calibrate, RefusesWhatItCannotFit) {
  const std::vector<Observation> three = {{"ring", 2, 4, 4, 10}, {"ring", 2, 1024, 4, 20}, {"ring", 2, 4096, 4, 60}};
  CalibrationOptions withGamma;
  withGamma.gammaUsPerByte = 0;
  EXPECT_THROW(calibrate({three[0], three[1]}, withGamma), UsageError);  // 2 points, 2 free parameters
  EXPECT_NO_THROW(calibrate(three, withGamma));
  EXPECT_THROW(calibrate({}, CalibrationOptions{}), UsageError);
  // One size and one K: alpha and beta are not separable.
  EXPECT_THROW(calibrate({{"ring", 2, 64, 4, 10}, {"ring", 2, 64, 4, 11}, {"ring", 2, 64, 4, 12}}, withGamma),
               UsageError);
  EXPECT_THROW(calibrate({{"tree", 2, 64, 4, 10}}, CalibrationOptions{}), UsageError);
  EXPECT_THROW(calibrate({{"naive_ring", 2, 64, 4, 10}, {"naive_ring", 2, 128, 4, 10}, {"naive_ring", 2, 256, 4, 10},
                          {"naive_ring", 2, 512, 4, 10}},
                         CalibrationOptions{}),
               UsageError);
  EXPECT_THROW(calibrate({{"ring", 2, 4, 4, 0}, {"ring", 2, 8, 4, 1}, {"ring", 2, 16, 4, 1}, {"ring", 2, 32, 4, 1}},
                         withGamma),
               UsageError);
}

}  // namespace
}  // namespace ccb::sim
