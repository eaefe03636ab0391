// JSON schema 1: round trips, the errors readDocument reports, and atomic writes.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "core/error.h"
#include "core/result_json.h"

namespace ccb {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

RunContext sampleContext() {
  RunContext context;
  context.tool = "ccbench";
  context.version = "0.1.0";
  context.gitRevision = "a1c4772";
  context.date = "2026-11-21T22:43:00Z";
  context.command = "ccbench allreduce -b 1K -e 64M";
  context.hosts = {"hostA", "hostB"};
  context.ranks = 4;
  context.ranksPerHost = 2;
  context.coresPerHost = 2;
  context.oversubscribed = true;
  context.mpiLibrary = "MPICH 4.0.2 (ch4:ucx)";
  context.device = "cpu";
  context.env = {{"UCX_TLS", "tcp"}, {"MPIR_CVAR_X", "1"}};
  return context;
}

Record sampleRecord() {
  Record record;
  record.algo = "ring";
  record.ranks = 4;
  record.dtype = DType::kBFloat16;
  record.op = ReduceOp::kAvg;
  record.bytes = 1048576;
  record.count = 524288;
  record.inPlace = true;
  record.iters = 20;
  record.time = {410.25, 434.0, 440.125, 502.5, 510.0};
  record.algBw = 2.41;
  record.busBw = 3.615;
  record.nwrong = 0;
  return record;
}

// A fresh folder under the test's temp dir, removed afterwards.
class TempDir : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("ccb_json_test_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  void writeText(const std::string& name, const std::string& text) const { std::ofstream(path(name)) << text; }
  std::vector<std::string> files() const {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(dir_)) names.push_back(entry.path().filename().string());
    return names;
  }
  // readDocument's message for file `name`; fails the test when it reads fine.
  std::string readError(const std::string& name) const {
    try {
      readDocument(path(name));
    } catch (const UsageError& e) {
      return e.what();
    }
    ADD_FAILURE() << name << " was accepted";
    return "";
  }

  fs::path dir_;
};

std::string recordError(const json& j) {
  try {
    recordFromJson(j);
  } catch (const UsageError& e) {
    return e.what();
  }
  ADD_FAILURE() << "accepted: " << j.dump();
  return "";
}

TEST(RunContextJson, RoundTrip) {
  const RunContext context = sampleContext();
  const json j = toJson(context);
  EXPECT_EQ(j.at("git_revision"), "a1c4772");
  EXPECT_EQ(j.at("ranks_per_host"), 2);
  EXPECT_EQ(j.at("mpi_library"), "MPICH 4.0.2 (ch4:ucx)");
  EXPECT_EQ(j.at("env").at("UCX_TLS"), "tcp");
  const RunContext back = runContextFromJson(j);
  EXPECT_EQ(back.tool, context.tool);
  EXPECT_EQ(back.version, context.version);
  EXPECT_EQ(back.gitRevision, context.gitRevision);
  EXPECT_EQ(back.date, context.date);
  EXPECT_EQ(back.command, context.command);
  EXPECT_EQ(back.hosts, context.hosts);
  EXPECT_EQ(back.ranks, context.ranks);
  EXPECT_EQ(back.ranksPerHost, context.ranksPerHost);
  EXPECT_EQ(back.coresPerHost, context.coresPerHost);
  EXPECT_EQ(back.oversubscribed, context.oversubscribed);
  EXPECT_EQ(back.mpiLibrary, context.mpiLibrary);
  EXPECT_EQ(back.device, context.device);
  EXPECT_EQ(back.env, context.env);
}

TEST(RunContextJson, MissingOrMalformedFieldsAreNamed) {
  json j = toJson(sampleContext());
  j.erase("cores_per_host");
  EXPECT_THROW(runContextFromJson(j), UsageError);
  try {
    runContextFromJson(j);
  } catch (const UsageError& e) {
    EXPECT_STREQ(e.what(), "missing field \"context.cores_per_host\"");
  }
  j = toJson(sampleContext());
  j["hosts"] = {"a", 3};
  EXPECT_THROW(runContextFromJson(j), UsageError);
  j = toJson(sampleContext());
  j["env"] = {{"UCX_TLS", 1}};
  EXPECT_THROW(runContextFromJson(j), UsageError);
}

TEST(RecordJson, KeysAreExactlyTheSchemas) {
  const json j = toJson(sampleRecord());
  std::vector<std::string> keys;
  for (const auto& [key, value] : j.items()) keys.push_back(key);
  std::sort(keys.begin(), keys.end());
  EXPECT_EQ(keys, (std::vector<std::string>{"alg_bw", "algo", "bus_bw", "bytes", "collective", "count", "dtype",
                                            "in_place", "iters", "nwrong", "op", "ranks", "time"}));
  EXPECT_EQ(j.at("dtype"), "bfloat16");
  EXPECT_EQ(j.at("op"), "avg");
  EXPECT_EQ(j.at("collective"), "allreduce");
  EXPECT_EQ(j.at("time").at("p99"), 502.5);
}

