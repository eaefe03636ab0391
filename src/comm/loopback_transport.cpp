#include "comm/loopback_transport.h"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <deque>
#include <exception>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>
#include <utility>
#include <vector>

namespace ccb {
namespace {

// Life of one posted send or receive. Only the thread that matches two envelopes (under the mailbox lock)
// moves them out of kQueued; only the thread that copies moves them to kDone or kFailed.
enum class Phase : int { kQueued, kCopying, kDone, kFailed };

struct Envelope {
  const std::byte* sendData = nullptr;  // set for sends
  std::byte* recvData = nullptr;        // set for receives
  std::size_t sizeBytes = 0;
  std::atomic<Phase> phase{Phase::kQueued};
  std::string error;  // written before phase becomes kFailed (release), read after (acquire)
};
using EnvelopePtr = std::shared_ptr<Envelope>;

// Unmatched sends and receives of one (source, destination, tag). At most one of the two queues is
// non-empty at any time: a new envelope first tries to match the head of the other queue.
struct Channel {
  std::deque<EnvelopePtr> sends;
  std::deque<EnvelopePtr> recvs;
};

// Everything addressed to one destination rank. Per-destination locks keep unrelated pairs from contending.
struct Mailbox {
  std::mutex mutex;
  std::map<std::pair<int, int>, Channel> channels;  // key: (source, tag)
};

}  // namespace

struct LoopbackFabric::Impl {
  explicit Impl(int ranks) : mailboxes(static_cast<std::size_t>(ranks)), barriersEntered(ranks, 0) {}

  int ranks() const { return static_cast<int>(mailboxes.size()); }

  // Throws PeerFailedError if some rank aborted the fabric.
  void throwIfAborted() const {
    if (!aborted.load(std::memory_order_acquire)) return;
    std::lock_guard<std::mutex> lock(abortMutex);
    throw PeerFailedError(abortMessage);
  }

  std::vector<Mailbox> mailboxes;

  // Barrier n (counted from 0) of a rank completes once every rank has entered at least n + 1 barriers,
  // i.e. once barriersCompleted = min(barriersEntered) exceeds n.
  std::mutex barrierMutex;
  std::vector<std::uint64_t> barriersEntered;
  std::atomic<std::uint64_t> barriersCompleted{0};

  std::atomic<bool> aborted{false};
  mutable std::mutex abortMutex;
  std::string abortMessage;
};

namespace {

// Copies a matched send into its receive and completes both. Runs without any lock: once matched, the two
// envelopes are out of every queue and owned by this thread until their phase says otherwise.
void transfer(Envelope& send, Envelope& recv, int source, int destination, int tag) {
  if (send.sizeBytes != recv.sizeBytes) {
    std::ostringstream os;
    os << "loopback: rank " << source << " sent " << send.sizeBytes << " bytes with tag " << tag
       << " but rank " << destination << " posted a receive of " << recv.sizeBytes << " bytes";
    send.error = os.str();
    recv.error = os.str();
    send.phase.store(Phase::kFailed, std::memory_order_release);
    recv.phase.store(Phase::kFailed, std::memory_order_release);
    return;
  }
  if (send.sizeBytes > 0) std::memcpy(recv.recvData, send.sendData, send.sizeBytes);
  send.phase.store(Phase::kDone, std::memory_order_release);
  recv.phase.store(Phase::kDone, std::memory_order_release);
}

class LoopbackMessageOp final : public PendingOp {
 public:
  LoopbackMessageOp(LoopbackFabric::Impl& fabric, Mailbox& mailbox, std::pair<int, int> key,
                    EnvelopePtr envelope, bool isSend)
      : fabric_(fabric), mailbox_(mailbox), key_(key), envelope_(std::move(envelope)), isSend_(isSend) {}

