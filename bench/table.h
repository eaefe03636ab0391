// The table a sweep prints while it runs, in the spirit of nccl-tests: context lines starting with '#', one
// row per finished point, and a footer with the wrong-element verdict and the average bus bandwidth.
#pragma once

#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "core/result_json.h"

namespace ccb {

// The context as '#' lines: tool, revision, date, command, ranks and hosts, MPI library, env, and a
// WARNING line when ranks outnumber cores on a host.
std::vector<std::string> contextLines(const RunContext& context);

// One row: size, count, type, redop, algo, place, median and p99 time (us), algbw, busbw, #wrong
// ("N/A" when not checked).
std::string formatRow(const Record& record);

class ResultTable {
 public:
  explicit ResultTable(std::ostream& out) : out_(out) {}

  // Context lines, a line with the sweep's settings, then the column header.
  void printHeader(const RunContext& context, const std::string& settings);
  // Prints the row at once (flushed), so a long sweep shows each size as it finishes.
  void printRow(const Record& record);
  // "# Out of bounds values : N OK|FAILED" and the mean bus bandwidth of each algorithm over its rows.
  void printFooter();

 private:
  struct AlgoTotals {
    double busBwSum = 0;
    int rows = 0;
  };
  std::ostream& out_;
  std::map<std::string, AlgoTotals> totals_;
  long long wrong_ = 0;
  bool checked_ = false;
};

}  // namespace ccb
