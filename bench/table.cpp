#include "bench/table.h"

#include <cstdio>

#include "bench/sweep_options.h"
#include "core/dtype.h"

namespace ccb {
namespace {

// Column layout shared by the header and the rows so they cannot drift apart.
constexpr const char* kRowFormat = "%12s %12s %9s %6s %6s %6s %11s %11s %9s %9s %7s";

std::string formatColumns(const char* size, const char* count, const char* type, const char* op,
                          const char* algo, const char* place, const char* median, const char* p99,
                          const char* algBw, const char* busBw, const char* wrong) {
  char line[256];
  std::snprintf(line, sizeof line, kRowFormat, size, count, type, op, algo, place, median, p99, algBw, busBw, wrong);
  return line;
}

std::string fixed(double value, int decimals) {
  char text[64];
  std::snprintf(text, sizeof text, "%.*f", decimals, value);
  return text;
}

}  // namespace

std::vector<std::string> contextLines(const RunContext& context) {
  std::vector<std::string> lines;
  lines.push_back("# " + context.tool + " " + context.version + " (git " + context.gitRevision + "), " +
                  context.date);
  lines.push_back("# command: " + context.command);
  lines.push_back("# ranks: " + std::to_string(context.ranks) + " on " + std::to_string(context.hosts.size()) +
                  " host(s), " + std::to_string(context.ranksPerHost) + " per host, " +
                  std::to_string(context.coresPerHost) + " cores per host; device: " + context.device);
  lines.push_back("# hosts: " + joinList(context.hosts, ", "));
  lines.push_back("# mpi: " + (context.mpiLibrary.empty() ? std::string("none") : context.mpiLibrary));
  if (!context.env.empty()) {
    std::vector<std::string> settings;
    for (const auto& [name, value] : context.env) settings.push_back(name + "=" + value);
    lines.push_back("# env: " + joinList(settings, " "));
  }
  if (context.oversubscribed) {
    lines.push_back("# WARNING: oversubscribed: more ranks than cores on a host (" +
                    std::to_string(context.ranksPerHost) + " ranks, " + std::to_string(context.coresPerHost) +
                    " cores); timings measure the scheduler, not the transport");
  }
  return lines;
}

std::string formatRow(const Record& record) {
  const std::string wrong = record.nwrong < 0 ? "N/A" : std::to_string(record.nwrong);
  return formatColumns(std::to_string(record.bytes).c_str(), std::to_string(record.count).c_str(),
                       std::string(dtypeName(record.dtype)).c_str(), std::string(opName(record.op)).c_str(),
                       record.algo.c_str(), record.inPlace ? "in" : "out", fixed(record.time.median, 2).c_str(),
                       fixed(record.time.p99, 2).c_str(), fixed(record.algBw, 3).c_str(),
                       fixed(record.busBw, 3).c_str(), wrong.c_str());
}

void ResultTable::printHeader(const RunContext& context, const std::string& settings) {
  for (const std::string& line : contextLines(context)) out_ << line << '\n';
  out_ << "# " << settings << "\n#\n";
  std::string names = formatColumns("size", "count", "type", "redop", "algo", "place", "median", "p99", "algbw",
                                    "busbw", "#wrong");
  std::string units = formatColumns("(B)", "(elements)", "", "", "", "", "(us)", "(us)", "(GB/s)", "(GB/s)", "");
  // The '#' replaces the first (always blank) column character so the header stays aligned with the rows.
  names[0] = '#';
  units[0] = '#';
  out_ << names << '\n' << units << std::endl;
}

void ResultTable::printRow(const Record& record) {
  out_ << formatRow(record) << std::endl;
  AlgoTotals& totals = totals_[record.algo];
  totals.busBwSum += record.busBw;
  ++totals.rows;
  if (record.nwrong >= 0) {
    checked_ = true;
    wrong_ += record.nwrong;
  }
}

void ResultTable::printFooter() {
  if (checked_) {
    out_ << "# Out of bounds values : " << wrong_ << (wrong_ == 0 ? " OK" : " FAILED") << '\n';
  } else {
    out_ << "# Out of bounds values : not checked (-c 0)\n";
  }
  std::vector<std::string> averages;
  for (const auto& [algo, totals] : totals_) {
    averages.push_back(algo + " " + fixed(totals.busBwSum / totals.rows, 3) + " GB/s");
  }
  out_ << "# Avg bus bandwidth    : " << joinList(averages, ", ") << std::endl;
}

}  // namespace ccb
