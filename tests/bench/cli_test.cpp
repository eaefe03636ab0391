// ccbench allreduce's flags: defaults, nccl-tests spellings, and one clear message for each bad value.
#include <gtest/gtest.h>

#include <CLI/CLI.hpp>
#include <limits>

#include "bench/allreduce_command.h"
#include "core/error.h"
#include "tests/bench/allreduce_flags.h"

namespace ccb {
namespace {

// The UsageError message for `args`; fails the test when parsing succeeds.
std::string usageError(const std::string& args) {
  const std::optional<std::string> error = usageErrorOf(args);
  if (!error) ADD_FAILURE() << "no UsageError for: " << args;
  return error.value_or("");
}

#define EXPECT_USAGE_ERROR(args, text) EXPECT_NE(usageError(args).find(text), std::string::npos) << usageError(args)

TEST(AllReduceFlags, DefaultsAreASensibleSweep) {
  const AllReduceConfig config = parse("");
  EXPECT_EQ(config.sweep.minBytes, 1024u);
  EXPECT_EQ(config.sweep.maxBytes, 64u << 20);
  EXPECT_EQ(config.sweep.stepFactor, 2);
  EXPECT_EQ(config.sweep.iters, 20);
  EXPECT_EQ(config.sweep.warmup, 5);
  EXPECT_TRUE(config.sweep.check);
  EXPECT_EQ(config.sweep.dtypes, std::vector<DType>{DType::kFloat32});
  EXPECT_EQ(config.sweep.ops, std::vector<ReduceOp>{ReduceOp::kSum});
  EXPECT_EQ(config.sweep.inPlace, std::vector<bool>{false});
  EXPECT_EQ(config.algos, std::vector<std::string>{"ring"});
  EXPECT_TRUE(config.sweep.jsonPath.empty());
  EXPECT_EQ(config.algoOptions.segmentBytes, AllReduceOptions{}.segmentBytes);
  EXPECT_EQ(config.algoOptions.maxInFlight, AllReduceOptions{}.maxInFlight);
}

TEST(AllReduceFlags, ShortFlagsAsInNcclTests) {
  const AllReduceConfig config = parse("-b 4K -e 2M -f 4 -n 7 -w 0 -c 0 -d double -o max");
  EXPECT_EQ(config.sweep.minBytes, 4096u);
  EXPECT_EQ(config.sweep.maxBytes, 2u << 20);
  EXPECT_EQ(config.sweep.stepFactor, 4);
  EXPECT_EQ(config.sweep.iters, 7);
  EXPECT_EQ(config.sweep.warmup, 0);
  EXPECT_FALSE(config.sweep.check);
  EXPECT_EQ(config.sweep.dtypes, std::vector<DType>{DType::kFloat64});
  EXPECT_EQ(config.sweep.ops, std::vector<ReduceOp>{ReduceOp::kMax});
}

TEST(AllReduceFlags, LongFlags) {
  const AllReduceConfig config = parse(
      "--minbytes 8 --maxbytes 1G --stepfactor 8 --iters 3 --warmup 1 --check 1 --datatype int32 --op prod "
      "--algo mpi --segment 256K --inflight 2 --timeout 2.5 --inplace 1 --json out.json");
  EXPECT_EQ(config.sweep.minBytes, 8u);
  EXPECT_EQ(config.sweep.maxBytes, 1u << 30);
  EXPECT_EQ(config.sweep.stepFactor, 8);
  EXPECT_EQ(config.sweep.dtypes, std::vector<DType>{DType::kInt32});
  EXPECT_EQ(config.sweep.ops, std::vector<ReduceOp>{ReduceOp::kProd});
  EXPECT_EQ(config.algos, std::vector<std::string>{"mpi"});
  EXPECT_EQ(config.algoOptions.segmentBytes, 256u << 10);
  EXPECT_EQ(config.algoOptions.maxInFlight, 2);
  EXPECT_DOUBLE_EQ(config.sweep.timeoutS, 2.5);
  EXPECT_EQ(config.sweep.inPlace, std::vector<bool>{true});
  EXPECT_EQ(config.sweep.jsonPath, "out.json");
}

TEST(AllReduceFlags, LastValueWinsLikeGetopt) {
  const AllReduceConfig config = parse("-b 4K -n 3 -b 8K --algo mpi --algo ring");
  EXPECT_EQ(config.sweep.minBytes, 8192u);
  EXPECT_EQ(config.algos, std::vector<std::string>{"ring"});
}

TEST(AllReduceFlags, ListsAndAll) {
  const AllReduceConfig config = parse("--algo ring,mpi,ring -d all -o all --inplace both -b 8");
  EXPECT_EQ(config.algos, (std::vector<std::string>{"ring", "mpi"}));
  EXPECT_EQ(config.sweep.dtypes.size(), kAllDTypes.size());
  EXPECT_EQ(config.sweep.ops.size(), kAllOps.size());
  EXPECT_EQ(config.sweep.inPlace, (std::vector<bool>{false, true}));
  const AllReduceConfig two = parse("-d float,half -o sum,min,sum");
  EXPECT_EQ(two.sweep.dtypes, (std::vector<DType>{DType::kFloat32, DType::kFloat16}));
  EXPECT_EQ(two.sweep.ops, (std::vector<ReduceOp>{ReduceOp::kSum, ReduceOp::kMin}));
}

TEST(AllReduceFlags, EachBadValueGetsOneClearLine) {
  EXPECT_USAGE_ERROR("--algo tree", "--algo: unknown algorithm 'tree'");
  EXPECT_USAGE_ERROR("--algo ,", "--algo needs at least one");
  EXPECT_USAGE_ERROR("-d float128", "--datatype");
  EXPECT_USAGE_ERROR("-d float128", "float128");
  EXPECT_USAGE_ERROR("-o median", "--op");
  EXPECT_USAGE_ERROR("-o median", "median");
  EXPECT_USAGE_ERROR("-b 1M -e 1K", "--minbytes 1048576 is larger than --maxbytes 1024");
  EXPECT_USAGE_ERROR("-b 0", "--minbytes must be at least 1 byte");
  EXPECT_USAGE_ERROR("-b 0 -e 0", "--minbytes must be at least 1 byte");
  EXPECT_USAGE_ERROR("--minbytes=-4", "--minbytes: '-4' is negative");
  EXPECT_USAGE_ERROR("--maxbytes=-1K", "--maxbytes: '-1K' is negative");
  EXPECT_USAGE_ERROR("-b 1X", "--minbytes: '1X' has an unknown unit");
  EXPECT_USAGE_ERROR("-b 6 -e 1K", "--minbytes 6 does not divide into float32 elements of 4 bytes");
  EXPECT_USAGE_ERROR("-b 8 -e 1028 -d float64", "--maxbytes 1028 does not divide into float64 elements of 8 bytes");
  EXPECT_USAGE_ERROR("-b 4 -d all", "--minbytes 4 does not divide into float64 elements of 8 bytes");
  EXPECT_USAGE_ERROR("-f 1", "--stepfactor must be an integer >= 2, got '1'");
  EXPECT_USAGE_ERROR("-f 1.5", "--stepfactor must be an integer >= 2, got '1.5'");
  EXPECT_USAGE_ERROR("-f=-2", "--stepfactor must be an integer >= 2");
  EXPECT_USAGE_ERROR("-n 0", "--iters must be an integer >= 1, got '0'");
  EXPECT_USAGE_ERROR("-n ten", "--iters must be an integer >= 1, got 'ten'");
  EXPECT_USAGE_ERROR("--warmup=-1", "--warmup must be an integer >= 0, got '-1'");
  EXPECT_USAGE_ERROR("-c 2", "--check must be 0 or 1, got '2'");
  EXPECT_USAGE_ERROR("--inplace yes", "--inplace must be 0 (out-of-place), 1 (in-place) or both, got 'yes'");
  EXPECT_USAGE_ERROR("--timeout 0", "--timeout must be a positive number of seconds up to 86400, got '0'");
  EXPECT_USAGE_ERROR("--timeout soon", "--timeout must be a positive number of seconds up to 86400, got 'soon'");
  EXPECT_USAGE_ERROR("--timeout 1e300", "--timeout must be a positive number of seconds up to 86400");
  EXPECT_USAGE_ERROR("--timeout nan", "--timeout must be a positive number of seconds up to 86400");
  EXPECT_USAGE_ERROR("--segment 0", "--segment must be at least 1 byte");
  EXPECT_USAGE_ERROR("--segment 6", "--segment 6 does not divide into float32 elements of 4 bytes");
  EXPECT_USAGE_ERROR("--inflight 0", "--inflight must be an integer >= 1, got '0'");
}

TEST(AllReduceFlags, ErrorsAreOneLine) {
  for (const char* args : {"--algo tree", "-d x", "-o x", "-b 1M -e 1K", "-f 1", "-b 3"}) {
    EXPECT_EQ(usageError(args).find('\n'), std::string::npos) << args;
  }
}

TEST(AllReduceFlags, UnknownFlagIsACliError) {
  EXPECT_THROW(parse("--bogus 3"), CLI::ParseError);
  EXPECT_THROW(parse("-b"), CLI::ParseError);
}

TEST(SweepSizes, GeometricFromMinToMax) {
  SweepOptions options;
  options.minBytes = 1024;
  options.maxBytes = 64u << 20;
  options.stepFactor = 2;
  const std::vector<std::uint64_t> sizes = sweepSizes(options);
  ASSERT_EQ(sizes.size(), 17u);
  EXPECT_EQ(sizes.front(), 1024u);
  EXPECT_EQ(sizes.back(), 64u << 20);

  options.minBytes = 1;
  options.maxBytes = 10;
  options.stepFactor = 3;
  EXPECT_EQ(sweepSizes(options), (std::vector<std::uint64_t>{1, 3, 9}));

  options.minBytes = options.maxBytes = 4096;
  EXPECT_EQ(sweepSizes(options), std::vector<std::uint64_t>{4096});
}

TEST(SweepSizes, StopsBeforeOverflow) {
  SweepOptions options;
  options.minBytes = std::uint64_t{1} << 62;
  options.maxBytes = std::numeric_limits<std::uint64_t>::max();
  options.stepFactor = 2;
  EXPECT_EQ(sweepSizes(options), (std::vector<std::uint64_t>{std::uint64_t{1} << 62, std::uint64_t{1} << 63}));
}

TEST(AllReduceConfigJson, NamesEveryFlag) {
  const nlohmann::json j = allReduceConfigJson(parse("--algo ring,mpi -b 4K -e 8K -d float,int32 --inplace both"));
  EXPECT_EQ(j.at("minbytes"), 4096);
  EXPECT_EQ(j.at("maxbytes"), 8192);
  EXPECT_EQ(j.at("stepfactor"), 2);
  EXPECT_EQ(j.at("iters"), 20);
  EXPECT_EQ(j.at("warmup"), 5);
  EXPECT_EQ(j.at("check"), true);
  EXPECT_EQ(j.at("dtypes"), (nlohmann::json{"float32", "int32"}));
  EXPECT_EQ(j.at("ops"), nlohmann::json{"sum"});
  EXPECT_EQ(j.at("in_place"), (nlohmann::json{false, true}));
  EXPECT_EQ(j.at("algos"), (nlohmann::json{"ring", "mpi"}));
  EXPECT_TRUE(j.contains("segment_bytes"));
  EXPECT_TRUE(j.contains("max_in_flight"));
  EXPECT_TRUE(j.contains("timeout_s"));
}

TEST(SplitList, TrimsAndSkipsEmptyItems) {
  EXPECT_EQ(splitList(" ring , mpi,,"), (std::vector<std::string>{"ring", "mpi"}));
  EXPECT_TRUE(splitList("").empty());
  EXPECT_EQ(joinList({"ring", "mpi"}, ","), "ring,mpi");
  EXPECT_EQ(joinList({}, ", "), "");
}

}  // namespace
}  // namespace ccb