  // Withdraws a still-queued envelope so no later match writes into (or reads from) a buffer its owner may
  // free; waits out a copy that another thread has already started.
  ~LoopbackMessageOp() override {
    if (envelope_->phase.load(std::memory_order_acquire) == Phase::kQueued) {
      std::lock_guard<std::mutex> lock(mailbox_.mutex);
      if (envelope_->phase.load(std::memory_order_acquire) == Phase::kQueued) {
        withdrawLocked();
        return;
      }
    }
    while (envelope_->phase.load(std::memory_order_acquire) == Phase::kCopying) std::this_thread::yield();
  }

  bool test() override {
    switch (envelope_->phase.load(std::memory_order_acquire)) {
      case Phase::kDone:
        return true;
      case Phase::kFailed:
        throw InvariantError(envelope_->error);
      case Phase::kQueued:
      case Phase::kCopying:
        break;
    }
    fabric_.throwIfAborted();
    return false;
  }

 private:
  void withdrawLocked() {
    auto channel = mailbox_.channels.find(key_);
    if (channel == mailbox_.channels.end()) return;
    auto& queue = isSend_ ? channel->second.sends : channel->second.recvs;
    queue.erase(std::remove(queue.begin(), queue.end(), envelope_), queue.end());
    if (channel->second.sends.empty() && channel->second.recvs.empty()) mailbox_.channels.erase(channel);
  }

  LoopbackFabric::Impl& fabric_;
  Mailbox& mailbox_;
  std::pair<int, int> key_;
  EnvelopePtr envelope_;
  bool isSend_;
};

class LoopbackBarrierOp final : public PendingOp {
 public:
  LoopbackBarrierOp(LoopbackFabric::Impl& fabric, int rank, std::uint64_t index)
      : fabric_(fabric), rank_(rank), index_(index) {}

  // An abandoned barrier withdraws this rank's arrival, so a later barrier of the same rank counts once.
  ~LoopbackBarrierOp() override {
    if (passed()) return;
    std::lock_guard<std::mutex> lock(fabric_.barrierMutex);
    auto& entered = fabric_.barriersEntered[static_cast<std::size_t>(rank_)];
    if (!passed() && entered == index_ + 1) --entered;
  }

  bool test() override {
    if (passed()) return true;
    fabric_.throwIfAborted();
    return false;
  }

 private:
  bool passed() const { return fabric_.barriersCompleted.load(std::memory_order_acquire) > index_; }

  LoopbackFabric::Impl& fabric_;
  int rank_;
  std::uint64_t index_;
};

void checkPeerAndTag(int peer, int tag, int ranks) {
  CCB_CHECK_LE(0, peer);
  CCB_CHECK_LT(peer, ranks);
  CCB_CHECK_LE(0, tag);
}

// Posts `envelope` on channel (source -> destination, tag): matches it with the oldest opposite envelope if
// there is one (and then copies, outside the lock), else queues it.
Request post(LoopbackFabric::Impl& fabric, int source, int destination, int tag, EnvelopePtr envelope,
             bool isSend) {
  Mailbox& mailbox = fabric.mailboxes[static_cast<std::size_t>(destination)];
  const std::pair<int, int> key{source, tag};
  EnvelopePtr match;
  {
    std::lock_guard<std::mutex> lock(mailbox.mutex);
    Channel& channel = mailbox.channels[key];
    auto& opposite = isSend ? channel.recvs : channel.sends;
    if (opposite.empty()) {
      (isSend ? channel.sends : channel.recvs).push_back(envelope);
    } else {
      match = std::move(opposite.front());
      opposite.pop_front();
      match->phase.store(Phase::kCopying, std::memory_order_relaxed);
      envelope->phase.store(Phase::kCopying, std::memory_order_relaxed);
      if (channel.sends.empty() && channel.recvs.empty()) mailbox.channels.erase(key);
    }
  }
  if (match) {
    if (isSend) {
      transfer(*envelope, *match, source, destination, tag);
    } else {
      transfer(*match, *envelope, source, destination, tag);
    }
  }
  return std::make_unique<LoopbackMessageOp>(fabric, mailbox, key, std::move(envelope), isSend);
}

std::string describe(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "unknown exception";
  }
}

// Lower is more informative: a rank's own failure, then a timeout, then "a peer failed".
int consequenceLevel(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const PeerFailedError&) {
    return 2;
  } catch (const TimeoutError&) {
    return 1;
  } catch (...) {
    return 0;
  }
}

}  // namespace

