// Discrete-event replay of schedules over the link model (semantics in replay.h).
#include "sim/replay.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>

#include "core/error.h"
#include "sim/cost.h"
#include "sim/link_model.h"

namespace ccb::sim {
namespace {

constexpr int kNone = -1;

enum class EventKind : std::uint8_t { kFlowStart, kFlowDone, kRankAdvance };

struct Event {
  double timeUs;
  int id;  // flow or rank
  std::uint32_t version : 24;
  EventKind kind;
};

// The event queue: a min-heap of buckets, each a FIFO of events pushed for one time. Collectives push in
// runs of equal times (every message of a step leaves, arrives and is reduced at the same instant on a
// homogeneous cluster), so pushes append to the bucket of the previous push and pops read a FIFO; the heap
// sees buckets, not events. Order is exactly (time, push order): a bucket is only appended to while it is
// the newest one, so a later bucket of the same time holds only later pushes, and equal times are ordered by
// bucket creation. (A plain binary heap of events was half of the replay's time at K = 1024.)
class EventQueue {
 public:
  bool empty() const { return heap_.empty(); }

  void push(double timeUs, int id, std::uint32_t version, EventKind kind) {
    if (last_ < 0 || buckets_[static_cast<std::size_t>(last_)].timeUs != timeUs) last_ = newBucket(timeUs);
    buckets_[static_cast<std::size_t>(last_)].events.push_back(Event{timeUs, id, version, kind});
  }

  // Removes and returns the earliest event.
  Event pop() {
    const int top = heap_.front();
    Bucket& b = buckets_[static_cast<std::size_t>(top)];
    const Event e = b.events[b.head++];
    if (b.head == b.events.size()) {
      b.events.clear();
      b.head = 0;
      free_.push_back(top);
      if (last_ == top) last_ = -1;
      std::pop_heap(heap_.begin(), heap_.end(), later_);
      heap_.pop_back();
    }
    return e;
  }

 private:
  struct Bucket {
    double timeUs = 0;
    std::uint64_t order = 0;  // creation order, breaks ties between buckets of one time
    std::vector<Event> events;
    std::size_t head = 0;
  };

  int newBucket(double timeUs) {
    int id;
    if (!free_.empty()) {
      id = free_.back();
      free_.pop_back();
    } else {
      id = static_cast<int>(buckets_.size());
      buckets_.emplace_back();
    }
    Bucket& b = buckets_[static_cast<std::size_t>(id)];
    b.timeUs = timeUs;
    b.order = created_++;
    heap_.push_back(id);
    std::push_heap(heap_.begin(), heap_.end(), later_);
    return id;
  }

  struct Later {
    const std::vector<Bucket>* buckets;
    bool operator()(int a, int b) const {
      const Bucket& x = (*buckets)[static_cast<std::size_t>(a)];
      const Bucket& y = (*buckets)[static_cast<std::size_t>(b)];
      return x.timeUs > y.timeUs || (x.timeUs == y.timeUs && x.order > y.order);
    }
  };

