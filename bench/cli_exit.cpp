#include "bench/cli_exit.h"

#include <cstdlib>
#include <iostream>

namespace ccb {

void printError(const std::string& message) { std::cerr << "ccbench: error: " << message << std::endl; }

void abandonRun(int rank, const std::string& message) {
  std::cout.flush();
  printError("rank " + std::to_string(rank) + ": " + message);
  std::_Exit(kExitFailure);
}

}  // namespace ccb
