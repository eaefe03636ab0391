#include "ps/worker.h"

#include <algorithm>
#include <sstream>

#include "core/error.h"
#include "ps/pattern.h"
#include "reduce/verify.h"

namespace ccb {
namespace {

double microseconds(Clock::duration duration) {
  return std::chrono::duration<double, std::micro>(duration).count();
}

bool testAll(std::vector<Request>& requests) {
  bool all = true;
  for (Request& request : requests) {
    if (request && request->test()) request.reset();
    all = all && !request;
  }
  return all;
}

}  // namespace

PsWorker::PsWorker(Transport& transport, const PsSetup& setup, int worker, const PsHooks& hooks)
    : transport_(transport),
      setup_(setup),
      worker_(worker),
      hooks_(hooks),
      sampler_(setup.compute, setup.seed, transport.rank(),
               stragglerFactor(setup.stragglers, transport.rank())),
      params_(setup.plan.vectorBytes) {
  const std::size_t servers = static_cast<std::size_t>(setup.layout.servers());
  if (hooks_.initialParams) {
    hooks_.initialParams(params_.data(), 0, setup.count());
  } else {
    fillInitialParams(params_.data(), setup.count(), setup.dtype, 0);
  }
  if (!hooks_.update) {
    // Scaled by the pushes a step averages, so the average stays an exact integer (ps/pattern.h).
    const std::int64_t quorum = setup.mode == PsMode::kSync     ? setup.layout.workers()
                                : setup.mode == PsMode::kBackup ? setup.layout.workers() - setup.backup
                                                                : 1;
    for (std::int64_t parity = 0; parity < 2; ++parity) {
      updates_[parity].resize(setup.plan.vectorBytes);
      fillDelta(updates_[parity].data(), setup.count(), setup.dtype, worker,
                quorum * attemptCoefficient(parity), 0);
    }
  }
  version_.assign(servers, 0);
  done_.assign(servers, false);
  active_.assign(servers, false);
  pushHeaders_.resize(servers);
  replyHeaders_.resize(servers);
  replyHeaderRequests_.resize(servers);
  result_.present = true;
  result_.rank = transport.rank();
  startAttempt(Clock::now());
}

const std::byte* PsWorker::update() {
  if (hooks_.update) return hooks_.update(worker_, attempt_);
  return updates_[attempt_ % 2].data();
}

void PsWorker::startAttempt(Clock::time_point now) {
  if (setup_.fail && setup_.fail->rank == transport_.rank() && setup_.fail->step == attempt_) {
    // Fault injection: from here on this worker sends nothing, as if it had crashed.
    state_ = State::kStopped;
    result_.stopped = true;
    return;
  }
  if (hooks_.onComputeStart) hooks_.onComputeStart(worker_, attempt_);
  if (hooks_.onPulled) hooks_.onPulled(worker_, attempt_, params_);
  stepStart_ = now;
  double computeMs = sampler_.nextMs();
  if (hooks_.computeMs) computeMs = hooks_.computeMs(worker_, attempt_, computeMs);
  computeEnd_ =
      now + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double, std::milli>(computeMs));
  state_ = State::kComputing;
  if (computeMs <= 0) startExchange(now);
}

std::optional<Clock::time_point> PsWorker::computingUntil() const {
  if (state_ != State::kComputing) return std::nullopt;
  return computeEnd_;
}

void PsWorker::startExchange(Clock::time_point now) {
  state_ = State::kExchanging;
  exchangeStart_ = now;
  pushEnd_.reset();
  headersIn_.reset();
  const std::byte* data = update();
  pushRequests_.clear();
  replyPartRequests_.clear();
  ++result_.attempts;
  for (std::size_t server = 0; server < done_.size(); ++server) {
    active_[server] = !done_[server];
    if (!active_[server]) continue;
    const Shard& shard = setup_.plan.shards[server];
    const int rank = setup_.layout.serverRank(static_cast<int>(server));
    // The reply's receives go up first: the reply can then never arrive unexpected.
    replyHeaderRequests_[server] = transport_.irecv(rank, replyHeaders_[server], kPsReplyTag);
    for (const ByteRange& part : shard.parts) {
      replyPartRequests_.push_back(transport_.irecv(
          rank, std::span<std::byte>(params_.data() + shard.range.offset + part.offset, part.bytes),
          kPsReplyTag));
    }
    PsHeader header;
    header.attempt = attempt_;
    header.version = version_[server];
    pushHeaders_[server] = encodeHeader(header);
    pushRequests_.push_back(transport_.isend(rank, pushHeaders_[server], kPsPushTag));
    for (const ByteRange& part : shard.parts) {
      pushRequests_.push_back(transport_.isend(
          rank, std::span<const std::byte>(data + shard.range.offset + part.offset, part.bytes), kPsPushTag));
    }
    ++result_.pushMessages;
  }
}

