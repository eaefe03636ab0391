#include "ps/summary.h"

#include <algorithm>
#include <set>

#include "core/error.h"

namespace ccb {
namespace {

constexpr std::size_t kWorkerFields = 9;  // present, rank, attempts, pushes, applied replies, stopped, wrong,
                                          // timedUs, samples
constexpr std::size_t kServerFields = 11;  // present, server, received, applied, applied timed, dropped,
                                           // version, max lead, wrong, fewest and most step pushes
constexpr std::size_t kSampleSeries = 5;   // step, compute, push, idle, pull

// Appends to a slot; never writes a value below -1 (the gather's "absent").
class SlotWriter {
 public:
  explicit SlotWriter(std::vector<double>& out) : out_(out) {}
  void put(double value) {
    CCB_CHECK_LE(-1.0, value);
    out_.push_back(value);
  }
  // `values` padded with -1 to `size` entries.
  void putSeries(const std::vector<double>& values, std::size_t size) {
    CCB_CHECK_LE(values.size(), size);
    for (double value : values) put(value);
    out_.insert(out_.end(), size - values.size(), -1.0);
  }

 private:
  std::vector<double>& out_;
};

class SlotReader {
 public:
  explicit SlotReader(std::span<const double> slot) : slot_(slot) {}
  double take() {
    CCB_CHECK_LT(at_, slot_.size());
    return slot_[at_++];
  }
  std::int64_t takeInt() { return static_cast<std::int64_t>(take()); }
  std::vector<double> takeSeries(std::size_t used, std::size_t size) {
    CCB_CHECK_LE(used, size);
    std::vector<double> values(slot_.begin() + static_cast<std::ptrdiff_t>(at_),
                               slot_.begin() + static_cast<std::ptrdiff_t>(at_ + used));
    at_ += size;
    return values;
  }
  std::size_t position() const { return at_; }

