// ccbench: measure collectives under mpiexec. This file only wires the subcommands to the CLI and turns
// errors into one line and an exit status; each subcommand lives in its own file.
#include <CLI/CLI.hpp>
#include <exception>
#include <functional>
#include <iostream>

#include "bench/allreduce_command.h"
#include "bench/cli_exit.h"
#include "bench/context.h"
#include "bench/git_revision.h"
#include "bench/hogwild_command.h"
#include "bench/overlap_command.h"
#include "bench/ps_command.h"
#include "bench/train_command.h"
#include "ccb_config.h"
#include "comm/mpi_transport.h"
#include "core/error.h"

namespace {

// Every rank parses the same argv and fails alike, so only the launcher's rank 0 prints the line.
int usageError(const std::string& message) {
  if (ccb::launcherRank() == 0) ccb::printError(message);
  return ccb::kExitUsage;
}

// Runs a subcommand between MPI_Init and MPI_Finalize. A UsageError is raised alike on every rank, so
// it leaves through MPI_Finalize; any other failure may have left peers waiting, so it ends the process
// without finalising (abandonRun).
int runUnderMpi(int& argc, char**& argv, const std::function<int(const std::string& command)>& subcommand) {
  const std::string command = ccb::commandLine(argc, argv);
  ccb::MpiSession session(&argc, &argv);
  try {
    return subcommand(command);
  } catch (const ccb::UsageError&) {
    throw;
  } catch (const std::exception& e) {
    ccb::abandonRun(ccb::launcherRank(), e.what());
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"ccbench: measure collective communication (run it under mpiexec)", "ccbench"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("ccbench ") + CCB_VERSION + " (git " + ccb::gitRevision() + ")");
  ccb::AllReduceFlags allReduceFlags;
  CLI::App* allReduce = ccb::addAllReduceCommand(app, allReduceFlags);
  ccb::PsFlags psFlags;
  CLI::App* ps = ccb::addPsCommand(app, psFlags);
  ccb::HogwildFlags hogwildFlags;
  CLI::App* hogwild = ccb::addHogwildCommand(app, hogwildFlags);
  ccb::OverlapFlags overlapFlags;
  CLI::App* overlap = ccb::addOverlapCommand(app, overlapFlags);
  ccb::TrainFlags trainFlags;
  CLI::App* train = ccb::addTrainCommand(app, trainFlags);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
    return usageError(std::string(e.what()) + " (see ccbench --help)");
  }

  try {
    if (allReduce->parsed()) {
      // Every flag is checked before MPI starts: a typo costs no MPI start-up and no communication.
      const ccb::AllReduceConfig config = ccb::validateAllReduceFlags(allReduceFlags);
      return runUnderMpi(argc, argv, [&](const std::string& command) { return ccb::runAllReduce(config, command); });
    }
    if (ps->parsed()) {
      const ccb::PsCommandConfig config = ccb::validatePsFlags(psFlags);
      return runUnderMpi(argc, argv, [&](const std::string& command) { return ccb::runPsCommand(config, command); });
    }
    if (hogwild->parsed()) {
      const ccb::HogwildConfig config = ccb::validateHogwildFlags(hogwildFlags);
      return runUnderMpi(argc, argv,
                         [&](const std::string& command) { return ccb::runHogwildCommand(config, command); });
    }
    if (overlap->parsed()) {
      const ccb::OverlapConfig config = ccb::validateOverlapFlags(overlapFlags);
      return runUnderMpi(argc, argv, [&](const std::string& command) { return ccb::runOverlapCommand(config, command); });
    }
    if (train->parsed()) {
      const ccb::TrainCommandConfig config = ccb::validateTrainFlags(trainFlags);
      return runUnderMpi(argc, argv, [&](const std::string& command) { return ccb::runTrainCommand(config, command); });
    }
    return ccb::kExitUsage;
  } catch (const ccb::UsageError& e) {
    return usageError(e.what());
  } catch (const std::exception& e) {
    // Before or during MPI start-up: no peer is waiting on this rank yet.
    ccb::printError(e.what());
    return ccb::kExitFailure;
  }
}
