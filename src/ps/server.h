// One server shard as a non-blocking state machine (used by runPs, ps/ps.h): it keeps one push receive posted
// per live worker, tests them on every progress() call, folds or applies what arrived as its ServerBook
// decides, and answers with replies. Never blocks, so a co-located rank interleaves it with its worker.
#pragma once

#include <cstddef>
#include <vector>

#include "comm/transport.h"
#include "ps/protocol.h"
#include "ps/ps.h"
#include "ps/server_book.h"
#include "reduce/reducer.h"

namespace ccb {

class PsServer {
 public:
  // Allocates the shard (initial parameters of ps/pattern.h) and posts a push receive for every worker.
  // `hooks` is only read here (initialParams), not kept.
  PsServer(Transport& transport, Reducer& reducer, const PsSetup& setup, int server, const PsHooks& hooks = {});

  // Tests every outstanding operation once and acts on what completed; true when anything happened. Throws
  // TimeoutError when a worker the run cannot do without stayed silent for setup.timeout.
  bool progress(Clock::time_point now);
  // Every worker is done or failed and every reply has been delivered.
  bool finished() const;
  // The counts, the final shard and (when `check`) the wrong elements against the accounting identity.
  PsServerResult result(bool check);

 private:
  struct Slot {
    int rank = 0;
    bool posted = false;  // a push receive is outstanding
    bool headerIn = false;
    PushFate fate = PushFate::kCounted;
    std::int64_t attempt = 0;
    std::size_t nextPart = 0;
    PsHeaderBytes pushHeader{};
    std::vector<std::byte> pushData;
    Request headerRequest;
    std::vector<Request> partRequests;
    PsHeaderBytes replyHeader{};
    std::vector<std::byte> replyData;  // a snapshot of the parameters (every mode but sync)
    std::vector<Request> replyRequests;
    Clock::time_point lastHeard;
  };

  void postPushReceives(Slot& slot);
  bool pollPush(int worker, Clock::time_point now);
  void foldPart(int worker, std::size_t part);
  void applyStep();
  void sendReply(const ReplyTicket& ticket, Clock::time_point now);
  bool pollReplies(Slot& slot);
  void checkLiveness(Clock::time_point now);
  std::size_t elementBytes() const { return dtypeSize(setup_.dtype); }

  Transport& transport_;
  Reducer& reducer_;
  const PsSetup& setup_;
  int server_;
  const Shard& shard_;
  ServerBook book_;
  std::vector<std::byte> params_;
  std::vector<std::byte> sum_;    // sync/backup: the step's pushes, folded partition by partition
  std::vector<int> sumCount_;     // pushes folded into each partition of sum_
  std::vector<int> firstFolded_;  // the worker whose push came first in each partition
  std::vector<Slot> slots_;       // by worker index
  std::vector<int> failedRanks_;
};

}  // namespace ccb