  std::vector<Bucket> buckets_;
  std::vector<int> free_;
  std::vector<int> heap_;
  Later later_{&buckets_};
  int last_ = -1;
  std::uint64_t created_ = 0;
};

// One message. Flow slots are recycled; `version` invalidates events of an earlier use or an outdated
// completion estimate.
struct Flow {
  int sender = kNone;
  int receiver = kNone;
  double remainingBytes = 0;
  double rateBytesPerUs = 0;
  double lastUpdateUs = 0;
  double bytes = 0;
  std::uint32_t version = 0;
  bool streaming = false;
  bool reduce = false;
  std::uint64_t visit = 0;  // BFS stamp
  std::vector<int> route;
};

// What replay needs of a Step, 24 bytes instead of 56.
struct CompactStep {
  int sendPeer = Step::kNoPeer;
  int recvPeer = Step::kNoPeer;
  std::uint64_t sendBytes = 0;
  std::uint64_t recvBytes : 63 = 0;
  std::uint64_t reduce : 1 = 0;
};

// Every rank's steps, step-major: step s of rank r sits at s * ranks + r. In a collective all ranks are
// at about the same step at once, so this is the order replay touches them in: neighbouring ranks share
// cache lines and pages. (Rank-major, one allocation per rank as in the Schedule vectors, cost a cache and
// TLB miss per step at K = 1024 and was the largest item of the profile.)
class StepTable {
 public:
  explicit StepTable(const AllRankSchedules& schedules) : ranks_(schedules.size()) {
    std::size_t longest = 0;
    for (const Schedule& s : schedules) {
      counts_.push_back(s.steps.size());
      longest = std::max(longest, s.steps.size());
    }
    table_.resize(longest * ranks_);
    for (std::size_t r = 0; r < ranks_; ++r) {
      const auto& steps = schedules[r].steps;
      for (std::size_t i = 0; i < steps.size(); ++i) {
        CompactStep& c = table_[i * ranks_ + r];
        c.sendPeer = steps[i].sendPeer;
        c.recvPeer = steps[i].recvPeer;
        c.sendBytes = steps[i].sendRange.bytes;
        c.recvBytes = steps[i].recvRange.bytes;
        c.reduce = steps[i].reduceOnRecv ? 1 : 0;
      }
    }
  }
  std::size_t count(std::size_t rank) const { return counts_[rank]; }
  const CompactStep& at(std::size_t rank, std::size_t step) const { return table_[step * ranks_ + rank]; }

 private:
  std::size_t ranks_;
  std::vector<std::size_t> counts_;
  std::vector<CompactStep> table_;
};

struct RankState {
  std::size_t step = 0;
  bool sendOpen = false;
  bool recvOpen = false;
  double recvReadyUs = 0;
  int postedSendTo = kNone;  // posted, not yet matched by the peer's receive
  int postedRecvFrom = kNone;
  bool done = false;
};

class Replayer {
 public:
  Replayer(const ClusterDescription& cluster, const AllRankSchedules& schedules)
      : links_(cluster), steps_(schedules), ranks_(schedules.size()) {
    gammaUsPerByte_.resize(schedules.size());
    for (std::size_t r = 0; r < schedules.size(); ++r) {
      gammaUsPerByte_[r] = usPerByte(cluster.reduceGBps) * computeFactor(cluster, static_cast<int>(r));
    }
    onResource_.resize(static_cast<std::size_t>(links_.resourceCount()));
    scratchCap_.assign(onResource_.size(), 0);
    scratchCount_.assign(onResource_.size(), 0);
    resourceVisit_.assign(onResource_.size(), 0);
    result_.rankFinishUs.assign(schedules.size(), 0);
  }

  ReplayResult run() {
    for (std::size_t r = 0; r < ranks_.size(); ++r) startStep(static_cast<int>(r), 0);
    while (!events_.empty()) {
      dispatch(events_.pop());
    }
    for (std::size_t r = 0; r < ranks_.size(); ++r) {
      if (!ranks_[r].done) reportDeadlock(static_cast<int>(r));
    }
    result_.timeUs = 0;
    for (double t : result_.rankFinishUs) result_.timeUs = std::max(result_.timeUs, t);
    return result_;
  }

 private:
  void push(double timeUs, EventKind kind, int id, std::uint32_t version) {
    events_.push(timeUs, id, version & 0xFFFFFF, kind);
  }

  void dispatch(const Event& e) {
    switch (e.kind) {
      case EventKind::kRankAdvance:
        advance(e.id, e.timeUs);
        break;
      case EventKind::kFlowStart:
        if (current(e)) startStreaming(e.id, e.timeUs);
        break;
      case EventKind::kFlowDone:
        if (current(e)) finishFlow(e.id, e.timeUs);
        break;
    }
  }

  // Events carry the low 24 bits of the flow's version: far more than the updates one flow can see while
  // an event of it is queued.
  bool current(const Event& e) const {
    return (flows_[static_cast<std::size_t>(e.id)].version & 0xFFFFFF) == e.version;
  }

