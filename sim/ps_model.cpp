#include "sim/ps_model.h"

#include <algorithm>

#include "core/error.h"

namespace ccb::sim {

PsTimes psCommunication(const PsConfig& c) {
  if (c.workers < 1) throw UsageError("parameter server: workers must be >= 1, got " + std::to_string(c.workers));
  if (c.servers < 1) throw UsageError("parameter server: servers must be >= 1, got " + std::to_string(c.servers));
  if (c.modelBytes < 0) throw UsageError("parameter server: model bytes must be >= 0");
  const double k = c.workers;
  const double m = c.servers;
  const double s = c.modelBytes;
  // The worker's link carries S; the shard's link carries K S / M (incast): the slower end sets the pace.
  const double transferUs = std::max(s * c.workerLink.betaUsPerByte, k * s / m * c.serverLink.betaUsPerByte);
  const double latencyUs = std::max(c.workerLink.alphaUs, c.serverLink.alphaUs);
  PsTimes t;
  t.pushUs = latencyUs + transferUs;
  t.aggregateUs = (k - 1) * s / m * c.serverLink.gammaUsPerByte;
  t.pullUs = latencyUs + transferUs;
  return t;
}

double psSyncStepUs(const PsConfig& c, double slowestComputeUs) {
  return slowestComputeUs + psCommunication(c).commUs();
}

double psAsyncUpdatesPerSecond(const PsConfig& c, const std::vector<double>& computeUs) {
  // A lone worker's exchange: its own link only, no incast (others are spread out in time).
  PsConfig alone = c;
  alone.workers = 1;
  const PsTimes t = psCommunication(alone);
  double workerRate = 0;
  for (double u : computeUs) workerRate += 1e6 / (u + t.pushUs + t.pullUs);
  // Each update puts S/M on every shard's link in each direction.
  const double perUpdateUs = c.modelBytes / c.servers * c.serverLink.betaUsPerByte;
  const double linkRate = perUpdateUs > 0 ? 1e6 / perUpdateUs : workerRate;
  return std::min(workerRate, linkRate);
}

double naivePsSyncUs(double params, double bandwidthGBps) {
  if (!(bandwidthGBps > 0)) throw UsageError("naive parameter-server model: bandwidth must be > 0");
  return params * 4 / (bandwidthGBps * 1e3);
}

}  // namespace ccb::sim
