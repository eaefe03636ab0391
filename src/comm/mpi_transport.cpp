#include "comm/mpi_transport.h"

#include <algorithm>
#include <string>

#include "core/error.h"

namespace ccb {
namespace {

enum class OpKind { kSend, kRecv, kBarrier };

// How long a destructor waits for MPI to confirm a cancellation before freeing the request anyway.
constexpr auto kCancelGrace = std::chrono::milliseconds(10);

class MpiOp final : public PendingOp {
 public:
  MpiOp(OpKind kind, MPI_Request request, std::size_t expectedBytes)
      : kind_(kind), request_(request), expectedBytes_(expectedBytes) {}

  // Cancels an incomplete send or receive so MPI stops touching the buffer, which its owner may now free.
  // A cancelled receive that has not matched completes at once; for the rest we wait briefly, then free the
  // request. Barrier requests cannot be cancelled or freed (MPI forbids both); MPI_Finalize reclaims them.
  ~MpiOp() override {
    if (request_ == MPI_REQUEST_NULL || kind_ == OpKind::kBarrier) return;
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (finalized) return;
    if (MPI_Cancel(&request_) != MPI_SUCCESS) return;
    const Clock::time_point giveUp = Clock::now() + kCancelGrace;
    int done = 0;
    while (!done && Clock::now() < giveUp) {
      if (MPI_Test(&request_, &done, MPI_STATUS_IGNORE) != MPI_SUCCESS) break;
    }
    if (!done && request_ != MPI_REQUEST_NULL) MPI_Request_free(&request_);
  }

  bool test() override {
    if (request_ == MPI_REQUEST_NULL) return true;
    int done = 0;
    MPI_Status status;
    checkMpi(MPI_Test(&request_, &done, &status), "MPI_Test");
    if (!done) return false;
    if (kind_ == OpKind::kRecv) checkReceivedBytes(status);
    return true;
  }

 private:
  void checkReceivedBytes(const MPI_Status& status) const {
    MPI_Count received = 0;
    checkMpi(MPI_Get_count_c(&status, MPI_BYTE, &received), "MPI_Get_count_c");
    if (static_cast<std::size_t>(received) != expectedBytes_) {
      throw InvariantError("mpi: receive from rank " + std::to_string(status.MPI_SOURCE) + " with tag " +
                           std::to_string(status.MPI_TAG) + " expected " + std::to_string(expectedBytes_) +
                           " bytes but got " + std::to_string(received));
    }
  }

  OpKind kind_;
  MPI_Request request_;
  std::size_t expectedBytes_;
};

std::string trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t\r\n");
  return std::string(text.substr(first, last - first + 1));
}

// The value of a "Key:<whitespace>value" line of MPICH's version text, or "" when the key is absent.
std::string fieldValue(std::string_view text, std::string_view key) {
  const auto at = text.find(key);
  if (at == std::string_view::npos) return {};
  const auto valueStart = at + key.size();
  const auto lineEnd = text.find('\n', valueStart);
  return trim(text.substr(valueStart,
                          lineEnd == std::string_view::npos ? std::string_view::npos : lineEnd - valueStart));
}

}  // namespace

void checkMpi(int code, std::string_view call) {
  if (code == MPI_SUCCESS) return;
  char message[MPI_MAX_ERROR_STRING] = {};
  int length = 0;
  if (MPI_Error_string(code, message, &length) != MPI_SUCCESS) {
    throw BackendError(std::string(call) + ": MPI error code " + std::to_string(code));
  }
  throw BackendError(std::string(call) + ": " + std::string(message, static_cast<std::size_t>(length)));
}

MpiSession::MpiSession(int* argc, char*** argv) {
  int initialized = 0;
  checkMpi(MPI_Initialized(&initialized), "MPI_Initialized");
  if (initialized) throw BackendError("MPI_Init_thread: MPI is already initialised in this process");
  int provided = 0;
  checkMpi(MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
  if (provided < MPI_THREAD_FUNNELED) {
    MPI_Finalize();
    throw BackendError("MPI_Init_thread: the MPI library does not provide MPI_THREAD_FUNNELED");
  }
  checkMpi(MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN), "MPI_Comm_set_errhandler");
}

MpiSession::~MpiSession() { MPI_Finalize(); }

