// compare on small fixtures whose errors are known (computed next to each expectation).
#include <gtest/gtest.h>

#include <cmath>

#include "core/error.h"
#include "sim/cli_common.h"
#include "sim/compare.h"
#include "sim/readers.h"
#include "sim_test_util.h"

namespace ccb::sim {
namespace {

std::vector<Record> records(const std::string& name) {
  return recordsFromSchemaDocument(parseJsonText(cli::readTextFile(test::fixture(name)), name), name);
}

TEST(Compare, KnownErrors) {
  // measured: ring 1K 10 us, ring 1M 400 us, mpi 1K 5 us, mpi 1M 500 us (+ an in-place ring 1K at 99 us)
  // predicted: ring 11, 380; mpi 6, 375 (+ rabenseifner 1K, not measured)
  // errors: ring 1K +0.10, ring 1M -0.05, mpi 1K +0.20, mpi 1M -0.25
  const Comparison c = compareRecords(records("measured_small.json"), records("predicted_small.json"), {});
  ASSERT_EQ(c.points.size(), 4u);
  EXPECT_EQ(c.duplicatesIgnored, 1u);  // the in-place ring 1K
  // Points are sorted by algo, then bytes: mpi 1K, mpi 1M, ring 1K, ring 1M.
  EXPECT_NEAR(c.points[0].relError, 0.20, 1e-12);
  EXPECT_NEAR(c.points[1].relError, -0.25, 1e-12);
  EXPECT_NEAR(c.points[2].relError, 0.10, 1e-12);
  EXPECT_NEAR(c.points[3].relError, -0.05, 1e-12);
  // APE sorted: 0.05, 0.10, 0.20, 0.25. Median (mean of the middle two) 0.15; p90 nearest rank
  // ceil(0.9 * 4) = 4th = 0.25; max 0.25; geomean (0.05 * 0.1 * 0.2 * 0.25)^(1/4) = (2.5e-4)^(1/4).
  EXPECT_EQ(c.all.points, 4u);
  EXPECT_NEAR(c.all.medianApe, 0.15, 1e-12);
  EXPECT_NEAR(c.all.p90Ape, 0.25, 1e-12);
  EXPECT_NEAR(c.all.maxApe, 0.25, 1e-12);
  EXPECT_NEAR(c.all.geomeanApe, std::pow(2.5e-4, 0.25), 1e-12);
  // Latency regime (the 1K points): 0.10, 0.20 -> median 0.15, geomean sqrt(0.02).
  EXPECT_NEAR(c.byRegime.at("latency").medianApe, 0.15, 1e-12);
  EXPECT_NEAR(c.byRegime.at("latency").geomeanApe, std::sqrt(0.02), 1e-12);
  // Bandwidth regime: 0.05, 0.25 -> max 0.25, geomean sqrt(0.0125).
  EXPECT_NEAR(c.byRegime.at("bandwidth").maxApe, 0.25, 1e-12);
  EXPECT_NEAR(c.byRegime.at("bandwidth").geomeanApe, std::sqrt(0.0125), 1e-12);
  // Fastest: at 1K mpi both ways (5 < 10, 6 < 11); at 1M measured ring (400 < 500), predicted mpi (375 < 380).
  ASSERT_EQ(c.fastest.size(), 2u);
  EXPECT_EQ(c.agree, 1u);
  EXPECT_EQ(c.fastest[1].measured, "ring");
  EXPECT_EQ(c.fastest[1].predicted, "mpi");
  const nlohmann::json summary = summaryJson(c);
  EXPECT_EQ(summary["fastest_algo_agreement"]["sizes"], 2);
  EXPECT_EQ(summary["fastest_algo_agreement"]["agree"], 1);
  EXPECT_NE(comparisonTable(c).find("+20.0%"), std::string::npos);
}

TEST(Compare, RegimeFallsBackToTheSizeThreshold) {
  std::vector<Record> predicted = records("predicted_small.json");
  for (Record& r : predicted) r.extra = nlohmann::json::object();
  CompareOptions options;
  options.regimeThresholdBytes = 2048;
  const Comparison c = compareRecords(records("measured_small.json"), predicted, options);
  EXPECT_EQ(c.byRegime.at("latency").points, 2u);
  EXPECT_EQ(c.byRegime.at("bandwidth").points, 2u);
}

TEST(Compare, AlgoMapJoinsForeignNames) {
  std::vector<Record> measured = records("measured_small.json");
  for (Record& r : measured) {
    if (r.algo == "ring") r.algo = "nccl";
  }
  CompareOptions options;
  EXPECT_EQ(compareRecords(measured, records("predicted_small.json"), options).points.size(), 2u);
  options.algoMap["nccl"] = "ring";
  EXPECT_EQ(compareRecords(measured, records("predicted_small.json"), options).points.size(), 4u);
}

TEST(Compare, NothingInCommonIsAnError) {
  EXPECT_THROW(compareRecords(records("measured_small.json"), records("predicted_disjoint.json"), {}), UsageError);
}

TEST(Compare, SummaryOfExactHits) {
  const ErrorSummary s = summarizeErrors({0.0, 0.0});
  EXPECT_EQ(s.maxApe, 0.0);
  EXPECT_NEAR(s.geomeanApe, 1e-9, 1e-15);  // floored, not zero or NaN
}

}  // namespace
}  // namespace ccb::sim
