// Transport: what an algorithm may do with its peers, and nothing more (model: gloo/transport/pair.h).
// MPI moves bytes in real runs; the loopback transport runs ranks as threads so every algorithm is
// testable for K = 1..16 in one process.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace ccb {

using Clock = std::chrono::steady_clock;

// One outstanding non-blocking operation. Destroying an incomplete request cancels it where the backend can.
class PendingOp {
 public:
  virtual ~PendingOp() = default;
  // Non-blocking: true once the operation has completed (then the buffer may be reused).
  virtual bool test() = 0;
};
using Request = std::unique_ptr<PendingOp>;

class Transport {
 public:
  virtual ~Transport() = default;

  virtual int rank() const = 0;
  virtual int size() const = 0;
  // Short name for output: "mpi", "loopback".
  virtual std::string name() const = 0;

  // Start sending `data` to `peer`. The bytes must stay valid and unchanged until the request completes.
  // Messages between one pair with one tag arrive in the order they were sent.
  virtual Request isend(int peer, std::span<const std::byte> data, int tag) = 0;
  // Start receiving exactly data.size() bytes from `peer` with `tag` into `data`.
  virtual Request irecv(int peer, std::span<std::byte> data, int tag) = 0;
  // Start a barrier across all ranks.
  virtual Request ibarrier() = 0;
};

// Waits until every request has completed, testing each and yielding the core between rounds (so ranks
// that outnumber cores still make progress). Throws TimeoutError("<what>: timed out after N s ...") when
// `deadline` passes first. Completed requests are reset to nullptr.
void waitAll(std::vector<Request>& requests, Clock::time_point deadline, const std::string& what);
void wait(Request& request, Clock::time_point deadline, const std::string& what);

// Barrier with a deadline.
void barrier(Transport& transport, Clock::time_point deadline, const std::string& what);

}  // namespace ccb
