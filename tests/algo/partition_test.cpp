// partition(): the one index-arithmetic function (suite 'unit').
#include <gtest/gtest.h>

#include <cstddef>
#include <vector>

#include "algo/schedule.h"
#include "core/error.h"

namespace ccb {
namespace {

// Every count the schedule can meet: empty, fewer than, equal to and just above the parts, primes, large.
std::vector<std::size_t> countsFor(int parts) {
  const auto k = static_cast<std::size_t>(parts);
  return {0, 1, k - 1, k, k + 1, 2, 3, 7, 13, 101, 1009, 65537, (std::size_t{1} << 40) + 7, SIZE_MAX - 1};
}

TEST(Partition, CoversEvenlyInOrder) {
  for (int parts = 1; parts <= 16; ++parts) {
    for (std::size_t count : countsFor(parts)) {
      const std::size_t base = count / static_cast<std::size_t>(parts);
      const std::size_t larger = count % static_cast<std::size_t>(parts);
      std::size_t next = 0;
      for (int i = 0; i < parts; ++i) {
        const ElementRange r = partition(count, parts, i);
        SCOPED_TRACE(testing::Message() << "count " << count << " parts " << parts << " index " << i);
        EXPECT_EQ(r.first, next);  // contiguous, in index order
        EXPECT_EQ(r.count, base + (static_cast<std::size_t>(i) < larger ? 1 : 0));
        next = r.first + r.count;
      }
      EXPECT_EQ(next, count) << "count " << count << " parts " << parts;
    }
  }
}

TEST(Partition, KnownValues) {
  EXPECT_EQ(partition(10, 3, 0), (ElementRange{0, 4}));
  EXPECT_EQ(partition(10, 3, 1), (ElementRange{4, 3}));
  EXPECT_EQ(partition(10, 3, 2), (ElementRange{7, 3}));
  EXPECT_EQ(partition(2, 4, 1), (ElementRange{1, 1}));
  EXPECT_EQ(partition(2, 4, 3), (ElementRange{2, 0}));
  EXPECT_EQ(partition(0, 5, 4), (ElementRange{0, 0}));
  EXPECT_EQ(partition(7, 1, 0), (ElementRange{0, 7}));
}

TEST(Partition, RejectsBadPartsAndIndex) {
  EXPECT_THROW(partition(10, 0, 0), InvariantError);
  EXPECT_THROW(partition(10, 3, 3), InvariantError);
  EXPECT_THROW(partition(10, 3, -1), InvariantError);
}

}  // namespace
}  // namespace ccb
