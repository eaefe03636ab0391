// ccsim end to end, in-process: the happy paths write documents the rest of the suite reads, and every bad
// input gives one line on stderr, a non-zero status and no output file.
#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>

#include "core/result_json.h"
#include "sim/cli.h"
#include "sim/cli_common.h"
#include "sim/cluster.h"
#include "sim/readers.h"
#include "sim_test_util.h"

namespace ccb::sim {
namespace {

namespace fs = std::filesystem;
using test::clusterFile;
using test::fixture;

struct CliRun {
  int status = 0;
  std::string out;
  std::string err;
};

CliRun ccsim(std::vector<std::string> args) {
  args.insert(args.begin(), "ccsim");
  std::ostringstream out;
  std::ostringstream err;
  CliRun r;
  r.status = runCcsim(args, out, err);
  r.out = out.str();
  r.err = err.str();
  return r;
}

class CcsimCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("ccsim-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  // A bad input: non-zero status, exactly one line on stderr that says `mentions`, no output file.
  void expectRejected(const std::vector<std::string>& args, const std::string& mentions) {
    SCOPED_TRACE(::testing::PrintToString(args));
    const CliRun r = ccsim(args);
    EXPECT_NE(r.status, 0);
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_EQ(r.err.rfind("ccsim: error: ", 0), 0u) << r.err;
    EXPECT_NE(r.err.find(mentions), std::string::npos) << r.err;
    EXPECT_TRUE(fs::is_empty(dir_)) << "an output file was written";
  }

  fs::path dir_;
};

TEST_F(CcsimCli, PredictWritesRecordsThatKeyMatchMeasuredOnes) {
  const std::string out = path("pred.json");
  const CliRun r = ccsim({"predict", "--cluster", clusterFile("local-2ranks.json"), "-b", "1K", "-e", "1M", "-f", "1024",
                       "--algo", "ring,mpi", "-J", out});
  ASSERT_EQ(r.status, 0) << r.err;
  const nlohmann::json doc = readDocument(out);
  EXPECT_EQ(doc["kind"], "predicted");
  EXPECT_EQ(doc["context"]["tool"], "ccsim");
  const auto records = recordsFromSchemaDocument(doc, out);
  ASSERT_EQ(records.size(), 4u);
  // The same key set as a measured record, plus the predicted markers.
  const nlohmann::json measured = parseJsonText(cli::readTextFile(fixture("measured_small.json")), "m");
  for (const auto& [key, value] : measured["records"][0].items()) EXPECT_TRUE(doc["records"][0].contains(key)) << key;
  EXPECT_EQ(doc["records"][0]["model"], "closed_form");
  EXPECT_EQ(doc["records"][0]["nwrong"], -1);
  EXPECT_EQ(records[2].algo, "mpi");
  EXPECT_EQ(records[2].extra["runs"], "shm_release_gather");
  EXPECT_NE(r.out.find("ring"), std::string::npos);  // the table
}

TEST_F(CcsimCli, PredictReplayAndInlineCluster) {
  const std::string out = path("replay.json");
  const CliRun r = ccsim({"predict", "--ranks", "8", "--inter-latency-us", "20", "--inter-GBps", "1", "--reduce-GBps", "4",
                       "-b", "64K", "-e", "64K", "--algo", "ring,naive_ring", "--model", "replay", "-J", out, "-q"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.err.find("note"), std::string::npos);  // naive_ring has no schedule: closed form
  const nlohmann::json doc = readDocument(out);
  EXPECT_EQ(doc["records"][0]["model"], "replay");
  EXPECT_EQ(doc["records"][1]["model"], "closed_form");
  // Replay of the ring on a homogeneous cluster equals the closed form: 14*20 + 1.75*65536/1000 +
  // 0.875*65536/4000 = 280 + 114.688 + 14.336 = 409.024 us
  EXPECT_NEAR(doc["records"][0]["time"]["median"].get<double>(), 409.024, 1e-6);
  EXPECT_TRUE(r.out.empty());
}

TEST_F(CcsimCli, PredictOtherCollectives) {
  EXPECT_EQ(ccsim({"predict", "ps", "--cluster", clusterFile("tbf-4hosts-200mbit.json"), "--servers", "2",
                   "--compute-us", "1000", "-b", "1M", "-e", "1M", "-J", path("ps.json")})
                .status,
            0);
  EXPECT_EQ(ccsim({"predict", "overlap", "--cluster", clusterFile("tbf-4hosts-200mbit.json"), "--forward-us", "1000",
                   "--backward-us", "2000", "-b", "16M", "-e", "16M", "-J", path("overlap.json")})
                .status,
            0);
  const CliRun s = ccsim({"predict", "straggler", "--cluster", clusterFile("tbf-4hosts-200mbit.json"), "--dist",
                       "normal:1000,50", "--backup", "1", "-b", "1M", "-e", "1M", "-J", path("straggler.json")});
  ASSERT_EQ(s.status, 0) << s.err;
  EXPECT_EQ(readDocument(path("straggler.json"))["records"].size(), 3u);  // sync, backup_1, async
}

TEST_F(CcsimCli, CompareFixtures) {
  const std::string out = path("cmp.json");
  const CliRun r = ccsim({"compare", "-m", fixture("measured_small.json"), "-p", fixture("predicted_small.json"), "-o", out});
  ASSERT_EQ(r.status, 0) << r.err;
  const nlohmann::json doc = readDocument(out);
  EXPECT_EQ(doc["kind"], "comparison");
  EXPECT_EQ(doc["records"].size(), 4u);
  EXPECT_NEAR(doc["summary"]["median_ape"].get<double>(), 0.15, 1e-12);
  EXPECT_EQ(doc["summary"]["fastest_algo_agreement"]["agree"], 1);
  EXPECT_NE(r.out.find("median"), std::string::npos);
}

TEST_F(CcsimCli, CompareForeignInputs) {
  // nccl-tests' "nccl" points joined with the model's ring.
  const CliRun n = ccsim({"compare", "-m", fixture("nccl_tests.json"), "-p", fixture("predicted_small.json"), "--map",
                       "nccl=ring", "-q"});
  EXPECT_EQ(n.status, 0) << n.err;
  const CliRun g = ccsim({"compare", "-m", fixture("gbench.json"), "-p", fixture("predicted_small.json"), "-o",
                       path("g.json")});
  ASSERT_EQ(g.status, 0) << g.err;
  EXPECT_EQ(readDocument(path("g.json"))["records"].size(), 4u);
}

TEST_F(CcsimCli, CalibrateWritesAClusterThatPredictReads) {
  // Predict a synthetic "measurement" from a known cluster, calibrate on it, get the cluster back.
  const std::string truth = path("truth.json");
  ASSERT_EQ(ccsim({"predict", "--ranks", "4", "--inter-latency-us", "40", "--inter-GBps", "0.5", "--reduce-GBps", "2",
                   "--algo", "ring,recursive_doubling,rabenseifner", "-b", "8", "-e", "16M", "-f", "4", "-J", truth,
                   "-q"})
                .status,
            0);
  const std::string fitted = path("fitted.json");
  const CliRun r = ccsim({"calibrate", "-i", truth, "-o", fitted, "--per-algo", "--report", path("report.json")});
  ASSERT_EQ(r.status, 0) << r.err;
  const ClusterDescription c = cli::loadCluster(fitted);
  EXPECT_NEAR(c.interHost.latencyUs, 40, 1e-6);
  EXPECT_NEAR(c.interHost.bandwidthGBps, 0.5, 1e-6);
  EXPECT_NEAR(c.reduceGBps, 2, 1e-6);
  EXPECT_EQ(c.ranksPerHost, 1);
  EXPECT_EQ(c.source["fitted_link_class"], "inter_host");
  EXPECT_EQ(ccsim({"predict", "--cluster", fitted, "-q"}).status, 0);
  EXPECT_NE(r.out.find("shared"), std::string::npos);
}

TEST_F(CcsimCli, HelpAndVersion) {
  EXPECT_EQ(ccsim({"--help"}).status, 0);
  EXPECT_NE(ccsim({"predict", "--help"}).out.find("--cluster"), std::string::npos);
  EXPECT_NE(ccsim({"--version"}).out.find("ccsim"), std::string::npos);
}

TEST_F(CcsimCli, PredictErrors) {
  const std::string out = path("out.json");
  expectRejected({"predict", "-J", out}, "--cluster");
  expectRejected({"predict", "--ranks", "0", "-J", out}, "ranks");
  expectRejected({"predict", "--ranks", "4", "--inter-GBps", "-1", "-J", out}, "bandwidth");
  expectRejected({"predict", "--ranks", "4", "--inter-GBps", "0", "-J", out}, "bandwidth");
  expectRejected({"predict", "--ranks", "4", "--reduce-GBps", "0", "-J", out}, "reduce");
  expectRejected({"predict", "--cluster", fixture("cluster_zero_bandwidth.json"), "-J", out}, "bandwidth_GBps");
  expectRejected({"predict", "--cluster", fixture("cluster_zero_ranks.json"), "-J", out}, "ranks");
  expectRejected({"predict", "--cluster", fixture("truncated.json"), "-J", out}, "not valid JSON");
  expectRejected({"predict", "--cluster", path("missing.json"), "-J", out}, "cannot open");
  expectRejected({"predict", "--ranks", "4", "--algo", "tree", "-J", out}, "tree");
  expectRejected({"predict", "--ranks", "4", "-d", "complex", "-J", out}, "complex");
  expectRejected({"predict", "--ranks", "4", "-b", "1M", "-e", "1K", "-J", out}, "minbytes");
  expectRejected({"predict", "--ranks", "4", "-b", "lots", "-J", out}, "minbytes");
  expectRejected({"predict", "--ranks", "4", "--model", "guess", "-J", out}, "guess");
  expectRejected({"predict", "--ranks", "4", "--topology", "torus", "-J", out}, "torus");
  expectRejected({"predict", "--ranks", "4", "-J", path("no/such/dir/out.json")}, "cannot write");
  expectRejected({"predict", "ps", "--ranks", "4", "--compute-us", "10", "--servers", "0", "-J", out}, "servers");
  expectRejected({"predict", "ps", "--ranks", "4", "-J", out}, "--compute-us");
  expectRejected({"predict", "overlap", "--ranks", "4", "--uniform-layers", "10", "--forward-us", "1", "-J", out}, "--backward-us");
  expectRejected({"predict", "overlap", "--ranks", "4", "--forward-us", "1", "-J", out}, "no backward time");
  expectRejected({"predict", "straggler", "--ranks", "4", "--dist", "normal:1", "-J", out}, "normal:1");
  expectRejected({"predict", "straggler", "--ranks", "4", "--dist", "normal:1,-2", "-J", out}, "deviation");
  expectRejected({"predict", "straggler", "--ranks", "4", "-J", out}, "--dist");
  expectRejected({"predict", "allgather", "-J", out}, "allgather");
  expectRejected({"frobnicate"}, "subcommand");
  expectRejected({}, "subcommand");
}

TEST_F(CcsimCli, CalibrateErrors) {
  const std::string out = path("cluster.json");
  expectRejected({"calibrate", "-i", fixture("measured_three_points.json"), "-o", out}, "need at least 4");
  expectRejected({"calibrate", "-i", fixture("truncated.json"), "-o", out}, "not valid JSON");
  expectRejected({"calibrate", "-i", fixture("malformed.json"), "-o", out}, "not valid JSON");
  expectRejected({"calibrate", "-i", fixture("wrong_schema.json"), "-o", out}, "schema");
  expectRejected({"calibrate", "-i", fixture("missing_field.json"), "-o", out}, "time");
  expectRejected({"calibrate", "-i", path("nothing.json"), "-o", out}, "cannot open");
  expectRejected({"calibrate", "-i", fixture("gbench.json"), "-o", out}, "--layout");
  expectRejected({"calibrate", "-i", fixture("measured_small.json"), "--format", "csv", "-o", out}, "csv");
  expectRejected({"calibrate", "-i", fixture("measured_small.json"), "--gamma-GBps", "0", "-o", out}, "gamma");
  expectRejected({"calibrate", "-i", fixture("measured_small.json"), "--layout", "sideways", "-o", out}, "sideways");
  expectRejected({"calibrate", "-o", out}, "input");
}

TEST_F(CcsimCli, CompareErrors) {
  const std::string out = path("cmp.json");
  const std::string p = fixture("predicted_small.json");
  expectRejected({"compare", "-m", fixture("measured_small.json"), "-p", fixture("predicted_disjoint.json"), "-o", out},
                 "no (algo, ranks, dtype, bytes) point in common");
  expectRejected({"compare", "-m", fixture("truncated.json"), "-p", p, "-o", out}, "not valid JSON");
  expectRejected({"compare", "-m", fixture("number_overflow.json"), "-p", p, "-o", out}, "not valid JSON");
  expectRejected({"compare", "-m", fixture("measured_small.json"), "-p", fixture("malformed.json"), "-o", out},
                 "not valid JSON");
  expectRejected({"compare", "-m", fixture("wrong_schema.json"), "-p", p, "-o", out}, "unsupported schema");
  expectRejected({"compare", "-m", fixture("missing_field.json"), "-p", p, "-o", out}, "time");
  expectRejected({"compare", "-m", fixture("measured_small.json"), "-p", fixture("nccl_tests.json"), "-o", out},
                 "schema");
  expectRejected({"compare", "-m", fixture("measured_small.json"), "-p", p, "--map", "nccl", "-o", out}, "--map");
  expectRejected({"compare", "-m", fixture("cluster_4hosts.json"), "-p", p, "-o", out}, "kind");
  expectRejected({"compare", "-p", p, "-o", out}, "measured");
}

}  // namespace
}  // namespace ccb::sim