bool PsWorker::pollExchange(Clock::time_point now) {
  bool progressed = false;
  if (!pushEnd_ && testAll(pushRequests_)) {
    pushEnd_ = now;
    progressed = true;
  }
  bool headersIn = true;
  for (std::size_t server = 0; server < active_.size(); ++server) {
    Request& request = replyHeaderRequests_[server];
    if (request && request->test()) {
      request.reset();
      progressed = true;
    }
    headersIn = headersIn && !request;
  }
  if (headersIn && !headersIn_) headersIn_ = now;
  const bool partsIn = testAll(replyPartRequests_);
  if (pushEnd_ && headersIn && partsIn) {
    finishAttempt(now);
    return true;
  }
  if (!progressed && now - exchangeStart_ > 2 * setup_.timeout) {
    std::ostringstream os;
    os << setup_.what << ": worker rank " << transport_.rank() << " got no reply to step " << attempt_
       << " from server rank(s)";
    for (std::size_t server = 0; server < active_.size(); ++server) {
      if (replyHeaderRequests_[server]) os << " " << setup_.layout.serverRank(static_cast<int>(server));
    }
    os << " within " << 2 * setup_.timeout.count() << " s (twice --timeout)";
    throw TimeoutError(os.str());
  }
  return progressed;
}

void PsWorker::finishAttempt(Clock::time_point now) {
  bool applied = true;
  for (std::size_t server = 0; server < active_.size(); ++server) {
    if (!active_[server]) continue;
    const PsHeader reply = decodeHeader(replyHeaders_[server]);
    // Every reply moves the worker forward (an applied push, a completed step, or a newer version for a
    // late push), so a worker makes at most T attempts in sync and backup modes.
    CCB_CHECK_LT(version_[server], reply.version);
    version_[server] = reply.version;
    done_[server] = (reply.flags & PsHeader::kDone) != 0;
    applied = applied && (reply.flags & PsHeader::kApplied) != 0;
  }
  if (attempt_ >= setup_.warmupSteps) {
    if (!timedStart_) timedStart_ = stepStart_;
    if (applied) ++result_.appliedTimed;
    // push + idle + pull = the exchange: idle is the wait from the last push sent to the last reply header.
    const Clock::time_point replyStart = std::max(*pushEnd_, *headersIn_);
    result_.stepUs.push_back(microseconds(now - stepStart_));
    result_.computeUs.push_back(microseconds(exchangeStart_ - stepStart_));
    result_.pushUs.push_back(microseconds(*pushEnd_ - exchangeStart_));
    result_.idleUs.push_back(microseconds(replyStart - *pushEnd_));
    result_.pullUs.push_back(microseconds(now - replyStart));
    result_.timedUs = microseconds(now - *timedStart_);
  }
  ++attempt_;
  if (std::all_of(done_.begin(), done_.end(), [](bool done) { return done; })) {
    state_ = State::kDone;
  } else {
    startAttempt(now);
  }
}

bool PsWorker::progress(Clock::time_point now) {
  switch (state_) {
    case State::kComputing:
      if (now < computeEnd_) return false;
      startExchange(now);
      return true;
    case State::kExchanging:
      return pollExchange(now);
    case State::kDone:
    case State::kStopped:
      return false;
  }
  return false;
}

PsWorkerResult PsWorker::result(bool check) {
  if (check && setup_.mode == PsMode::kSync && !hooks_.update && !result_.stopped) {
    // Sync applies every push of every worker: each worker must hold p0 + sum of all of them.
    std::int64_t coefficientSum = 0;
    for (std::int64_t attempt = 0; attempt < setup_.totalSteps(); ++attempt) {
      coefficientSum += attemptCoefficient(attempt);
    }
    std::vector<std::byte> expected(params_.size());
    fillExpectedParams(
        expected.data(), setup_.count(), setup_.dtype, 0,
        std::vector<std::int64_t>(static_cast<std::size_t>(setup_.layout.workers()), coefficientSum));
    result_.wrong =
        static_cast<long long>(countWrong(params_.data(), expected.data(), setup_.count(), setup_.dtype));
  }
  result_.params = std::move(params_);
  return std::move(result_);
}

}  // namespace ccb
