// `ccbench ps` flags, setups, records and rows, without MPI.
#include "bench/ps_command.h"

#include <gtest/gtest.h>

#include <map>

#include "core/error.h"

namespace ccb {
namespace {

PsFlags smallFlags() {
  PsFlags flags;
  flags.sweep.minBytes = "4K";
  flags.sweep.maxBytes = "1M";
  return flags;
}

std::string usageError(const PsFlags& flags) {
  try {
    validatePsFlags(flags);
  } catch (const UsageError& e) {
    return e.what();
  }
  return "";
}

TEST(PsFlags, Defaults) {
  const PsCommandConfig config = validatePsFlags(smallFlags());
  EXPECT_EQ(config.modes, (std::vector<PsMode>{PsMode::kSync}));
  EXPECT_EQ(config.partitionBytes, kDefaultPartitionBytes);
  EXPECT_FALSE(config.partitionGiven);
  EXPECT_EQ(config.servers, 0);
  EXPECT_EQ(formatComputeDist(config.compute), "fixed:0");
  EXPECT_FALSE(config.fail);
}

TEST(PsFlags, ParsesEverything) {
  PsFlags flags = smallFlags();
  flags.modes = "async, backup,async";
  flags.servers = "2";
  flags.colocated = true;
  flags.partition = "64K";
  flags.staleness = "3";
  flags.backup = "2";
  flags.compute = "normal:5,1";
  flags.stragglers = "1:4";
  flags.seed = "12345678901";
  flags.fail = "2:3";
  const PsCommandConfig config = validatePsFlags(flags);
  EXPECT_EQ(config.modes, (std::vector<PsMode>{PsMode::kAsync, PsMode::kBackup}));
  EXPECT_EQ(config.servers, 2);
  EXPECT_TRUE(config.colocated);
  EXPECT_EQ(config.partitionBytes, 65536u);
  EXPECT_EQ(config.staleness, 3);
  EXPECT_EQ(config.backup, 2);
  EXPECT_EQ(config.stragglers, (std::vector<Straggler>{{1, 4.0}}));
  EXPECT_EQ(config.seed, 12345678901u);
  EXPECT_EQ(config.fail, (FailPoint{2, 3}));
}

// The flag of `flags` named as on the command line.
std::string& flagField(PsFlags& flags, const std::string& name) {
  const std::map<std::string, std::string*> fields = {{"--staleness", &flags.staleness},
                                                      {"--backup", &flags.backup},
                                                      {"--partition", &flags.partition},
                                                      {"--compute", &flags.compute},
                                                      {"--mode", &flags.modes},
                                                      {"--servers", &flags.servers},
                                                      {"--op", &flags.sweep.ops},
                                                      {"--inplace", &flags.sweep.inPlace},
                                                      {"--datatype", &flags.sweep.dtypes},
                                                      {"--fail", &flags.fail},
                                                      {"--straggler", &flags.stragglers},
                                                      {"--seed", &flags.seed}};
  return *fields.at(name);
}

TEST(PsFlags, BadInputIsOneClearLine) {
  struct Case {
    std::string flag, value, needle;
  };
  const std::vector<Case> cases = {
      {"--staleness", "-1", "--staleness"},
      {"--backup", "-2", "--backup"},
      {"--partition", "2M", "larger than the largest parameter vector"},
      {"--partition", "1001", "not a multiple"},
      {"--partition", "0", "--partition"},
      {"--compute", "weibull:1", "unknown distribution 'weibull'"},
      {"--mode", "sync,eventual", "unknown mode 'eventual'"},
      {"--servers", "0", "--servers"},
      {"--op", "max", "--op"},
      {"--inplace", "1", "--inplace"},
      {"--datatype", "bf16", "bfloat16"},
      {"--fail", "2:25", "past the run"},
      {"--fail", "2", "RANK:STEP"},
      {"--straggler", "1:x", "--straggler"},
      {"--seed", "-3", "--seed"},
  };
  for (const Case& c : cases) {
    PsFlags flags = smallFlags();
    flagField(flags, c.flag) = c.value;
    const std::string message = usageError(flags);
    EXPECT_NE(message.find(c.needle), std::string::npos)
        << "expected '" << c.needle << "' in '" << message << "'";
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  }
}

TEST(PsLayoutFromFlags, DefaultsAndBadLayouts) {
  PsCommandConfig config = validatePsFlags(smallFlags());
  EXPECT_EQ(psLayout(config, 4).servers(), 1);
  EXPECT_EQ(psLayout(config, 4).workers(), 3);
  config.colocated = true;
  EXPECT_EQ(psLayout(config, 4).servers(), 4);
  EXPECT_EQ(psLayout(config, 4).workers(), 4);
  config.colocated = false;
  config.servers = 4;
  EXPECT_THROW(psLayout(config, 4), UsageError);  // M >= ranks: no worker
}

TEST(PsSetupFromFlags, PartitionIsCutToSmallVectorsAndModesAreChecked) {
  PsFlags flags = smallFlags();
  flags.modes = "backup";
  flags.backup = "3";
  PsCommandConfig config = validatePsFlags(flags);
  const PsLayout layout = psLayout(config, 4);                                                // K = 3
  EXPECT_THROW(psSetup(config, layout, DType::kFloat32, PsMode::kBackup, 4096), UsageError);  // b >= K
  EXPECT_NO_THROW(psSetup(config, layout, DType::kFloat32, PsMode::kSync, 4096));             // b unused
  config.backup = 1;
  const PsSetup setup = psSetup(config, layout, DType::kFloat32, PsMode::kBackup, 4096);
  EXPECT_EQ(setup.plan.partitionBytes, 4096u);  // the 4M default, cut to the vector
  EXPECT_EQ(setup.timedSteps, 20);
  EXPECT_EQ(setup.warmupSteps, 5);
  EXPECT_EQ(setup.what, "ps backup 4K float32");
}

TEST(PsRecord, CarriesTheSchemaAndPsKeys) {
  PsCommandConfig config = validatePsFlags(smallFlags());
  const PsLayout layout = psLayout(config, 3);
  const PsSetup setup = psSetup(config, layout, DType::kFloat32, PsMode::kSync, 65536);
  PsSummary summary;
  summary.step = {100, 200, 210, 400, 500};
  summary.push = {10, 20, 20, 30, 40};
  summary.staleness = {{0, 40}};
  summary.updatesPerS = 1234;
  summary.wrong = 0;
  const Record record = psRecord(setup, summary);
  EXPECT_EQ(record.collective, "ps");
  EXPECT_EQ(record.algo, "ps_sync");
  EXPECT_EQ(record.op, ReduceOp::kAvg);
  EXPECT_DOUBLE_EQ(record.algBw, 65536 / 200e-6 / 1e9);
  // One dedicated server, two workers: the server's link carries 2 S each way.
  EXPECT_DOUBLE_EQ(record.busBw, 2 * record.algBw);
  EXPECT_EQ(record.extra.at("workers"), 2);
  EXPECT_EQ(record.extra.at("staleness_histogram").at("0"), 40);
  EXPECT_EQ(record.extra.at("push_time").at("median"), 20);
  for (const char* key :
       {"mode", "servers", "colocated", "partition_bytes", "step_time", "pull_time", "idle_time",
        "updates_per_s", "dropped_pushes", "failed_workers", "seed", "compute"}) {
    EXPECT_TRUE(record.extra.contains(key)) << key;
  }
  const std::string row = formatPsRow(record);
  EXPECT_NE(row.find("65536"), std::string::npos) << row;
  EXPECT_NE(row.find("sync"), std::string::npos) << row;
  EXPECT_NE(row.find("0/0"), std::string::npos) << row;
  // The record survives the schema module.
  const Record back = recordFromJson(toJson(record));
  EXPECT_EQ(back.extra.at("mode"), "sync");
}

}  // namespace
}  // namespace ccb
