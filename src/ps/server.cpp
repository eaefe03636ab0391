#include "ps/server.h"

#include <algorithm>
#include <sstream>

#include "core/error.h"
#include "ps/pattern.h"
#include "reduce/verify.h"

namespace ccb {
namespace {

std::span<std::byte> slice(std::vector<std::byte>& buffer, const ByteRange& range) {
  return std::span<std::byte>(buffer).subspan(range.offset, range.bytes);
}

std::string seconds(std::chrono::duration<double> duration) {
  std::ostringstream os;
  os << duration.count() << " s";
  return os.str();
}

}  // namespace

PsServer::PsServer(Transport& transport, Reducer& reducer, const PsSetup& setup, int server,
                   const PsHooks& hooks)
    : transport_(transport),
      reducer_(reducer),
      setup_(setup),
      server_(server),
      shard_(setup.plan.shards.at(static_cast<std::size_t>(server))),
      book_(BookOptions{setup.mode, setup.layout.workers(), setup.backup, setup.staleness, setup.totalSteps(),
                        setup.warmupSteps}),
      params_(shard_.range.bytes) {
  if (hooks.initialParams) {
    hooks.initialParams(params_.data(), shard_.range.offset / elementBytes(), params_.size() / elementBytes());
  } else {
    fillInitialParams(params_.data(), params_.size() / elementBytes(), setup.dtype,
                      shard_.range.offset / elementBytes());
  }
  if (setup.mode == PsMode::kSync || setup.mode == PsMode::kBackup) {
    sum_.resize(shard_.range.bytes);
    sumCount_.assign(shard_.parts.size(), 0);
    firstFolded_.assign(shard_.parts.size(), -1);
  }
  const Clock::time_point now = Clock::now();
  slots_.resize(static_cast<std::size_t>(setup.layout.workers()));
  for (int worker = 0; worker < setup.layout.workers(); ++worker) {
    Slot& slot = slots_[static_cast<std::size_t>(worker)];
    slot.rank = setup.layout.workerRank(worker);
    slot.pushData.resize(shard_.range.bytes);
    if (setup.mode != PsMode::kSync) slot.replyData.resize(shard_.range.bytes);
    slot.lastHeard = now;
    postPushReceives(slot);
  }
}

void PsServer::postPushReceives(Slot& slot) {
  // Posted in the order the worker sends: header first, then the partitions (per-pair, per-tag FIFO).
  slot.headerRequest = transport_.irecv(slot.rank, slot.pushHeader, kPsPushTag);
  slot.partRequests.clear();
  for (const ByteRange& part : shard_.parts) {
    slot.partRequests.push_back(transport_.irecv(slot.rank, slice(slot.pushData, part), kPsPushTag));
  }
  slot.posted = true;
  slot.headerIn = false;
  slot.nextPart = 0;
}

bool PsServer::pollPush(int worker, Clock::time_point now) {
  Slot& slot = slots_[static_cast<std::size_t>(worker)];
  if (!slot.posted) return false;
  bool progressed = false;
  if (!slot.headerIn) {
    if (!slot.headerRequest->test()) return false;
    slot.headerRequest.reset();
    const PsHeader header = decodeHeader(slot.pushHeader);
    slot.fate = book_.onPushHeader(worker, header.attempt, header.version);
    slot.attempt = header.attempt;
    slot.headerIn = true;
    slot.lastHeard = now;
    progressed = true;
  }
  // Partitions are taken in order, each as soon as it is in: a sync step sums while later ones still arrive.
  while (slot.nextPart < slot.partRequests.size() && slot.partRequests[slot.nextPart]->test()) {
    slot.partRequests[slot.nextPart].reset();
    if (slot.fate == PushFate::kCounted) foldPart(worker, slot.nextPart);
    ++slot.nextPart;
    slot.lastHeard = now;
    progressed = true;
  }
  if (slot.nextPart == slot.partRequests.size()) {
    if (slot.fate == PushFate::kApplied) {
      // Learning rate 1: the parameters take the pushed update as it is.
      reducer_.reduce(params_.data(), params_.data(), slot.pushData.data(), params_.size() / elementBytes(),
                      setup_.dtype, ReduceOp::kSum);
    }
    slot.posted = false;
    book_.onPushComplete(worker);
    progressed = true;
  }
  return progressed;
}

// A counted push stays in its receive buffer until the step completes (its worker is held, so nothing is
// received into that buffer before), which saves a copy: the first push of a partition is only noted, the
// second is added to it into sum_, later ones into sum_.
void PsServer::foldPart(int worker, std::size_t part) {
  const ByteRange& range = shard_.parts[part];
  int& folded = sumCount_[part];
  const std::byte* pushed = slots_[static_cast<std::size_t>(worker)].pushData.data() + range.offset;
  std::byte* sum = sum_.data() + range.offset;
  if (folded == 0) {
    firstFolded_[part] = worker;
  } else {
    const std::byte* earlier =
        folded == 1 ? slots_[static_cast<std::size_t>(firstFolded_[part])].pushData.data() + range.offset
                    : sum;
    reducer_.reduce(sum, earlier, pushed, range.bytes / elementBytes(), setup_.dtype, ReduceOp::kSum);
  }
  ++folded;
}

void PsServer::applyStep() {
  const int quorum = book_.stepQuorum();
  for (std::size_t part = 0; part < shard_.parts.size(); ++part) {
    CCB_CHECK_EQ(sumCount_[part], quorum);
    const ByteRange& range = shard_.parts[part];
    const std::size_t count = range.bytes / elementBytes();
    std::byte* params = params_.data() + range.offset;
    // The average of the step's pushes, divided once, then added to the parameters (learning rate 1). A
    // quorum of one is its own average, still in its receive buffer.
    std::byte* average = sum_.data() + range.offset;
    if (quorum == 1) {
      average = slots_[static_cast<std::size_t>(firstFolded_[part])].pushData.data() + range.offset;
    } else {
      reducer_.finalize(average, count, setup_.dtype, ReduceOp::kAvg, quorum);
    }
    reducer_.reduce(params, params, average, count, setup_.dtype, ReduceOp::kSum);
  }
  std::fill(sumCount_.begin(), sumCount_.end(), 0);
  book_.completeStep();
}

void PsServer::sendReply(const ReplyTicket& ticket, Clock::time_point now) {
  Slot& slot = slots_[static_cast<std::size_t>(ticket.worker)];
  // The next push's receives go up before the reply, so they are waiting when that push comes.
  if (!ticket.done) postPushReceives(slot);
  // The previous reply was received before this worker could push again; its sends are complete or about
  // to be, and must be before their buffers are rewritten.
  waitAll(slot.replyRequests, now + std::chrono::duration_cast<Clock::duration>(setup_.timeout),
          setup_.what + ": server rank " + std::to_string(transport_.rank()) + " finishing a reply to rank " +
              std::to_string(slot.rank));
  slot.replyRequests.clear();
  PsHeader header;
  header.attempt = slot.attempt;
  header.version = ticket.version;
  header.flags = (ticket.done ? PsHeader::kDone : 0) | (ticket.applied ? PsHeader::kApplied : 0);
  slot.replyHeader = encodeHeader(header);
  // Sync sends the live parameters: they change only when every worker has pushed again, which each does
  // only after receiving this reply. The other modes may change them any moment, so they send a snapshot.
  const std::byte* source = params_.data();
  if (setup_.mode != PsMode::kSync) {
    reducer_.copy(slot.replyData.data(), params_.data(), params_.size());
    source = slot.replyData.data();
  }
  slot.replyRequests.push_back(transport_.isend(slot.rank, slot.replyHeader, kPsReplyTag));
  for (const ByteRange& part : shard_.parts) {
    slot.replyRequests.push_back(transport_.isend(
        slot.rank, std::span<const std::byte>(source + part.offset, part.bytes), kPsReplyTag));
  }
  slot.lastHeard = now;
}

bool PsServer::pollReplies(Slot& slot) {
  bool progressed = false;
  for (Request& request : slot.replyRequests) {
    if (request && request->test()) {
      request.reset();
      progressed = true;
    }
  }
  if (std::all_of(slot.replyRequests.begin(), slot.replyRequests.end(),
                  [](const Request& r) { return !r; })) {
    slot.replyRequests.clear();
  }
  return progressed;
}

void PsServer::checkLiveness(Clock::time_point now) {
  for (int worker = 0; worker < static_cast<int>(slots_.size()); ++worker) {
    Slot& slot = slots_[static_cast<std::size_t>(worker)];
    const bool waiting = book_.awaitingPush(worker) || book_.receivingPush(worker);
    if (!waiting || now - slot.lastHeard < setup_.timeout) continue;
    std::ostringstream os;
    os << setup_.what << ": server rank " << transport_.rank() << " got no push from worker rank "
       << slot.rank << " for " << seconds(setup_.timeout) << " (--timeout) at version " << book_.version();
    // A push stuck half way, or any silent worker in sync mode, leaves a step that can never complete.
    if (setup_.mode == PsMode::kSync || book_.receivingPush(worker)) {
      throw TimeoutError(os.str() + "; worker rank " + std::to_string(slot.rank) + " is missing (stopped?)");
    }
    book_.declareFailed(worker);
    slot.headerRequest.reset();  // cancels the receives that will never match
    slot.partRequests.clear();
    slot.posted = false;
    failedRanks_.push_back(slot.rank);
    if (!book_.canComplete()) {
      std::ostringstream failed;
      for (int rank : failedRanks_) failed << (failed.tellp() > 0 ? ", " : "") << rank;
      throw TimeoutError(os.str() + "; with worker rank(s) " + failed.str() + " failed, fewer than the " +
                         std::to_string(book_.stepQuorum()) + " pushes a step needs remain");
    }
  }
}

bool PsServer::progress(Clock::time_point now) {
  bool progressed = false;
  for (int worker = 0; worker < static_cast<int>(slots_.size()); ++worker)
    progressed |= pollPush(worker, now);
  if (book_.stepReady()) {
    applyStep();
    progressed = true;
  }
  for (const ReplyTicket& ticket : book_.takeReleased()) {
    sendReply(ticket, now);
    progressed = true;
  }
  for (Slot& slot : slots_) progressed |= pollReplies(slot);
  if (!progressed) checkLiveness(now);
  return progressed;
}

bool PsServer::finished() const {
  return book_.finished() && std::all_of(slots_.begin(), slots_.end(),
                                         [](const Slot& slot) { return slot.replyRequests.empty(); });
}

PsServerResult PsServer::result(bool check) {
  PsServerResult result;
  result.present = true;
  result.server = server_;
  result.received = book_.received();
  result.applied = book_.applied();
  result.appliedTimed = book_.appliedTimed();
  result.dropped = book_.dropped();
  result.version = book_.version();
  result.staleness = book_.stalenessHistogram();
  result.stepPushCounts = book_.stepPushCounts();
  result.maxLead = book_.maxLead();
  result.failedWorkerRanks = failedRanks_;
  if (check) {
    // The accounting identity: the shard is p0 plus every applied push, whatever the order.
    std::vector<std::int64_t> coefficientSums(slots_.size(), 0);
    for (std::size_t worker = 0; worker < slots_.size(); ++worker) {
      for (std::int64_t attempt : book_.appliedAttempts(static_cast<int>(worker))) {
        coefficientSums[worker] += attemptCoefficient(attempt);
      }
    }
    const std::size_t count = params_.size() / elementBytes();
    std::vector<std::byte> expected(params_.size());
    fillExpectedParams(expected.data(), count, setup_.dtype, shard_.range.offset / elementBytes(),
                       coefficientSums);
    result.wrong = static_cast<long long>(countWrong(params_.data(), expected.data(), count, setup_.dtype));
  }
  result.shard = std::move(params_);
  return result;
}

}  // namespace ccb
