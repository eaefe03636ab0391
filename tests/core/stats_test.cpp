#include "core/stats.h"

#include <gtest/gtest.h>

#include <numeric>

#include "core/error.h"

namespace ccb {
namespace {

std::vector<double> oneTo(int n) {
  std::vector<double> v(static_cast<std::size_t>(n));
  std::iota(v.begin(), v.end(), 1.0);
  return v;
}

TEST(Stats, EmptyIsZero) {
  const TimeStatsUs s = summarize({});
  EXPECT_EQ(s.min, 0);
  EXPECT_EQ(s.median, 0);
  EXPECT_EQ(s.mean, 0);
  EXPECT_EQ(s.p99, 0);
  EXPECT_EQ(s.max, 0);
}

TEST(Stats, UnsortedOddCount) {
  const TimeStatsUs s = summarize({5, 1, 4, 2, 3});
  EXPECT_EQ(s.min, 1);
  EXPECT_EQ(s.max, 5);
  EXPECT_EQ(s.median, 3);
  EXPECT_DOUBLE_EQ(s.mean, 3);
  EXPECT_EQ(s.p99, 5);
}

TEST(Stats, EvenCountMedianIsMiddleMean) {
  EXPECT_EQ(summarize({4, 1, 3, 2}).median, 2.5);
  EXPECT_EQ(summarize({7}).median, 7);
}

TEST(Stats, P99NearestRank) {
  EXPECT_EQ(percentileSorted(oneTo(100), 99), 99);  // rank ceil(99) = 99, not 100
  EXPECT_EQ(percentileSorted(oneTo(1000), 99), 990);
  EXPECT_EQ(percentileSorted(oneTo(200), 99), 198);
  EXPECT_EQ(percentileSorted(oneTo(101), 99), 100);  // rank ceil(99.99) = 100
  EXPECT_EQ(percentileSorted(oneTo(10), 99), 10);
  EXPECT_EQ(percentileSorted(oneTo(1), 99), 1);
  EXPECT_EQ(percentileSorted(oneTo(4), 50), 2);
  EXPECT_EQ(percentileSorted(oneTo(4), 100), 4);
  EXPECT_EQ(percentileSorted(oneTo(4), 0.1), 1);
  EXPECT_EQ(summarize(oneTo(1000)).p99, 990);
}

TEST(Stats, PercentileContract) {
  EXPECT_THROW(percentileSorted({}, 50), InvariantError);
  EXPECT_THROW(percentileSorted(oneTo(3), 0), InvariantError);
  EXPECT_THROW(percentileSorted(oneTo(3), 101), InvariantError);
}

}  // namespace
}  // namespace ccb