  const CompactStep& currentStep(int rank) const {
    const auto r = static_cast<std::size_t>(rank);
    return steps_.at(r, ranks_[r].step);
  }

  // Posts the current step's send and receive; a step with neither finishes at once.
  void startStep(int rank, double now) {
    RankState& st = ranks_[static_cast<std::size_t>(rank)];
    if (st.step >= steps_.count(static_cast<std::size_t>(rank))) {
      st.done = true;
      result_.rankFinishUs[static_cast<std::size_t>(rank)] = now;
      return;
    }
    const CompactStep& step = currentStep(rank);
    st.recvReadyUs = now;
    if (step.sendPeer != Step::kNoPeer) {
      checkPeer(rank, step.sendPeer);
      st.sendOpen = true;
      RankState& peer = ranks_[static_cast<std::size_t>(step.sendPeer)];
      if (peer.postedRecvFrom == rank) {
        peer.postedRecvFrom = kNone;
        match(rank, step.sendPeer, now);
      } else {
        st.postedSendTo = step.sendPeer;
      }
    }
    if (step.recvPeer != Step::kNoPeer) {
      checkPeer(rank, step.recvPeer);
      st.recvOpen = true;
      RankState& peer = ranks_[static_cast<std::size_t>(step.recvPeer)];
      if (peer.postedSendTo == rank) {
        peer.postedSendTo = kNone;
        match(step.recvPeer, rank, now);
      } else {
        st.postedRecvFrom = step.recvPeer;
      }
    }
    if (!st.sendOpen && !st.recvOpen) push(now, EventKind::kRankAdvance, rank, 0);
  }

  void checkPeer(int rank, int peer) const {
    if (peer < 0 || peer >= static_cast<int>(ranks_.size()) || peer == rank) {
      throw InvariantError("replay: rank " + std::to_string(rank) + " step " +
                           std::to_string(ranks_[static_cast<std::size_t>(rank)].step) + " names peer " +
                           std::to_string(peer) + " (ranks: " + std::to_string(ranks_.size()) + ")");
    }
  }

  void advance(int rank, double now) {
    ++ranks_[static_cast<std::size_t>(rank)].step;
    startStep(rank, now);
  }

  int allocateFlow() {
    if (!freeFlows_.empty()) {
      const int id = freeFlows_.back();
      freeFlows_.pop_back();
      return id;
    }
    flows_.emplace_back();
    return static_cast<int>(flows_.size()) - 1;
  }

  // Both ends are in the steps that carry this message: it leaves now and streams after its latency.
  void match(int sender, int receiver, double now) {
    const CompactStep& send = currentStep(sender);
    const CompactStep& recv = currentStep(receiver);
    if (send.sendBytes != recv.recvBytes) {
      throw InvariantError("replay: rank " + std::to_string(sender) + " sends " + std::to_string(send.sendBytes) +
                           " bytes but rank " + std::to_string(receiver) + " expects " +
                           std::to_string(static_cast<std::uint64_t>(recv.recvBytes)));
    }
    const int id = allocateFlow();
    Flow& f = flows_[static_cast<std::size_t>(id)];
    f.sender = sender;
    f.receiver = receiver;
    f.bytes = static_cast<double>(send.sendBytes);
    f.remainingBytes = f.bytes;
    f.rateBytesPerUs = 0;
    f.streaming = false;
    f.reduce = recv.reduce != 0;
    f.route.clear();
    const double latencyUs = links_.route(sender, receiver, f.route);
    ++f.version;
    ++result_.messages;
    push(now + latencyUs, EventKind::kFlowStart, id, f.version);
  }

