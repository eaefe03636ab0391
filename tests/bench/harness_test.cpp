// The pure parts of the sweep harness: table rows and header, context helpers, iteration timing.
#include <gtest/gtest.h>

#include <sstream>
#include <thread>

#include "bench/context.h"
#include "bench/table.h"
#include "bench/timing.h"

namespace ccb {
namespace {

Record sampleRecord() {
  Record record;
  record.algo = "ring";
  record.ranks = 2;
  record.bytes = 1048576;
  record.count = 262144;
  record.iters = 20;
  record.time = {410.0, 434.0, 440.0, 502.25, 510.0};
  record.algBw = 2.416;
  record.busBw = 2.416;
  record.nwrong = 0;
  return record;
}

RunContext sampleContext() {
  RunContext context;
  context.tool = "ccbench";
  context.version = "0.1.0";
  context.gitRevision = "a1c4772";
  context.date = "2026-11-21T22:43:00Z";
  context.command = "ccbench allreduce";
  context.hosts = {"vm"};
  context.ranks = 3;
  context.ranksPerHost = 3;
  context.coresPerHost = 2;
  context.mpiLibrary = "MPICH 4.0.2 (ch4:ucx)";
  context.device = "cpu";
  return context;
}

std::vector<std::string> words(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> result;
  for (std::string word; in >> word;) result.push_back(word);
  return result;
}

TEST(Table, RowHasEveryColumn) {
  EXPECT_EQ(words(formatRow(sampleRecord())),
            (std::vector<std::string>{"1048576", "262144", "float32", "sum", "ring", "out", "434.00", "502.25",
                                      "2.416", "2.416", "0"}));
  Record unchecked = sampleRecord();
  unchecked.nwrong = -1;
  unchecked.inPlace = true;
  const std::vector<std::string> row = words(formatRow(unchecked));
  EXPECT_EQ(row.back(), "N/A");
  EXPECT_EQ(row[5], "in");
}

TEST(Table, HeaderAlignsWithRowsAndWarnsWhenOversubscribed) {
  std::ostringstream out;
  ResultTable table(out);
  RunContext context = sampleContext();
  context.oversubscribed = true;
  context.env = {{"UCX_TLS", "tcp"}};
  table.printHeader(context, "sweep 1K..64M x2");
  table.printRow(sampleRecord());
  const std::string text = out.str();
  EXPECT_NE(text.find("# ccbench 0.1.0 (git a1c4772), 2026-11-21T22:43:00Z"), std::string::npos);
  EXPECT_NE(text.find("# WARNING: oversubscribed"), std::string::npos);
  EXPECT_NE(text.find("# env: UCX_TLS=tcp"), std::string::npos);
  EXPECT_NE(text.find("# mpi: MPICH 4.0.2 (ch4:ucx)"), std::string::npos);
  EXPECT_NE(text.find("# sweep 1K..64M x2"), std::string::npos);
  // The column names end where the row's values end.
  std::istringstream lines(text);
  std::string line, names, row;
  while (std::getline(lines, line)) {
    if (line.find("#wrong") != std::string::npos) names = line;
    if (!line.empty() && line[0] != '#') row = line;
  }
  ASSERT_FALSE(names.empty());
  EXPECT_EQ(names.size(), row.size());
  EXPECT_EQ(names.find("busbw") + 5, row.find("2.416", row.find("2.416") + 1) + 5);
}

TEST(Table, NoWarningWhenCoresSuffice) {
  RunContext context = sampleContext();
  context.oversubscribed = false;
  for (const std::string& line : contextLines(context)) EXPECT_EQ(line.find("WARNING"), std::string::npos);
}

TEST(Table, FooterSaysOkOrFailedAndAveragesBusBandwidth) {
  std::ostringstream ok;
  ResultTable good(ok);
  Record a = sampleRecord();
  good.printRow(a);
  a.busBw = 1.0;
  good.printRow(a);
  a.algo = "mpi";
  a.busBw = 3.0;
  good.printRow(a);
  good.printFooter();
  EXPECT_NE(ok.str().find("# Out of bounds values : 0 OK"), std::string::npos);
  EXPECT_NE(ok.str().find("mpi 3.000 GB/s, ring 1.708 GB/s"), std::string::npos);

  std::ostringstream bad;
  ResultTable failed(bad);
  a.nwrong = 7;
  failed.printRow(a);
  failed.printFooter();
  EXPECT_NE(bad.str().find("# Out of bounds values : 7 FAILED"), std::string::npos);

  std::ostringstream none;
  ResultTable unchecked(none);
  a.nwrong = -1;
  unchecked.printRow(a);
  unchecked.printFooter();
  EXPECT_NE(none.str().find("not checked"), std::string::npos);
}

TEST(Context, IsoDateIsUtc) {
  EXPECT_EQ(isoDateUtc(std::chrono::system_clock::time_point{}), "1970-01-01T00:00:00Z");
  EXPECT_EQ(isoDateUtc(std::chrono::system_clock::time_point{std::chrono::seconds{1795301000}}),
            "2026-11-21T22:43:20Z");
}

TEST(Context, TransportEnvKeepsOnlyTransportSettings) {
  const char* envp[] = {"PATH=/bin", "UCX_TLS=tcp,self", "UCX_NET_DEVICES=eth0", "NCCL_ALGO=Ring",
                        "NCCL_PROTO=Simple", "NCCL_DEBUG=INFO", "MPIR_CVAR_CH4_NETMOD=ucx", "UCX_RNDV_THRESH=inf",
                        "XUCX_TLS=1",
                        "MPIR_CVAR_CH3_INTERFACE_HOSTNAME=vm",
                        "BROKEN", nullptr};
  const std::map<std::string, std::string> env = transportEnv(envp);
  EXPECT_EQ(env, (std::map<std::string, std::string>{{"MPIR_CVAR_CH4_NETMOD", "ucx"},
                                                     {"NCCL_ALGO", "Ring"},
                                                     {"NCCL_PROTO", "Simple"},
                                                     {"UCX_NET_DEVICES", "eth0"},
                                                     {"UCX_RNDV_THRESH", "inf"},
                                                     {"UCX_TLS", "tcp,self"}}));
  EXPECT_TRUE(transportEnv(nullptr).empty());
}

TEST(Context, CommandLineIsShellPasteable) {
  const char* argv[] = {"/work/main/build/bench/ccbench", "allreduce", "-b", "1K", "--json", "my results.json",
                        "--algo", "ring,mpi", "it's"};
  EXPECT_EQ(commandLine(9, argv),
            "ccbench allreduce -b 1K --json 'my results.json' --algo ring,mpi 'it'\\''s'");
}

TEST(Context, UniqueHostsKeepFirstAppearanceOrder) {
  EXPECT_EQ(uniqueHosts({"b", "a", "b", "c", "a"}), (std::vector<std::string>{"b", "a", "c"}));
}

TEST(Context, CoresAvailableIsPositive) { EXPECT_GE(coresAvailable(), 1); }

TEST(Timing, OneSamplePerIterationInMicroseconds) {
  int calls = 0;
  Clock::time_point lastStart{};
  const std::vector<double> samples = timeIterationsUs(3, [&](Clock::time_point start) {
    EXPECT_GT(start, lastStart);
    lastStart = start;
    ++calls;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  });
  EXPECT_EQ(calls, 3);
  ASSERT_EQ(samples.size(), 3u);
  for (double us : samples) {
    EXPECT_GE(us, 2000.0);
    EXPECT_LT(us, 1e6);
  }
}

}  // namespace
}  // namespace ccb
