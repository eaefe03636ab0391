#include "ps/hogwild.h"

#include <array>
#include <atomic>
#include <cmath>
#include <thread>
#include <utility>

#include "core/error.h"
#include "ps/compute_model.h"

namespace ccb {
namespace {

constexpr std::array<std::pair<HogwildVariant, std::string_view>, 3> kVariants = {
    {{HogwildVariant::kRacy, "racy"},
     {HogwildVariant::kAtomic, "atomic"},
     {HogwildVariant::kLocked, "locked"}}};

static_assert(std::atomic_ref<float>::is_always_lock_free,
              "shared-memory Hogwild needs lock-free float atomics");
static_assert(std::atomic_ref<std::int32_t>::is_always_lock_free, "the lock word must be lock-free");

// The coordinate stream of one (seed, rank, run): the same for the kernel and the checker.
SplitMix64 indexStream(const HogwildWork& work) {
  SplitMix64 mix(work.seed);
  const std::uint64_t salt = mix.next() ^
                             (0x9e3779b97f4a7c15ULL * (static_cast<std::uint64_t>(work.rank) + 1)) ^
                             (0xd1b54a32d192ed03ULL * (static_cast<std::uint64_t>(work.run) + 1));
  return SplitMix64(salt);
}

// Calls touch(i) for every coordinate of every update, in the order the kernel applies them; calls
// beginUpdate() and endUpdate() around each update.
template <typename Touch, typename Begin, typename End>
void forEachIncrement(const HogwildWork& work, Touch touch, Begin beginUpdate, End endUpdate) {
  const std::size_t touched = touchedPerUpdate(work.count, work.sparsity);
  const bool dense = touched == work.count;
  SplitMix64 stream = indexStream(work);
  for (std::int64_t update = 0; update < work.updates; ++update) {
    beginUpdate();
    if (dense) {
      for (std::size_t i = 0; i < work.count; ++i) touch(i);
    } else {
      for (std::size_t j = 0; j < touched; ++j) touch(static_cast<std::size_t>(stream.next() % work.count));
    }
    endUpdate();
  }
}

// A test-and-test-and-set spin lock that yields while it waits: when ranks outnumber cores, the holder may
// be descheduled, and spinning would only keep it off the core.
void lockWord(std::int32_t* word) {
  std::atomic_ref<std::int32_t> lock(*word);
  while (lock.exchange(1, std::memory_order_acquire) != 0) {
    while (lock.load(std::memory_order_relaxed) != 0) std::this_thread::yield();
  }
}

void unlockWord(std::int32_t* word) {
  std::atomic_ref<std::int32_t>(*word).store(0, std::memory_order_release);
}

}  // namespace

std::string_view hogwildVariantName(HogwildVariant variant) {
  for (const auto& [value, name] : kVariants) {
    if (value == variant) return name;
  }
  throw InvariantError("unknown HogwildVariant");
}

HogwildVariant parseHogwildVariant(std::string_view name) {
  for (const auto& [value, known] : kVariants) {
    if (known == name) return value;
  }
  throw UsageError("--variant: unknown variant '" + std::string(name) + "' (expected racy, atomic, locked)");
}

std::size_t touchedPerUpdate(std::size_t count, double sparsity) {
  CCB_CHECK(sparsity > 0 && sparsity <= 1);
  if (sparsity >= 1) return count;
  const auto touched = static_cast<std::size_t>(std::llround(sparsity * static_cast<double>(count)));
  return std::max<std::size_t>(1, std::min(touched, count));
}

void applyHogwildUpdates(float* data, std::int32_t* lock, const HogwildWork& work, HogwildVariant variant) {
  auto nothing = [] {};
  switch (variant) {
    case HogwildVariant::kRacy:
      // Load and store are each atomic (no torn values, no undefined behaviour) but the pair is not: an
      // increment another worker makes in between is overwritten.
      forEachIncrement(
          work,
          [&](std::size_t i) {
            std::atomic_ref<float> x(data[i]);
            x.store(x.load(std::memory_order_relaxed) + 1.0f, std::memory_order_relaxed);
          },
          nothing, nothing);
      break;
    case HogwildVariant::kAtomic:
      forEachIncrement(
          work,
          [&](std::size_t i) { std::atomic_ref<float>(data[i]).fetch_add(1.0f, std::memory_order_relaxed); },
          nothing, nothing);
      break;
    case HogwildVariant::kLocked:
      // Inside the lock nobody else writes: plain arithmetic; the lock's acquire/release orders it.
      forEachIncrement(
          work, [&](std::size_t i) { data[i] += 1.0f; }, [&] { lockWord(lock); }, [&] { unlockWord(lock); });
      break;
  }
}

void addHogwildIncrements(std::vector<std::uint32_t>& counts, const HogwildWork& work) {
  CCB_CHECK_EQ(counts.size(), work.count);
  auto nothing = [] {};
  forEachIncrement(
      work, [&](std::size_t i) { ++counts[i]; }, nothing, nothing);
}

}  // namespace ccb