MpiTransport::MpiTransport(MPI_Comm comm) : comm_(comm) {
  checkMpi(MPI_Comm_rank(comm_, &rank_), "MPI_Comm_rank");
  checkMpi(MPI_Comm_size(comm_, &size_), "MPI_Comm_size");
  // MPI_TAG_UB is cached on MPI_COMM_WORLD; the value is a pointer to int owned by MPI.
  int* tagUpperBound = nullptr;
  int found = 0;
  checkMpi(MPI_Comm_get_attr(MPI_COMM_WORLD, MPI_TAG_UB, &tagUpperBound, &found), "MPI_Comm_get_attr");
  if (found && tagUpperBound != nullptr) tagUpperBound_ = *tagUpperBound;
}

Request MpiTransport::isend(int peer, std::span<const std::byte> data, int tag) {
  CCB_CHECK_LE(0, peer);
  CCB_CHECK_LT(peer, size_);
  CCB_CHECK_LE(0, tag);
  CCB_CHECK_LE(tag, tagUpperBound_);
  MPI_Request request = MPI_REQUEST_NULL;
  checkMpi(
      MPI_Isend_c(data.data(), static_cast<MPI_Count>(data.size()), MPI_BYTE, peer, tag, comm_, &request),
      "MPI_Isend_c");
  return std::make_unique<MpiOp>(OpKind::kSend, request, data.size());
}

Request MpiTransport::irecv(int peer, std::span<std::byte> data, int tag) {
  CCB_CHECK_LE(0, peer);
  CCB_CHECK_LT(peer, size_);
  CCB_CHECK_LE(0, tag);
  CCB_CHECK_LE(tag, tagUpperBound_);
  MPI_Request request = MPI_REQUEST_NULL;
  checkMpi(
      MPI_Irecv_c(data.data(), static_cast<MPI_Count>(data.size()), MPI_BYTE, peer, tag, comm_, &request),
      "MPI_Irecv_c");
  return std::make_unique<MpiOp>(OpKind::kRecv, request, data.size());
}

Request MpiTransport::ibarrier() {
  MPI_Request request = MPI_REQUEST_NULL;
  checkMpi(MPI_Ibarrier(comm_, &request), "MPI_Ibarrier");
  return std::make_unique<MpiOp>(OpKind::kBarrier, request, 0);
}

std::string condenseMpiLibraryVersion(std::string_view libraryVersion) {
  const std::string mpichVersion = fieldValue(libraryVersion, "MPICH Version:");
  if (!mpichVersion.empty()) {
    const std::string device = fieldValue(libraryVersion, "MPICH Device:");
    return "MPICH " + mpichVersion + (device.empty() ? "" : " (" + device + ")");
  }
  std::string_view firstLine = libraryVersion.substr(0, libraryVersion.find('\n'));
  return trim(firstLine.substr(0, firstLine.find(',')));
}

std::string mpiLibraryVersion() {
  // One of the few MPI calls allowed before MPI_Init.
  char text[MPI_MAX_LIBRARY_VERSION_STRING] = {};
  int length = 0;
  checkMpi(MPI_Get_library_version(text, &length), "MPI_Get_library_version");
  return condenseMpiLibraryVersion(std::string_view(text, static_cast<std::size_t>(length)));
}

std::vector<std::string> gatherHostnames(MPI_Comm comm) {
  char name[MPI_MAX_PROCESSOR_NAME] = {};
  int length = 0;
  checkMpi(MPI_Get_processor_name(name, &length), "MPI_Get_processor_name");
  int ranks = 0;
  checkMpi(MPI_Comm_size(comm, &ranks), "MPI_Comm_size");
  // Fixed-width slots, zero-padded: one MPI_Allgather, no length exchange.
  std::vector<char> all(static_cast<std::size_t>(ranks) * MPI_MAX_PROCESSOR_NAME, '\0');
  checkMpi(MPI_Allgather(name, MPI_MAX_PROCESSOR_NAME, MPI_CHAR, all.data(), MPI_MAX_PROCESSOR_NAME, MPI_CHAR,
                         comm),
           "MPI_Allgather");
  std::vector<std::string> hostnames;
  hostnames.reserve(static_cast<std::size_t>(ranks));
  for (int rank = 0; rank < ranks; ++rank) {
    const char* slot = all.data() + static_cast<std::size_t>(rank) * MPI_MAX_PROCESSOR_NAME;
    hostnames.emplace_back(slot, std::find(slot, slot + MPI_MAX_PROCESSOR_NAME, '\0'));
  }
  return hostnames;
}

int localRanks(MPI_Comm comm) {
  MPI_Comm local = MPI_COMM_NULL;
  checkMpi(MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &local), "MPI_Comm_split_type");
  int ranks = 0;
  const int code = MPI_Comm_size(local, &ranks);
  MPI_Comm_free(&local);
  checkMpi(code, "MPI_Comm_size");
  return ranks;
}

}  // namespace ccb