TEST(RecordJson, RoundTripKeepsExtras) {
  Record record = sampleRecord();
  record.extra = {{"model", "closed_form"}, {"staleness_histogram", {1, 2, 3}}};
  const json j = toJson(record);
  EXPECT_EQ(j.at("model"), "closed_form");
  const Record back = recordFromJson(j);
  EXPECT_EQ(back.collective, record.collective);
  EXPECT_EQ(back.algo, record.algo);
  EXPECT_EQ(back.ranks, record.ranks);
  EXPECT_EQ(back.dtype, record.dtype);
  EXPECT_EQ(back.op, record.op);
  EXPECT_EQ(back.bytes, record.bytes);
  EXPECT_EQ(back.count, record.count);
  EXPECT_EQ(back.inPlace, record.inPlace);
  EXPECT_EQ(back.iters, record.iters);
  EXPECT_EQ(back.time.min, record.time.min);
  EXPECT_EQ(back.time.median, record.time.median);
  EXPECT_EQ(back.time.mean, record.time.mean);
  EXPECT_EQ(back.time.p99, record.time.p99);
  EXPECT_EQ(back.time.max, record.time.max);
  EXPECT_EQ(back.algBw, record.algBw);
  EXPECT_EQ(back.busBw, record.busBw);
  EXPECT_EQ(back.nwrong, record.nwrong);
  EXPECT_EQ(back.extra, record.extra);
}

TEST(RecordJson, UncheckedIsMinusOne) {
  Record record = sampleRecord();
  record.nwrong = -1;
  EXPECT_EQ(recordFromJson(toJson(record)).nwrong, -1);
}

TEST(RecordJson, ErrorsNameTheField) {
  json j = toJson(sampleRecord());
  j["time"].erase("p99");
  EXPECT_EQ(recordError(j), "missing field \"record.time.p99\"");
  j = toJson(sampleRecord());
  j.erase("nwrong");
  EXPECT_EQ(recordError(j), "missing field \"record.nwrong\"");
  j = toJson(sampleRecord());
  j["bytes"] = "1M";
  EXPECT_EQ(recordError(j), "field \"record.bytes\" must be a non-negative integer, got \"1M\"");
  j["bytes"] = -4;
  EXPECT_EQ(recordError(j), "field \"record.bytes\" must be a non-negative integer, got -4");
  j = toJson(sampleRecord());
  j["ranks"] = 2.5;
  EXPECT_EQ(recordError(j), "field \"record.ranks\" must be an integer, got 2.5");
  j = toJson(sampleRecord());
  j["dtype"] = "float128";
  EXPECT_NE(recordError(j).find("field \"record.dtype\": "), std::string::npos);
  j = toJson(sampleRecord());
  j["in_place"] = 1;
  EXPECT_EQ(recordError(j), "field \"record.in_place\" must be true or false, got 1");
  EXPECT_EQ(recordError(json::array()), "record: expected a JSON object");
}

TEST(MakeDocument, HasTheTopLevelShape) {
  const json doc = makeDocument(DocKind::kMeasured, sampleContext(), {{"iters", 20}});
  EXPECT_EQ(doc.at("schema"), 1);
  EXPECT_EQ(doc.at("kind"), "measured");
  EXPECT_EQ(doc.at("config").at("iters"), 20);
  EXPECT_TRUE(doc.at("records").is_array());
  EXPECT_TRUE(doc.at("records").empty());
  EXPECT_FALSE(doc.contains("summary"));
  EXPECT_EQ(runContextFromJson(doc.at("context")).hosts, sampleContext().hosts);
  const json comparison = makeDocument(DocKind::kComparison, sampleContext(), nullptr);
  EXPECT_EQ(comparison.at("kind"), "comparison");
  EXPECT_TRUE(comparison.at("config").is_object());
  EXPECT_TRUE(comparison.at("summary").is_object());
  EXPECT_EQ(docKindName(DocKind::kPredicted), "predicted");
}

TEST_F(TempDir, WriteThenReadRoundTrip) {
  json doc = makeDocument(DocKind::kMeasured, sampleContext(), json::object());
  doc["records"].push_back(toJson(sampleRecord()));
  writeJsonAtomic(path("a.json"), doc);
  const json back = readDocument(path("a.json"));
  EXPECT_EQ(back, doc);
  EXPECT_EQ(recordFromJson(back.at("records").at(0)).bytes, 1048576u);
  EXPECT_EQ(files(), std::vector<std::string>{"a.json"});  // no temporary file left behind
}

