// libFuzzer entry point over ccsim's JSON readers: any input must either be read or be rejected with a
// UsageError; anything else escaping (a nlohmann type error, an invariant failure, a crash) is a bug.
// What is read must also survive a round trip through the writers.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/error.h"
#include "core/result_json.h"
#include "sim/cluster.h"
#include "sim/readers.h"

namespace {

template <typename Read>
void expectReadOrUsageError(Read read) {
  try {
    read();
  } catch (const ccb::UsageError&) {
    // Rejected with a message for the user: fine.
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  nlohmann::json doc;
  try {
    doc = ccb::sim::parseJsonText(text, "fuzz");
  } catch (const ccb::UsageError&) {
    return 0;
  }
  const ccb::sim::ReaderOptions options;
  expectReadOrUsageError([&] {
    for (const ccb::Record& r : ccb::sim::recordsFromSchemaDocument(doc, "fuzz")) {
      if (ccb::recordFromJson(ccb::toJson(r)).bytes != r.bytes) __builtin_trap();
    }
  });
  expectReadOrUsageError([&] { ccb::sim::recordsFromNcclTests(doc, options, "fuzz"); });
  expectReadOrUsageError([&] { ccb::sim::recordsFromGoogleBenchmark(doc, options, "fuzz"); });
  expectReadOrUsageError([&] { ccb::sim::readRecords(doc, ccb::sim::InputFormat::kAuto, options, "fuzz"); });
  expectReadOrUsageError([&] {
    const ccb::sim::ClusterDescription c = ccb::sim::clusterFromJson(doc);
    if (ccb::sim::clusterFromJson(ccb::sim::toJson(c)).ranks != c.ranks) __builtin_trap();
  });
  return 0;
}
