// Cluster description: JSON <-> struct, validation and layout helpers.
#include "sim/cluster.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "sim/json_fields.h"

namespace ccb::sim {

using nlohmann::json;

namespace {

// Enough for any cluster the replay can hold in memory; larger values are almost surely typos.
constexpr long long kMaxRanks = 1 << 20;

LinkParams linkFromJson(const json& j, const std::string& where) {
  LinkParams link;
  link.latencyUs = requireNonNegative(j, where, "latency_us");
  link.bandwidthGBps = requirePositive(j, where, "bandwidth_GBps");
  return link;
}

json toJson(const LinkParams& link) {
  return {{"latency_us", link.latencyUs}, {"bandwidth_GBps", link.bandwidthGBps}};
}

const json& requireArray(const json& j, std::string_view where, std::string_view key) {
  const json& value = requireField(j, where, key);
  if (!value.is_array()) throw UsageError("field \"" + fieldPath(where, key) + "\" must be an array");
  return value;
}

HostOverride overrideFromJson(const json& j, const std::string& where) {
  HostOverride o;
  o.host = static_cast<int>(requireInteger(j, where, "host", 0, kMaxRanks));
  if (optionalField(j, where, "latency_us") != nullptr) o.latencyUs = requireNonNegative(j, where, "latency_us");
  if (optionalField(j, where, "bandwidth_GBps") != nullptr) {
    o.bandwidthGBps = requirePositive(j, where, "bandwidth_GBps");
  }
  return o;
}

RankComputeFactor factorFromJson(const json& j, const std::string& where) {
  RankComputeFactor f;
  f.rank = static_cast<int>(requireInteger(j, where, "rank", 0, kMaxRanks));
  f.factor = requirePositive(j, where, "factor");
  return f;
}

[[noreturn]] void invalid(const std::string& what) { throw UsageError("cluster: " + what); }

bool positiveFinite(double x) { return std::isfinite(x) && x > 0; }
bool nonNegativeFinite(double x) { return std::isfinite(x) && x >= 0; }

}  // namespace

std::string_view topologyName(Topology topology) { return topology == Topology::kRing ? "ring" : "switch"; }

Topology parseTopology(std::string_view name) {
  if (name == "switch" || name == "star") return Topology::kSwitch;
  if (name == "ring") return Topology::kRing;
  throw UsageError("unknown topology '" + std::string(name) + "' (accepted: switch, ring)");
}

void validateCluster(const ClusterDescription& c) {
  if (c.ranks < 1 || c.ranks > kMaxRanks) {
    invalid("ranks must be in [1, " + std::to_string(kMaxRanks) + "], got " + std::to_string(c.ranks));
  }
  if (c.ranksPerHost < 1) invalid("ranks_per_host must be at least 1, got " + std::to_string(c.ranksPerHost));
  for (const auto* link : {&c.intraHost, &c.interHost}) {
    const char* name = link == &c.intraHost ? "intra_host" : "inter_host";
    if (!positiveFinite(link->bandwidthGBps)) {
      invalid(std::string("links.") + name + ".bandwidth_GBps must be greater than zero, got " +
              std::to_string(link->bandwidthGBps));
    }
    if (!nonNegativeFinite(link->latencyUs)) {
      invalid(std::string("links.") + name + ".latency_us must be zero or more, got " +
              std::to_string(link->latencyUs));
    }
  }
  if (!nonNegativeFinite(c.reduceGBps)) invalid("reduce_GBps must be greater than zero");
  const int hosts = hostCount(c);
  for (const HostOverride& o : c.hostOverrides) {
    if (o.host < 0 || o.host >= hosts) {
      invalid("host_overrides names host " + std::to_string(o.host) + " but the cluster has " +
              std::to_string(hosts) + " host(s)");
    }
    if (o.bandwidthGBps && !positiveFinite(*o.bandwidthGBps)) {
      invalid("host_overrides bandwidth_GBps must be greater than zero");
    }
    if (o.latencyUs && !nonNegativeFinite(*o.latencyUs)) invalid("host_overrides latency_us must be zero or more");
  }
  for (const RankComputeFactor& f : c.rankComputeFactors) {
    if (f.rank < 0 || f.rank >= c.ranks) {
      invalid("rank_compute_factor names rank " + std::to_string(f.rank) + " but the cluster has " +
              std::to_string(c.ranks) + " rank(s)");
    }
    if (!positiveFinite(f.factor)) invalid("rank_compute_factor factor must be greater than zero");
  }
}

ClusterDescription clusterFromJson(const json& j) {
  if (!j.is_object()) throw UsageError("cluster: expected a JSON object");
  const std::string where = "cluster";
  if (const json* schema = optionalField(j, where, "schema")) {
    if (!schema->is_number_integer() || schema->get<long long>() != 1) {
      throw UsageError("cluster: unsupported schema " + schema->dump() + " (this build reads schema 1)");
    }
  }
  if (const json* kind = optionalField(j, where, "kind")) {
    if (!kind->is_string() || kind->get<std::string>() != "cluster") {
      throw UsageError("cluster: field \"kind\" must be \"cluster\", got " + kind->dump());
    }
  }
  ClusterDescription c;
  if (optionalField(j, where, "name") != nullptr) c.name = requireString(j, where, "name");
  c.ranks = static_cast<int>(requireInteger(j, where, "ranks", 1, kMaxRanks));
  c.ranksPerHost = static_cast<int>(requireInteger(j, where, "ranks_per_host", 1, kMaxRanks));
  if (optionalField(j, where, "topology") != nullptr) c.topology = parseTopology(requireString(j, where, "topology"));
  const json& links = requireField(j, where, "links");
  c.intraHost = linkFromJson(requireField(links, "cluster.links", "intra_host"), "cluster.links.intra_host");
  c.interHost = linkFromJson(requireField(links, "cluster.links", "inter_host"), "cluster.links.inter_host");
  if (optionalField(j, where, "reduce_GBps") != nullptr) c.reduceGBps = requirePositive(j, where, "reduce_GBps");
  if (optionalField(j, where, "host_overrides") != nullptr) {
    for (const json& o : requireArray(j, where, "host_overrides")) {
      c.hostOverrides.push_back(overrideFromJson(o, "cluster.host_overrides[]"));
    }
  }
  if (optionalField(j, where, "rank_compute_factor") != nullptr) {
    for (const json& f : requireArray(j, where, "rank_compute_factor")) {
      c.rankComputeFactors.push_back(factorFromJson(f, "cluster.rank_compute_factor[]"));
    }
  }
  if (const json* source = optionalField(j, where, "source")) c.source = *source;
  validateCluster(c);
  return c;
}

json toJson(const ClusterDescription& c) {
  json j = {{"schema", 1},
            {"kind", "cluster"},
            {"name", c.name},
            {"ranks", c.ranks},
            {"ranks_per_host", c.ranksPerHost},
            {"topology", topologyName(c.topology)},
            {"links", {{"intra_host", toJson(c.intraHost)}, {"inter_host", toJson(c.interHost)}}}};
  if (c.reduceGBps > 0) j["reduce_GBps"] = c.reduceGBps;
  if (!c.hostOverrides.empty()) {
    json overrides = json::array();
    for (const HostOverride& o : c.hostOverrides) {
      json entry = {{"host", o.host}};
      if (o.bandwidthGBps) entry["bandwidth_GBps"] = *o.bandwidthGBps;
      if (o.latencyUs) entry["latency_us"] = *o.latencyUs;
      overrides.push_back(entry);
    }
    j["host_overrides"] = overrides;
  }
  if (!c.rankComputeFactors.empty()) {
    json factors = json::array();
    for (const RankComputeFactor& f : c.rankComputeFactors) factors.push_back({{"rank", f.rank}, {"factor", f.factor}});
    j["rank_compute_factor"] = factors;
  }
  j["source"] = c.source;
  return j;
}

int hostCount(const ClusterDescription& c) { return (c.ranks + c.ranksPerHost - 1) / c.ranksPerHost; }

int hostOf(const ClusterDescription& c, int rank) { return rank / c.ranksPerHost; }

int ranksOnHost(const ClusterDescription& c, int host) {
  return std::min(c.ranksPerHost, c.ranks - host * c.ranksPerHost);
}

LinkParams hostLink(const ClusterDescription& c, int host) {
  LinkParams link = c.interHost;
  // Later entries win, so a generated file can append a correction.
  for (const HostOverride& o : c.hostOverrides) {
    if (o.host != host) continue;
    if (o.latencyUs) link.latencyUs = *o.latencyUs;
    if (o.bandwidthGBps) link.bandwidthGBps = *o.bandwidthGBps;
  }
  return link;
}

double computeFactor(const ClusterDescription& c, int rank) {
  double factor = 1;
  for (const RankComputeFactor& f : c.rankComputeFactors) {
    if (f.rank == rank) factor = f.factor;
  }
  return factor;
}

bool isHomogeneous(const ClusterDescription& c) {
  for (const HostOverride& o : c.hostOverrides) {
    if (o.latencyUs && *o.latencyUs != c.interHost.latencyUs) return false;
    if (o.bandwidthGBps && *o.bandwidthGBps != c.interHost.bandwidthGBps) return false;
  }
  for (const RankComputeFactor& f : c.rankComputeFactors) {
    if (f.factor != 1) return false;
  }
  return true;
}

}  // namespace ccb::sim
