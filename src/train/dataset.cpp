#include "train/dataset.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "core/error.h"
#include "ps/compute_model.h"

namespace ccb {
namespace {

// One standard normal draw (Box-Muller; the second draw is discarded to keep the stream simple).
double normal(SplitMix64& rng) {
  const double u1 = 1.0 - rng.uniform();  // (0, 1]: log stays finite
  const double u2 = rng.uniform();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

void checkSpec(const DatasetSpec& spec) {
  if (spec.samples == 0) throw UsageError("--samples must be at least 1");
  if (spec.features == 0) throw UsageError("--features must be at least 1");
  if (spec.features > (std::size_t{1} << 31)) throw UsageError("--features must be below 2^31");
  if (spec.classes < 2) throw UsageError("--classes must be at least 2, got " + std::to_string(spec.classes));
  if (!(spec.density > 0 && spec.density <= 1))
    throw UsageError("--density must be in (0, 1], got " + std::to_string(spec.density));
  if (!(spec.labelNoise >= 0 && spec.labelNoise <= 1))
    throw UsageError("--label-noise must be in [0, 1], got " + std::to_string(spec.labelNoise));
  if (!(spec.separation > 0)) throw UsageError("--separation must be positive");
}

}  // namespace

std::string_view datasetKindName(DatasetKind kind) { return kind == DatasetKind::kDense ? "dense" : "sparse"; }

DatasetKind parseDatasetKind(std::string_view name) {
  if (name == "dense") return DatasetKind::kDense;
  if (name == "sparse") return DatasetKind::kSparse;
  throw UsageError("--dataset must be dense or sparse, got '" + std::string(name) + "'");
}

std::size_t nonzerosPerSample(const DatasetSpec& spec) {
  if (spec.kind == DatasetKind::kDense) return spec.features;
  return std::max<std::size_t>(1, static_cast<std::size_t>(std::llround(spec.density * spec.features)));
}

Dataset generateDataset(const DatasetSpec& spec) {
  checkSpec(spec);
  SplitMix64 rng(spec.seed);
  const std::size_t classes = static_cast<std::size_t>(spec.classes);
  std::vector<double> teacher(classes * spec.features);
  for (double& w : teacher) w = normal(rng);
  const std::size_t nonzeros = nonzerosPerSample(spec);
  // Logit scale: a teacher logit then has standard deviation `separation` whatever the number of features.
  const double scale = spec.separation / std::sqrt(static_cast<double>(nonzeros));

  Dataset data;
  data.features = spec.features;
  data.classes = spec.classes;
  data.rowStart.reserve(spec.samples + 1);
  data.rowStart.push_back(0);
  data.index.reserve(spec.samples * nonzeros);
  data.value.reserve(spec.samples * nonzeros);
  data.label.reserve(spec.samples);
  std::vector<double> logits(classes);
  for (std::size_t sample = 0; sample < spec.samples; ++sample) {
    std::fill(logits.begin(), logits.end(), 0.0);
    for (std::size_t k = 0; k < nonzeros; ++k) {
      const std::size_t feature = spec.kind == DatasetKind::kDense
                                      ? k
                                      : static_cast<std::size_t>(rng.uniform() * spec.features);
      const double x = normal(rng);
      data.index.push_back(static_cast<std::uint32_t>(feature));
      data.value.push_back(static_cast<float>(x));
      for (std::size_t c = 0; c < classes; ++c) logits[c] += teacher[c * spec.features + feature] * x * scale;
    }
    data.rowStart.push_back(data.index.size());
    int label = static_cast<int>(std::max_element(logits.begin(), logits.end()) - logits.begin());
    if (rng.uniform() < spec.labelNoise) label = static_cast<int>(rng.uniform() * spec.classes);
    data.label.push_back(std::min(label, spec.classes - 1));
  }
  return data;
}

}  // namespace ccb
