#include "ps/compute_model.h"

#include <charconv>
#include <cmath>
#include <numbers>
#include <sstream>

#include "core/error.h"

namespace ccb {
namespace {

std::string_view trim(std::string_view text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  return text;
}

// A finite, non-negative decimal number; throws UsageError naming `flag` and the whole value otherwise.
double parseNonNegative(std::string_view text, std::string_view flag, std::string_view whole) {
  const std::string_view value = trim(text);
  double number = 0;
  const auto [end, err] = std::from_chars(value.data(), value.data() + value.size(), number);
  if (value.empty() || err != std::errc() || end != value.data() + value.size() || !std::isfinite(number) ||
      number < 0) {
    throw UsageError(std::string(flag) + ": '" + std::string(value) + "' in '" + std::string(whole) +
                     "' is not a non-negative number");
  }
  return number;
}

std::int64_t parseNonNegativeInt(std::string_view text, std::string_view flag, std::string_view whole) {
  const std::string_view value = trim(text);
  std::int64_t number = 0;
  const auto [end, err] = std::from_chars(value.data(), value.data() + value.size(), number);
  if (value.empty() || err != std::errc() || end != value.data() + value.size() || number < 0) {
    throw UsageError(std::string(flag) + ": '" + std::string(value) + "' in '" + std::string(whole) +
                     "' is not a non-negative integer");
  }
  return number;
}

std::vector<std::string_view> splitOn(std::string_view text, char separator) {
  std::vector<std::string_view> items;
  std::size_t start = 0;
  while (true) {
    const std::size_t at = text.find(separator, start);
    items.push_back(text.substr(start, at == std::string_view::npos ? std::string_view::npos : at - start));
    if (at == std::string_view::npos) return items;
    start = at + 1;
  }
}

std::string number(double value) {
  std::ostringstream os;
  os << value;
  return os.str();
}

}  // namespace

ComputeDist parseComputeDist(std::string_view spec) {
  constexpr std::string_view kFlag = "--compute";
  const std::string_view text = trim(spec);
  const std::size_t colon = text.find(':');
  ComputeDist dist;
  if (colon == std::string_view::npos) {
    dist.a = parseNonNegative(text, kFlag, spec);
    return dist;
  }
  const std::string_view name = text.substr(0, colon);
  const std::vector<std::string_view> args = splitOn(text.substr(colon + 1), ',');
  auto expectArgs = [&](std::size_t least, std::size_t most, const char* form) {
    if (args.size() < least || args.size() > most) {
      throw UsageError(std::string(kFlag) + ": '" + std::string(spec) + "' should look like " + form);
    }
  };
  if (name == "fixed") {
    expectArgs(1, 1, "fixed:MS");
    dist.kind = ComputeDist::Kind::kFixed;
  } else if (name == "normal") {
    expectArgs(2, 2, "normal:MEAN,STDDEV");
    dist.kind = ComputeDist::Kind::kNormal;
  } else if (name == "exponential" || name == "exp") {
    expectArgs(1, 2, "exponential:MEAN[,SHIFT]");
    dist.kind = ComputeDist::Kind::kExponential;
  } else if (name == "uniform") {
    expectArgs(2, 2, "uniform:LO,HI");
    dist.kind = ComputeDist::Kind::kUniform;
  } else {
    throw UsageError(std::string(kFlag) + ": unknown distribution '" + std::string(name) +
                     "' (expected fixed, normal, exponential, uniform)");
  }
  dist.a = parseNonNegative(args[0], kFlag, spec);
  if (args.size() > 1) dist.b = parseNonNegative(args[1], kFlag, spec);
  if (dist.kind == ComputeDist::Kind::kUniform && dist.a > dist.b) {
    throw UsageError(std::string(kFlag) + ": '" + std::string(spec) + "' has LO > HI");
  }
  return dist;
}

std::string formatComputeDist(const ComputeDist& dist) {
  switch (dist.kind) {
    case ComputeDist::Kind::kFixed:
      return "fixed:" + number(dist.a);
    case ComputeDist::Kind::kNormal:
      return "normal:" + number(dist.a) + "," + number(dist.b);
    case ComputeDist::Kind::kExponential:
      return "exponential:" + number(dist.a) + "," + number(dist.b);
    case ComputeDist::Kind::kUniform:
      return "uniform:" + number(dist.a) + "," + number(dist.b);
  }
  throw InvariantError("unknown ComputeDist kind");
}

double meanMs(const ComputeDist& dist) {
  switch (dist.kind) {
    case ComputeDist::Kind::kFixed:
    case ComputeDist::Kind::kNormal:
      return dist.a;
    case ComputeDist::Kind::kExponential:
      return dist.a + dist.b;
    case ComputeDist::Kind::kUniform:
      return (dist.a + dist.b) / 2;
  }
  throw InvariantError("unknown ComputeDist kind");
}

std::vector<Straggler> parseStragglers(std::string_view text) {
  constexpr std::string_view kFlag = "--straggler";
  std::vector<Straggler> stragglers;
  for (std::string_view item : splitOn(text, ',')) {
    item = trim(item);
    if (item.empty()) continue;
    const std::size_t colon = item.find(':');
    if (colon == std::string_view::npos) {
      throw UsageError(std::string(kFlag) + ": '" + std::string(item) + "' should look like RANK:FACTOR");
    }
    Straggler straggler;
    straggler.rank = static_cast<int>(parseNonNegativeInt(item.substr(0, colon), kFlag, item));
    straggler.factor = parseNonNegative(item.substr(colon + 1), kFlag, item);
    if (straggler.factor <= 0) {
      throw UsageError(std::string(kFlag) + ": factor in '" + std::string(item) + "' must be positive");
    }
    for (const Straggler& other : stragglers) {
      if (other.rank == straggler.rank) {
        throw UsageError(std::string(kFlag) + ": rank " + std::to_string(straggler.rank) + " given twice");
      }
    }
    stragglers.push_back(straggler);
  }
  return stragglers;
}

double stragglerFactor(const std::vector<Straggler>& stragglers, int rank) {
  for (const Straggler& straggler : stragglers) {
    if (straggler.rank == rank) return straggler.factor;
  }
  return 1;
}

FailPoint parseFailPoint(std::string_view text) {
  constexpr std::string_view kFlag = "--fail";
  const std::string_view value = trim(text);
  const std::size_t colon = value.find(':');
  if (colon == std::string_view::npos) {
    throw UsageError(std::string(kFlag) + ": '" + std::string(value) + "' should look like RANK:STEP");
  }
  FailPoint point;
  point.rank = static_cast<int>(parseNonNegativeInt(value.substr(0, colon), kFlag, value));
  point.step = parseNonNegativeInt(value.substr(colon + 1), kFlag, value);
  return point;
}

std::uint64_t SplitMix64::next() {
  std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

double SplitMix64::uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

ComputeSampler::ComputeSampler(const ComputeDist& dist, std::uint64_t seed, int rank, double factor)
    // Mixing the rank through one splitmix step keeps neighbouring ranks' streams unrelated.
    : dist_(dist),
      factor_(factor),
      rng_(SplitMix64(seed ^ (0x632be59bd9b4e019ULL * (static_cast<std::uint64_t>(rank) + 1))).next()) {}

double ComputeSampler::draw() {
  switch (dist_.kind) {
    case ComputeDist::Kind::kFixed:
      return dist_.a;
    case ComputeDist::Kind::kNormal: {
      double z = 0;
      if (spareNormal_) {
        z = *spareNormal_;
        spareNormal_.reset();
      } else {
        // Box-Muller: 1 - u is in (0, 1], so the logarithm is finite.
        const double radius = std::sqrt(-2.0 * std::log(1.0 - rng_.uniform()));
        const double angle = 2.0 * std::numbers::pi * rng_.uniform();
        z = radius * std::cos(angle);
        spareNormal_ = radius * std::sin(angle);
      }
      return std::max(0.0, dist_.a + dist_.b * z);
    }
    case ComputeDist::Kind::kExponential:
      return dist_.b - dist_.a * std::log1p(-rng_.uniform());
    case ComputeDist::Kind::kUniform:
      return dist_.a + (dist_.b - dist_.a) * rng_.uniform();
  }
  throw InvariantError("unknown ComputeDist kind");
}

double ComputeSampler::nextMs() { return draw() * factor_; }

}  // namespace ccb