 private:
  std::span<const double> slot_;
  std::size_t at_ = 0;
};

void appendAll(std::vector<double>& to, const std::vector<double>& from) {
  to.insert(to.end(), from.begin(), from.end());
}

}  // namespace

PsSummary summarizePs(const std::vector<PsRankResult>& ranks) {
  PsSummary summary;
  std::vector<double> step, compute, push, pull, idle;
  bool checked = false;
  long long wrong = 0;
  std::set<int> failed;
  for (const PsRankResult& rank : ranks) {
    const PsWorkerResult& worker = rank.worker;
    if (worker.present) {
      appendAll(step, worker.stepUs);
      appendAll(compute, worker.computeUs);
      appendAll(push, worker.pushUs);
      appendAll(pull, worker.pullUs);
      appendAll(idle, worker.idleUs);
      // Each worker's own rate: in async runs fast workers finish early, so one run-wide duration would
      // dilute their rate with the time the slowest worker runs alone.
      if (worker.timedUs > 0)
        summary.updatesPerS += static_cast<double>(worker.appliedTimed) / (worker.timedUs * 1e-6);
      summary.pushMessages += worker.pushMessages;
      if (worker.stopped) summary.stoppedWorkerRanks.push_back(worker.rank);
      if (worker.wrong >= 0) {
        checked = true;
        wrong += worker.wrong;
      }
    }
    const PsServerResult& server = rank.server;
    if (server.present) {
      summary.received += server.received;
      summary.applied += server.applied;
      summary.dropped += server.dropped;
      summary.maxLead = std::max(summary.maxLead, server.maxLead);
      for (const auto& [staleness, count] : server.staleness) summary.staleness[staleness] += count;
      for (int count : server.stepPushCounts) {
        summary.minStepPushes = summary.minStepPushes == 0 ? count : std::min(summary.minStepPushes, count);
        summary.maxStepPushes = std::max(summary.maxStepPushes, count);
      }
      failed.insert(server.failedWorkerRanks.begin(), server.failedWorkerRanks.end());
      if (server.wrong >= 0) {
        checked = true;
        wrong += server.wrong;
      }
    }
  }
  summary.step = summarize(std::move(step));
  summary.compute = summarize(std::move(compute));
  summary.push = summarize(std::move(push));
  summary.pull = summarize(std::move(pull));
  summary.idle = summarize(std::move(idle));
  summary.lostPushes = summary.pushMessages - summary.applied - summary.dropped;
  summary.failedWorkerRanks.assign(failed.begin(), failed.end());
  summary.wrong = checked ? wrong : -1;
  return summary;
}

std::size_t encodedSlotSize(int iters, std::int64_t maxStaleness, int ranks) {
  CCB_CHECK_LE(0, iters);
  CCB_CHECK_LE(std::int64_t{0}, maxStaleness);
  return kWorkerFields + kSampleSeries * static_cast<std::size_t>(iters) + kServerFields +
         static_cast<std::size_t>(maxStaleness + 1) + static_cast<std::size_t>(ranks);
}

std::vector<double> encodeRankResult(const PsRankResult& result, int iters, std::int64_t maxStaleness,
                                     int ranks) {
  std::vector<double> slot;
  slot.reserve(encodedSlotSize(iters, maxStaleness, ranks));
  SlotWriter out(slot);
  const PsWorkerResult& worker = result.worker;
  const auto series = static_cast<std::size_t>(iters);
  out.put(worker.present ? 1 : 0);
  out.put(worker.rank);
  out.put(static_cast<double>(worker.attempts));
  out.put(static_cast<double>(worker.pushMessages));
  out.put(static_cast<double>(worker.appliedTimed));
  out.put(worker.stopped ? 1 : 0);
  out.put(static_cast<double>(worker.wrong));
  out.put(worker.timedUs);
  out.put(static_cast<double>(worker.stepUs.size()));
  for (const auto* samples :
       {&worker.stepUs, &worker.computeUs, &worker.pushUs, &worker.idleUs, &worker.pullUs}) {
    out.putSeries(*samples, series);
  }
  const PsServerResult& server = result.server;
  out.put(server.present ? 1 : 0);
  out.put(server.server);
  out.put(static_cast<double>(server.received));
  out.put(static_cast<double>(server.applied));
  out.put(static_cast<double>(server.appliedTimed));
  out.put(static_cast<double>(server.dropped));
  out.put(static_cast<double>(server.version));
  out.put(static_cast<double>(server.maxLead));
  out.put(static_cast<double>(server.wrong));
  const auto [fewest, most] = std::minmax_element(server.stepPushCounts.begin(), server.stepPushCounts.end());
  out.put(server.stepPushCounts.empty() ? -1 : *fewest);
  out.put(server.stepPushCounts.empty() ? -1 : *most);
  std::vector<double> histogram(static_cast<std::size_t>(maxStaleness + 1), 0.0);
  for (const auto& [staleness, count] : server.staleness) {
    CCB_CHECK_LE(staleness, maxStaleness);
    histogram[static_cast<std::size_t>(staleness)] = static_cast<double>(count);
  }
  out.putSeries(histogram, histogram.size());
  std::vector<double> failed(static_cast<std::size_t>(ranks), 0.0);
  for (int rank : server.failedWorkerRanks) failed.at(static_cast<std::size_t>(rank)) = 1;
  out.putSeries(failed, failed.size());
  CCB_CHECK_EQ(slot.size(), encodedSlotSize(iters, maxStaleness, ranks));
  return slot;
}

PsRankResult decodeRankResult(std::span<const double> slot, int iters, std::int64_t maxStaleness, int ranks) {
  CCB_CHECK_EQ(slot.size(), encodedSlotSize(iters, maxStaleness, ranks));
  SlotReader in(slot);
  PsRankResult result;
  PsWorkerResult& worker = result.worker;
  const auto series = static_cast<std::size_t>(iters);
  worker.present = in.take() > 0;
  worker.rank = static_cast<int>(in.takeInt());
  worker.attempts = in.takeInt();
  worker.pushMessages = in.takeInt();
  worker.appliedTimed = in.takeInt();
  worker.stopped = in.take() > 0;
  worker.wrong = in.takeInt();
  worker.timedUs = in.take();
  const auto samples = static_cast<std::size_t>(in.takeInt());
  for (auto* values : {&worker.stepUs, &worker.computeUs, &worker.pushUs, &worker.idleUs, &worker.pullUs}) {
    *values = in.takeSeries(samples, series);
  }
  PsServerResult& server = result.server;
  server.present = in.take() > 0;
  server.server = static_cast<int>(in.takeInt());
  server.received = in.takeInt();
  server.applied = in.takeInt();
  server.appliedTimed = in.takeInt();
  server.dropped = in.takeInt();
  server.version = in.takeInt();
  server.maxLead = in.takeInt();
  server.wrong = in.takeInt();
  const int fewest = static_cast<int>(in.takeInt());
  const int most = static_cast<int>(in.takeInt());
  if (fewest >= 0) server.stepPushCounts = {fewest, most};
  const std::vector<double> histogram =
      in.takeSeries(static_cast<std::size_t>(maxStaleness + 1), static_cast<std::size_t>(maxStaleness + 1));
  for (std::size_t staleness = 0; staleness < histogram.size(); ++staleness) {
    if (histogram[staleness] > 0) {
      server.staleness[static_cast<std::int64_t>(staleness)] =
          static_cast<std::int64_t>(histogram[staleness]);
    }
  }
  const std::vector<double> failed =
      in.takeSeries(static_cast<std::size_t>(ranks), static_cast<std::size_t>(ranks));
  for (int rank = 0; rank < ranks; ++rank) {
    if (failed[static_cast<std::size_t>(rank)] > 0) server.failedWorkerRanks.push_back(rank);
  }
  return result;
}

}  // namespace ccb
