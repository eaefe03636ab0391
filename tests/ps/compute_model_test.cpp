// Compute-time distributions, straggler and fault specs, and the seeded draws.
#include "ps/compute_model.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numeric>

#include "core/error.h"

namespace ccb {
namespace {

using Kind = ComputeDist::Kind;

TEST(ComputeDist, ParsesEveryForm) {
  EXPECT_EQ(parseComputeDist("fixed:5"), (ComputeDist{Kind::kFixed, 5, 0}));
  EXPECT_EQ(parseComputeDist("2.5"), (ComputeDist{Kind::kFixed, 2.5, 0}));
  EXPECT_EQ(parseComputeDist("normal:10,2"), (ComputeDist{Kind::kNormal, 10, 2}));
  EXPECT_EQ(parseComputeDist("exponential:4"), (ComputeDist{Kind::kExponential, 4, 0}));
  EXPECT_EQ(parseComputeDist("exp:4,1"), (ComputeDist{Kind::kExponential, 4, 1}));
  EXPECT_EQ(parseComputeDist("uniform:2,8"), (ComputeDist{Kind::kUniform, 2, 8}));
}

TEST(ComputeDist, FormatRoundTrips) {
  for (const char* spec : {"fixed:0", "normal:10,2", "exponential:4,1", "uniform:2,8", "fixed:0.5"}) {
    EXPECT_EQ(formatComputeDist(parseComputeDist(spec)), spec);
  }
  EXPECT_DOUBLE_EQ(meanMs(parseComputeDist("uniform:2,8")), 5);
  EXPECT_DOUBLE_EQ(meanMs(parseComputeDist("exp:4,1")), 5);
}

TEST(ComputeDist, RejectsBadSpecsWithOneLine) {
  for (const char* spec :
       {"gamma:1,2", "normal:10", "uniform:8,2", "fixed:-1", "fixed:abc", "", "exp:1,2,3", "normal:1,x"}) {
    try {
      parseComputeDist(spec);
      FAIL() << spec;
    } catch (const UsageError& e) {
      const std::string message = e.what();
      EXPECT_EQ(message.rfind("--compute", 0), 0u) << message;
      EXPECT_EQ(message.find('\n'), std::string::npos);
    }
  }
  try {
    parseComputeDist("gamma:1");
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("unknown distribution 'gamma'"), std::string::npos) << e.what();
  }
}

TEST(Stragglers, ParseAndLookUp) {
  const std::vector<Straggler> stragglers = parseStragglers("2:3,4:1.5");
  ASSERT_EQ(stragglers.size(), 2u);
  EXPECT_EQ(stragglers[1], (Straggler{4, 1.5}));
  EXPECT_DOUBLE_EQ(stragglerFactor(stragglers, 2), 3);
  EXPECT_DOUBLE_EQ(stragglerFactor(stragglers, 1), 1);
  EXPECT_TRUE(parseStragglers("").empty());
  EXPECT_THROW(parseStragglers("2"), UsageError);
  EXPECT_THROW(parseStragglers("2:0"), UsageError);
  EXPECT_THROW(parseStragglers("-1:2"), UsageError);
  EXPECT_THROW(parseStragglers("1:2,1:3"), UsageError);
}

TEST(FailPoint, Parses) {
  EXPECT_EQ(parseFailPoint("3:7"), (FailPoint{3, 7}));
  EXPECT_THROW(parseFailPoint("3"), UsageError);
  EXPECT_THROW(parseFailPoint("3:-1"), UsageError);
  EXPECT_THROW(parseFailPoint("a:1"), UsageError);
}

TEST(ComputeSampler, SameSeedAndRankSameDraws) {
  const ComputeDist dist = parseComputeDist("normal:10,2");
  ComputeSampler a(dist, 42, 1, 1), b(dist, 42, 1, 1), otherRank(dist, 42, 2, 1), otherSeed(dist, 43, 1, 1);
  bool rankDiffers = false, seedDiffers = false;
  for (int i = 0; i < 20; ++i) {
    const double x = a.nextMs();
    EXPECT_EQ(x, b.nextMs());
    rankDiffers |= x != otherRank.nextMs();
    seedDiffers |= x != otherSeed.nextMs();
  }
  EXPECT_TRUE(rankDiffers);
  EXPECT_TRUE(seedDiffers);
}

// Sample means of 20000 draws are within a few standard errors of the distribution's mean.
TEST(ComputeSampler, MeansAndRanges) {
  for (const char* spec : {"fixed:3", "normal:10,2", "exponential:4,1", "uniform:2,8"}) {
    const ComputeDist dist = parseComputeDist(spec);
    ComputeSampler sampler(dist, 7, 0, 1);
    const int draws = 20000;
    double sum = 0, lowest = 1e300, highest = -1;
    for (int i = 0; i < draws; ++i) {
      const double x = sampler.nextMs();
      sum += x;
      lowest = std::min(lowest, x);
      highest = std::max(highest, x);
    }
    EXPECT_NEAR(sum / draws, meanMs(dist), 0.1) << spec;
    EXPECT_GE(lowest, 0) << spec;
    if (dist.kind == Kind::kUniform) {
      EXPECT_GE(lowest, 2);
      EXPECT_LE(highest, 8);
    }
    if (dist.kind == Kind::kExponential) {
      EXPECT_GE(lowest, 1);  // the shift
    }
  }
}

TEST(ComputeSampler, StragglerFactorScalesEveryDraw) {
  const ComputeDist dist = parseComputeDist("uniform:1,2");
  ComputeSampler plain(dist, 5, 3, 1), slow(dist, 5, 3, 4);
  for (int i = 0; i < 10; ++i) EXPECT_DOUBLE_EQ(slow.nextMs(), 4 * plain.nextMs());
}

TEST(ComputeSampler, NormalClampsAtZero) {
  ComputeSampler sampler(parseComputeDist("normal:0,5"), 1, 0, 1);
  for (int i = 0; i < 1000; ++i) EXPECT_GE(sampler.nextMs(), 0);
}

}  // namespace
}  // namespace ccb
