// Unit tests of src/train: the dataset generator, the batch split, the model's gradient and loss, config
// validation, the one-process strategies (single, hogwild) and the per-rank result's JSON form.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "core/error.h"
#include "train/stepper.h"
#include "train/trainer.h"
#include "train_test_util.h"

namespace ccb {
namespace {

using test::tinyConfig;
using test::tinyData;

TEST(Dataset, SameSeedSameDataOtherSeedOtherData) {
  const Dataset a = generateDataset(tinyData()), b = generateDataset(tinyData());
  EXPECT_EQ(a.value, b.value);
  EXPECT_EQ(a.label, b.label);
  DatasetSpec other = tinyData();
  other.seed = 8;
  EXPECT_NE(generateDataset(other).value, a.value);
}

TEST(Dataset, ShapesAndEveryClassPresent) {
  for (DatasetKind kind : {DatasetKind::kDense, DatasetKind::kSparse}) {
    const DatasetSpec spec = tinyData(kind);
    const Dataset data = generateDataset(spec);
    ASSERT_EQ(data.samples(), spec.samples);
    ASSERT_EQ(data.rowStart.size(), spec.samples + 1);
    EXPECT_EQ(data.index.size(), spec.samples * nonzerosPerSample(spec));
    std::vector<int> perClass(static_cast<std::size_t>(spec.classes), 0);
    for (int label : data.label) {
      ASSERT_GE(label, 0);
      ASSERT_LT(label, spec.classes);
      ++perClass[static_cast<std::size_t>(label)];
    }
    // A balanced-enough task: no class under a tenth of the samples.
    for (int count : perClass) EXPECT_GT(count, static_cast<int>(spec.samples / 10)) << datasetKindName(kind);
    for (std::uint32_t index : data.index) ASSERT_LT(index, spec.features);
  }
  EXPECT_EQ(nonzerosPerSample(tinyData(DatasetKind::kSparse)), 6u);  // round(0.03 * 200)
}

TEST(Dataset, BadSpecsAreUsageErrors) {
  DatasetSpec spec = tinyData();
  spec.classes = 1;
  EXPECT_THROW(generateDataset(spec), UsageError);
  spec = tinyData();
  spec.density = 0;
  EXPECT_THROW(generateDataset(spec), UsageError);
  spec = tinyData();
  spec.labelNoise = 1.5;
  EXPECT_THROW(generateDataset(spec), UsageError);
  EXPECT_THROW(parseDatasetKind("medium"), UsageError);
}

TEST(BatchShare, SharesTileTheBatchInOrder) {
  for (std::size_t batch : {1u, 7u, 30u, 64u}) {
    for (int workers = 1; workers <= 8 && static_cast<std::size_t>(workers) <= batch; ++workers) {
      std::size_t next = 0;
      for (int w = 0; w < workers; ++w) {
        const BatchShare share = batchShare(batch, workers, w);
        EXPECT_EQ(share.begin, next);
        EXPECT_GE(share.size(), batch / workers);
        EXPECT_LE(share.size(), batch / workers + 1);
        next = share.end;
      }
      EXPECT_EQ(next, batch);
    }
  }
  EXPECT_EQ(batchSample(3, 2, 10, 16), (3u * 10 + 2) % 16);
}

// The analytic gradient against central differences of the summed loss, for both model kinds.
TEST(LinearModel, GradientMatchesFiniteDifferences) {
  for (ModelKind kind : {ModelKind::kSoftmax, ModelKind::kLogistic}) {
    DatasetSpec spec = tinyData();
    spec.classes = kind == ModelKind::kLogistic ? 2 : 3;
    const Dataset data = generateDataset(spec);
    const LinearModel model(kind, spec.features, spec.classes);
    std::vector<float> params(model.paramCount());
    for (std::size_t i = 0; i < params.size(); ++i) params[i] = 0.1f * static_cast<float>(i % 5) - 0.2f;
    const BatchShare all{0, data.samples()};
    std::vector<double> grad(params.size(), 0.0);
    model.addGradientSum(params.data(), data, 0, data.samples(), all, grad.data());
    const double n = static_cast<double>(data.samples());
    for (std::size_t i = 0; i < params.size(); i += 3) {
      std::vector<float> up = params, down = params;
      const float h = 1e-2f;
      up[i] += h;
      down[i] -= h;
      const double numeric =
          (model.evaluate(up.data(), data).loss - model.evaluate(down.data(), data).loss) * n / (2.0 * h);
      EXPECT_NEAR(grad[i], numeric, 1e-2 * (1 + std::fabs(numeric))) << modelKindName(kind) << " param " << i;
    }
  }
}

TEST(LinearModel, ZeroParametersGiveTheUniformLoss) {
  const Dataset data = generateDataset(tinyData());
  const LinearModel softmax(ModelKind::kSoftmax, data.features, 3);
  std::vector<float> zeros(softmax.paramCount(), 0.0f);
  EXPECT_NEAR(softmax.evaluate(zeros.data(), data).loss, std::log(3.0), 1e-9);
  EXPECT_THROW(LinearModel(ModelKind::kLogistic, 8, 3), UsageError);
  zeros[0] = std::numeric_limits<float>::infinity();
  EXPECT_FALSE(allFinite(zeros.data(), zeros.size()));
}

TEST(TrainConfig, ValidationNamesTheFlag) {
  TrainConfig config = tinyConfig(Strategy::kSingle, 4);
  config.globalBatch = 3;
  EXPECT_THROW(validateTrainConfig(config), UsageError);
  config = tinyConfig(Strategy::kSingle, 1);
  config.lr = 0;
  EXPECT_THROW(validateTrainConfig(config), UsageError);
  config = tinyConfig(Strategy::kBackupPs, 3);
  config.backup = 3;
  EXPECT_THROW(validateTrainConfig(config), UsageError);
  config = tinyConfig(Strategy::kHogwild, 2);
  config.stragglers = {{2, 3.0}};
  EXPECT_THROW(validateTrainConfig(config), UsageError);
  EXPECT_THROW(parseStrategy("sync"), UsageError);
  for (const std::string& name : strategyNames()) EXPECT_EQ(strategyName(parseStrategy(name)), name);
}

TrainSummary runLocal(const TrainConfig& config) {
  const Dataset data = generateDataset(config.data);
  const LinearModel model(config.model, data.features, data.classes);
  std::vector<TrainRankResult> ranks;
  ranks.push_back(runLocalTraining(config, model, data));
  return mergeTrainResults(config, model, data, std::move(ranks));
}

TEST(LocalTraining, SingleLearnsAndReportsTheTarget) {
  TrainConfig config = tinyConfig(Strategy::kSingle, 1);
  config.targetLoss = 0.6;
  const TrainSummary summary = runLocal(config);
  ASSERT_FALSE(summary.curve.empty());
  EXPECT_NEAR(summary.curve.front().loss, std::log(3.0), 1e-9);
  EXPECT_LT(summary.final.loss, 0.6);
  EXPECT_GT(summary.final.accuracy, 0.8);
  EXPECT_EQ(summary.stop, StopReason::kMaxSteps);
  ASSERT_TRUE(summary.stepsToTarget.has_value());
  EXPECT_GT(*summary.stepsToTarget, 0);
  EXPECT_EQ(summary.workers.at(0).steps, config.maxSteps);
  EXPECT_EQ(summary.staleness.at(0), config.maxSteps);
}

TEST(LocalTraining, UnreachableTargetEndsAtTheStepLimit) {
  TrainConfig config = tinyConfig(Strategy::kSingle, 1);
  config.maxSteps = 5;
  config.targetLoss = 1e-6;
  const TrainSummary summary = runLocal(config);
  EXPECT_EQ(summary.stop, StopReason::kMaxSteps);
  EXPECT_FALSE(summary.timeToTargetS.has_value());
  EXPECT_EQ(summary.curve.back().step, 5);  // the final parameters close the curve
}

TEST(LocalTraining, TimeLimitStopsEarly) {
  TrainConfig config = tinyConfig(Strategy::kSingle, 1);
  config.maxSteps = 100000;
  config.maxTimeS = 0.2;
  config.compute = parseComputeDist("fixed:5");
  const TrainSummary summary = runLocal(config);
  EXPECT_EQ(summary.stop, StopReason::kMaxTime);
  EXPECT_LT(summary.workers.at(0).steps, 100);
  EXPECT_GT(summary.workers.at(0).steps, 5);
}

TEST(LocalTraining, HugeLearningRateDiverges) {
  for (Strategy strategy : {Strategy::kSingle, Strategy::kHogwild}) {
    TrainConfig config = tinyConfig(strategy, 2);
    config.lr = 1e30;
    const TrainSummary summary = runLocal(config);
    EXPECT_EQ(summary.stop, StopReason::kDiverged) << strategyName(strategy);
    EXPECT_LT(summary.workers.at(0).steps, config.maxSteps) << strategyName(strategy);
  }
}

TEST(LocalTraining, HogwildConvergesOnDenseAndSparseData) {
  for (DatasetKind kind : {DatasetKind::kDense, DatasetKind::kSparse}) {
    TrainConfig config = tinyConfig(Strategy::kHogwild, 3);
    config.data = tinyData(kind);
    config.maxSteps = kind == DatasetKind::kDense ? 40 : 150;
    config.lr = kind == DatasetKind::kDense ? 0.5 : 2.0;
    const TrainSummary summary = runLocal(config);
    EXPECT_EQ(summary.workers.size(), 3u);
    EXPECT_LT(summary.final.loss, 0.8 * std::log(3.0)) << datasetKindName(kind);
    std::int64_t total = 0;
    for (const auto& [stale, count] : summary.staleness) total += count;
    EXPECT_EQ(total, 3 * config.maxSteps);
  }
}

TEST(TrainRankResult, JsonRoundTripKeepsNonFiniteValuesAsNaN) {
  TrainRankResult result;
  result.params = {1.5f, std::numeric_limits<float>::quiet_NaN()};
  result.paramsFirst = 3;
  result.staleness = {{0, 4}, {2, 1}};
  result.maxLead = 2;
  TrainWorkerResult worker;
  worker.rank = 1;
  worker.stepUs = {10, 12};
  worker.computeUs = {8, 9};
  worker.commUs = {2, 3};
  worker.steps = 2;
  worker.curve = {{0, 0.0, 1.1, 0.3}, {1, 0.5, std::numeric_limits<double>::infinity(), 0.1}};
  result.workers.push_back(worker);
  const TrainRankResult back = trainRankResultFromJson(nlohmann::json::parse(toJson(result).dump()));
  EXPECT_EQ(back.params[0], 1.5f);
  EXPECT_TRUE(std::isnan(back.params[1]));
  EXPECT_EQ(back.paramsFirst, 3u);
  EXPECT_EQ(back.staleness, result.staleness);
  ASSERT_EQ(back.workers.size(), 1u);
  EXPECT_EQ(back.workers[0].stepUs, worker.stepUs);
  EXPECT_TRUE(std::isnan(back.workers[0].curve[1].loss));
}

}  // namespace
}  // namespace ccb
