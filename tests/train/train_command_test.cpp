// `ccbench train` without MPI: flag validation (one UsageError line per bad value) and the schema-1 record
// built from a small single-worker run.
#include <gtest/gtest.h>

#include <CLI/CLI.hpp>
#include <algorithm>

#include "bench/train_command.h"
#include "core/error.h"
#include "core/result_json.h"

namespace ccb {
namespace {

TrainCommandConfig parse(std::vector<std::string> args) {
  CLI::App app;
  TrainFlags flags;
  addTrainCommand(app, flags);
  args.insert(args.begin(), "train");
  std::reverse(args.begin(), args.end());
  app.parse(args);
  return validateTrainFlags(flags);
}

std::string usageMessage(const std::vector<std::string>& args) {
  try {
    parse(args);
  } catch (const UsageError& e) {
    return e.what();
  }
  return "";
}

TEST(TrainFlags, DefaultsAndValues) {
  const TrainCommandConfig config = parse({"--strategy", "async_ps", "--lr", "0.25", "--target-loss", "0.5",
                                           "--compute", "normal:10,2", "--straggler", "2:3", "--batch", "96"});
  EXPECT_EQ(config.train.strategy, Strategy::kAsyncPs);
  EXPECT_DOUBLE_EQ(config.train.lr, 0.25);
  ASSERT_TRUE(config.train.targetLoss.has_value());
  EXPECT_DOUBLE_EQ(*config.train.targetLoss, 0.5);
  EXPECT_EQ(config.train.compute.kind, ComputeDist::Kind::kNormal);
  EXPECT_EQ(config.train.stragglers.size(), 1u);
  EXPECT_EQ(config.train.globalBatch, 96u);
  EXPECT_FALSE(config.workersGiven);
  EXPECT_EQ(parse({"--dataset", "sparse"}).train.data.features, 2000u);
}

TEST(TrainFlags, BadValuesAreOneLineUsageErrors) {
  EXPECT_NE(usageMessage({"--strategy", "allreduce"}).find("--strategy"), std::string::npos);
  EXPECT_NE(usageMessage({"--lr", "fast"}).find("--lr"), std::string::npos);
  EXPECT_NE(usageMessage({"--lr", "-1"}).find("--lr"), std::string::npos);
  EXPECT_NE(usageMessage({"--max-steps", "0"}).find("--max-steps"), std::string::npos);
  EXPECT_NE(usageMessage({"--compute", "gamma:3"}).find("--compute"), std::string::npos);
  EXPECT_NE(usageMessage({"--straggler", "1:0"}).find("--straggler"), std::string::npos);
  EXPECT_NE(usageMessage({"--model", "logistic"}).find("--classes 2"), std::string::npos);
  EXPECT_NE(usageMessage({"--density", "2", "--dataset", "sparse"}).find("--density"), std::string::npos);
  EXPECT_NE(usageMessage({"--strategy", "single", "--workers", "4", "--batch", "2"}).find("--batch"),
            std::string::npos);
  EXPECT_NE(usageMessage({"--strategy", "hogwild", "--workers", "2", "--straggler", "5:2"}).find("--straggler"),
            std::string::npos);
  for (const std::string& message : {usageMessage({"--lr", "x"}), usageMessage({"--target-loss", "-1"})}) {
    EXPECT_EQ(message.find('\n'), std::string::npos);
  }
}

TEST(TrainRecord, CarriesTheContractKeys) {
  TrainCommandConfig command = parse({"--strategy", "single", "--workers", "2", "--samples", "256",
                                      "--max-steps", "20", "--target-loss", "0.9", "--eval-every", "4"});
  const TrainConfig& config = command.train;
  const Dataset data = generateDataset(config.data);
  const LinearModel model(config.model, data.features, data.classes);
  std::vector<TrainRankResult> ranks;
  ranks.push_back(runLocalTraining(config, model, data));
  const TrainSummary summary = mergeTrainResults(config, model, data, std::move(ranks));
  const Record record = trainRecord(config, summary);
  EXPECT_EQ(record.collective, "train");
  EXPECT_EQ(record.algo, "single");
  EXPECT_EQ(record.ranks, 2);
  EXPECT_EQ(record.count, model.paramCount());
  EXPECT_EQ(record.bytes, model.paramCount() * 4);
  EXPECT_EQ(record.iters, 20);
  EXPECT_EQ(record.nwrong, -1);
  const nlohmann::json j = toJson(record);
  for (const char* key : {"updates_per_s", "samples_per_s", "step_time_us", "compute_us_median", "comm_us_median",
                          "servers", "staleness_bound", "backup", "straggler", "compute", "target_loss",
                          "time_to_target_s", "steps_to_target", "final_loss", "final_accuracy", "diverged", "curve",
                          "staleness"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
  EXPECT_EQ(j.at("step_time_us").get<double>(), record.time.median);
  EXPECT_EQ(j.at("compute").at("dist"), "fixed");
  EXPECT_FALSE(j.at("diverged").get<bool>());
  EXPECT_EQ(j.at("curve").front().at("step"), 0);
  EXPECT_EQ(j.at("curve").back().at("step"), 20);
  EXPECT_EQ(j.at("staleness").at("0"), 20);
  // The record reads back through the one schema module.
  const Record back = recordFromJson(j);
  EXPECT_EQ(back.extra.at("curve").size(), j.at("curve").size());
  EXPECT_FALSE(formatTrainRow(record).empty());
  const auto lines = trainOutcomeLines(config, summary);
  EXPECT_NE(lines.front().find("Target loss"), std::string::npos);
}

}  // namespace
}  // namespace ccb
