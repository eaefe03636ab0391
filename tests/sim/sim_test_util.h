// Helpers shared by the simulator tests.
#pragma once

#include <string>

#include "sim/cli_common.h"

namespace ccb::sim::test {

// A fixture file under tests/sim/fixtures.
inline std::string fixture(const std::string& name) { return std::string(CCSIM_FIXTURE_DIR) + "/" + name; }
// A file under sim/clusters.
inline std::string clusterFile(const std::string& name) { return std::string(CCSIM_CLUSTER_DIR) + "/" + name; }

}  // namespace ccb::sim::test
