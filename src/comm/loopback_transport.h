// Loopback transport: K ranks as threads of one process, so every algorithm is testable for K = 1..16
// without mpiexec.
//
// Semantics are deliberately strict (rendezvous): a send completes only after the matching receive has
// copied its bytes straight out of the sender's buffer. There is no intermediate copy, so an executor that
// reuses a send buffer before its request completed corrupts the data the receiver sees, and tests catch it.
// Matching is on (source, destination, tag) in FIFO order, as in MPI. A receive whose size differs from the
// matching send is a bug of the caller: both requests throw InvariantError.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "comm/transport.h"
#include "core/error.h"

namespace ccb {

// Thrown by a loopback operation that cannot complete because another rank of its fabric failed. It is only a
// consequence: runLoopback reports the failing rank's own exception instead.
class PeerFailedError : public Error {
 public:
  using Error::Error;
};

// The shared state of K loopback ranks: mailboxes, barrier counters, the failure flag. Thread-safe.
class LoopbackFabric {
 public:
  // Throws UsageError unless ranks >= 1.
  explicit LoopbackFabric(int ranks);
  ~LoopbackFabric();
  LoopbackFabric(const LoopbackFabric&) = delete;
  LoopbackFabric& operator=(const LoopbackFabric&) = delete;

  int ranks() const;
  // Marks the fabric failed: from now on, test() of every incomplete operation throws PeerFailedError naming
  // `rank` and `reason`, so peers stop waiting at once instead of at their deadlines. The first call wins.
  void abort(int rank, const std::string& reason);

  struct Impl;

 private:
  friend class LoopbackTransport;
  std::unique_ptr<Impl> impl_;
};

// One rank's view of a LoopbackFabric. Use each instance from one thread at a time (like an MPI rank);
// different ranks may run concurrently. The fabric must outlive the transport and its requests.
class LoopbackTransport final : public Transport {
 public:
  // Throws UsageError unless 0 <= rank < fabric.ranks().
  LoopbackTransport(LoopbackFabric& fabric, int rank);

  int rank() const override { return rank_; }
  int size() const override;
  std::string name() const override { return "loopback"; }

  // Peers must be in [0, size()) (sending to oneself works) and tags >= 0, else InvariantError.
  Request isend(int peer, std::span<const std::byte> data, int tag) override;
  Request irecv(int peer, std::span<std::byte> data, int tag) override;
  // Barriers complete in the order a rank started them; several may be outstanding. Destroying an
  // incomplete barrier request withdraws this rank's arrival.
  Request ibarrier() override;

 private:
  LoopbackFabric::Impl& fabric_;
  int rank_;
};

// Runs `body` on `ranks` threads, each with its own LoopbackTransport over one fresh fabric, joins them all
// and rethrows the first exception any rank threw. Exceptions that are only consequences of another rank's
// failure (PeerFailedError, TimeoutError) are reported only when no rank threw anything else. A rank that
// throws aborts the fabric, so its peers fail fast instead of waiting for their deadlines.
void runLoopback(int ranks, const std::function<void(Transport&)>& body);

}  // namespace ccb
