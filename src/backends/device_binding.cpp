#include "backends/device_binding.h"

#include <algorithm>

#include "comm/mpi_transport.h"
#include "comm/watchdog.h"
#include "core/error.h"

namespace ccb {

HostPlacement hostPlacement(MPI_Comm comm) {
  MPI_Comm host = MPI_COMM_NULL;
  checkMpi(MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &host), "MPI_Comm_split_type");
  HostPlacement placement;
  const int rankCode = MPI_Comm_rank(host, &placement.localRank);
  const int sizeCode = MPI_Comm_size(host, &placement.localRanks);
  MPI_Comm_free(&host);
  checkMpi(rankCode, "MPI_Comm_rank");
  checkMpi(sizeCode, "MPI_Comm_size");
  return placement;
}

std::string placementProblem(const HostPlacement& placement, int devices, bool exclusive) {
  if (devices < 1) return "no CUDA device answers on this host";
  if (exclusive && placement.localRanks > devices) {
    return "one GPU per rank needed, but this host runs " + std::to_string(placement.localRanks) +
           " ranks on " + std::to_string(devices) + " GPU" + (devices == 1 ? "" : "s") +
           " (NCCL refuses two ranks on one GPU): run at most " + std::to_string(devices) + " rank" +
           (devices == 1 ? "" : "s") + " per host";
  }
  return "";
}

int deviceForRank(const HostPlacement& placement, int devices) {
  CCB_CHECK_LE(1, devices);
  return placement.localRank % devices;
}

int ranksSharingDevice(const HostPlacement& placement, int devices) {
  CCB_CHECK_LE(1, devices);
  // Local ranks r with r % devices == d: one per full round, plus one of the last, partial round.
  const int device = deviceForRank(placement, devices);
  return placement.localRanks / devices + (device < placement.localRanks % devices ? 1 : 0);
}

void agreeOnProblem(MPI_Comm comm, const std::string& localProblem, Clock::duration timeout,
                    std::string_view what) {
  int mine = localProblem.empty() ? 0 : 1;
  int any = 0;
  {
    WatchdogGuard guard(processWatchdog(), Clock::now() + timeout,
                        std::string(what) + ": agreeing on devices");
    checkMpi(MPI_Allreduce(&mine, &any, 1, MPI_INT, MPI_MAX, comm), "MPI_Allreduce");
  }
  if (any == 0) return;
  if (mine != 0) throw UsageError(std::string(what) + ": " + localProblem);
  throw UsageError(std::string(what) + ": another rank has no usable GPU (see its message)");
}

}  // namespace ccb
