// MPI transport and the few MPI helpers the run context needs. Only this file pair (and algorithms that are
// MPI by nature, such as MPI_Allreduce) include <mpi.h>.
#pragma once

#include <mpi.h>

#include <string>
#include <string_view>
#include <vector>

#include "comm/transport.h"

namespace ccb {

// Throws BackendError("<call>: <MPI_Error_string of code>") unless code == MPI_SUCCESS.
void checkMpi(int code, std::string_view call);

// MPI_Init_thread(MPI_THREAD_FUNNELED) ... MPI_Finalize for the lifetime of the object, with
// MPI_ERRORS_RETURN on MPI_COMM_WORLD so that errors become exceptions (via checkMpi) instead of aborts.
// Only the thread that created the session may call MPI (FUNNELED); helper threads such as the watchdog never
// do.
class MpiSession {
 public:
  // Throws BackendError if MPI is already initialised or cannot provide MPI_THREAD_FUNNELED.
  MpiSession(int* argc, char*** argv);
  // Calls MPI_Finalize (errors are ignored: destructors must not throw).
  ~MpiSession();
  MpiSession(const MpiSession&) = delete;
  MpiSession& operator=(const MpiSession&) = delete;
};

// Non-blocking MPI point-to-point over MPI_BYTE with the MPI-4 large-count calls (messages over 2 GiB work).
// The communicator must outlive the transport and its requests. Destroying an incomplete send or receive
// request cancels and frees it; an incomplete barrier request cannot be cancelled (MPI forbids it) and is
// left to MPI_Finalize.
class MpiTransport final : public Transport {
 public:
  explicit MpiTransport(MPI_Comm comm);

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  std::string name() const override { return "mpi"; }
  MPI_Comm comm() const { return comm_; }

  // Peers must be in [0, size()) and tags in [0, MPI_TAG_UB], else InvariantError. A receive that gets fewer
  // bytes than data.size() throws InvariantError from test(); more bytes is MPI's truncation error
  // (BackendError).
  Request isend(int peer, std::span<const std::byte> data, int tag) override;
  Request irecv(int peer, std::span<std::byte> data, int tag) override;
  Request ibarrier() override;

 private:
  MPI_Comm comm_;
  int rank_ = 0;
  int size_ = 0;
  int tagUpperBound_ = 32767;  // the MPI standard's guaranteed minimum, until MPI_TAG_UB says more
};

// "MPICH 4.0.2 (ch4:ucx)" from MPICH's multi-line MPI_Get_library_version text; other libraries' first line
// up to its first comma ("Open MPI v4.1.4"); the text trimmed when neither applies. Pure, for tests.
std::string condenseMpiLibraryVersion(std::string_view libraryVersion);
// condenseMpiLibraryVersion of this process's MPI library. Needs no initialised MPI.
std::string mpiLibraryVersion();

// Every rank's processor (host) name, indexed by rank in `comm`, on every rank. Collective over `comm`.
std::vector<std::string> gatherHostnames(MPI_Comm comm);

// Number of ranks of `comm` that share this host's memory (MPI_COMM_TYPE_SHARED), this rank included.
// Collective over `comm`.
int localRanks(MPI_Comm comm);

}  // namespace ccb