TEST_F(TempDir, ReadErrorsSayWhatIsWrong) {
  const std::string valid = makeDocument(DocKind::kMeasured, sampleContext(), json::object()).dump(2);
  writeText("malformed.json", "{\"schema\": 1, \"kind\": }");
  EXPECT_NE(readError("malformed.json").find("not valid JSON"), std::string::npos);
  writeText("truncated.json", valid.substr(0, valid.size() / 2));
  EXPECT_NE(readError("truncated.json").find("truncated or malformed"), std::string::npos);
  EXPECT_NE(readError("truncated.json").find("truncated.json: "), std::string::npos);
  writeText("empty.json", "");
  EXPECT_NE(readError("empty.json").find("not valid JSON"), std::string::npos);
  writeText("array.json", "[1, 2]");
  EXPECT_NE(readError("array.json").find("expected a JSON object"), std::string::npos);

  json doc = json::parse(valid);
  doc["schema"] = 2;
  writeText("schema2.json", doc.dump());
  EXPECT_NE(readError("schema2.json").find("unsupported schema 2 (this build reads schema 1)"), std::string::npos);
  doc.erase("schema");
  writeText("noschema.json", doc.dump());
  EXPECT_NE(readError("noschema.json").find("missing field \"schema\""), std::string::npos);

  doc = json::parse(valid);
  doc["kind"] = "cluster";
  writeText("kind.json", doc.dump());
  EXPECT_NE(readError("kind.json").find("unknown kind \"cluster\""), std::string::npos);
  doc.erase("kind");
  writeText("nokind.json", doc.dump());
  EXPECT_NE(readError("nokind.json").find("missing field \"kind\""), std::string::npos);

  doc = json::parse(valid);
  doc.erase("records");
  writeText("norecords.json", doc.dump());
  EXPECT_NE(readError("norecords.json").find("\"records\""), std::string::npos);
  doc = json::parse(valid);
  doc["context"] = "x";
  writeText("context.json", doc.dump());
  EXPECT_NE(readError("context.json").find("\"context\""), std::string::npos);

  EXPECT_NE(readError("absent.json").find("absent.json: cannot open"), std::string::npos);
}

TEST_F(TempDir, UnwritablePathThrowsAndLeavesNothing) {
  const json doc = makeDocument(DocKind::kMeasured, sampleContext(), json::object());
  EXPECT_THROW(writeJsonAtomic(path("no/such/folder/a.json"), doc), UsageError);
  try {
    writeJsonAtomic(path("missing/a.json"), doc);
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("cannot write JSON to"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("missing/a.json"), std::string::npos);
  }
  fs::create_directory(path("folder"));
  EXPECT_THROW(writeJsonAtomic(path("folder"), doc), UsageError);
  EXPECT_EQ(files(), std::vector<std::string>{"folder"});
  EXPECT_TRUE(fs::is_empty(path("folder")));
}

// A reader that keeps reading while the file is rewritten must always see a whole document: with a
// truncate-then-write it would soon catch a partial one.
TEST_F(TempDir, ReadersNeverSeeAPartialFile) {
  json doc = makeDocument(DocKind::kMeasured, sampleContext(), json::object());
  for (int i = 0; i < 800; ++i) doc["records"].push_back(toJson(sampleRecord()));
  writeJsonAtomic(path("live.json"), doc);
  std::atomic<bool> done{false};
  std::atomic<int> reads{0};
  std::atomic<int> failures{0};
  std::thread reader([&] {
    while (!done) {
      try {
        readDocument(path("live.json"));
      } catch (const UsageError&) {
        ++failures;
      }
      ++reads;
    }
  });
  for (int i = 0; i < 30; ++i) {
    doc["config"]["round"] = i;
    writeJsonAtomic(path("live.json"), doc);
  }
  done = true;
  reader.join();
  EXPECT_EQ(failures, 0) << "of " << reads << " reads";
  EXPECT_EQ(readDocument(path("live.json")).at("config").at("round"), 29);
  EXPECT_EQ(files(), std::vector<std::string>{"live.json"});
}

TEST_F(TempDir, DocumentWriterRewritesAfterEachRecord) {
  DocumentWriter writer(path("sweep.json"), makeDocument(DocKind::kMeasured, sampleContext(), json::object()));
  EXPECT_TRUE(readDocument(path("sweep.json")).at("records").empty());  // written before the first record
  writer.append(toJson(sampleRecord()));
  EXPECT_EQ(readDocument(path("sweep.json")).at("records").size(), 1u);
  writer.append(toJson(sampleRecord()));
  EXPECT_EQ(readDocument(path("sweep.json")).at("records").size(), 2u);
  EXPECT_EQ(writer.document().at("records").size(), 2u);
  EXPECT_EQ(files(), std::vector<std::string>{"sweep.json"});
}

TEST_F(TempDir, DocumentWriterFailsEarlyOnAnUnwritablePath) {
  EXPECT_THROW(DocumentWriter(path("nope/sweep.json"), makeDocument(DocKind::kMeasured, sampleContext(), {})),
               UsageError);
  EXPECT_TRUE(files().empty());
}

}  // namespace
}  // namespace ccb
