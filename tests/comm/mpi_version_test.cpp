// Parsing of MPI_Get_library_version texts (pure; no MPI runtime needed).
#include <gtest/gtest.h>

#include "comm/mpi_transport.h"

namespace ccb {
namespace {

TEST(MpiVersion, CondensesMpich) {
  EXPECT_EQ(
      condenseMpiLibraryVersion("MPICH Version:\t4.0.2\nMPICH Release date:\tThu Apr  7 12:34:45 CDT 2022\n"
                                "MPICH ABI:\t14:2:2\nMPICH Device:\tch4:ucx\nMPICH configure:\t--x\n"),
      "MPICH 4.0.2 (ch4:ucx)");
  EXPECT_EQ(condenseMpiLibraryVersion("MPICH Version:    4.1\n"), "MPICH 4.1");
}

TEST(MpiVersion, OtherLibrariesKeepTheFirstClause) {
  EXPECT_EQ(
      condenseMpiLibraryVersion("Open MPI v4.1.4, package: Debian OpenMPI, ident: 4.1.4, repo rev: v4.1.4\n"),
      "Open MPI v4.1.4");
  EXPECT_EQ(condenseMpiLibraryVersion("  Some MPI 1.0  \nmore"), "Some MPI 1.0");
  EXPECT_EQ(condenseMpiLibraryVersion(""), "");
}

TEST(MpiVersion, ThisLibraryIsNamed) {
  const std::string version = mpiLibraryVersion();
  EXPECT_FALSE(version.empty());
  EXPECT_EQ(version.find('\n'), std::string::npos);
}

}  // namespace
}  // namespace ccb
