// MPI transport under mpiexec (-n 2 and -n 3): ring exchange, barrier, cancellation, size checks, hostnames.
// Every rank runs every test; a failure on any rank makes mpiexec exit non-zero.
#include <gtest/gtest.h>

#include <cstdint>
#include <numeric>
#include <vector>

#include "comm/mpi_transport.h"
#include "core/error.h"

namespace ccb {
namespace {

using namespace std::chrono_literals;

Clock::time_point in(Clock::duration d) { return Clock::now() + d; }

std::vector<std::uint32_t> payload(int source, int tag, std::size_t count) {
  std::vector<std::uint32_t> values(count);
  for (std::size_t i = 0; i < count; ++i)
    values[i] = static_cast<std::uint32_t>(source * 7919 + tag * 131 + i);
  return values;
}

TEST(Mpi, RankSizeName) {
  MpiTransport t(MPI_COMM_WORLD);
  int rank = -1, size = -1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  EXPECT_EQ(t.rank(), rank);
  EXPECT_EQ(t.size(), size);
  EXPECT_EQ(t.name(), "mpi");
  EXPECT_EQ(t.comm(), MPI_COMM_WORLD);
}

// Each rank sends to its right neighbour and receives from its left one: several tags, several messages per
// tag (FIFO per tag), sizes from 0 bytes to 4 MiB (past the eager limit, so the rendezvous path runs too).
TEST(Mpi, RingExchange) {
  MpiTransport t(MPI_COMM_WORLD);
  const int right = (t.rank() + 1) % t.size();
  const int left = (t.rank() + t.size() - 1) % t.size();
  const std::vector<std::size_t> counts = {0, 1, 1000, 1 << 20};
  std::vector<std::vector<std::uint32_t>> outgoing, incoming;
  std::vector<Request> requests;
  for (int tag = 0; tag < 3; ++tag) {
    for (std::size_t count : counts) {
      incoming.emplace_back(count, 0);
      outgoing.push_back(payload(t.rank(), tag, count));
    }
  }
  for (std::size_t i = 0; i < incoming.size(); ++i) {
    const int tag = static_cast<int>(i / counts.size());
    requests.push_back(t.irecv(left, std::as_writable_bytes(std::span(incoming[i])), tag));
    requests.push_back(t.isend(right, std::as_bytes(std::span(outgoing[i])), tag));
  }
  waitAll(requests, in(20s), "ring exchange");
  for (std::size_t i = 0; i < incoming.size(); ++i) {
    const int tag = static_cast<int>(i / counts.size());
    EXPECT_EQ(incoming[i], payload(left, tag, counts[i % counts.size()])) << "message " << i;
  }
}

TEST(Mpi, BarrierRounds) {
  MpiTransport t(MPI_COMM_WORLD);
  for (int round = 0; round < 10; ++round) barrier(t, in(20s), "barrier round " + std::to_string(round));
}

// A received message shorter than the posted receive is the caller's bug, as in the loopback transport.
TEST(Mpi, ShortMessageIsAnInvariantError) {
  MpiTransport t(MPI_COMM_WORLD);
  const int right = (t.rank() + 1) % t.size();
  const int left = (t.rank() + t.size() - 1) % t.size();
  const std::uint32_t value = 7;
  std::uint64_t received = 0;
  Request recv = t.irecv(left, std::as_writable_bytes(std::span(&received, 1)), 77);
  Request send = t.isend(right, std::as_bytes(std::span(&value, 1)), 77);
  wait(send, in(20s), "short send");
  EXPECT_THROW(wait(recv, in(20s), "short recv"), InvariantError);
  barrier(t, in(20s), "after short message");
}

// A receive destroyed before anything matched is cancelled: the message goes to the next receive.
TEST(Mpi, DestroyedReceiveIsCancelled) {
  MpiTransport t(MPI_COMM_WORLD);
  const int right = (t.rank() + 1) % t.size();
  const int left = (t.rank() + t.size() - 1) % t.size();
  {
    std::uint32_t unused = 0;
    Request cancelled = t.irecv(left, std::as_writable_bytes(std::span(&unused, 1)), 99);
    EXPECT_FALSE(cancelled->test());
  }
  barrier(t, in(20s), "after cancel");  // nobody sends with tag 99 before every rank cancelled
  const std::uint32_t value = 1000 + static_cast<std::uint32_t>(t.rank());
  std::uint32_t received = 0;
  std::vector<Request> requests;
  requests.push_back(t.irecv(left, std::as_writable_bytes(std::span(&received, 1)), 99));
  requests.push_back(t.isend(right, std::as_bytes(std::span(&value, 1)), 99));
  waitAll(requests, in(20s), "after cancel exchange");
  EXPECT_EQ(received, 1000u + static_cast<std::uint32_t>(left));
}

TEST(Mpi, BadPeerIsAnInvariantError) {
  MpiTransport t(MPI_COMM_WORLD);
  std::uint32_t value = 0;
  EXPECT_THROW(t.isend(t.size(), std::as_bytes(std::span(&value, 1)), 0), InvariantError);
  EXPECT_THROW(t.irecv(0, std::as_writable_bytes(std::span(&value, 1)), -1), InvariantError);
}

// Every rank sees every rank's host name, its own at its own index; on a host shared by n ranks, localRanks
// says n.
TEST(Mpi, HostnamesAndLocalRanksAgree) {
  MpiTransport t(MPI_COMM_WORLD);
  const std::vector<std::string> hostnames = gatherHostnames(MPI_COMM_WORLD);
  ASSERT_EQ(hostnames.size(), static_cast<std::size_t>(t.size()));
  char mine[MPI_MAX_PROCESSOR_NAME] = {};
  int length = 0;
  MPI_Get_processor_name(mine, &length);
  EXPECT_EQ(hostnames[static_cast<std::size_t>(t.rank())],
            std::string(mine, static_cast<std::size_t>(length)));
  for (const auto& name : hostnames) EXPECT_FALSE(name.empty());
  const auto sameHost =
      std::count(hostnames.begin(), hostnames.end(), hostnames[static_cast<std::size_t>(t.rank())]);
  EXPECT_EQ(localRanks(MPI_COMM_WORLD), static_cast<int>(sameHost));
}

TEST(Mpi, ErrorCodesBecomeBackendErrors) {
  try {
    checkMpi(MPI_ERR_TAG, "MPI_Isend_c");
    FAIL() << "no exception";
  } catch (const BackendError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("MPI_Isend_c: ", 0), 0u) << e.what();
    EXPECT_GT(std::string(e.what()).size(), std::string("MPI_Isend_c: ").size());
  }
  EXPECT_NO_THROW(checkMpi(MPI_SUCCESS, "MPI_Send"));
}

TEST(Mpi, LibraryVersionIsOneLine) {
  const std::string version = mpiLibraryVersion();
  EXPECT_FALSE(version.empty());
  EXPECT_EQ(version.find('\n'), std::string::npos);
}

}  // namespace
}  // namespace ccb

int main(int argc, char** argv) {
  ccb::MpiSession session(&argc, &argv);
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
