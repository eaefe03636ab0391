// ccsim compare: measured vs predicted, per point and in summary; a comparison document and a table.
#include "core/error.h"
#include "core/units.h"
#include "sim/cli_common.h"
#include "sim/cli_parts.h"
#include "sim/compare.h"

namespace ccb::sim::cli {

using nlohmann::json;

void addCompare(CLI::App& app, CompareArgs& a) {
  CLI::App* c = app.add_subcommand("compare", "Join measured and predicted results and report the model's error");
  c->add_option("-m,--measured", a.measured, "Measured results (ccbench, nccl-tests -J or Google Benchmark JSON)")
      ->required();
  c->add_option("-p,--predicted", a.predicted, "Predicted results (ccsim predict -J)")->required();
  c->add_option("-o,--output", a.output, "Write the comparison document here");
  c->add_option("--format", a.format, "Format of the measured inputs: auto (default), ccbench, nccl-tests, gbench");
  c->add_option("--ranks", a.ranks, "Rank count for measured inputs that do not record it");
  c->add_option("--algo-name", a.algoName, "Algorithm name for the points of foreign measured inputs");
  c->add_option("--map", a.algoMap, "Measured algorithm = predicted model, e.g. nccl=ring")->delimiter(',');
  addBytesOption(*c, "--regime-bytes", a.regimeBytes,
                 "Latency/bandwidth boundary for points whose prediction does not say (default 64K)");
  c->add_flag("--in-place", a.inPlace, "nccl-tests input: compare the in-place columns");
  c->add_flag("-q,--quiet", a.quiet, "No table on stdout");
  c->callback([&a] { a.selected = true; });
}

int runCompare(const CompareArgs& a, const Env& env) {
  CompareOptions options;
  options.regimeThresholdBytes = a.regimeBytes;
  for (const std::string& pair : a.algoMap) {
    const auto eq = pair.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == pair.size()) {
      throw UsageError("--map '" + pair + "': expected MEASURED=PREDICTED, e.g. nccl=ring");
    }
    options.algoMap[pair.substr(0, eq)] = pair.substr(eq + 1);
  }
  ReaderOptions readerOptions;
  readerOptions.algo = a.algoName;
  readerOptions.ranks = a.ranks.value_or(0);
  readerOptions.inPlace = a.inPlace;
  const InputFormat format = parseInputFormat(a.format);

  std::vector<Record> measured;
  for (const std::string& path : a.measured) {
    const LoadedResults loaded = loadResults(path, format, readerOptions);
    measured.insert(measured.end(), loaded.records.begin(), loaded.records.end());
  }
  std::vector<Record> predicted;
  for (const std::string& path : a.predicted) {
    const LoadedResults loaded = loadResults(path, InputFormat::kSchema, readerOptions);
    predicted.insert(predicted.end(), loaded.records.begin(), loaded.records.end());
  }
  const Comparison comparison = compareRecords(measured, predicted, options);

  if (!a.quiet) env.out << comparisonTable(comparison);
  if (!a.output.empty()) {
    json config = {{"measured", a.measured}, {"predicted", a.predicted}, {"regime_bytes", a.regimeBytes},
                   {"algo_map", options.algoMap}};
    const ComparedPoint& first = comparison.points.front();
    json doc = makeDocument(DocKind::kComparison, ccsimContext(env.command, first.ranks, 0), config);
    for (const ComparedPoint& p : comparison.points) doc["records"].push_back(toJson(p));
    doc["summary"] = summaryJson(comparison);
    writeJsonAtomic(a.output, doc);
  }
  return 0;
}

}  // namespace ccb::sim::cli
