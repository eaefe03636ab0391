// Readers of measured input: schema-1 documents, nccl-tests -J and Google Benchmark JSON, and their errors.
#include <gtest/gtest.h>

#include "core/error.h"
#include "sim/cli_common.h"
#include "sim/readers.h"
#include "sim_test_util.h"

namespace ccb::sim {
namespace {

using test::fixture;

nlohmann::json load(const std::string& name) { return parseJsonText(cli::readTextFile(fixture(name)), name); }

TEST(Readers, SchemaDocument) {
  const auto records = recordsFromSchemaDocument(load("measured_small.json"), "m");
  ASSERT_EQ(records.size(), 5u);
  EXPECT_EQ(records[0].algo, "ring");
  EXPECT_EQ(records[0].bytes, 1024u);
  EXPECT_DOUBLE_EQ(records[3].time.median, 500.0);
}

TEST(Readers, SchemaDocumentErrorsNameTheSourceAndField) {
  try {
    recordsFromSchemaDocument(load("missing_field.json"), "doc.json");
    FAIL() << "expected a UsageError";
  } catch (const UsageError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("doc.json"), std::string::npos) << what;
    EXPECT_NE(what.find("time"), std::string::npos) << what;
  }
  EXPECT_THROW(recordsFromSchemaDocument(load("wrong_schema.json"), "w"), UsageError);
  EXPECT_THROW(recordsFromSchemaDocument(nlohmann::json::array(), "a"), UsageError);
  EXPECT_THROW(parseJsonText(cli::readTextFile(fixture("truncated.json")), "t"), UsageError);
  EXPECT_THROW(parseJsonText(cli::readTextFile(fixture("malformed.json")), "m"), UsageError);
  // Found by the fuzzer: a number beyond double's range is a JSON error too, not an escaping exception.
  EXPECT_THROW(parseJsonText(cli::readTextFile(fixture("number_overflow.json")), "n"), UsageError);
}

TEST(Readers, NcclTests) {
  const nlohmann::json doc = load("nccl_tests.json");
  EXPECT_EQ(detectFormat(doc, "n"), InputFormat::kNcclTests);
  const auto records = recordsFromNcclTests(doc, ReaderOptions{}, "n");
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].collective, "allreduce");  // from ./build/all_reduce_perf
  EXPECT_EQ(records[0].algo, "nccl");
  EXPECT_EQ(records[0].ranks, 2);  // two device lines
  EXPECT_EQ(records[0].dtype, DType::kFloat32);
  EXPECT_DOUBLE_EQ(records[0].time.median, 10.0);
  EXPECT_EQ(records[1].nwrong, -1);  // null: not checked
  // In place: the second point's time is "nan" and is left out.
  ReaderOptions inPlace;
  inPlace.inPlace = true;
  inPlace.algo = "ring";
  const auto ip = recordsFromNcclTests(doc, inPlace, "n");
  ASSERT_EQ(ip.size(), 1u);
  EXPECT_DOUBLE_EQ(ip[0].time.median, 9.0);
  EXPECT_EQ(ip[0].algo, "ring");
}

TEST(Readers, GoogleBenchmark) {
  const nlohmann::json doc = load("gbench.json");
  EXPECT_EQ(detectFormat(doc, "g"), InputFormat::kGoogleBenchmark);
  const auto records = recordsFromGoogleBenchmark(doc, ReaderOptions{}, "g");
  ASSERT_EQ(records.size(), 4u);
  EXPECT_EQ(records[0].algo, "ring");
  EXPECT_EQ(records[0].bytes, 1024u);
  EXPECT_EQ(records[0].ranks, 2);
  EXPECT_DOUBLE_EQ(records[0].time.median, 10.0);   // 10000 ns
  EXPECT_DOUBLE_EQ(records[1].time.median, 400.0);  // 0.4 ms
  EXPECT_EQ(records[2].algo, "mpi");
  EXPECT_DOUBLE_EQ(records[2].time.median, 5.0);  // median of two repetitions, 4 and 6 us
  EXPECT_DOUBLE_EQ(records[3].time.median, 500.0);  // the "median" aggregate, not the stddev
}

TEST(Readers, GoogleBenchmarkNeedsSizesAndRanks) {
  const nlohmann::json noRanks = nlohmann::json::parse(
      R"({"benchmarks": [{"name": "BM_ring/1024", "real_time": 5, "time_unit": "us"}]})");
  EXPECT_THROW(recordsFromGoogleBenchmark(noRanks, ReaderOptions{}, "g"), UsageError);
  ReaderOptions two;
  two.ranks = 2;
  EXPECT_EQ(recordsFromGoogleBenchmark(noRanks, two, "g").at(0).ranks, 2);
  const nlohmann::json noBytes = nlohmann::json::parse(
      R"({"benchmarks": [{"name": "BM_ring", "real_time": 5, "time_unit": "us", "ranks": 2}]})");
  EXPECT_THROW(recordsFromGoogleBenchmark(noBytes, ReaderOptions{}, "g"), UsageError);
  const nlohmann::json badUnit = nlohmann::json::parse(
      R"({"benchmarks": [{"name": "BM_ring/8", "real_time": 5, "time_unit": "weeks", "ranks": 2}]})");
  EXPECT_THROW(recordsFromGoogleBenchmark(badUnit, ReaderOptions{}, "g"), UsageError);
}

TEST(Readers, UnknownDocumentsAreRejected) {
  EXPECT_THROW(detectFormat(nlohmann::json::parse(R"({"a": 1})"), "x"), UsageError);
  EXPECT_THROW(parseInputFormat("csv"), UsageError);
  EXPECT_EQ(parseInputFormat("nccl-tests"), InputFormat::kNcclTests);
}

}  // namespace
}  // namespace ccb::sim
