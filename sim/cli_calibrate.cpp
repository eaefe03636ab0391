// ccsim calibrate: fit alpha, beta, gamma to measured runs and write a cluster file.
#include <cstdio>
#include <set>

#include "core/error.h"
#include "core/units.h"
#include "sim/calibrate.h"
#include "sim/cli_common.h"
#include "sim/cli_parts.h"
#include "sim/closed_form.h"

namespace ccb::sim::cli {

using nlohmann::json;

void addCalibrate(CLI::App& app, CalibrateArgs& a) {
  CLI::App* c = app.add_subcommand("calibrate", "Fit alpha, beta, gamma to measured runs; write a cluster file");
  c->add_option("-i,--input", a.inputs, "Measured results (ccbench, nccl-tests -J or Google Benchmark JSON)")
      ->required();
  c->add_option("-o,--output", a.output, "Write the fitted cluster description here");
  c->add_option("--report", a.report, "Write the fit and its residuals as JSON here");
  c->add_option("--format", a.format, "Input format: auto (default), ccbench, nccl-tests, gbench");
  c->add_option("--layout", a.layout, "auto (from the document), one-host or one-per-host");
  c->add_option("--ranks", a.ranks, "Rank count for inputs that do not record it");
  c->add_option("--algo-name", a.algoName, "Model name for the points of foreign inputs (e.g. ring)");
  c->add_flag("--per-algo", a.perAlgo, "Also fit each algorithm on its own");
  c->add_option("--weighting", a.weighting, "relative (default) or absolute least squares");
  c->add_option("--gamma-GBps", a.gammaGBps, "Hold the reduction throughput at this value instead of fitting it");
  c->add_option("--base", a.baseCluster, "Start from this cluster file (the link class not fitted is kept)");
  c->add_option("--name", a.name, "Name of the written cluster");
  c->add_option("-d,--datatype", a.dtype, "Fit only points of this data type (reductions differ by type)");
  c->callback([&a] { a.selected = true; });
}

namespace {

enum class Layout { kAuto, kOneHost, kOnePerHost };

Layout parseLayout(const std::string& s) {
  if (s == "auto") return Layout::kAuto;
  if (s == "one-host") return Layout::kOneHost;
  if (s == "one-per-host") return Layout::kOnePerHost;
  throw UsageError("--layout '" + s + "': expected auto, one-host or one-per-host");
}

// The layout a measured file exercised, from its context; the fit needs one link class.
Layout layoutOf(const LoadedResults& loaded, const std::string& path) {
  if (!loaded.hasContext) {
    throw UsageError("calibrate: " + path + " does not say where its ranks ran; give --layout one-host|one-per-host");
  }
  const RunContext& c = loaded.context;
  if (c.ranksPerHost >= c.ranks) return Layout::kOneHost;
  if (c.ranksPerHost == 1) return Layout::kOnePerHost;
  throw UsageError("calibrate: " + path + " ran " + std::to_string(c.ranksPerHost) + " ranks per host on " +
                   std::to_string(c.ranks) + " ranks; the fit needs one link class (all on one host, or one per host)");
}

json fitJson(const Fit& f) {
  json residuals = json::array();
  for (const Residual& r : f.residuals) {
    residuals.push_back({{"algo", r.point.algo}, {"ranks", r.point.ranks}, {"bytes", r.point.bytes},
                         {"measured_us", r.point.timeUs}, {"predicted_us", r.predictedUs}, {"rel_error", r.relError}});
  }
  return {{"scope", f.scope},
          {"alpha_us", f.params.alphaUs},
          {"beta_us_per_byte", f.params.betaUsPerByte},
          {"gamma_us_per_byte", f.params.gammaUsPerByte},
          {"bandwidth_GBps", GBpsFromUsPerByte(f.params.betaUsPerByte)},
          {"reduce_GBps", GBpsFromUsPerByte(f.params.gammaUsPerByte)},
          {"gamma_held", f.gammaHeld},
          {"notes", f.notes},
          {"points", f.residuals.size()},
          {"rms_rel_error", f.rmsRelError},
          {"max_abs_rel_error", f.maxAbsRelError},
          {"residuals", residuals}};
}

void printFit(std::ostream& out, const Fit& f, bool withResiduals) {
  char line[240];
  std::snprintf(line, sizeof line,
                "%-20s alpha %9.3f us  bandwidth %9.4f GB/s  reduce %9.4f GB/s%s  rms %5.1f%%  max %5.1f%%  (%zu points)\n",
                f.scope.c_str(), f.params.alphaUs, GBpsFromUsPerByte(f.params.betaUsPerByte),
                GBpsFromUsPerByte(f.params.gammaUsPerByte), f.gammaHeld ? " (held)" : "", 100 * f.rmsRelError,
                100 * f.maxAbsRelError, f.residuals.size());
  out << line;
  for (const std::string& note : f.notes) out << "  note: " << note << "\n";
  if (!withResiduals) return;
  std::snprintf(line, sizeof line, "  %-20s %6s %10s %12s %12s %8s\n", "algo", "ranks", "bytes", "measured_us",
                "fitted_us", "error");
  out << line;
  for (const Residual& r : f.residuals) {
    std::snprintf(line, sizeof line, "  %-20s %6d %10s %12.2f %12.2f %+7.1f%%\n", r.point.algo.c_str(), r.point.ranks,
                  formatBytes(r.point.bytes).c_str(), r.point.timeUs, r.predictedUs, 100 * r.relError);
    out << line;
  }
}

}  // namespace

int runCalibrate(const CalibrateArgs& a, const Env& env) {
  const InputFormat format = parseInputFormat(a.format);
  const Layout forced = parseLayout(a.layout);
  if (a.weighting != "relative" && a.weighting != "absolute") {
    throw UsageError("--weighting '" + a.weighting + "': expected relative or absolute");
  }
  if (a.gammaGBps && !(*a.gammaGBps > 0)) throw UsageError("--gamma-GBps must be greater than zero");
  ReaderOptions readerOptions;
  readerOptions.algo = a.algoName;
  readerOptions.ranks = a.ranks.value_or(0);
  const bool filterDtype = !a.dtype.empty();
  const DType onlyDtype = filterDtype ? parseDType(a.dtype) : DType::kFloat32;
  std::optional<ClusterDescription> base;
  if (!a.baseCluster.empty()) base = loadCluster(a.baseCluster);

  std::vector<Observation> points;
  std::set<Layout> layouts;
  std::set<std::string> skipped;
  int maxRanks = 1;
  for (const std::string& path : a.inputs) {
    const LoadedResults loaded = loadResults(path, format, readerOptions);
    layouts.insert(forced != Layout::kAuto ? forced : layoutOf(loaded, path));
    for (const Record& r : loaded.records) {
      if (filterDtype && r.dtype != onlyDtype) continue;
      if (r.collective != "allreduce" || !findAlgo(r.algo) || r.algo == "naive_ring") {
        skipped.insert(r.collective + "/" + r.algo);
        continue;
      }
      points.push_back(Observation{r.algo, r.ranks, r.bytes, dtypeSize(r.dtype), r.time.median});
      maxRanks = std::max(maxRanks, r.ranks);
    }
  }
  if (layouts.size() > 1) throw UsageError("calibrate: inputs mix one-host and one-per-host runs; fit them separately");
  for (const std::string& s : skipped) env.err << "ccsim: note: skipped " << s << " (no all-reduce model of that name)\n";

  CalibrationOptions options;
  options.singleHost = *layouts.begin() == Layout::kOneHost;
  options.perAlgo = a.perAlgo;
  options.weighting = a.weighting == "absolute" ? Weighting::kAbsolute : Weighting::kRelative;
  if (a.gammaGBps) options.gammaUsPerByte = usPerByte(*a.gammaGBps);
  const CalibrationResult result = calibrate(points, options);
  const AlphaBetaGamma& fitted = result.shared.params;
  if (!(fitted.betaUsPerByte > 0)) {
    throw UsageError("calibrate: the fit found no bandwidth term (beta = 0); measure larger sizes");
  }

  printFit(env.out, result.shared, true);
  for (const Fit& f : result.perAlgo) printFit(env.out, f, false);
  for (const std::string& note : result.notes) env.out << "note: " << note << "\n";

  // Everything is validated; only now are files written.
  ClusterDescription cluster = base.value_or(ClusterDescription{});
  const LinkParams link{fitted.alphaUs, GBpsFromUsPerByte(fitted.betaUsPerByte)};
  const char* linkClass = options.singleHost ? "intra_host" : "inter_host";
  cluster.ranks = base ? cluster.ranks : maxRanks;
  if (options.singleHost) {
    cluster.intraHost = link;
    if (!base) cluster.ranksPerHost = cluster.ranks;
  } else {
    cluster.interHost = link;
    if (!base) cluster.ranksPerHost = 1;
  }
  cluster.reduceGBps = GBpsFromUsPerByte(fitted.gammaUsPerByte);
  cluster.name = !a.name.empty() ? a.name : "calibrated from " + a.inputs.front();
  json fits = json::array();
  for (const Fit& f : result.perAlgo) fits.push_back(fitJson(f));
  cluster.source = {{"generated_by", "ccsim calibrate"},
                    {"command", env.command},
                    {"inputs", a.inputs},
                    {"fitted_link_class", linkClass},
                    {"unfitted_link_class", base ? "from " + a.baseCluster : std::string("defaults, not measured")},
                    {"weighting", a.weighting},
                    {"alpha_us", fitted.alphaUs},
                    {"gamma_held", result.shared.gammaHeld},
                    {"rms_rel_error", result.shared.rmsRelError},
                    {"max_abs_rel_error", result.shared.maxAbsRelError},
                    {"points", result.shared.residuals.size()},
                    {"notes", result.shared.notes}};
  if (!fits.empty()) cluster.source["per_algo"] = fits;
  validateCluster(cluster);
  if (!a.output.empty()) writeJsonAtomic(a.output, toJson(cluster));
  if (!a.report.empty()) {
    json report = {{"kind", "calibration"}, {"shared", fitJson(result.shared)}, {"per_algo", fits},
                   {"notes", result.notes}, {"link_class", linkClass}};
    writeJsonAtomic(a.report, report);
  }
  return 0;
}

}  // namespace ccb::sim::cli
