// ccb-kernel-sweep: the reduction kernels against a device-to-device copy of the same size, timed with CUDA
// events, as a measured JSON document. A reduction reads two buffers and writes one (3 bytes of memory
// traffic per buffer byte), a copy reads one and writes one (2): "bus_bw" in the records is that traffic per
// second, so both compare directly with the GPU's memory bandwidth and with each other.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <ctime>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/result_json.h"
#include "core/stats.h"
#include "core/units.h"
#include "kernels/cuda_check.h"
#include "kernels/cuda_reducer.h"
#include "kernels/cuda_stream.h"
#include "kernels/device_memory.h"

namespace ccb {
namespace {

struct SweepConfig {
  std::string minBytes = "1K";
  std::string maxBytes = "1G";
  int iters = 50;
  int warmup = 5;
  int device = 0;
  std::string dtypes = "float32,float16,bfloat16,float64,int32";
  std::string jsonPath;
};

std::vector<DType> parseDTypes(const std::string& text) {
  std::vector<DType> dtypes;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t comma = std::min(text.find(',', start), text.size());
    if (comma > start) dtypes.push_back(parseDType(text.substr(start, comma - start)));
    start = comma + 1;
  }
  if (dtypes.empty()) throw UsageError("--dtype needs at least one type");
  return dtypes;
}

// Times `iters` back-to-back runs of `body` on `stream`, one event pair per run (no host round trip between
// runs, so launch overhead overlaps the previous run as in a real pipeline). Samples in microseconds.
template <typename Body>
std::vector<double> timeOnDevice(const CudaStream& stream, int warmup, int iters, Body body) {
  for (int i = 0; i < warmup; ++i) body();
  std::vector<std::unique_ptr<CudaEvent>> marks;
  for (int i = 0; i <= iters; ++i) marks.push_back(std::make_unique<CudaEvent>(true));
  marks[0]->record(stream.get());
  for (int i = 0; i < iters; ++i) {
    body();
    marks[i + 1]->record(stream.get());
  }
  marks.back()->synchronize();
  std::vector<double> samples;
  for (int i = 0; i < iters; ++i) samples.push_back(elapsedUs(*marks[i], *marks[i + 1]));
  return samples;
}

Record makeRecord(const std::string& collective, const std::string& algo, DType dtype, std::uint64_t bytes,
                  bool inPlace, int iters, std::vector<double> samples, int trafficFactor) {
  Record record;
  record.collective = collective;
  record.algo = algo;
  record.ranks = 1;
  record.dtype = dtype;
  record.op = ReduceOp::kSum;
  record.bytes = bytes;
  record.count = bytes / dtypeSize(dtype);
  record.inPlace = inPlace;
  record.iters = iters;
  record.time = summarize(std::move(samples));
  record.algBw = algBwGBps(bytes, record.time.median);
  record.busBw = record.algBw * trafficFactor;
  record.extra["mem"] = "device";
  record.extra["traffic_factor"] = trafficFactor;
  return record;
}

std::string hostName() {
  char name[256] = {};
  return gethostname(name, sizeof name - 1) == 0 ? name : "unknown";
}

std::string isoNow() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

int runSweep(const SweepConfig& config, const std::string& command) {
  const std::uint64_t minBytes = parseBytes(config.minBytes, "--minbytes");
  const std::uint64_t maxBytes = parseBytes(config.maxBytes, "--maxbytes");
  if (minBytes < 16 || minBytes > maxBytes) throw UsageError("--minbytes must be >= 16 and <= --maxbytes");
  if (config.iters < 1 || config.warmup < 0) throw UsageError("--iters must be >= 1 and --warmup >= 0");
  const std::vector<DType> dtypes = parseDTypes(config.dtypes);
  std::string why;
  const int devices = cudaDevicesAnswering(&why);
  if (devices == 0) throw UsageError("no CUDA device answers (" + why + ")");
  if (config.device < 0 || config.device >= devices) {
    throw UsageError("--device " + std::to_string(config.device) + ": only " + std::to_string(devices) +
                     " GPUs");
  }
  checkCuda(cudaSetDevice(config.device), "cudaSetDevice");
  const DeviceInfo info = currentDeviceInfo();

  RunContext context;
  context.tool = "ccb-kernel-sweep";
  context.version = CCB_KERNEL_SWEEP_VERSION;
  context.gitRevision = CCB_KERNEL_SWEEP_REVISION;
  context.hosts = {hostName()};
  context.date = isoNow();
  context.command = command;
  context.ranks = 1;
  context.device = info.name;
  nlohmann::json sweepJson = {
      {"min_bytes", minBytes},
      {"max_bytes", maxBytes},
      {"iters", config.iters},
      {"warmup", config.warmup},
      {"sm_count", info.smCount},
      {"compute_capability", std::to_string(info.computeMajor) + "." + std::to_string(info.computeMinor)},
      {"cuda", "runtime " + cudaRuntimeVersion() + ", driver " + cudaDriverVersion()},
      {"bus_bw", "memory traffic per second: 3x the buffer for a reduction, 2x for a copy"}};
  std::optional<DocumentWriter> writer;
  if (!config.jsonPath.empty())
    writer.emplace(config.jsonPath, makeDocument(DocKind::kMeasured, context, sweepJson));

  // Three buffers of the largest size: a, b and a separate output (in-place runs write into a).
  const std::uint64_t fits = info.freeBytes / 4;
  const std::uint64_t top = std::min<std::uint64_t>(maxBytes, fits);
  DeviceBuffer a(top), b(top), out(top);
  checkCuda(cudaMemset(a.data(), 0, top), "cudaMemset");
  checkCuda(cudaMemset(b.data(), 0, top), "cudaMemset");
  CudaReducer reducer;
  CudaStream stream;
  std::printf("# %s, %d SMs, %s free\n# %10s %9s %-14s %11s %11s %9s\n", info.name.c_str(), info.smCount,
              formatBytes(info.freeBytes).c_str(), "bytes", "dtype", "what", "median(us)", "alg(GB/s)",
              "bus(GB/s)");
  const auto publish = [&](const Record& r) {
    std::printf("  %10s %9s %-14s %11.2f %11.2f %9.1f\n", formatBytes(r.bytes).c_str(),
                std::string(dtypeName(r.dtype)).c_str(), (r.collective + "/" + r.algo).c_str(), r.time.median,
                r.algBw, r.busBw);
    if (writer) writer->append(toJson(r));
  };
  for (DType dtype : dtypes) {
    for (std::uint64_t bytes = minBytes; bytes <= top; bytes *= 2) {
      const std::size_t count = bytes / dtypeSize(dtype);
      const std::uint64_t used = count * dtypeSize(dtype);
      publish(makeRecord("copy", "memcpy_d2d", dtype, used, false, config.iters,
                         timeOnDevice(stream, config.warmup, config.iters,
                                      [&] {
                                        checkCuda(cudaMemcpyAsync(out.data(), a.data(), used,
                                                                  cudaMemcpyDeviceToDevice, stream.get()),
                                                  "cudaMemcpyAsync");
                                      }),
                         2));
      for (bool inPlace : {false, true}) {
        std::byte* dst = inPlace ? a.data() : out.data();
        publish(makeRecord("reduce", "cuda_kernel", dtype, used, inPlace, config.iters,
                           timeOnDevice(stream, config.warmup, config.iters,
                                        [&] {
                                          reducer.enqueueReduce(dst, a.data(), b.data(), count, dtype,
                                                                ReduceOp::kSum, stream.get());
                                        }),
                           3));
      }
    }
  }
  return 0;
}

}  // namespace
}  // namespace ccb

