// The model every strategy trains: a linear classifier, softmax regression over C classes or logistic
// regression (two classes, one weight vector), with cross-entropy loss. Parameters are float32, laid out as
// C rows of (features weights, then the bias); logistic has one such row. Gradients are summed in double
// over a batch so the way a batch is split across workers changes only the final float rounding.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "train/dataset.h"

namespace ccb {

enum class ModelKind { kSoftmax, kLogistic };
std::string_view modelKindName(ModelKind kind);  // "softmax", "logistic"
// Throws UsageError naming the accepted values.
ModelKind parseModelKind(std::string_view name);

// Which samples step `step` uses: global batch t is samples (t * B + j) mod N for j in [0, B), and K workers
// split it into contiguous shares, the first B mod K one sample larger. Every strategy uses this one split,
// so a sync run sees exactly the single worker's data, in the same order.
struct BatchShare {
  std::size_t begin = 0;  // j of the first sample
  std::size_t end = 0;    // one past the last
  std::size_t size() const { return end - begin; }
};
// Throws InvariantError unless 0 <= worker < workers.
BatchShare batchShare(std::size_t globalBatch, int workers, int worker);
std::size_t batchSample(std::int64_t step, std::size_t j, std::size_t globalBatch, std::size_t samples);

struct Evaluation {
  double loss = 0;      // mean cross-entropy (nats); NaN or inf once the parameters diverged
  double accuracy = 0;  // fraction classified right
};

class LinearModel {
 public:
  // Throws UsageError when a logistic model is asked for more than 2 classes.
  LinearModel(ModelKind kind, std::size_t features, int classes);

  ModelKind kind() const { return kind_; }
  std::size_t paramCount() const { return rows_ * (features_ + 1); }

  // grad[i] += the gradient of the summed loss over the share `share` of global batch `step` at `params`
  // (grad has paramCount() entries).
  void addGradientSum(const float* params, const Dataset& data, std::int64_t step, std::size_t globalBatch,
                      const BatchShare& share, double* grad) const;
  // Loss and accuracy over the first `samples` samples (all when 0 or larger than the set).
  Evaluation evaluate(const float* params, const Dataset& data, std::size_t samples = 0) const;

 private:
  // Per-sample logits into logits_[0, rows_) and the gradient of the loss w.r.t. them into dlogits.
  void logits(const float* params, const Dataset& data, std::size_t sample, double* out) const;
  double lossAndDlogits(const double* z, int label, double* dz) const;

  ModelKind kind_;
  std::size_t features_;
  std::size_t rows_;  // C for softmax, 1 for logistic
};

// True when every value is finite (a diverged run has inf or NaN parameters).
bool allFinite(const float* values, std::size_t count);

}  // namespace ccb