  void startStreaming(int id, double now) {
    Flow& f = flows_[static_cast<std::size_t>(id)];
    f.streaming = true;
    f.lastUpdateUs = now;
    bool alone = true;
    double capacity = std::numeric_limits<double>::infinity();
    for (int r : f.route) {
      auto& on = onResource_[static_cast<std::size_t>(r)];
      alone = alone && on.empty();
      capacity = std::min(capacity, links_.capacityBytesPerUs(r));
      on.push_back(id);
    }
    if (alone) {
      // Nobody else on its links (the common case): it streams at the slowest link's full rate, which is
      // what progressive filling would give; skip the general computation.
      setRate(id, capacity, now);
    } else {
      rebalance(f.route, now);
    }
  }

  void finishFlow(int id, double now) {
    Flow& f = flows_[static_cast<std::size_t>(id)];
    f.streaming = false;
    ++f.version;
    for (int r : f.route) {
      auto& on = onResource_[static_cast<std::size_t>(r)];
      on.erase(std::find(on.begin(), on.end(), id));
    }
    // Others on these links may speed up now.
    seeds_.clear();
    for (int r : f.route) {
      if (!onResource_[static_cast<std::size_t>(r)].empty()) seeds_.push_back(r);
    }
    const int sender = f.sender;
    const int receiver = f.receiver;
    const double reduceUs = f.reduce ? f.bytes * gammaUsPerByte_[static_cast<std::size_t>(receiver)] : 0;
    freeFlows_.push_back(id);
    if (!seeds_.empty()) rebalance(seeds_, now);

    RankState& s = ranks_[static_cast<std::size_t>(sender)];
    s.sendOpen = false;
    maybeFinishStep(sender, now);
    RankState& r = ranks_[static_cast<std::size_t>(receiver)];
    r.recvOpen = false;
    r.recvReadyUs = now + reduceUs;
    maybeFinishStep(receiver, now);
  }

  // Called from finishFlow only; advancing right away (instead of through the queue) is safe there because
  // starting a step never completes anything at once: every message goes through a kFlowStart event.
  void maybeFinishStep(int rank, double now) {
    const RankState& st = ranks_[static_cast<std::size_t>(rank)];
    if (st.sendOpen || st.recvOpen) return;
    if (st.recvReadyUs > now) {
      push(st.recvReadyUs, EventKind::kRankAdvance, rank, 0);
    } else {
      advance(rank, now);
    }
  }

  // Max-min fair rates (progressive filling) for the streaming flows connected to `seeds` through shared
  // links. Flows whose rate changes get their remaining bytes brought up to `now` and a new finish event.
  void rebalance(const std::vector<int>& seeds, double now) {
    ++stamp_;
    component_.clear();
    touched_.clear();
    frontier_.assign(seeds.begin(), seeds.end());
    for (int r : frontier_) resourceVisit_[static_cast<std::size_t>(r)] = stamp_;
    touched_.assign(frontier_.begin(), frontier_.end());
    while (!frontier_.empty()) {
      const int r = frontier_.back();
      frontier_.pop_back();
      for (int id : onResource_[static_cast<std::size_t>(r)]) {
        Flow& f = flows_[static_cast<std::size_t>(id)];
        if (f.visit == stamp_) continue;
        f.visit = stamp_;
        component_.push_back(id);
        for (int q : f.route) {
          if (resourceVisit_[static_cast<std::size_t>(q)] == stamp_) continue;
          resourceVisit_[static_cast<std::size_t>(q)] = stamp_;
          touched_.push_back(q);
          frontier_.push_back(q);
        }
      }
    }
    if (component_.empty()) return;
    for (int r : touched_) {
      scratchCap_[static_cast<std::size_t>(r)] = links_.capacityBytesPerUs(r);
      scratchCount_[static_cast<std::size_t>(r)] = 0;
    }
    for (int id : component_) {
      for (int q : flows_[static_cast<std::size_t>(id)].route) ++scratchCount_[static_cast<std::size_t>(q)];
    }
    newRate_.assign(component_.size(), -1);
    std::size_t frozen = 0;
    while (frozen < component_.size()) {
      // The bottleneck: the link whose remaining capacity per unfrozen flow is smallest.
      int bottleneck = kNone;
      double share = 0;
      for (int r : touched_) {
        const int n = scratchCount_[static_cast<std::size_t>(r)];
        if (n == 0) continue;
        const double s = std::max(0.0, scratchCap_[static_cast<std::size_t>(r)]) / n;
        if (bottleneck == kNone || s < share) {
          bottleneck = r;
          share = s;
        }
      }
      CCB_CHECK(bottleneck != kNone);
      for (std::size_t i = 0; i < component_.size(); ++i) {
        if (newRate_[i] >= 0) continue;
        const Flow& f = flows_[static_cast<std::size_t>(component_[i])];
        if (std::find(f.route.begin(), f.route.end(), bottleneck) == f.route.end()) continue;
        newRate_[i] = share;
        ++frozen;
        for (int q : f.route) {
          scratchCap_[static_cast<std::size_t>(q)] -= share;
          --scratchCount_[static_cast<std::size_t>(q)];
        }
      }
    }
    for (std::size_t i = 0; i < component_.size(); ++i) setRate(component_[i], newRate_[i], now);
  }

