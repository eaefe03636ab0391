// ccsim predict [allreduce|ps|overlap|straggler]: a sweep of predicted points written as a schema-1
// "predicted" document, with the same record keys as ccbench's measured ones.
#include <array>
#include <cstdio>
#include <optional>
#include <sstream>

#include "core/error.h"
#include "core/units.h"
#include "sim/cli_common.h"
#include "sim/cli_parts.h"
#include "sim/overlap_model.h"
#include "sim/predict.h"
#include "sim/ps_model.h"
#include "sim/schedules.h"
#include "sim/straggler_model.h"

namespace ccb::sim::cli {

using nlohmann::json;

void addPredict(CLI::App& app, PredictArgs& a) {
  CLI::App* p = app.add_subcommand("predict", "Predict times of a sweep on a described cluster");
  p->add_option("collective", a.collective, "allreduce (default), ps, overlap, straggler or train")
      ->check(CLI::IsMember({"allreduce", "ps", "overlap", "straggler", "train"}));
  addBytesOption(*p, "-b,--minbytes", a.minBytes, "Smallest size (default 8)");
  addBytesOption(*p, "-e,--maxbytes", a.maxBytes, "Largest size (default 64M)");
  p->add_option("-f,--stepfactor", a.stepFactor, "Multiply the size by this each step (default 2)");
  addBytesOption(*p, "-i,--stepbytes", a.stepBytes, "Add this to the size each step (with -f 1)");
  p->add_option("-d,--datatype", a.dtypes, "Element type(s), a comma list or all (default float32)")->delimiter(',');
  p->add_option("-o,--op", a.ops, "Reduction(s), a comma list or all (default sum)")->delimiter(',');
  p->add_option("--algo", a.algos, "Comma-separated models, or 'all': " + algoNameList())->delimiter(',');
  p->add_option("--model", a.model, "closed_form (default) or replay");
  p->add_option("--cluster", a.clusterFile, "Cluster description (JSON, see sim/README.md)");
  p->add_option("--ranks", a.ranks, "Inline: ranks K (overrides the file)");
  p->add_option("--ranks-per-host", a.ranksPerHost, "Inline: ranks per host");
  p->add_option("--topology", a.topology, "Inline: switch or ring");
  p->add_option("--intra-latency-us", a.intraLatencyUs, "Inline: intra-host latency (us)");
  p->add_option("--intra-GBps", a.intraGBps, "Inline: intra-host bandwidth (GB/s)");
  p->add_option("--inter-latency-us", a.interLatencyUs, "Inline: host link latency (us)");
  p->add_option("--inter-GBps", a.interGBps, "Inline: host link bandwidth (GB/s)");
  p->add_option("--reduce-GBps", a.reduceGBps, "Inline: reduction throughput (GB/s)");
  p->add_option("-J,--json", a.output, "Write the predicted document here");
  p->add_flag("-q,--quiet", a.quiet, "No table on stdout");
  // ps
  p->add_option("--servers", a.servers, "ps, train: server shards M (default 1)");
  p->add_option("--compute-us", a.computeUs, "ps: compute time of one worker step (us); overlap: total backward (us)");
  // overlap: the configuration ccbench overlap runs
  p->add_option("--layers", a.layers, "overlap: preset (resnet50, transformer) or gradient sizes 4M,1M,... (default resnet50)");
  p->add_option("--profile", a.profileFile, "overlap: layer profile file, as ccbench overlap --profile");
  p->add_option("--scale", a.scale, "overlap: multiply every gradient size by this (default 1)");
  p->add_option("--gflops", a.gflops, "overlap: backward time from this FLOP rate (2 x forward FLOPs x batch)");
  p->add_option("--batch", a.batch, "overlap: batch size for --gflops (default 32)");
  p->add_option("--mode", a.modes, "overlap: no_overlap,ddp (default both)")->delimiter(',');
  p->add_option("--compute-slowdown", a.computeSlowdown, "overlap: backward runs this many times slower while buckets are in flight (default 1)");
  p->add_option("--slowdown-from", a.slowdownFrom, "overlap: take that factor, per algorithm, from a ccbench overlap document");
  p->add_option("--slowdown-key", a.slowdownKey, "overlap: effective_slowdown (default) or compute_slowdown");
  p->add_option("--compute-from", a.computeFrom, "overlap: scale compute times to the measured compute-alone time");
  p->add_option("--comm-from", a.commFrom, "overlap: each bucket's all-reduce time as measured alone, instead of the closed form");
  p->add_option("--forward-us", a.forwardUs, "overlap: forward time (us, default 0)");
  addBytesOption(*p, "--bucket", a.bucketBytes, "overlap: bucket cap (default 25M)");
  addBytesOption(*p, "--first-bucket", a.firstBucketBytes, "overlap: first bucket cap (default 1M)");
  p->add_option("--uniform-layers", a.uniformLayers, "overlap: equal layers over the -b/-e sweep instead of a profile");
  p->add_option("--backward-us", a.backwardUs, "overlap: backward time of --uniform-layers (us)");
  // straggler and train
  p->add_option("--dist", a.dist, "straggler, train: normal:MEAN,SD | exp:SHIFT,RATE | uniform:LO,HI | empirical:FILE (us)");
  p->add_option("--backup", a.backups, "straggler: backup workers b (keep the first K of K+b); train: b of backup_ps (default 1)");
  // train
  p->add_option("--strategy", a.strategies, "train: strategies (default all): single, sync_ring, sync_ps, async_ps, ssp_ps, backup_ps, hogwild")
      ->delimiter(',');
  p->add_option("--workers", a.workers, "train: worker counts K (default: the cluster's ranks)")->delimiter(',');
  p->add_option("--params", a.params, "train: model parameters (bytes = 4 x params; default: the -b/-e sweep)")->delimiter(',');
  p->add_option("--compute", a.computeSpec, "train: compute per step as ccbench train --compute (ms): fixed:MS, normal:MEAN,SD, exponential:MEAN[,SHIFT], uniform:LO,HI");
  p->add_option("--straggler", a.stragglers, "train: RANK:FACTOR[,...] as ccbench --straggler (default: the cluster's rank_compute_factor)");
  p->add_option("--staleness", a.staleness, "train: SSP staleness bound s (default 2)");
  p->callback([&a] { a.selected = true; });
}

ComputeDistribution parseDist(const std::string& spec) {
  const auto colon = spec.find(':');
  if (colon == std::string::npos) {
    throw UsageError("--dist '" + spec + "': expected normal:MEAN,SD, exp:SHIFT,RATE, uniform:LO,HI or empirical:FILE");
  }
  const std::string kind = spec.substr(0, colon);
  const std::string rest = spec.substr(colon + 1);
  if (kind == "empirical") {
    const json samples = parseJsonText(readTextFile(rest), rest);
    if (!samples.is_array()) throw UsageError(rest + ": expected a JSON array of compute times (us)");
    std::vector<double> values;
    for (const json& s : samples) {
      if (!s.is_number()) throw UsageError(rest + ": expected a JSON array of numbers");
      values.push_back(s.get<double>());
    }
    ComputeDistribution d = ComputeDistribution::empirical(values);
    validate(d);
    return d;
  }
  double x = 0;
  double y = 0;
  char tail = 0;
  if (std::sscanf(rest.c_str(), "%lf,%lf%c", &x, &y, &tail) != 2) {
    throw UsageError("--dist '" + spec + "': expected two numbers after ':' (e.g. normal:1000,50)");
  }
  ComputeDistribution d;
  if (kind == "normal") {
    d = ComputeDistribution::normal(x, y);
  } else if (kind == "exp") {
    d = ComputeDistribution::shiftedExponential(x, y);
  } else if (kind == "uniform") {
    d = ComputeDistribution::uniform(x, y);
  } else {
    throw UsageError("--dist: unknown distribution '" + kind + "' (accepted: normal, exp, uniform, empirical)");
  }
  validate(d);
  return d;
}

namespace {

// The cluster: the file if given, inline values on top. Validated here, before any work.
ClusterDescription buildCluster(const PredictArgs& a) {
  ClusterDescription c;
  if (!a.clusterFile.empty()) {
    c = loadCluster(a.clusterFile);
  } else if (!a.ranks) {
    throw UsageError("predict: give --cluster FILE or at least --ranks K (and the link parameters)");
  } else {
    c.name = "inline";
    c.ranksPerHost = 1;
  }
  if (a.ranks) c.ranks = *a.ranks;
  if (a.ranksPerHost) c.ranksPerHost = *a.ranksPerHost;
  if (a.topology) c.topology = parseTopology(*a.topology);
  if (a.intraLatencyUs) c.intraHost.latencyUs = *a.intraLatencyUs;
  if (a.intraGBps) c.intraHost.bandwidthGBps = *a.intraGBps;
  if (a.interLatencyUs) c.interHost.latencyUs = *a.interLatencyUs;
  if (a.interGBps) c.interHost.bandwidthGBps = *a.interGBps;
  if (a.reduceGBps) {
    if (!(*a.reduceGBps > 0)) throw UsageError("--reduce-GBps must be greater than zero");
    c.reduceGBps = *a.reduceGBps;
  }
  validateCluster(c);
  return c;
}

// "-d float32,float64" or "-d all", as ccbench reads them.
template <typename T, std::size_t N, typename Parse>
std::vector<T> nameList(const std::vector<std::string>& names, const std::array<T, N>& all, Parse parse) {
  std::vector<T> out;
  for (const std::string& name : names) {
    if (name == "all") return std::vector<T>(all.begin(), all.end());
    out.push_back(parse(name));
  }
  if (out.empty()) throw UsageError("empty --datatype or --op list");
  return out;
}

std::vector<AllReduceAlgo> selectedAlgos(const PredictArgs& a) {
  std::vector<AllReduceAlgo> algos;
  for (const std::string& name : a.algos) {
    if (name == "all") return allAlgos();
    algos.push_back(parseAlgo(name));
  }
  if (algos.empty()) throw UsageError("--algo: name at least one model");
  return algos;
}

double requireNonNegativeFlag(const std::optional<double>& v, const std::string& flag, const std::string& collective) {
  if (!v) throw UsageError("predict " + collective + ": " + flag + " is required");
  if (!(*v >= 0)) throw UsageError(flag + " must be >= 0");
  return *v;
}

std::vector<double> workerFactors(const ClusterDescription& c) {
  std::vector<double> factors;
  for (int r = 0; r < c.ranks; ++r) factors.push_back(computeFactor(c, r));
  return factors;
}

void printTable(std::ostream& out, const std::vector<Record>& records) {
  char line[200];
  std::snprintf(line, sizeof line, "%-12s %-20s %6s %10s %14s %10s %10s\n", "collective", "algo", "ranks", "bytes",
                "time_us", "algbw", "busbw");
  out << line;
  for (const Record& r : records) {
    std::snprintf(line, sizeof line, "%-12s %-20s %6d %10s %14.3f %10.3f %10.3f", r.collective.c_str(),
                  r.algo.c_str(), r.ranks, formatBytes(r.bytes).c_str(), r.time.median, r.algBw, r.busBw);
    out << line;
    // Training records: their throughput too (updates/s, summed over workers).
    if (const auto it = r.extra.find("updates_per_s"); it != r.extra.end() && it->is_number()) {
      std::snprintf(line, sizeof line, " %12.1f updates/s", it->get<double>());
      out << line;
    }
    out << "\n";
  }
}

// Flags of the non-all-reduce collectives, checked once before any prediction.
struct CollectiveInputs {
  double computeUs = 0;
  double forwardUs = 0;
  double backwardUs = 0;
  std::optional<ComputeDistribution> dist;
};

CollectiveInputs collectiveInputs(const PredictArgs& a) {
  CollectiveInputs in;
  if (a.collective == "ps") {
    if (a.servers < 1) throw UsageError("--servers must be >= 1, got " + std::to_string(a.servers));
    in.computeUs = requireNonNegativeFlag(a.computeUs, "--compute-us", "ps");
  } else if (a.collective == "overlap" && isUniformOverlap(a)) {
    if (a.layers || !a.profileFile.empty()) throw UsageError("give --uniform-layers/--backward-us or --layers/--profile, not both");
    in.forwardUs = requireNonNegativeFlag(a.forwardUs, "--forward-us", "overlap");
    in.backwardUs = requireNonNegativeFlag(a.backwardUs, "--backward-us", "overlap");
    uniformLayers(a.uniformLayers.value_or(50), 1, in.forwardUs, in.backwardUs);  // validates --uniform-layers
    if (a.bucketBytes == 0 || a.firstBucketBytes == 0) throw UsageError("--bucket and --first-bucket must be > 0");
  } else if (a.collective == "overlap") {
    checkOverlapProfileArgs(a);
  } else if (a.collective == "straggler") {
    if (a.dist.empty()) throw UsageError("predict straggler: --dist is required");
    in.dist = parseDist(a.dist);
    if (a.backups.value_or(0) < 0) throw UsageError("--backup must be >= 0");
  } else if (a.collective == "train") {
    checkTrainArgs(a);
  }
  return in;
}

void predictAllReduceSweep(const ClusterDescription& cluster, const ClosedFormCluster& view,
                           const std::vector<AllReduceAlgo>& algos, ModelKind kind,
                           const std::vector<std::uint64_t>& sizes, DType dtype, ReduceOp op, const Env& env,
                           std::vector<Record>& records) {
  for (AllReduceAlgo algo : algos) {
    // A model without a schedule (naive_ring, mpi on shared memory) falls back to its closed form; the
    // record's "model" key says which one produced it.
    ModelKind used = kind;
    if (kind == ModelKind::kReplay) {
      try {
        schedulesFor(algo, cluster, 1, 1);
      } catch (const UsageError& e) {
        env.err << "ccsim: note: " << e.what() << " (closed form used for " << algoName(algo) << ")\n";
        used = ModelKind::kClosedForm;
      }
    }
    for (std::uint64_t bytes : sizes) records.push_back(predictAllReduceRecord(cluster, view, algo, bytes, dtype, op, used));
  }
}

// Parameter server, named as ccbench's ps records are: algo "ps_<mode>", op avg for sync (the model is
// averaged) and sum for async (updates are added).
void predictPsSweep(const PredictArgs& a, const ClusterDescription& cluster, const ClosedFormCluster& view,
                    const CollectiveInputs& in, const std::vector<std::uint64_t>& sizes, DType dtype,
                    std::vector<Record>& records) {
  // Each worker pays its own link and the step waits for the slowest (view.inter); the shards sit on hosts
  // of their own with the cluster's base host link, so one slow worker link does not slow the incast.
  const double gamma = usPerByte(cluster.reduceGBps);
  const AlphaBetaGamma workerLink{view.inter.alphaUs, view.inter.betaUsPerByte, gamma};
  const AlphaBetaGamma serverLink{cluster.interHost.latencyUs, usPerByte(cluster.interHost.bandwidthGBps), gamma};
  std::vector<double> computes;
  double slowest = 0;
  for (double f : workerFactors(cluster)) {
    computes.push_back(f * in.computeUs);
    slowest = std::max(slowest, f * in.computeUs);
  }
  for (std::uint64_t bytes : sizes) {
    const PsConfig config{cluster.ranks, a.servers, static_cast<double>(bytes), workerLink, serverLink};
    const PsTimes t = psCommunication(config);
    Record sync = predictedRecord("ps", "ps_sync", cluster.ranks, dtype, ReduceOp::kAvg, bytes,
                                  psSyncStepUs(config, slowest));
    sync.extra = {{"model", "closed_form"}, {"servers", a.servers}, {"workers", cluster.ranks},
                  {"push_us", t.pushUs}, {"aggregate_us", t.aggregateUs}, {"pull_us", t.pullUs},
                  {"compute_us", slowest}};
    records.push_back(sync);
    const double updates = psAsyncUpdatesPerSecond(config, computes);
    // One worker's step: the time between two of its updates.
    Record async = predictedRecord("ps", "ps_async", cluster.ranks, dtype, ReduceOp::kSum, bytes,
                                   1e6 / updates * cluster.ranks);
    async.extra = {{"model", "closed_form"}, {"servers", a.servers}, {"workers", cluster.ranks},
                   {"updates_per_s", updates}};
    records.push_back(async);
    const double naiveUs = naivePsSyncUs(static_cast<double>(bytes) / 4, view.interGBps);
    Record naive = predictedRecord("ps", "ps_naive_sync", cluster.ranks, dtype, ReduceOp::kAvg, bytes, naiveUs);
    naive.extra = {{"model", "closed_form"}, {"formula", "params * 4 bytes / bandwidth"}};
    records.push_back(naive);
  }
}

void predictOverlapSweep(const PredictArgs& a, const ClusterDescription& cluster, const ClosedFormCluster& view,
                         AllReduceAlgo algo, const CollectiveInputs& in, const std::vector<std::uint64_t>& sizes,
                         DType dtype, ReduceOp op, std::vector<Record>& records) {
  const std::size_t element = dtypeSize(dtype);
  auto allReduceUs = [&](double bytes) {
    const auto whole = std::max<std::uint64_t>(static_cast<std::uint64_t>(bytes / static_cast<double>(element)), 1);
    return predictAllReduce(view, algo, whole * element, element).timeUs();
  };
  const std::string base(algoName(algo));
  for (std::uint64_t bytes : sizes) {
    OverlapConfig config =
        uniformLayers(a.uniformLayers.value_or(50), static_cast<double>(bytes), in.forwardUs, in.backwardUs);
    config.bucketBytes = static_cast<double>(a.bucketBytes);
    config.firstBucketBytes = static_cast<double>(a.firstBucketBytes);
    const OverlapResult o = overlapStep(config, allReduceUs);
    Record ddp = predictedRecord("overlap", "ddp_" + base, cluster.ranks, dtype, op, bytes, o.stepUs);
    ddp.extra = {{"model", "closed_form"}, {"buckets", o.buckets.size()}, {"compute_us", o.computeUs},
                 {"comm_us", o.commUs}, {"lower_bound_us", o.lowerBoundUs}, {"no_overlap_us", o.noOverlapUs}};
    records.push_back(ddp);
    records.push_back(predictedRecord("overlap", "lower_bound", cluster.ranks, dtype, op, bytes, o.lowerBoundUs));
    records.push_back(predictedRecord("overlap", "no_overlap_" + base, cluster.ranks, dtype, op, bytes, o.noOverlapUs));
  }
}

void predictStragglerSweep(const PredictArgs& a, const ClusterDescription& cluster, const ClosedFormCluster& view,
                           AllReduceAlgo algo, const CollectiveInputs& in, const std::vector<std::uint64_t>& sizes,
                           DType dtype, ReduceOp op, std::vector<Record>& records) {
  const ComputeDistribution& dist = *in.dist;
  const std::vector<double> factors = workerFactors(cluster);
  for (std::uint64_t bytes : sizes) {
    const double commUs = predictAllReduce(view, algo, bytes, dtypeSize(dtype)).timeUs();
    Record sync = predictedRecord("train", "sync", cluster.ranks, dtype, op, bytes, syncStepUs(dist, factors, commUs));
    sync.extra = {{"model", "closed_form"}, {"dist", describe(dist)}, {"comm_us", commUs},
                  {"expected_max_compute_us", sync.time.median - commUs}};
    records.push_back(sync);
    if (a.backups.value_or(0) > 0) {
      const int backups = *a.backups;
      const double t = backupStepUs(dist, cluster.ranks, backups, commUs);
      Record backup = predictedRecord("train", "backup_" + std::to_string(backups), cluster.ranks, dtype, op, bytes, t);
      backup.extra = {{"model", "closed_form"}, {"dist", describe(dist)}, {"comm_us", commUs}};
      records.push_back(backup);
    }
    const double updates = asyncUpdatesPerSecond(dist, factors, commUs);
    Record async = predictedRecord("train", "async", cluster.ranks, dtype, op, bytes, 1e6 / updates * cluster.ranks);
    async.extra = {{"model", "closed_form"}, {"dist", describe(dist)}, {"updates_per_s", updates}};
    records.push_back(async);
  }
}

}  // namespace

int runPredict(const PredictArgs& a, const Env& env) {
  const ClusterDescription cluster = buildCluster(a);
  const std::vector<DType> dtypes = nameList(a.dtypes, kAllDTypes, parseDType);
  const std::vector<ReduceOp> ops = nameList(a.ops, kAllOps, parseOp);
  const ModelKind kind = parseModelKind(a.model);
  const std::vector<AllReduceAlgo> algos = selectedAlgos(a);
  const ClosedFormCluster view = closedFormView(cluster);
  // Validate every size list before any work, so a bad flag fails fast and writes nothing.
  for (DType dtype : dtypes) sweepSizes(a.minBytes, a.maxBytes, a.stepFactor, a.stepBytes, dtypeSize(dtype));
  const CollectiveInputs inputs = collectiveInputs(a);
  json config = {{"collective", a.collective}, {"minbytes", a.minBytes}, {"maxbytes", a.maxBytes},
                 {"stepfactor", a.stepFactor}, {"stepbytes", a.stepBytes}, {"dtypes", a.dtypes},
                 {"ops", a.ops}, {"algos", a.algos}, {"model", modelKindName(kind)}};
  std::vector<Record> records;
  if (a.collective == "overlap" && !isUniformOverlap(a)) {
    records = predictOverlapProfile(a, cluster, algos, config);
  } else if (a.collective == "train") {
    records = predictTrain(a, cluster, sweepSizes(a.minBytes, a.maxBytes, a.stepFactor, a.stepBytes, 4), config);
  }
  for (DType dtype : dtypes) {
    const std::vector<std::uint64_t> sizes = sweepSizes(a.minBytes, a.maxBytes, a.stepFactor, a.stepBytes, dtypeSize(dtype));
    if (a.collective == "allreduce") {
      for (ReduceOp op : ops) predictAllReduceSweep(cluster, view, algos, kind, sizes, dtype, op, env, records);
    } else if (a.collective == "ps") {
      predictPsSweep(a, cluster, view, inputs, sizes, dtype, records);
    } else if (a.collective == "overlap" && isUniformOverlap(a)) {
      for (ReduceOp op : ops) predictOverlapSweep(a, cluster, view, algos.front(), inputs, sizes, dtype, op, records);
    } else if (a.collective == "straggler") {
      for (ReduceOp op : ops) predictStragglerSweep(a, cluster, view, algos.front(), inputs, sizes, dtype, op, records);
    }
  }
  if (!a.quiet) printTable(env.out, records);
  if (!a.output.empty()) {
    config["cluster"] = toJson(cluster);
    json doc = makeDocument(DocKind::kPredicted, ccsimContext(env.command, cluster.ranks, cluster.ranksPerHost), config);
    for (const Record& r : records) doc["records"].push_back(toJson(r));
    writeJsonAtomic(a.output, doc);
  }
  return 0;
}

}  // namespace ccb::sim::cli
