// The ccsim command line: predict, calibrate, compare. runCcsim is main() without the process, so tests can
// drive every path (including the error paths) in-process.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace ccb::sim {

// Runs ccsim with `args` (args[0] is the program name). Writes results and tables to `out`, errors to `err`
// as one line "ccsim: error: <what>". Returns the exit status: 0 on success, 1 for bad input, 2 for a bad
// command line, 3 for an internal error.
int runCcsim(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace ccb::sim
