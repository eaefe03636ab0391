// Hogwild's kernels on threads sharing one vector: the locked and atomic variants lose nothing, the racy one
// never invents increments, and the checker's stream matches the kernel's.
#include "ps/hogwild.h"

#include <gtest/gtest.h>

#include <numeric>
#include <thread>
#include <vector>

#include "core/error.h"

namespace ccb {
namespace {

struct Outcome {
  std::vector<float> data;
  std::vector<std::uint32_t> expected;
};

Outcome runThreads(HogwildVariant variant, int ranks, std::size_t count, double sparsity,
                   std::int64_t updates) {
  Outcome outcome{std::vector<float>(count, 0.0f), std::vector<std::uint32_t>(count, 0)};
  std::int32_t lock = 0;
  std::vector<std::thread> threads;
  for (int rank = 0; rank < ranks; ++rank) {
    const HogwildWork work{count, sparsity, updates, 99, rank, 3};
    addHogwildIncrements(outcome.expected, work);
    threads.emplace_back([&, work] { applyHogwildUpdates(outcome.data.data(), &lock, work, variant); });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(lock, 0);
  return outcome;
}

TEST(Hogwild, LockedAndAtomicLoseNothing) {
  for (HogwildVariant variant : {HogwildVariant::kLocked, HogwildVariant::kAtomic}) {
    for (double sparsity : {1.0, 0.05}) {
      const Outcome outcome = runThreads(variant, 4, 2000, sparsity, 200);
      for (std::size_t i = 0; i < outcome.data.size(); ++i) {
        ASSERT_EQ(outcome.data[i], static_cast<float>(outcome.expected[i]))
            << hogwildVariantName(variant) << " sparsity " << sparsity << " coordinate " << i;
      }
    }
  }
}

TEST(Hogwild, RacyNeverInventsIncrements) {
  const Outcome outcome = runThreads(HogwildVariant::kRacy, 4, 2000, 1.0, 200);
  double total = 0, expected = 0;
  for (std::size_t i = 0; i < outcome.data.size(); ++i) {
    EXPECT_LE(outcome.data[i], static_cast<float>(outcome.expected[i]));
    EXPECT_GE(outcome.data[i], 1.0f);  // at least one worker's increments survive... or its last store does
    total += outcome.data[i];
    expected += outcome.expected[i];
  }
  EXPECT_LE(total, expected);
}

TEST(Hogwild, OneWorkerIsExactInEveryVariant) {
  for (HogwildVariant variant : {HogwildVariant::kRacy, HogwildVariant::kAtomic, HogwildVariant::kLocked}) {
    const Outcome outcome = runThreads(variant, 1, 500, 0.1, 50);
    for (std::size_t i = 0; i < outcome.data.size(); ++i) {
      ASSERT_EQ(outcome.data[i], static_cast<float>(outcome.expected[i])) << hogwildVariantName(variant);
    }
  }
}

TEST(Hogwild, SparseTouchesTheFractionAndStreamsDiffer) {
  EXPECT_EQ(touchedPerUpdate(1000, 1.0), 1000u);
  EXPECT_EQ(touchedPerUpdate(1000, 0.01), 10u);
  EXPECT_EQ(touchedPerUpdate(1000, 1e-9), 1u);
  std::vector<std::uint32_t> a(1000, 0), b(1000, 0);
  addHogwildIncrements(a, HogwildWork{1000, 0.01, 10, 5, 0, 0});
  addHogwildIncrements(b, HogwildWork{1000, 0.01, 10, 5, 1, 0});
  EXPECT_EQ(std::accumulate(a.begin(), a.end(), 0u), 100u);
  EXPECT_NE(a, b);
}

TEST(Hogwild, VariantNames) {
  EXPECT_EQ(parseHogwildVariant("locked"), HogwildVariant::kLocked);
  EXPECT_EQ(hogwildVariantName(HogwildVariant::kRacy), "racy");
  EXPECT_THROW(parseHogwildVariant("lockfree"), UsageError);
}

}  // namespace
}  // namespace ccb
