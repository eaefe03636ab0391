// reducer_bench: how close the CPU reducer comes to memory bandwidth.
//
// For each dtype it times a sum of two buffers into a third (reduce_sum/<dtype>) and a memcpy of one buffer
// of the same size (copy/<dtype>, the same bytes for every dtype: it is repeated next to each reduce so that
// every ratio compares two measurements taken close together). Buffers are 64 MiB each by default, well
// beyond the caches, so both are limited by memory. bytes_per_second counts every byte that crosses the
// memory bus: read + read + write for the sum, read + write for the copy. After the usual table a summary
// prints, per dtype, reduce_sum bytes/s divided by copy bytes/s: 1.0 means the reducer runs at the speed
// of memory; the target is >= 0.8.
//
//   build/bench/micro/reducer_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
//   build/bench/micro/reducer_bench --bytes=16M          # per-buffer size (parseBytes syntax)
//   ... --benchmark_out=reducer.json --benchmark_out_format=json   # JSON to a file, summary still shown
//
// With --benchmark_format=json (or csv) on stdout the summary is left out, so stdout stays parseable.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/dtype.h"
#include "core/error.h"
#include "core/units.h"
#include "reduce/cpu_reducer.h"
#include "reduce/verify.h"

namespace ccb {
namespace {

constexpr std::uint64_t kDefaultBufferBytes = 64ull << 20;

// Three buffers of `bytes` each, filled (so every page is mapped before timing) with a verifiable sum
// input, whose small integers keep the float results free of subnormals and overflow.
struct Buffers {
  Buffers(DType dtype, std::uint64_t bytes)
      : count(bytes / dtypeSize(dtype)), a(bytes), b(bytes), dst(bytes) {
    fillInput(a.data(), count, dtype, ReduceOp::kSum, 0, 2);
    fillInput(b.data(), count, dtype, ReduceOp::kSum, 1, 2);
    std::memset(dst.data(), 0, dst.size());
  }
  std::size_t count;
  std::vector<unsigned char> a, b, dst;
};

void benchReduceSum(benchmark::State& state, DType dtype, std::uint64_t bytes, CpuReducer::Isa isa) {
  Buffers buffers(dtype, bytes);
  CpuReducer reducer(isa);
  for (auto _ : state) {
    reducer.reduce(buffers.dst.data(), buffers.a.data(), buffers.b.data(), buffers.count, dtype,
                   ReduceOp::kSum);
    benchmark::DoNotOptimize(buffers.dst.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(3 * bytes));
}

void benchCopy(benchmark::State& state, DType dtype, std::uint64_t bytes, CpuReducer::Isa) {
  Buffers buffers(dtype, bytes);
  CpuReducer reducer;
  for (auto _ : state) {
    reducer.copy(buffers.dst.data(), buffers.a.data(), bytes);
    benchmark::DoNotOptimize(buffers.dst.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(2 * bytes));
}

// copy/<dtype> and reduce_sum/<dtype> for every dtype, and reduce_sum/<dtype>_baseline (the SSE2 loops,
// what a CPU without AVX2 and F16C runs) when the CPU has either. CPU time (Google Benchmark's default), not
// wall time: on a shared, oversubscribed machine wall time mostly measures the scheduler.
void registerAll(std::uint64_t bytes) {
  using Isa = CpuReducer::Isa;
  auto add = [bytes](const std::string& name, auto function, DType dtype, Isa isa) {
    benchmark::RegisterBenchmark(name.c_str(), function, dtype, bytes, isa)->Unit(benchmark::kMillisecond);
  };
  for (DType dtype : kAllDTypes) {
    const std::string name(dtypeName(dtype));
    add("copy/" + name, benchCopy, dtype, Isa::kBest);
    add("reduce_sum/" + name, benchReduceSum, dtype, Isa::kBest);
    const CpuReducer best(Isa::kBest);
    if (best.usesAvx2() || best.usesF16c()) {
      add("reduce_sum/" + name + "_baseline", benchReduceSum, dtype, Isa::kBaseline);
    }
  }
}

// The console table, then the reduce/copy ratio per dtype from the median of repetitions (or the single
// run without repetitions).
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& run : runs) {
      const bool isMedian = run.run_type == Run::RT_Aggregate && run.aggregate_name == "median";
      const bool isSingle = run.run_type == Run::RT_Iteration && run.repetitions <= 1;
      const auto rate = run.counters.find("bytes_per_second");
      if (run.error_occurred || (!isMedian && !isSingle) || rate == run.counters.end()) continue;
      bytesPerSecond_[run.run_name.function_name] = rate->second.value;
    }
    ConsoleReporter::ReportRuns(runs);
  }

  void Finalize() override {
    ConsoleReporter::Finalize();
    std::printf("\nreduce_sum vs copy (bytes/s counting every buffer read and written)\n");
    std::printf("%-17s %12s %16s %7s\n", "dtype", "copy GB/s", "reduce_sum GB/s", "ratio");
    for (DType dtype : kAllDTypes) {
      const std::string name(dtypeName(dtype));
      const auto copy = bytesPerSecond_.find("copy/" + name);
      if (copy == bytesPerSecond_.end()) continue;  // filtered out
      for (const std::string& variant : {name, name + "_baseline"}) {
        const auto reduce = bytesPerSecond_.find("reduce_sum/" + variant);
        if (reduce == bytesPerSecond_.end()) continue;
        std::printf("%-17s %12.2f %16.2f %7.2f\n", variant.c_str(), copy->second / 1e9, reduce->second / 1e9,
                    reduce->second / copy->second);
      }
    }
  }

 private:
  std::map<std::string, double> bytesPerSecond_;
};

// Takes --bytes=SIZE out of argv (Google Benchmark rejects flags it does not know) and returns its value.
std::uint64_t takeBytesFlag(int& argc, char** argv) {
  constexpr std::string_view kFlag = "--bytes=";
  std::uint64_t bytes = kDefaultBufferBytes;
  int kept = 1;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg.substr(0, kFlag.size()) == kFlag) {
      bytes = parseBytes(arg.substr(kFlag.size()), "--bytes");
    } else {
      argv[kept++] = argv[i];
    }
  }
  argc = kept;
  if (bytes == 0) throw UsageError("--bytes must be at least 1");
  return bytes;
}

bool consoleFormat(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg.substr(0, 19) == "--benchmark_format=" && arg != "--benchmark_format=console") return false;
  }
  return true;
}

}  // namespace
}  // namespace ccb

int main(int argc, char** argv) {
  try {
    const std::uint64_t bytes = ccb::takeBytesFlag(argc, argv);
    const bool console = ccb::consoleFormat(argc, argv);  // before Initialize, which consumes the flag
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    ccb::registerAll(bytes);
    if (console) {
      ccb::RatioReporter reporter;
      benchmark::RunSpecifiedBenchmarks(&reporter);
    } else {
      benchmark::RunSpecifiedBenchmarks();
    }
    benchmark::Shutdown();
  } catch (const ccb::Error& e) {
    std::fprintf(stderr, "reducer_bench: %s\n", e.what());
    return 1;
  }
  return 0;
}
