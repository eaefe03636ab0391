#include "ps/ps.h"

#include <optional>
#include <thread>

#include "core/error.h"
#include "ps/pattern.h"
#include "ps/server.h"
#include "ps/worker.h"

namespace ccb {
namespace {

// A rank named by --fail or --straggler must be a worker of this layout.
void checkWorkerRank(const PsLayout& layout, int rank, const std::string& flag) {
  if (rank >= layout.ranks()) {
    throw UsageError(flag + ": rank " + std::to_string(rank) + " does not exist (" +
                     std::to_string(layout.ranks()) + " ranks)");
  }
  if (layout.workerIndex(rank) < 0) {
    throw UsageError(flag + ": rank " + std::to_string(rank) +
                     " is a server, not a worker (workers are ranks " + std::to_string(layout.workerRank(0)) +
                     ".." + std::to_string(layout.ranks() - 1) + ")");
  }
}

}  // namespace

void validatePsSetup(const PsSetup& setup, int ranks) {
  CCB_CHECK_EQ(setup.layout.ranks(), ranks);
  CCB_CHECK_EQ(setup.plan.shards.size(), static_cast<std::size_t>(setup.layout.servers()));
  checkPsDType(setup.dtype);
  const int workers = setup.layout.workers();
  if (setup.mode == PsMode::kBackup && (setup.backup < 0 || setup.backup >= workers)) {
    throw UsageError("--backup " + std::to_string(setup.backup) + " must be >= 0 and smaller than the " +
                     std::to_string(workers) + " workers");
  }
  if (setup.staleness < 0)
    throw UsageError("--staleness must be >= 0, got " + std::to_string(setup.staleness));
  if (setup.timedSteps < 1 || setup.warmupSteps < 0) {
    throw UsageError("a parameter-server run needs at least 1 timed step and no negative warm-up");
  }
  if (setup.fail) {
    checkWorkerRank(setup.layout, setup.fail->rank, "--fail");
    if (setup.fail->step >= setup.totalSteps()) {
      throw UsageError("--fail: step " + std::to_string(setup.fail->step) + " is past the run's " +
                       std::to_string(setup.totalSteps()) + " steps (warm-up + iters)");
    }
  }
  for (const Straggler& straggler : setup.stragglers)
    checkWorkerRank(setup.layout, straggler.rank, "--straggler");
}

PsRankResult runPs(Transport& transport, Reducer& reducer, const PsSetup& setup, const PsHooks& hooks) {
  validatePsSetup(setup, transport.size());
  const int rank = transport.rank();
  // The server first: its receives are posted before a co-located worker's first push.
  std::optional<PsServer> server;
  std::optional<PsWorker> worker;
  if (const int index = setup.layout.serverIndex(rank); index >= 0)
    server.emplace(transport, reducer, setup, index, hooks);
  if (const int index = setup.layout.workerIndex(rank); index >= 0)
    worker.emplace(transport, setup, index, hooks);

  while (true) {
    const bool serverBusy = server && !server->finished();
    const bool workerBusy = worker && !worker->finished();
    if (!serverBusy && !workerBusy) break;
    const Clock::time_point now = Clock::now();
    bool progressed = false;
    if (serverBusy) progressed = server->progress(now) || progressed;
    if (workerBusy) progressed = worker->progress(now) || progressed;
    if (progressed) continue;
    // A pure worker that is computing has nothing to poll: it sleeps like a real one waits on its GPU.
    // Everything else yields the core, so ranks that outnumber cores still make progress.
    const auto until = worker ? worker->computingUntil() : std::nullopt;
    if (until && !serverBusy) {
      std::this_thread::sleep_until(*until);
    } else {
      std::this_thread::yield();
    }
  }
  // Nobody leaves before everybody is done: a stopped worker waits here for the others to finish. The wait
  // has no deadline of its own: every rank still running has one, and a rank that fails ends the run.
  barrier(transport, Clock::time_point::max(), setup.what + ": waiting for every rank to finish");

  PsRankResult result;
  const bool check = setup.check && !hooks.update && !hooks.initialParams;
  if (server) result.server = server->result(check);
  if (worker) result.worker = worker->result(check);
  return result;
}

}  // namespace ccb
