// The cluster description: what ccsim's models are functions of (contract in sim/README.md, "Cluster file").
// Parsing and validation live here; reading the file is the CLI's job (the simulator itself does no I/O).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace ccb::sim {

// One class of link: per-message one-way latency and payload bandwidth (goodput, 1e9 bytes/s).
struct LinkParams {
  double latencyUs = 0;
  double bandwidthGBps = 0;
};

// "switch": a star; every host has its own up and down link to one non-blocking switch.
// "ring": host h is wired to hosts h-1 and h+1 (full duplex); traffic takes the shorter way round.
enum class Topology { kSwitch, kRing };

// A host whose link differs from links.inter_host (one slow link). Unset fields keep the default.
struct HostOverride {
  int host = 0;
  std::optional<double> latencyUs;
  std::optional<double> bandwidthGBps;
};

// A rank whose computation (reductions, and compute phases in the training models) is `factor` times
// slower than nominal (one slow worker).
struct RankComputeFactor {
  int rank = 0;
  double factor = 1;
};

struct ClusterDescription {
  std::string name;
  int ranks = 1;
  int ranksPerHost = 1;  // ranks are placed in blocks: rank r lives on host r / ranksPerHost
  Topology topology = Topology::kSwitch;
  LinkParams intraHost{0.5, 10.0};
  LinkParams interHost{50.0, 1.0};
  // Reduction throughput in GB/s of input; 0 means reductions are free (gamma = 0).
  double reduceGBps = 0;
  std::vector<HostOverride> hostOverrides;
  std::vector<RankComputeFactor> rankComputeFactors;
  nlohmann::json source = nlohmann::json::object();  // free-form provenance
};

// Parses and validates a cluster object. Throws UsageError naming the offending field for anything that
// is missing, of the wrong type, or out of range (ranks < 1, bandwidth <= 0, unknown topology, an override
// for a host that does not exist, ...).
ClusterDescription clusterFromJson(const nlohmann::json& j);
// The cluster as a JSON object that clusterFromJson reads back unchanged.
nlohmann::json toJson(const ClusterDescription& cluster);
// Validates a description built in code (the same checks as clusterFromJson).
void validateCluster(const ClusterDescription& cluster);

std::string_view topologyName(Topology topology);
Topology parseTopology(std::string_view name);  // throws UsageError for anything but switch|ring

// Layout helpers. Hosts are numbered 0..hostCount-1; the last host may hold fewer ranks.
int hostCount(const ClusterDescription& cluster);
int hostOf(const ClusterDescription& cluster, int rank);
// Ranks on host `host` (the last one may be short).
int ranksOnHost(const ClusterDescription& cluster, int host);
// The link of `host` to the network, with its override applied.
LinkParams hostLink(const ClusterDescription& cluster, int host);
// Compute slow-down of `rank` (1 unless overridden).
double computeFactor(const ClusterDescription& cluster, int rank);
// True when no override applies: every inter-host link equal and every rank computing at factor 1.
bool isHomogeneous(const ClusterDescription& cluster);

}  // namespace ccb::sim
