// Synthetic, learnable classification data generated from a seed (pure, no I/O). A hidden "teacher" linear
// model labels random inputs, and a fraction of the labels is then replaced by random classes, so a linear
// student can learn the task but not beyond the label noise. Dense inputs have every feature N(0, 1); sparse
// ones have `nonzeros` features per sample (drawn with replacement), each N(0, 1), as in text or click data
// where Hogwild's lock-free updates rarely collide.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ccb {

enum class DatasetKind { kDense, kSparse };
std::string_view datasetKindName(DatasetKind kind);  // "dense", "sparse"
// Throws UsageError naming the accepted values.
DatasetKind parseDatasetKind(std::string_view name);

struct DatasetSpec {
  DatasetKind kind = DatasetKind::kDense;
  std::size_t samples = 4096;
  std::size_t features = 32;
  int classes = 4;           // labels 0..classes-1 (2 for a logistic model)
  double density = 0.01;     // sparse: fraction of features set per sample
  double labelNoise = 0.05;  // fraction of labels replaced by a uniformly drawn class
  double separation = 4;     // scale of the teacher's logits: larger is easier to learn
  std::uint64_t seed = 1;
};

// Nonzeros per sample: every feature when dense, else round(density * features), at least 1.
std::size_t nonzerosPerSample(const DatasetSpec& spec);

// Samples in compressed-row form (a dense sample lists every feature in order).
struct Dataset {
  std::size_t features = 0;
  int classes = 0;
  std::vector<std::size_t> rowStart;  // samples + 1 entries
  std::vector<std::uint32_t> index;
  std::vector<float> value;
  std::vector<int> label;

  std::size_t samples() const { return label.size(); }
};

// Throws UsageError (one line naming the field) for 0 samples or features, classes < 2, density outside
// (0, 1], label noise outside [0, 1] or a non-positive separation. Same spec, same bytes on every machine
// (our own generator, not <random>'s distributions).
Dataset generateDataset(const DatasetSpec& spec);

}  // namespace ccb
