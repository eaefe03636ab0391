// One worker as a non-blocking state machine (used by runPs, ps/ps.h): compute (emulated), push the update
// to every server that still expects it, wait for their replies, repeat until every server said done.
#pragma once

#include <cstddef>
#include <optional>
#include <vector>

#include "comm/transport.h"
#include "ps/compute_model.h"
#include "ps/protocol.h"
#include "ps/ps.h"

namespace ccb {

class PsWorker {
 public:
  // Fills the initial parameters and the update buffers and starts computing attempt 0.
  PsWorker(Transport& transport, const PsSetup& setup, int worker, const PsHooks& hooks);

  // Tests every outstanding operation once and acts on what completed; true when anything happened. Throws
  // TimeoutError when a server has not answered within twice setup.timeout.
  bool progress(Clock::time_point now);
  // Done with every server, or stopped by --fail.
  bool finished() const { return state_ == State::kDone || state_ == State::kStopped; }
  // While computing: when the compute ends (a rank with nothing else to do may sleep until then).
  std::optional<Clock::time_point> computingUntil() const;
  // The measurements and final parameters; when `check` (sync only) the wrong elements of the parameters.
  PsWorkerResult result(bool check);

 private:
  enum class State { kComputing, kExchanging, kDone, kStopped };

  void startAttempt(Clock::time_point now);
  void startExchange(Clock::time_point now);
  bool pollExchange(Clock::time_point now);
  void finishAttempt(Clock::time_point now);
  const std::byte* update();

  Transport& transport_;
  const PsSetup& setup_;
  int worker_;
  const PsHooks& hooks_;
  ComputeSampler sampler_;
  State state_ = State::kComputing;
  std::int64_t attempt_ = 0;

  std::vector<std::byte> params_;
  std::vector<std::byte> updates_[2];  // the pattern's update for even and odd attempts

  // Per server.
  std::vector<std::int64_t> version_;
  std::vector<bool> done_;
  std::vector<bool> active_;  // pushed to in this attempt
  std::vector<PsHeaderBytes> pushHeaders_;
  std::vector<PsHeaderBytes> replyHeaders_;
  std::vector<Request> replyHeaderRequests_;

  std::vector<Request> pushRequests_;
  std::vector<Request> replyPartRequests_;

  Clock::time_point stepStart_{}, computeEnd_{}, exchangeStart_{};
  std::optional<Clock::time_point> pushEnd_, headersIn_;
  std::optional<Clock::time_point> timedStart_;

  PsWorkerResult result_;
};

}  // namespace ccb
