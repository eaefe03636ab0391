// ccsim: the simulator's command line (see sim/README.md).
#include <iostream>
#include <string>
#include <vector>

#include "sim/cli.h"

int main(int argc, char** argv) {
  return ccb::sim::runCcsim(std::vector<std::string>(argv, argv + argc), std::cout, std::cerr);
}
