// Readers that turn measured results into schema-1 Records: ccbench/ccsim documents (schema 1),
// nccl-tests' JSON output (-J, file version 2) and Google Benchmark's JSON (--benchmark_format=json or
// --benchmark_out=FILE). They work on parsed JSON (or on text, for the fuzzer); opening files is the CLI's
// job. Every failure is a UsageError of one line that starts with the source's name.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result_json.h"

namespace ccb::sim {

enum class InputFormat { kAuto, kSchema, kNcclTests, kGoogleBenchmark };

// "auto", "ccbench" (schema 1), "nccl-tests", "gbench".
InputFormat parseInputFormat(std::string_view name);
std::string_view inputFormatName(InputFormat format);

// How to label points of foreign formats, which do not say everything a Record holds.
struct ReaderOptions {
  std::string algo;                  // "" = nccl-tests: "nccl"; Google Benchmark: the benchmark's family name
  int ranks = 0;                     // 0 = from the document (nccl-tests: its devices; gbench: a "ranks" counter)
  std::string collective;            // "" = nccl-tests: from the program name; gbench: "allreduce"
  bool inPlace = false;              // nccl-tests: take the in-place columns instead of out-of-place
  DType dtype = DType::kFloat32;     // gbench: element type when no "dtype" is given
};

// Parses JSON text. Throws UsageError("<source>: not valid JSON (truncated or malformed): ...").
nlohmann::json parseJsonText(std::string_view text, const std::string& source);
// Recognises a parsed document: "schema" -> kSchema, "benchmarks" -> kGoogleBenchmark, "results" with
// nccl-tests' keys -> kNcclTests. Throws UsageError when it is none of them.
InputFormat detectFormat(const nlohmann::json& doc, const std::string& source);

// Records of a schema-1 document: checks "schema" == 1, a known "kind" and a "records" array, then reads
// each record with recordFromJson. Throws UsageError naming the source and the problem.
std::vector<Record> recordsFromSchemaDocument(const nlohmann::json& doc, const std::string& source);
std::vector<Record> recordsFromNcclTests(const nlohmann::json& doc, const ReaderOptions& options,
                                         const std::string& source);
std::vector<Record> recordsFromGoogleBenchmark(const nlohmann::json& doc, const ReaderOptions& options,
                                               const std::string& source);

// Dispatch on `format` (kAuto: detectFormat).
std::vector<Record> readRecords(const nlohmann::json& doc, InputFormat format, const ReaderOptions& options,
                                const std::string& source);

}  // namespace ccb::sim
