// Cluster descriptions: the contract's example parses, round-trips, and every bad field is named.
#include <gtest/gtest.h>

#include "core/error.h"
#include "sim/cli_common.h"
#include "sim/cluster.h"
#include "sim/link_model.h"
#include "sim_test_util.h"

namespace ccb::sim {
namespace {

nlohmann::json example() {
  return parseJsonText(cli::readTextFile(test::fixture("cluster_4hosts.json")), "example");
}

TEST(Cluster, ParsesTheContractExample) {
  const ClusterDescription c = clusterFromJson(example());
  EXPECT_EQ(c.ranks, 4);
  EXPECT_EQ(hostCount(c), 4);
  EXPECT_EQ(c.topology, Topology::kSwitch);
  EXPECT_DOUBLE_EQ(hostLink(c, 2).bandwidthGBps, 0.01196);  // the slow link
  EXPECT_DOUBLE_EQ(hostLink(c, 1).bandwidthGBps, 0.02392);
  EXPECT_DOUBLE_EQ(computeFactor(c, 3), 3.0);  // the slow worker
  EXPECT_DOUBLE_EQ(computeFactor(c, 0), 1.0);
  EXPECT_FALSE(isHomogeneous(c));
  // Round trip.
  const ClusterDescription again = clusterFromJson(toJson(c));
  EXPECT_EQ(toJson(again), toJson(c));
}

TEST(Cluster, ShippedExamplesParse) {
  for (const char* name : {"local-2ranks.json", "tbf-4hosts-200mbit.json"}) {
    SCOPED_TRACE(name);
    EXPECT_NO_THROW(cli::loadCluster(test::clusterFile(name)));
  }
}

void expectRejected(const std::function<void(nlohmann::json&)>& edit, const std::string& mentions) {
  nlohmann::json j = example();
  edit(j);
  try {
    clusterFromJson(j);
    FAIL() << "accepted: " << j.dump();
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find(mentions), std::string::npos) << e.what();
  }
}

TEST(Cluster, BadFieldsAreNamed) {
  expectRejected([](auto& j) { j["ranks"] = 0; }, "ranks");
  expectRejected([](auto& j) { j["ranks"] = -3; }, "ranks");
  expectRejected([](auto& j) { j["ranks"] = "four"; }, "ranks");
  expectRejected([](auto& j) { j.erase("ranks_per_host"); }, "ranks_per_host");
  expectRejected([](auto& j) { j["links"]["inter_host"]["bandwidth_GBps"] = 0; }, "inter_host.bandwidth_GBps");
  expectRejected([](auto& j) { j["links"]["intra_host"]["bandwidth_GBps"] = -1; }, "intra_host.bandwidth_GBps");
  expectRejected([](auto& j) { j["links"]["inter_host"]["latency_us"] = -1; }, "latency_us");
  expectRejected([](auto& j) { j["links"].erase("intra_host"); }, "intra_host");
  expectRejected([](auto& j) { j["reduce_GBps"] = 0; }, "reduce_GBps");
  expectRejected([](auto& j) { j["topology"] = "torus"; }, "topology");
  expectRejected([](auto& j) { j["schema"] = 2; }, "schema");
  expectRejected([](auto& j) { j["kind"] = "measured"; }, "kind");
  expectRejected([](auto& j) { j["host_overrides"][0]["host"] = 9; }, "host 9");
  expectRejected([](auto& j) { j["host_overrides"][0]["bandwidth_GBps"] = 0; }, "bandwidth_GBps");
  expectRejected([](auto& j) { j["rank_compute_factor"][0]["rank"] = 4; }, "rank 4");
  expectRejected([](auto& j) { j["rank_compute_factor"][0]["factor"] = 0; }, "factor");
  expectRejected([](auto& j) { j["host_overrides"] = 5; }, "host_overrides");
  EXPECT_THROW(clusterFromJson(nlohmann::json::array()), UsageError);
}

TEST(Cluster, UnevenLastHost) {
  ClusterDescription c;
  c.ranks = 5;
  c.ranksPerHost = 2;
  EXPECT_EQ(hostCount(c), 3);
  EXPECT_EQ(ranksOnHost(c, 2), 1);
  EXPECT_EQ(hostOf(c, 4), 2);
}

TEST(LinkModel, RoutesAndCapacities) {
  ClusterDescription c = clusterFromJson(example());
  const LinkModel links(c);
  std::vector<int> route;
  // Different hosts on a switch: up-link of host 0, down-link of host 2 (the slow one); latency 60 us.
  EXPECT_DOUBLE_EQ(links.route(0, 2, route), 60.0);
  ASSERT_EQ(route.size(), 2u);
  EXPECT_DOUBLE_EQ(links.capacityBytesPerUs(route[1]), 0.01196e3);
  c.ranksPerHost = 2;
  const LinkModel shared(c);
  route.clear();
  EXPECT_DOUBLE_EQ(shared.route(0, 1, route), 1.0);  // same host: intra latency
  EXPECT_DOUBLE_EQ(shared.capacityBytesPerUs(route[0]), 8e3);
}

}  // namespace
}  // namespace ccb::sim