int main(int argc, char** argv) {
  ccb::SweepConfig config;
  CLI::App app("ccb-kernel-sweep: CUDA reduction kernels vs device-to-device copy bandwidth (CUDA events)");
  app.add_option("-b,--minbytes", config.minBytes, "smallest buffer (K/M/G suffixes)")->capture_default_str();
  app.add_option("-e,--maxbytes", config.maxBytes, "largest buffer (capped at a quarter of free memory)")
      ->capture_default_str();
  app.add_option("-n,--iters", config.iters, "timed iterations per point")->capture_default_str();
  app.add_option("-w,--warmup", config.warmup, "untimed iterations per point")->capture_default_str();
  app.add_option("-d,--dtype", config.dtypes, "comma list of dtypes")->capture_default_str();
  app.add_option("--device", config.device, "GPU index")->capture_default_str();
  app.add_option("--json", config.jsonPath, "write a measured JSON document here");
  CLI11_PARSE(app, argc, argv);
  std::string command;
  for (int i = 0; i < argc; ++i) command += (i ? " " : "") + std::string(argv[i]);
  try {
    return ccb::runSweep(config, command);
  } catch (const ccb::Error& e) {
    std::fprintf(stderr, "ccb-kernel-sweep: error: %s\n", e.what());
    return 1;
  }
}