  // Gives a streaming flow a new rate from `now` on (a no-op when the rate is unchanged, which keeps the
  // arithmetic of undisturbed flows exact) and schedules its finish.
  void setRate(int id, double rateBytesPerUs, double now) {
    Flow& f = flows_[static_cast<std::size_t>(id)];
    if (rateBytesPerUs == f.rateBytesPerUs) return;
    f.remainingBytes = std::max(0.0, f.remainingBytes - f.rateBytesPerUs * (now - f.lastUpdateUs));
    f.lastUpdateUs = now;
    f.rateBytesPerUs = rateBytesPerUs;
    ++f.version;
    CCB_CHECK(f.rateBytesPerUs > 0 || f.remainingBytes == 0);
    const double doneUs = f.remainingBytes == 0 ? now : now + f.remainingBytes / f.rateBytesPerUs;
    push(doneUs, EventKind::kFlowDone, id, f.version);
  }

  [[noreturn]] void reportDeadlock(int rank) const {
    const RankState& st = ranks_[static_cast<std::size_t>(rank)];
    const CompactStep& step = currentStep(rank);
    std::string what = "replay: deadlock: rank " + std::to_string(rank) + " is stuck in step " +
                       std::to_string(st.step);
    if (st.sendOpen) what += ", sending to rank " + std::to_string(step.sendPeer);
    if (st.recvOpen) what += ", receiving from rank " + std::to_string(step.recvPeer);
    throw InvariantError(what);
  }

  LinkModel links_;
  StepTable steps_;
  std::vector<RankState> ranks_;
  std::vector<double> gammaUsPerByte_;
  std::vector<Flow> flows_;
  std::vector<int> freeFlows_;
  std::vector<std::vector<int>> onResource_;  // streaming flows per link
  EventQueue events_;
  ReplayResult result_;
  // Scratch space of rebalance(), kept to avoid allocation per event.
  std::uint64_t stamp_ = 0;
  std::vector<std::uint64_t> resourceVisit_;
  std::vector<double> scratchCap_;
  std::vector<int> scratchCount_;
  std::vector<int> component_, touched_, frontier_, seeds_;
  std::vector<double> newRate_;
};

}  // namespace

ReplayResult replaySchedules(const ClusterDescription& cluster, const AllRankSchedules& schedules) {
  if (schedules.size() != static_cast<std::size_t>(cluster.ranks)) {
    throw UsageError("replay: " + std::to_string(schedules.size()) + " schedules for a cluster of " +
                     std::to_string(cluster.ranks) + " ranks");
  }
  Replayer replayer(cluster, schedules);
  return replayer.run();
}

ReplayResult replayAllReduce(const ClusterDescription& cluster, AllReduceAlgo algo, std::uint64_t bytes,
                             std::size_t elementBytes) {
  return replaySchedules(cluster, schedulesFor(algo, cluster, bytes / elementBytes, elementBytes));
}

}  // namespace ccb::sim
