// Hogwild (Recht, Re, Wright, Niu 2011): workers update one shared parameter vector with no lock. Here each
// update adds 1 to the coordinates it touches (all of them, or a random fraction), so the final vector says
// exactly how many increments survived. Variants:
//   racy    relaxed atomic load, add, relaxed atomic store: no lock and no read-modify-write, so two
//           workers that touch one coordinate at once can overwrite each other (the lost updates we count);
//   atomic  relaxed atomic fetch_add per coordinate: lock-free and exact;
//   locked  one spin lock around each whole update (the serialised baseline): exact.
// The kernels only see a float array and a lock word, so tests run them on threads and ccbench on an MPI
// shared-memory window (processes); both are fine for lock-free atomics, which are address-free.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ccb {

enum class HogwildVariant { kRacy, kAtomic, kLocked };

std::string_view hogwildVariantName(HogwildVariant variant);
// Throws UsageError naming the accepted values.
HogwildVariant parseHogwildVariant(std::string_view name);

// One rank's share of one run.
struct HogwildWork {
  std::size_t count = 0;     // coordinates of the vector
  double sparsity = 1;       // fraction of coordinates one update touches, in (0, 1]; 1 = dense
  std::int64_t updates = 0;  // updates this rank applies
  std::uint64_t seed = 1;
  int rank = 0;
  std::int64_t run = 0;  // which run of a sweep point: sparse indices differ between runs
};

// Coordinates one update touches: all for sparsity 1, else round(sparsity * count), at least 1.
std::size_t touchedPerUpdate(std::size_t count, double sparsity);

// Applies work.updates updates to data[0, count): dense updates sweep every coordinate in order, sparse ones
// touch touchedPerUpdate() coordinates drawn uniformly (with replacement) from a stream seeded by (seed,
// rank, run). `lock` is the locked variant's lock word (0 = free); the others ignore it.
void applyHogwildUpdates(float* data, std::int32_t* lock, const HogwildWork& work, HogwildVariant variant);

// Adds to counts[i] the increments `work` makes to coordinate i (the same stream as applyHogwildUpdates),
// so a checker knows what every coordinate must hold when nothing is lost.
void addHogwildIncrements(std::vector<std::uint32_t>& counts, const HogwildWork& work);

}  // namespace ccb
