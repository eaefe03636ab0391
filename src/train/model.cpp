#include "train/model.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "core/error.h"

namespace ccb {

std::string_view modelKindName(ModelKind kind) { return kind == ModelKind::kSoftmax ? "softmax" : "logistic"; }

ModelKind parseModelKind(std::string_view name) {
  if (name == "softmax") return ModelKind::kSoftmax;
  if (name == "logistic") return ModelKind::kLogistic;
  throw UsageError("--model must be softmax or logistic, got '" + std::string(name) + "'");
}

BatchShare batchShare(std::size_t globalBatch, int workers, int worker) {
  CCB_CHECK_LE(0, worker);
  CCB_CHECK_LT(worker, workers);
  const std::size_t k = static_cast<std::size_t>(workers);
  const std::size_t w = static_cast<std::size_t>(worker);
  const std::size_t base = globalBatch / k, extra = globalBatch % k;
  // Worker w starts after w shares of `base`, plus one for each earlier worker that got an extra sample.
  const std::size_t begin = w * base + std::min(w, extra);
  return {begin, begin + base + (w < extra ? 1 : 0)};
}

std::size_t batchSample(std::int64_t step, std::size_t j, std::size_t globalBatch, std::size_t samples) {
  return static_cast<std::size_t>((static_cast<std::uint64_t>(step) * globalBatch + j) % samples);
}

LinearModel::LinearModel(ModelKind kind, std::size_t features, int classes)
    : kind_(kind), features_(features), rows_(kind == ModelKind::kSoftmax ? static_cast<std::size_t>(classes) : 1) {
  if (kind == ModelKind::kLogistic && classes != 2) {
    throw UsageError("--model logistic needs --classes 2, got " + std::to_string(classes));
  }
  CCB_CHECK_LE(2, classes);
}

void LinearModel::logits(const float* params, const Dataset& data, std::size_t sample, double* out) const {
  const std::size_t stride = features_ + 1;
  for (std::size_t r = 0; r < rows_; ++r) out[r] = params[r * stride + features_];
  for (std::size_t k = data.rowStart[sample]; k < data.rowStart[sample + 1]; ++k) {
    const double x = data.value[k];
    const std::size_t f = data.index[k];
    for (std::size_t r = 0; r < rows_; ++r) out[r] += params[r * stride + f] * x;
  }
}

// Cross-entropy and its derivative w.r.t. the logits. Softmax: dz = p - onehot. Logistic: one logit z for
// class 1, loss = log(1 + e^z) - y z, dz = sigmoid(z) - y. Both shift by the largest logit to stay finite
// while the parameters are; non-finite parameters give a non-finite loss, which is how divergence shows.
double LinearModel::lossAndDlogits(const double* z, int label, double* dz) const {
  if (kind_ == ModelKind::kLogistic) {
    const double y = label == 1 ? 1.0 : 0.0;
    const double softplus = z[0] > 0 ? z[0] + std::log1p(std::exp(-z[0])) : std::log1p(std::exp(z[0]));
    dz[0] = 1.0 / (1.0 + std::exp(-z[0])) - y;
    return softplus - y * z[0];
  }
  const double top = *std::max_element(z, z + rows_);
  double total = 0;
  for (std::size_t r = 0; r < rows_; ++r) total += std::exp(z[r] - top);
  for (std::size_t r = 0; r < rows_; ++r) dz[r] = std::exp(z[r] - top) / total;
  dz[label] -= 1.0;
  return std::log(total) + top - z[label];
}

void LinearModel::addGradientSum(const float* params, const Dataset& data, std::int64_t step,
                                 std::size_t globalBatch, const BatchShare& share, double* grad) const {
  std::vector<double> z(rows_), dz(rows_);
  const std::size_t stride = features_ + 1;
  for (std::size_t j = share.begin; j < share.end; ++j) {
    const std::size_t sample = batchSample(step, j, globalBatch, data.samples());
    logits(params, data, sample, z.data());
    lossAndDlogits(z.data(), data.label[sample], dz.data());
    for (std::size_t r = 0; r < rows_; ++r) grad[r * stride + features_] += dz[r];
    for (std::size_t k = data.rowStart[sample]; k < data.rowStart[sample + 1]; ++k) {
      const double x = data.value[k];
      const std::size_t f = data.index[k];
      for (std::size_t r = 0; r < rows_; ++r) grad[r * stride + f] += dz[r] * x;
    }
  }
}

Evaluation LinearModel::evaluate(const float* params, const Dataset& data, std::size_t samples) const {
  const std::size_t n = samples == 0 ? data.samples() : std::min(samples, data.samples());
  std::vector<double> z(rows_), dz(rows_);
  double loss = 0;
  std::size_t right = 0;
  for (std::size_t sample = 0; sample < n; ++sample) {
    logits(params, data, sample, z.data());
    loss += lossAndDlogits(z.data(), data.label[sample], dz.data());
    const int predicted = kind_ == ModelKind::kLogistic
                              ? (z[0] > 0 ? 1 : 0)
                              : static_cast<int>(std::max_element(z.begin(), z.end()) - z.begin());
    right += predicted == data.label[sample] ? 1 : 0;
  }
  return {loss / static_cast<double>(n), static_cast<double>(right) / static_cast<double>(n)};
}

bool allFinite(const float* values, std::size_t count) {
  return std::all_of(values, values + count, [](float v) { return std::isfinite(v); });
}

}  // namespace ccb