LoopbackFabric::LoopbackFabric(int ranks) {
  if (ranks < 1) throw UsageError("loopback: need at least 1 rank, got " + std::to_string(ranks));
  impl_ = std::make_unique<Impl>(ranks);
}

LoopbackFabric::~LoopbackFabric() = default;

int LoopbackFabric::ranks() const { return impl_->ranks(); }

void LoopbackFabric::abort(int rank, const std::string& reason) {
  std::lock_guard<std::mutex> lock(impl_->abortMutex);
  if (impl_->aborted.load(std::memory_order_relaxed)) return;
  impl_->abortMessage = "loopback: rank " + std::to_string(rank) + " failed (" + reason + ")";
  impl_->aborted.store(true, std::memory_order_release);
}

LoopbackTransport::LoopbackTransport(LoopbackFabric& fabric, int rank) : fabric_(*fabric.impl_), rank_(rank) {
  if (rank < 0 || rank >= fabric_.ranks()) {
    throw UsageError("loopback: rank " + std::to_string(rank) + " outside [0, " +
                     std::to_string(fabric_.ranks()) + ")");
  }
}

int LoopbackTransport::size() const { return fabric_.ranks(); }

Request LoopbackTransport::isend(int peer, std::span<const std::byte> data, int tag) {
  checkPeerAndTag(peer, tag, size());
  auto envelope = std::make_shared<Envelope>();
  envelope->sendData = data.data();
  envelope->sizeBytes = data.size();
  return post(fabric_, rank_, peer, tag, std::move(envelope), /*isSend=*/true);
}

Request LoopbackTransport::irecv(int peer, std::span<std::byte> data, int tag) {
  checkPeerAndTag(peer, tag, size());
  auto envelope = std::make_shared<Envelope>();
  envelope->recvData = data.data();
  envelope->sizeBytes = data.size();
  return post(fabric_, peer, rank_, tag, std::move(envelope), /*isSend=*/false);
}

Request LoopbackTransport::ibarrier() {
  std::lock_guard<std::mutex> lock(fabric_.barrierMutex);
  auto& entered = fabric_.barriersEntered;
  const std::uint64_t index = entered[static_cast<std::size_t>(rank_)]++;
  fabric_.barriersCompleted.store(*std::min_element(entered.begin(), entered.end()),
                                  std::memory_order_release);
  return std::make_unique<LoopbackBarrierOp>(fabric_, rank_, index);
}

void runLoopback(int ranks, const std::function<void(Transport&)>& body) {
  LoopbackFabric fabric(ranks);
  struct Failure {
    std::exception_ptr error;
    int level = 0;
    std::uint64_t order = 0;  // when it was caught, across ranks
  };
  std::mutex failuresMutex;
  std::vector<Failure> failures;

  std::vector<std::thread> threads;
  threads.reserve(static_cast<std::size_t>(ranks));
  for (int rank = 0; rank < ranks; ++rank) {
    threads.emplace_back([&, rank] {
      try {
        LoopbackTransport transport(fabric, rank);
        body(transport);
      } catch (...) {
        std::exception_ptr error = std::current_exception();
        fabric.abort(rank, describe(error));
        std::lock_guard<std::mutex> lock(failuresMutex);
        failures.push_back({error, consequenceLevel(error), failures.size()});
      }
    });
  }
  for (auto& thread : threads) thread.join();

  if (failures.empty()) return;
  const auto first =
      std::min_element(failures.begin(), failures.end(), [](const Failure& a, const Failure& b) {
        return std::pair(a.level, a.order) < std::pair(b.level, b.order);
      });
  std::rethrow_exception(first->error);
}

}  // namespace ccb
