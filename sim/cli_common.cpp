#include "sim/cli_common.h"

#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <fstream>
#include <sstream>

#include "ccb_config.h"
#include "core/error.h"
#include "core/units.h"

namespace ccb::sim::cli {

std::string readTextFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw UsageError(path + ": cannot open: " + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw UsageError(path + ": cannot read: " + std::strerror(errno));
  return text.str();
}

ClusterDescription loadCluster(const std::string& path) {
  const nlohmann::json doc = parseJsonText(readTextFile(path), path);
  try {
    return clusterFromJson(doc);
  } catch (const UsageError& e) {
    throw UsageError(path + ": " + e.what());
  }
}

LoadedResults loadResults(const std::string& path, InputFormat format, const ReaderOptions& options) {
  LoadedResults loaded;
  const nlohmann::json parsed = parseJsonText(readTextFile(path), path);
  loaded.format = format == InputFormat::kAuto ? detectFormat(parsed, path) : format;
  if (loaded.format == InputFormat::kSchema) {
    // The schema module validates the document; the records are then read field by field.
    const nlohmann::json doc = readDocument(path);
    loaded.records = recordsFromSchemaDocument(doc, path);
    try {
      loaded.context = runContextFromJson(doc.at("context"));
      loaded.hasContext = true;
    } catch (const UsageError&) {
      loaded.hasContext = false;  // an incomplete context only costs the layout hint
    }
    return loaded;
  }
  loaded.records = readRecords(parsed, loaded.format, options, path);
  return loaded;
}

RunContext ccsimContext(const std::string& command, int ranks, int ranksPerHost) {
  RunContext c;
  c.tool = "ccsim";
  c.version = CCB_VERSION;
  c.gitRevision = CCB_GIT_REVISION;
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm utc{};
  gmtime_r(&now, &utc);
  char date[32];
  std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", &utc);
  c.date = date;
  c.command = command;
  c.ranks = ranks;
  c.ranksPerHost = ranksPerHost;
  c.device = "model";
  return c;
}

CLI::Option* addBytesOption(CLI::App& app, const std::string& flags, std::uint64_t& value, const std::string& help) {
  const std::string what = flags.substr(flags.rfind(',') == std::string::npos ? 0 : flags.rfind(',') + 1);
  return app
      .add_option_function<std::string>(
          flags, [&value, what](const std::string& text) { value = parseBytes(text, what); }, help)
      ->type_name("BYTES");
}

}  // namespace ccb::sim::cli
